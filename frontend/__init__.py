"""The dashboard served by the API at ``/ui/``: jobs, a job's timeline, workers, settlements (each
re-checked in the browser against the chain over JSON-RPC), names, programs and a submit form.

A data package: static files only (vanilla ES modules, one stylesheet, and ethers' ESM build in
``static/vendor/``, copied there from node_modules by ``make``). It imports nothing; ``cli/api.py``
hands `STATIC` to ``marketplace.api.create_app``, which mounts it (marketplace may not import it).
See docs/dashboard.md.
"""

from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
"""The directory the API serves at ``/ui/``."""

__all__ = ["STATIC"]
