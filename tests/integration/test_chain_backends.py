"""The chain conformance suite on each backend: in-process, served over HTTP, and anvil."""

from __future__ import annotations

import pytest
from web3 import Web3

from ledger import EmbeddedChain, connect

from .chain_conformance import ChainConformance


class TestEmbeddedInProcess(ChainConformance):
    @pytest.fixture(scope="class")
    @classmethod
    def w3(cls) -> Web3:
        return connect(chain=EmbeddedChain())


class TestEmbeddedServed(ChainConformance):
    @pytest.fixture(scope="class")
    @classmethod
    def w3(cls, served_chain: str) -> Web3:
        return connect(served_chain)


@pytest.mark.anvil
class TestAnvil(ChainConformance):
    @pytest.fixture(scope="class")
    @classmethod
    def w3(cls, anvil_url: str) -> Web3:
        return connect(anvil_url)
