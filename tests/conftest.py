"""Test configuration: headless Qt, chosen before anything imports Qt, and the fixtures test files share."""
import os
import tempfile
import threading

# Without a platform and a display the qapp fixture aborts the process (SIGABRT).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
# Windows under test autosave recovery files: into a folder of this run, never the user's data folder (a file
# left there by a killed run would make the next real start, or the start-up benchmark, ask about it).
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="bpl-test-data-")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

# Fuzzing is kept small in the normal suite; BPL_FUZZ_EXAMPLES=2000 for a deep run.
settings.register_profile("default", max_examples=int(os.environ.get("BPL_FUZZ_EXAMPLES", "60")), deadline=None)
settings.load_profile("default")


def mazur_sim():
    from backprop_lab.core import load_example
    return load_example("mazur")


@pytest.fixture
def mazur():
    return mazur_sim()


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


# -- GUI fixtures -----------------------------------------------------------------------------------------------
# Qt and the GUI are imported inside them, so that a run of the engine's tests alone never loads them.

@pytest.fixture
def settings(tmp_path):
    """A private QSettings file: no test reads or writes the user's settings."""
    from PySide6.QtCore import QSettings
    return QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)


@pytest.fixture
def no_leaked_threads():
    """Fail the test when a thread it started is still alive at its end (request it before any window)."""
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not leaked, f"threads leaked: {leaked}"


@pytest.fixture
def dialogs(monkeypatch):
    """Record message boxes instead of blocking on them (a modal dialog would hang headless tests).

    Each is ``(kind, title, text)``; questions are answered "Discard" unless a test patches them itself.
    """
    from PySide6.QtWidgets import QMessageBox

    from backprop_lab.gui import dialogs as gui_dialogs
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(("warning", a[1], a[2])))
    monkeypatch.setattr(gui_dialogs, "show_plain_warning", lambda *a, **k: shown.append(("warning", a[1], a[2])))
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: shown.append(("information", a[1], a[2])))
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: shown.append(("question", a[1], a[2])) or QMessageBox.Discard)
    return shown


@pytest.fixture
def warnings_shown(monkeypatch):
    """The warnings shown, as ``(title, text)`` and nothing else; questions are answered "Discard"."""
    from PySide6.QtWidgets import QMessageBox

    from backprop_lab.gui import dialogs as gui_dialogs
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append((a[1], a[2])))
    monkeypatch.setattr(gui_dialogs, "show_plain_warning", lambda *a, **k: shown.append((a[1], a[2])))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Discard)
    return shown


@pytest.fixture
def no_dialogs(monkeypatch):
    """Message boxes answered at once and not recorded: warnings "OK", questions "Discard"."""
    from PySide6.QtWidgets import QMessageBox

    from backprop_lab.gui import dialogs as gui_dialogs
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a, **k: QMessageBox.Ok))
    monkeypatch.setattr(gui_dialogs, "show_plain_warning", lambda *a, **k: None)
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.Discard))


@pytest.fixture
def open_window(qtbot, settings):
    """``open_window(size=None)``: the worked example's main window over the test's private settings, shown and
    exposed; every window it opened is paused at the end of the test."""
    from backprop_lab.gui.main_window import create_main_window
    opened = []

    def open_(size: tuple[int, int] | None = None):
        w = create_main_window(settings=settings)
        qtbot.addWidget(w)
        if size is not None:
            w.resize(*size)
        w.show()
        qtbot.waitExposed(w)
        opened.append(w)
        return w
    yield open_
    for w in opened:
        w.controller.pause()


@pytest.fixture
def win(open_window, dialogs):
    """The worked example's window, active, keys going to the diagram; message boxes recorded in ``dialogs``."""
    w = open_window()
    w.activateWindow()
    w.diagram.setFocus()
    return w


@pytest.fixture
def panel(qtbot):
    """A Data panel of its own (no window), shown at the size of a docked one."""
    from backprop_lab.gui.data_panel import QtDataPanel
    p = QtDataPanel()
    qtbot.addWidget(p)
    p.resize(360, 800)
    p.show()
    qtbot.waitExposed(p)
    return p


@pytest.fixture
def new_dialog(qtbot):
    """File ▸ New Network…'s dialog, shown (not executed: tests drive it and call ``create``)."""
    from backprop_lab.gui.new_network_dialog import NewNetworkDialog
    d = NewNetworkDialog()
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    return d


