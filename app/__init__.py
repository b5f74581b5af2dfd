"""peer-ce: continuing-education tracking for certified peer support specialists."""

__version__ = "0.1.0"

from app import build as _build

_build.install()  # the compiled engine or the pure-Python modules (PEER_CE_COMPILED), before either is imported
