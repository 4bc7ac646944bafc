"""Chain time as daemons see it on a chain whose clock was moved ahead and then went quiet."""

from __future__ import annotations

import time

from ledger import ChainClock, EmbeddedChain, Transactor, connect, dev_account


def test_time_moves_on_between_blocks_on_a_chain_ahead_of_the_wall() -> None:
    w3 = connect(chain=EmbeddedChain())
    w3.provider.make_request("evm_increaseTime", [3600])  # type: ignore[arg-type]
    Transactor(w3, dev_account(0)).send(to=dev_account(1).address, value=1)  # a block an hour ahead
    clock = ChainClock(w3)
    stamp = int(w3.eth.get_block("latest")["timestamp"])
    first = clock.now()
    assert first >= stamp > time.time() + 3000  # an hour ahead, not the wall's time
    time.sleep(2.1)  # no block meanwhile
    assert int(w3.eth.get_block("latest")["timestamp"]) == stamp
    assert clock.now() >= first + 2  # a deadline at `stamp + 1` is seen to pass without a block


def test_on_a_chain_at_wall_time_it_is_the_wall() -> None:
    w3 = connect(chain=EmbeddedChain())
    clock = ChainClock(w3)
    before = int(time.time())
    assert before <= clock.now() <= int(time.time()) + 1
