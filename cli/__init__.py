"""The `agora` command: the composition root, the only package that imports every other one.

`agora up` starts a whole local network; `agora chain|account|name …` drive each part.
"""

from .main import app

__all__ = ["app"]
