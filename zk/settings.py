"""Settings of the zk package (environment prefix ``AGORA_ZK_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class ZkSettings(BaseSettings):
    """Where Node and the npm packages are, and the limits of one ZoKrates step."""

    model_config = SettingsConfigDict(env_prefix="AGORA_ZK_", extra="ignore")

    node: str = "node"
    """The Node.js binary (a name on PATH or a path)."""
    node_modules: Path = ROOT / "node_modules"
    """The npm packages `make deps` installs: zokrates-js and solc."""

    compile_timeout: float = 120.0
    """Seconds one compile may take (a Pedersen hash alone takes ~7 s here)."""
    setup_timeout: float = 300.0
    """Seconds one Groth16 setup may take."""
    prove_timeout: float = 300.0
    """Seconds one witness and proof may take."""
    verify_timeout: float = 60.0
    """Seconds zokrates-js's verify, the verifier export or solc may take."""

    max_source: int = 256 * 1024
    """Bytes of a program's source."""
    max_constraints: int = 1 << 20
    """Constraints of a program; setup and proving grow with them (10k take ~4 s to prove)."""
    max_arguments: int = 4 * 1024 * 1024
    """Bytes of a proof's arguments, as JSON."""
    max_answer: int = 1024 * 1024 * 1024
    """Bytes of one answer of the Node script (a proving key grows with the program)."""


@lru_cache
def get_settings() -> ZkSettings:
    """The settings, read once from the environment."""
    return ZkSettings()
