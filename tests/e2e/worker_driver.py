"""A worker daemon built through the Python API, with a chosen conduct per job.

`python worker_driver.py SPEC` where SPEC is JSON: name, ray (address), home, account (dev
index), stake and region (numbers), max_concurrent, and conducts: {input digest hex: conduct}
(jobs not listed are done honestly). Chain and store come from AGORA_RPC_URL and
AGORA_STORE_* as for `agora worker run`.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from pathlib import Path

from compute import RayExecutor
from ledger import JobRequest, dev_account, get_settings, load_deployment, open_chain
from store import StoreClient
from store import get_settings as store_settings
from worker import BidPolicy, Conduct, Worker, WorkerConfig


def main() -> None:
    spec = json.loads(sys.argv[1])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    conducts = {bytes.fromhex(k): Conduct(v) for k, v in spec.get("conducts", {}).items()}

    def conduct(request: JobRequest) -> Conduct:
        return conducts.get(request.input_digest, Conduct.HONEST)

    home = Path(spec["home"])
    settings = store_settings()
    nodes = settings.node_list()
    handle = open_chain(home=home, rpc_url=get_settings().rpc_url)
    deployment = load_deployment(handle.w3, home)
    region = int(spec.get("region", 0))
    config = WorkerConfig(
        name=spec["name"],
        state_dir=home / "workers" / spec["name"],
        store_nodes=nodes,
        stake=int(spec.get("stake", 200)) * 10**18,
        region=region,
        ray=spec["ray"],
        policy=BidPolicy(region=region, max_concurrent=int(spec.get("max_concurrent", 3))),
        poll_interval=0.1,
    )
    account = dev_account(int(spec["account"]))
    store = StoreClient(nodes, k=settings.k, m=settings.m, signer=account)  # workers have stake: nodes accept them
    executor = RayExecutor(spec["ray"])
    daemon = Worker(handle.w3, deployment, account, config, store=store, executor=executor, conduct=conduct)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())  # after ray.init, which installs its own
    daemon.setup()
    logging.getLogger("agora.worker").info("ready: conducts %s", spec.get("conducts", {}))
    try:
        daemon.run(stop)
    finally:
        daemon.close()
        store.close()
        executor.shutdown()


if __name__ == "__main__":
    main()
