"""Where a deployment is recorded, and the record itself (no web3: `ledger.reader` reads it too)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson


@dataclass
class Deployment:
    """Where the contracts live on one chain, and what was deployed there."""

    chain_id: int
    genesis_hash: str
    block: int
    deployer: str
    compiler: str
    contracts: dict[str, dict[str, str]] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)

    def address(self, name: str) -> str:
        """The address of contract ``name``."""
        return self.contracts[name]["address"]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"


def record_path(home: Path, chain_id: int, genesis_hash: str) -> Path:
    """Records are keyed by chain id and genesis hash: a restarted anvil is another chain."""
    return home / "deployments" / f"{chain_id}-{genesis_hash.removeprefix('0x')[:16]}.json"


def read_record(home: Path, chain_id: int, genesis_hash: str) -> Deployment:
    """The deployment recorded under ``home`` for the chain with this id and genesis block.

    Raises:
        NotDeployed: when there is none (run ``agora chain deploy``).
    """
    from .errors import NotDeployed

    path = record_path(home, chain_id, genesis_hash)
    if not path.exists():
        raise NotDeployed(
            f"no contracts deployed on chain {chain_id} (genesis {genesis_hash[:10]}): run `agora chain deploy`"
        )
    return Deployment(**orjson.loads(path.read_bytes()))
