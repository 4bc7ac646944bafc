"""`ledger`, `store` and `compute` load what is slow to import (web3 and the EVM; the erasure code,
the client and pydantic's settings; the WebAssembly engine and Ray) only when a name that needs it
is first asked for."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types

import pytest

import compute
import ledger
import store

LAZY_PACKAGES = (ledger, store, compute)


@pytest.mark.parametrize(("package", "name"), [(p.__name__, name) for p in LAZY_PACKAGES for name in sorted(p.__all__)])
def test_every_exported_name_resolves(package: str, name: str) -> None:
    """To what it names, not to a submodule of the same name (importing ``ledger.x`` sets the
    package's attribute ``x`` to the module, which a lazy name must not share)."""
    module = importlib.import_module(package)
    for submodule in module._LAZY:
        importlib.import_module(f"{package}.{submodule}")
    value = getattr(module, name)
    assert value is not None
    assert name == "events" or not isinstance(value, types.ModuleType)


@pytest.mark.parametrize("package", LAZY_PACKAGES, ids=lambda p: p.__name__)
def test_an_unknown_name_is_an_attribute_error(package: types.ModuleType) -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nonesuch'"):
        package.Nonesuch  # noqa: B018


def _loaded(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    return set(subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout.split())


def test_signing_a_request_needs_neither_web3_nor_the_evm() -> None:
    loaded = _loaded(
        "from ledger import dev_account, new_request; "
        "r = new_request(0, requester=dev_account(1).address, program_id=bytes(32), input_digest=bytes(32)); "
        "r.sign(dev_account(1), chain_id=31337, market='0x' + '11' * 20)"
    )
    assert "eth_account" in loaded
    assert not loaded & {"web3", "eth", "ledger.market", "ledger._embedded"}


def test_a_command_that_signs_only_hashes_never_imports_eth_account() -> None:
    """eth-account imports py_ecc's BLS tables (0.3-0.6 s of arithmetic): `agora job submit`,
    which signs a request and store writes with a `Key`, must not pay for it."""
    loaded = _loaded(
        "import cli.job, cli.store, marketplace.client, store.auth; from ledger import dev_key, new_request; "
        "k = dev_key(1); r = new_request(0, requester=k.address, program_id=bytes(32), input_digest=bytes(32)); "
        "r.sign(k, chain_id=31337, market='0x' + '11' * 20); "
        "store.auth.authorization(k, '/v1/blobs/x', 1, 2**40, node=bytes(32))"
    )
    assert not loaded & {"eth_account", "eth_keyfile", "py_ecc", "web3"}


def test_submitting_through_the_api_loads_neither_the_engine_nor_the_codec_nor_settings() -> None:
    """What `agora job submit --home H` runs before it talks to the API: its module, the home, a
    result digest checked and a CID named. The WebAssembly engine, pyeclib, the store's client
    and pydantic's settings (~0.3 s of CPU together) are for other commands."""
    loaded = _loaded(
        "from pathlib import Path; import cli.job; from cli import _common as c; c.home(Path('/tmp/h')); "
        "from compute import Status, result_digest; result_digest(Status.OK, 0, bytes(32), 1); "
        "from store import cid_of; cid_of(b'x')"
    )
    assert {"cli.job", "store.cid", "compute.results"} <= loaded
    assert not loaded & {"wasmtime", "pyeclib", "store.client", "pydantic_settings", "ray", "compute.runtime"}


def test_a_submit_reaches_its_first_request_without_pydantic_or_requests() -> None:
    """typer 0.29 coerces every option through a pydantic TypeAdapter: ~0.09 s of import before
    any `agora` command runs its first line (typer is kept below 0.29: docs/toolchain.md); the API
    client speaks `http.client`, as `requests` is ~0.1 s more; our CIDs are spelled without
    multiformats (~60 ms).
    The command runs to its first request (to a port nobody answers) and fails there."""
    loaded = _loaded(
        "from cli.main import app\n"
        "try:\n"
        f"    app(['job', 'submit', 'x.wasm', '--input', {__file__!r}, '-k', '1', '--max-price', '2', "
        f"'--from', 'dev:1', '--api', 'http://127.0.0.1:9', '--home', '/tmp/agora-no-home'], standalone_mode=False)\n"
        "except BaseException:\n"
        "    pass\n"
    )
    assert "cli.job" in loaded and "marketplace.client" in loaded
    assert not loaded & {"pydantic", "pydantic_core", "rich", "requests", "urllib3", "multiformats"}


def test_a_client_is_loaded_when_first_asked_for() -> None:
    loaded = _loaded("import ledger; ledger.JobMarket")
    assert {"web3", "ledger.market"} <= loaded


def test_the_events_module_is_an_attribute_in_a_fresh_interpreter() -> None:
    loaded = _loaded("import ledger; assert ledger.events.JobPosted.__name__ == 'JobPosted'")
    assert "ledger.events" in loaded


def test_a_store_node_asking_the_chain_who_may_write_never_imports_web3() -> None:
    """Six of them start at once in `agora up`; web3 costs each ~1.6 s of CPU (ledger/reader.py)."""
    loaded = _loaded("import cli.main, cli.store; from ledger import ChainReader; ChainReader('http://127.0.0.1:9')")
    assert "ledger.reader" in loaded
    assert not loaded & {"web3", "eth_account", "py_ecc", "ledger.market"}
