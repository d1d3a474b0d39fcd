"""The installed distribution's version, read only when asked (it costs 20 ms at start-up)."""
from __future__ import annotations


def version() -> str:
    """The installed distribution's version (``importlib.metadata``, imported only when asked)."""
    from importlib import metadata
    try:
        return metadata.version("backprop-lab")
    except metadata.PackageNotFoundError:
        return "0+unknown"
