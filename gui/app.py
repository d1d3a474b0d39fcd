"""Program entry point: ``backprop-lab [FILE]``, ``--version``, ``--install-desktop-entry``.

``--version``, ``--help`` and ``--install-desktop-entry`` never import Qt, so
they work on machines with no display.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

from .version import version

APP_ID = "backprop-lab"


def _data_home() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    return Path(xdg) if xdg else Path.home() / ".local" / "share"


def install_desktop_entry(data_home: Path | None = None) -> list[Path]:
    """Copy the launcher and icons into the user's XDG data folders.

    Returns the paths written.  Running it again overwrites them with the same
    content, so it is safe to repeat.
    """
    home = data_home or _data_home()
    res = resources.files("backprop_lab.resources")
    written = []
    apps = home / "applications"
    apps.mkdir(parents=True, exist_ok=True)
    desktop = apps / f"{APP_ID}.desktop"
    text = (res / "backprop-lab.desktop").read_text("utf-8")
    exe = shutil.which(APP_ID)
    if exe:  # an absolute Exec= works even when the venv's bin is not on the menu's PATH
        text = text.replace(f"Exec={APP_ID} %f", f"Exec={exe} %f")
    desktop.write_text(text, encoding="utf-8")
    written.append(desktop)
    for rel, name in (("scalable/apps", "backprop-lab.svg"), ("256x256/apps", "backprop-lab.png")):
        d = home / "icons" / "hicolor" / rel
        d.mkdir(parents=True, exist_ok=True)
        (d / name).write_bytes((res / "icons" / name).read_bytes())
        written.append(d / name)
    # The state-file type, recognised by content, so a double-click on a state file opens the app.
    mime = home / "mime" / "packages"
    mime.mkdir(parents=True, exist_ok=True)
    (mime / "backprop-lab.xml").write_bytes((res / "backprop-lab-mime.xml").read_bytes())
    written.append(mime / "backprop-lab.xml")
    for tool, folder in (("update-mime-database", home / "mime"), ("update-desktop-database", apps)):
        exe_path = shutil.which(tool)
        if exe_path:  # refresh the desktop's caches where the tools exist; harmless to skip
            subprocess.run([exe_path, str(folder)], capture_output=True, timeout=60)
    return written


class _VersionAction(argparse.Action):
    """--version, reading the version only when it is asked for (it costs 20 ms at start-up)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"{parser.prog} {version()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=APP_ID,
        description="Backprop Lab: learn backpropagation by stepping through every computation "
                    "of a neural network, with your own numbers.")
    p.add_argument("file", nargs="?", help="a state file (.json) to open; default: the worked example")
    p.add_argument("--version", action=_VersionAction, help="show the version and exit")
    p.add_argument("--install-desktop-entry", action="store_true",
                   help="add Backprop Lab to the desktop's application menu (~/.local/share) and exit")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.install_desktop_entry:
        for path in install_desktop_entry():
            print(f"wrote {path}")
        return 0
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    from PySide6.QtWidgets import QApplication

    from .main_window import create_main_window

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("Backprop Lab")
    app.setOrganizationName("Backprop Lab")
    app.setDesktopFileName(APP_ID)
    win = create_main_window(args.file)
    win.show()
    return app.exec()
