"""Program entry point: ``backprop-lab [FILE]``, ``--version``, ``--install-desktop-entry``, ``export …``.

``--version``, ``--help`` and ``--install-desktop-entry`` never import Qt, so
they work on machines with no display.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

from . import gc_guard
from .paths import APP_ID, data_dir
from .paths import data_home as default_data_home
from .version import version

#: Characters that force an Exec argument into double quotes (Desktop Entry spec, "The Exec key").
_EXEC_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def desktop_exec_arg(arg: str) -> str:
    """*arg* quoted for a desktop entry's ``Exec`` key, before the ``%`` and string-value escapes.

    An argument with a reserved character (space, quote, ``$``...) is put in
    double quotes, inside which the double quote, backtick, dollar sign and
    backslash each get a backslash before them (Desktop Entry spec 1.5).
    """
    if arg and not _EXEC_RESERVED.intersection(arg):
        return arg
    return '"' + "".join("\\" + ch if ch in '"`$\\' else ch for ch in arg) + '"'


def desktop_exec_value(argv: list[str], field_code: str = "%f") -> str:
    """The ``Exec=`` value that runs *argv* followed by *field_code*, escaped as the spec says.

    Three layers, applied in this order: quoting of each argument, ``%`` written
    as ``%%`` (``%`` starts a field code), then the escapes of every string value
    (a backslash doubled, a newline as backslash-n...), which a reader undoes first.
    """
    line = " ".join(desktop_exec_arg(a).replace("%", "%%") for a in argv)
    if field_code:
        line += " " + field_code
    return (line.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
            .replace("\r", "\\r"))


def launcher_command() -> list[str]:
    """The command that starts this installation: the launcher that ran, or ``python -m backprop_lab.gui``.

    The launcher is found from ``sys.argv[0]`` (made absolute), never from
    ``PATH``: the desktop's ``PATH`` usually lacks a virtual environment's bin
    folder.  ``sys.executable`` is kept as it is (not resolved): a venv's python
    is a symbolic link whose location is what selects the venv.
    """
    argv0 = sys.argv[0] if sys.argv else ""
    if argv0 and Path(argv0).name == APP_ID:
        launcher = Path(argv0).resolve()
        if launcher.is_file() and os.access(launcher, os.X_OK):
            return [str(launcher)]
    return [os.path.abspath(sys.executable), "-m", "backprop_lab.gui"]


def install_desktop_entry(data_home: Path | None = None, command: list[str] | None = None) -> list[Path]:
    """Copy the launcher and icons into the user's XDG data folders.

    Parameters
    ----------
    data_home : the XDG data folder (default ``$XDG_DATA_HOME`` or ``~/.local/share``).
    command : what the entry runs (default :func:`launcher_command`); written with
        absolute paths, so the entry works whatever ``PATH`` the desktop has.

    Returns the paths written.  Running it again overwrites them with the same
    content, so it is safe to repeat.
    """
    home = data_home or default_data_home()
    res = resources.files("backprop_lab.resources")
    written = []
    apps = home / "applications"
    apps.mkdir(parents=True, exist_ok=True)
    desktop = apps / f"{APP_ID}.desktop"
    text = (res / "backprop-lab.desktop").read_text("utf-8")
    exec_value = desktop_exec_value(command or launcher_command())
    # A function as replacement: the value's backslashes are meant literally.
    text = re.sub(r"(?m)^Exec=.*$", lambda m: f"Exec={exec_value}", text, count=1)
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
                    "of a neural network, with your own numbers.",
        epilog="backprop-lab export FILE --to OUT exports a worked example, worksheet, NumPy script, loss "
               "history or picture without opening a window (see backprop-lab export --help).")
    p.add_argument("file", nargs="?", help="a state file (.json) to open; default: the worked example")
    p.add_argument("--version", action=_VersionAction, help="show the version and exit")
    p.add_argument("--install-desktop-entry", action="store_true",
                   help="add Backprop Lab to the desktop's application menu (~/.local/share) and exit")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["export"]:  # backprop-lab export FILE --to OUT: no window (see cli_export)
        from .cli_export import main as export_main
        return export_main(argv[1:])
    args = build_parser().parse_args(argv)
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
    _nothing_lost(app, win)
    gc_guard.keep_off_long_lived()  # full collections skip the window's objects (see gc_guard)
    win.settle_soon()
    return app.exec()


def _nothing_lost(app, win) -> None:
    """Crash safety: errors shown once and logged; unsaved work autosaved and offered back after a crash."""
    from .crash import install_excepthook
    from .recovery import RecoveryManager
    from .recovery_prompt import load_recovered, offer_recovery

    c = win.controller
    win.crash_handler = install_excepthook(app, lambda: win, data_dir() / "logs", on_error=c.pause)
    win.recovery = RecoveryManager(data_dir() / "recovery", parent=win)
    win.recovery.autosave_failed.connect(lambda text: win.statusBar().showMessage(text, 15000))
    state = offer_recovery(win, win.recovery)
    if state is not None:
        load_recovered(c, state, win.recovery.restored.path)
    win.recovery.attach(c, c.parameters_changed)  # after loading: loading announces "not dirty"
