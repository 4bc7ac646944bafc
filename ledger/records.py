"""Where a deployment is recorded, and the record itself (no web3: `ledger.reader` reads it too)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
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


def is_current(deployment: Deployment, code_of: Callable[[str], bytes]) -> bool:
    """Whether every contract was deployed from the current artifacts and its code is still there
    (``code_of`` reads an address's runtime code from the chain).

    The code on chain differs from the artifact where immutables are filled in, so it is compared
    with the hash recorded at deployment, and the artifact with the one it was deployed from.
    """
    from .artifacts import manifest

    expected = manifest()["contracts"]
    return all(
        name in deployment.contracts
        and deployment.contracts[name].get("artifactSha256") == expected[name]["runtimeCodeSha256"]
        and hashlib.sha256(code_of(deployment.address(name))).hexdigest() == deployment.contracts[name]["codeSha256"]
        for name in expected
    )
