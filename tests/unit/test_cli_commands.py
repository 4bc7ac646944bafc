"""The `agora` command loads each command's module only when that command runs."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from cli.main import COMMANDS, app


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_loads_and_shows_its_help(name: str) -> None:
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: agora " + name in " ".join(result.output.split())


def test_a_group_of_one_command_stays_a_group() -> None:
    result = CliRunner().invoke(app, ["api", "serve", "--help"])
    assert result.exit_code == 0, result.output
    assert "--port" in result.output


def test_the_top_level_help_lists_every_command() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    listed = {line.strip("│ ").split(" ")[0] for line in result.output.splitlines()}
    assert set(COMMANDS) <= listed


@pytest.mark.parametrize(
    ("command", "absent"),
    [
        ("store", ("ray", "fastapi", "sqlalchemy", "wasmtime", "zk")),
        ("chain", ("ray", "fastapi", "sqlalchemy", "wasmtime", "zk", "pyeclib")),
        ("balance", ("ray", "fastapi", "sqlalchemy", "wasmtime", "zk", "pyeclib")),
        # a requester's: the API's client, not its server; it signs requests, so no web3 or EVM
        ("job", ("ray", "fastapi", "sqlalchemy", "web3", "eth", "zk", "uvicorn")),
    ],
)
def test_a_command_loads_only_what_it_uses(command: str, absent: tuple[str, ...]) -> None:
    """In a fresh interpreter, as each process `agora up` starts is."""
    probe = f"import sys, cli.main as m; m.load_command({command!r}); print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    loaded = set(out.split())
    assert "typer" in loaded
    assert not loaded & set(absent)


def test_the_store_s_server_names_resolve_when_asked_for() -> None:
    import store
    from store import _serve, node

    assert (store.serve_guarded, store.create_app, store.serve) == (_serve.run, node.create_app, node.serve)
