"""Where Backprop Lab keeps its files: the XDG data folder (no Qt, no other gui module, so anyone may import it)."""
from __future__ import annotations

import os
from pathlib import Path

APP_ID = "backprop-lab"


def data_home() -> Path:
    """``$XDG_DATA_HOME``, or ``~/.local/share`` when it is not set."""
    xdg = os.environ.get("XDG_DATA_HOME")
    return Path(xdg) if xdg else Path.home() / ".local" / "share"


def data_dir() -> Path:
    """The user's data folder for Backprop Lab (``$XDG_DATA_HOME/backprop-lab``): recovery files and logs."""
    return data_home() / APP_ID
