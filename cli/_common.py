"""Shared plumbing of the CLI: settings, the chain connection, accounts, error reporting."""

from __future__ import annotations

import functools
import logging
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer

from ._market import running

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from compute import RayExecutor
    from ledger import ChainHandle, Deployment, Key, Keystore, Transactor
    from store import Signer, StoreClient

F = TypeVar("F", bound=Callable[..., Any])


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )


def home(override: Path | None = None) -> Path:
    """``--home``, else the settings' state directory (AGORA_HOME; pydantic's settings are loaded only then)."""
    if override is not None:
        return override.expanduser()
    from ledger import get_settings

    return get_settings().state_dir.expanduser()


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"Error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


# The errors shown as one line, by module and name. An error's module is loaded once it is raised,
# so they are looked up among the modules loaded, and a command loads only what it uses.
_ERRORS = (
    ("marketplace.client", "ApiError"),
    ("ledger", "LedgerError"),
    ("store", "StoreError"),
    ("worker", "WorkerError"),
    ("compute", "ComputeError"),
    ("duties", "DutiesError"),
    ("zk", "ZkError"),
)


def _reported(exc: Exception, module: str, name: str) -> bool:
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(exc, getattr(loaded, name))


def reports_errors(fn: F) -> F:
    """Shows ledger and store errors as one line (contract errors by name with their arguments)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            if _reported(exc, "ledger", "ContractRevert"):
                fail(f"the contract reverted with {exc}")
            if isinstance(exc, ValueError) or any(_reported(exc, *where) for where in _ERRORS):
                fail(str(exc))
            raise

    return wrapper  # type: ignore[return-value]


@contextmanager
def chain(state: Path | None = None, rpc_url: str | None = None) -> Iterator[ChainHandle]:
    """The chain: ``rpc_url``, else AGORA_RPC_URL, else the market `agora up` runs from the home,
    else a served chain on :8545, else the embedded one in-process."""
    from ledger import open_chain

    handle = open_chain(home=home(state), rpc_url=rpc_url or served_chain_url(state))
    try:
        yield handle
    finally:
        handle.close()


def served_chain_url(state: Path | None = None) -> str | None:
    """AGORA_RPC_URL, else the chain of the market `agora up` runs from the home, else none."""
    from ledger import get_settings

    market = running(home(state))
    return get_settings().rpc_url or (market.chain if market else None)


def deployment(handle: ChainHandle, state: Path | None = None) -> Deployment:
    from ledger import load_deployment

    return load_deployment(handle.w3, home(state))


def store_nodes(option: str | None, state: Path | None = None) -> list[str]:
    """Store node URLs from a comma-separated option, else AGORA_STORE_NODES, else those of the
    market `agora up` runs from the home."""
    from store import get_settings as store_settings

    text = option or store_settings().nodes
    if not text and (market := running(home(state))) is not None:
        return list(market.store_nodes)
    return [n.strip() for n in text.split(",") if n.strip()]


def store_client(
    nodes: list[str],
    *,
    k: int | None = None,
    m: int | None = None,
    signer: Signer | None = None,
    state: Path | None = None,
) -> StoreClient:
    """A store client over ``nodes`` with the AGORA_STORE_* coding and bounds (the coding of the
    market running from the home, for its nodes), signing writes with ``signer``."""
    from store import StoreClient
    from store import get_settings as store_settings

    settings = store_settings()
    market = running(home(state)) if "AGORA_STORE_K" not in os.environ else None
    if market is not None and set(nodes) <= set(market.store_nodes):  # its nodes: its coding
        k, m = k or market.store_k, m or market.store_m
    return StoreClient(
        nodes,
        k=k or settings.k,
        m=m or settings.m,
        segment_size=settings.segment_size,
        timeout=settings.timeout,
        deadline=settings.deadline,
        hedge_after=settings.hedge_after,
        max_get=settings.max_get,
        min_rate=settings.min_rate,
        max_segment=settings.max_segment,
        max_shards=settings.max_shards,
        ca_file=settings.ca_file or None,
        signer=signer,
    )


def store_signer(sender: str | None, state: Path | None = None) -> Key | None:
    """The account that signs store writes: ``--from`` or AGORA_ACCOUNT (a keystore address, or
    ``dev:N`` on a development chain), else the keystore's only key, else none (open nodes only)."""
    choice = sender or os.environ.get("AGORA_ACCOUNT")
    if choice and choice.startswith("dev:"):
        with chain(state) as handle:
            return _dev(int(handle.w3.eth.chain_id), choice[4:])
    from ledger import Keystore

    keystore = Keystore(home(state))
    stored = keystore.list()
    if choice:
        return _load(keystore, stored, choice)
    if len(stored) > 1:
        fail(f"several keys in the keystore: choose the one that signs with --from ({', '.join(stored)})")
    return _unlock(keystore, stored[0]) if stored else None


_UNITS = {"": 1, "B": 1, "K": 1000, "KB": 1000, "KIB": 1024, "M": 1000**2, "MB": 1000**2, "MIB": 1024**2}
_UNITS |= {"G": 1000**3, "GB": 1000**3, "GIB": 1024**3, "T": 1000**4, "TB": 1000**4, "TIB": 1024**4}


def parse_size(text: str) -> int:
    """Bytes from ``64MiB``, ``1.5GB``, ``500k`` or ``1048576``; raises ValueError otherwise."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", text)
    unit = match.group(2).upper() if match else ""
    if match is None or unit not in _UNITS:
        raise ValueError(f"not a size: {text!r} (examples: 64MiB, 1GB, 500k, 1048576)")
    return int(float(match.group(1)) * _UNITS[unit])


def password(confirm: bool = False) -> str:
    from ledger import get_settings

    env = get_settings().password
    if env:
        return env
    return str(typer.prompt("Keystore password", hide_input=True, confirmation_prompt=confirm))


def account(handle: ChainHandle, sender: str | None, state: Path | None = None) -> LocalAccount:
    """The signing account: ``--from`` (a keystore address or ``dev:N``), AGORA_ACCOUNT, the only
    keystore key, or development account 0 on a development chain; eth-account's, for signing
    transactions."""
    return signer(lambda: int(handle.w3.eth.chain_id), sender, state).account()


def signer(chain_id: Callable[[], int], sender: str | None, state: Path | None = None) -> Key:
    """`account`'s key, for a command that signs only requests and store writes (which need no
    eth-account: `ledger.Key`) and knows the chain only by its id (asked only for ``dev:N``)."""
    choice = sender or os.environ.get("AGORA_ACCOUNT")
    if choice and choice.startswith("dev:"):
        return _dev(chain_id(), choice[4:])
    from ledger import Keystore

    keystore = Keystore(home(state))
    stored = keystore.list()
    if choice:
        return _load(keystore, stored, choice)
    if len(stored) == 1:
        return _unlock(keystore, stored[0])
    if stored:
        fail(f"several keys in the keystore: choose one with --from ({', '.join(stored)})")
    return _dev(chain_id(), "0")


def _load(keystore: Keystore, stored: list[str], choice: str) -> Key:
    """The keystore's key for ``choice``, refused before a password is asked when there is none."""
    if choice.lower() not in {a.lower() for a in stored}:
        known = ", ".join(stored) or "none"
        fail(f"no key for {choice} in {keystore.dir} (keys there: {known}; dev:N for a development account)")
    return _unlock(keystore, choice)


def _unlock(keystore: Keystore, address: str) -> Key:
    from ledger import Key

    return Key(bytes(keystore.load(address, password()).key))


def _dev(chain_id: int, index: str) -> Key:
    from ledger import DEV_CHAIN_IDS, dev_key

    if chain_id not in DEV_CHAIN_IDS:
        fail(f"development accounts exist only on development chains (this is chain {chain_id})")
    if not index.isdigit() or int(index) >= 100:
        fail(f"dev:{index} is not a development account (dev:0 to dev:99)")
    return dev_key(int(index))


def transactor(handle: ChainHandle, sender: str | None, state: Path | None = None) -> Transactor:
    from ledger import Transactor

    return Transactor(handle.w3, account(handle, sender, state))


def ray_with_stop(ray: str, directory: Path, stop: threading.Event) -> RayExecutor:
    """A Ray executor (``local``: a Ray of its own with its files under ``directory``; else a
    cluster's address), and SIGTERM or Ctrl-C setting ``stop``. The handlers are installed after
    ``ray.init``, which installs its own that kill the process on SIGTERM."""
    from compute import RayExecutor, ray_temp_dir

    executor = RayExecutor(ray, temp_dir=ray_temp_dir(directory) if ray == "local" else None)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    return executor
