"""hydrahead's version: hydra's, from VERSION at the root of the tree (a
wheel carries a copy of this file with the number written in)."""

import os

_ROOT_VERSION = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "VERSION")
with open(_ROOT_VERSION) as _f:
    __version__ = _f.read().strip()
