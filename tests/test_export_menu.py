"""File ▸ Export in the window: every entry writes its file (dialogs monkeypatched); errors reach the error signal.

Reference numbers: the published worked example (Mazur) — ∂E/∂w5 = 0.082167041 in iteration 1.
"""
import csv
import threading
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QInputDialog

from backprop_lab.core.export.iteration import independent_copy
from backprop_lab.gui.export_menu import KINDS

# Threads a test starts end with it; message boxes are recorded, never modal (fixtures in conftest.py).
pytestmark = pytest.mark.usefixtures("no_leaked_threads", "dialogs")


@pytest.fixture
def win(win):
    """The shared window (conftest.py), whose export worker has ended before the window goes."""
    yield win
    win.export_menu.wait()


@pytest.fixture
def answers(monkeypatch):
    """What the file and iteration dialogs answer: set ``answers["path"]`` (and ``["iteration"]``)."""
    got = {"path": "", "iteration": 1, "asked": []}

    def save_name(parent, title, start, filters, *a, **k):
        got["asked"].append(("file", title, filters))
        return got["path"], ""

    def get_int(parent, title, label, value, lo, hi, *a, **k):
        got["asked"].append(("int", title, value, lo))
        return got["iteration"], True
    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_name)
    monkeypatch.setattr(QInputDialog, "getInt", get_int)
    return got


def _export(win, key, path, answers):
    answers["path"] = str(path)
    msgs = []
    win.controller.message.connect(msgs.append)
    win.export_menu.actions[key].trigger()
    win.export_menu.wait()
    return msgs


def test_the_menu_has_every_entry_under_file(win):
    file_menu = next(a.menu() for a in win.menuBar().actions() if a.text() == "&File")
    export = next(a.menu() for a in file_menu.actions() if a.menu() is not None and "xport" in a.text())
    texts = [a.text().replace("&", "") for a in export.actions() if not a.isSeparator()]
    assert texts == ["Worked Example as Markdown…", "Worked Example as LaTeX…", "Worked Example as HTML…",
                     "Practice Worksheet…", "NumPy Script…", "Loss History as CSV…", "Diagram as PNG/SVG…",
                     "Loss Plot as PNG/SVG…"]
    assert [k.key for k in KINDS] == list(win.export_menu.actions)


@pytest.mark.parametrize("key,name", [("md", "lesson.md"), ("tex", "lesson.tex"), ("html", "lesson.html")])
def test_worked_example_exports_hold_the_published_numbers(win, tmp_path, answers, key, name):
    out = tmp_path / name
    msgs = _export(win, key, out, answers)
    text = out.read_text(encoding="utf-8")
    for number in ("0.082167041", "0.298371109", "0.593269992", "0.35891648"):
        assert number in text, number  # ∂E/∂w5, E_total, out_h1, w5⁺ of the worked example
    assert any(str(out) in m for m in msgs)
    assert ("int", "Worked example", 1, 1) in answers["asked"]  # the default: iteration 1 before any step
    if key == "html":
        assert "<math" in text and "http://" not in text.replace("http://www.w3.org", "")


def test_lesson_defaults_to_the_iteration_being_stepped_and_writes_the_asked_one(win, tmp_path, answers):
    c = win.controller
    c.step()
    c.step()
    c.step_into()  # iteration 3 is being stepped into
    assert win.export_menu.default_iteration() == 3
    answers["iteration"] = 1  # a past iteration: reached through the timeline
    out = tmp_path / "first.md"
    _export(win, "md", out, answers)
    assert ("int", "Worked example", 3, 1) in answers["asked"]
    assert "0.082167041" in out.read_text(encoding="utf-8")
    assert c.state.iteration == 2 and c.state.revealed == 1  # the window's state is untouched


def test_worksheet_writes_the_sheet_and_its_answer_key(win, tmp_path, answers):
    out = tmp_path / "sheet.md"
    _export(win, "worksheet", out, answers)
    key = tmp_path / "sheet-answers.md"
    assert out.exists() and key.exists()
    assert "0.082167041" in key.read_text(encoding="utf-8")
    assert "0.082167041" not in out.read_text(encoding="utf-8")  # the blank is the learner's


def test_numpy_script_and_csv(win, tmp_path, answers):
    c = win.controller
    c.step()
    answers["iteration"] = 5
    script = tmp_path / "train.py"
    _export(win, "py", script, answers)
    text = script.read_text(encoding="utf-8")
    assert "import numpy" in text and "import backprop_lab" not in text
    assert ("int", "NumPy script", 2, 2) in answers["asked"]  # starts here (iteration 1), trains on
    out = tmp_path / "loss.csv"
    _export(win, "csv", out, answers)
    rows = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))
    assert len(rows) >= 2
    assert rows[0][:2] == ["iteration", "batch_loss"]
    # iteration 1: E_total 0.298371109 before the update, 0.291027774 after it (the worked example)
    assert abs(float(rows[1][1]) - 0.298371109) < 5e-10
    assert abs(float(rows[1][3]) - 0.291027774) < 5e-10


def test_a_picture_needs_png_or_svg(win, tmp_path, answers, qtbot):
    with qtbot.waitSignal(win.controller.error) as sig:
        _export(win, "diagram", tmp_path / "x.jpg", answers)
    assert ".png or .svg" in sig.args[1]
    assert not (tmp_path / "x.jpg").exists()


@pytest.mark.parametrize("key", ["diagram", "loss_plot"])
@pytest.mark.parametrize("suffix,magic", [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_pictures(win, tmp_path, answers, key, suffix, magic):
    win.controller.step()
    out = tmp_path / f"{key}{suffix}"
    msgs = _export(win, key, out, answers)
    assert out.read_bytes().startswith(magic)
    assert any(str(out) in m for m in msgs)
    if suffix == ".svg" and key == "diagram":
        assert "w5" in out.read_text(encoding="utf-8")  # the edge names are drawn as text


def test_a_name_without_extension_gets_one(win, tmp_path, answers):
    _export(win, "md", tmp_path / "noext", answers)
    assert (tmp_path / "noext.md").exists()


def test_unwritable_path_comes_through_the_error_signal(win, tmp_path, answers, qtbot, dialogs):
    c = win.controller
    before = c.sim.to_dict()
    for key, name in (("md", "x.md"), ("csv", "x.csv"), ("diagram", "x.png")):
        with qtbot.waitSignal(c.error, timeout=5000) as sig:
            _export(win, key, tmp_path / "no-such-folder" / name, answers)
        assert sig.args[0] == "Cannot export" and "no-such-folder" in sig.args[1]
    assert not list(tmp_path.glob("**/x.*"))
    assert [d[1] for d in dialogs] == ["Cannot export"] * 3
    assert c.sim.to_dict() == before and win.isVisible()
    assert win.export_menu.job is None


def test_cancelling_the_file_dialog_writes_nothing(win, tmp_path, answers):
    answers["path"] = ""
    win.export_menu.actions["md"].trigger()
    assert not list(tmp_path.iterdir()) or all(p.name == "settings.ini" for p in tmp_path.iterdir())


def test_the_export_runs_on_a_worker_and_the_window_stays_responsive(win, tmp_path, answers, qtbot, monkeypatch):
    """The writing waits until a timer on the GUI thread lets it go on: it can only finish if the window's
    event loop runs while it writes (no wall-clock: a slow machine cannot make this pass or fail)."""
    from PySide6.QtCore import QTimer

    from backprop_lab.gui import export_menu
    assert win.controller.open_example("moons")
    answers["path"] = str(tmp_path / "moons.md")
    gate, threads = threading.Event(), []
    real = export_menu.write_export

    def write(*args, **kwargs):
        threads.append(threading.current_thread())
        if not gate.wait(20):
            raise AssertionError("the GUI thread's timer never ran while the export was written")
        return real(*args, **kwargs)

    monkeypatch.setattr(export_menu, "write_export", write)
    win.export_menu.actions["md"].trigger()
    assert win.export_menu.job is not None  # the menu action returned before the work was done
    assert not (tmp_path / "moons.md").exists()
    QTimer.singleShot(20, gate.set)
    win.export_menu.wait()
    assert (tmp_path / "moons.md").exists() and win.export_menu.job is None
    assert threads and threads[0] is not threading.main_thread()


def test_exports_use_a_copy_taken_at_the_click(win, tmp_path, answers):
    sim = win.controller.sim
    copy = independent_copy(sim)
    assert copy is not sim and copy.iteration == sim.iteration
    out = tmp_path / "x.md"
    answers["path"] = str(out)
    win.export_menu.actions["md"].trigger()
    win.controller.step()  # stepping on while it is written changes nothing of the file
    win.export_menu.wait()
    assert "0.082167041" in Path(out).read_text(encoding="utf-8")
