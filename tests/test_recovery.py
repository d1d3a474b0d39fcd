"""Crash recovery: a killed app's unsaved edit comes back exactly; autosave is debounced and cleaned up."""
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from backprop_lab.core import Element, Simulation, load_example
from backprop_lab.gui.controller import SimulationController
from backprop_lab.gui.main_window import create_main_window
from backprop_lab.gui.recovery import RecoveryManager, read_info
from backprop_lab.gui.recovery_prompt import load_recovered, offer_recovery, recovery_question

W5 = Element("weight", 1, 0, 0)
EDITED = "0.123456789012345"  # typed by the "user"; must come back as exactly this float

# A real app process: the real main() (which builds the window with create_main_window and
# attaches the recovery manager), with a weight edit made once the window runs.
CHILD = r"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from backprop_lab.core import Element
from backprop_lab.gui.app import main
from backprop_lab.gui.main_window import MainWindow

app = QApplication(["backprop-lab"])
QMessageBox.question = staticmethod(lambda *a, **k: QMessageBox.Discard)  # closing: discard the changes

def edit():
    win = next(w for w in app.topLevelWidgets() if isinstance(w, MainWindow))
    print("edit:", win.controller.edit_parameter(Element("weight", 1, 0, 0), sys.argv[2]), flush=True)
    if sys.argv[3] == "close-after-autosave":
        win.recovery.autosaved.connect(lambda path: QTimer.singleShot(0, win.close))

QTimer.singleShot(200, edit)
sys.exit(main([sys.argv[1]]))
"""


@pytest.fixture
def state_file(tmp_path):
    path = tmp_path / "my net.json"
    load_example("mazur").save(path)
    return path


def start_app(tmp_path, state_file, mode="wait"):
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               QT_QPA_PLATFORM="offscreen", BPL_AUTOSAVE_SECONDS="0.2,1")
    out = open(tmp_path / "child.log", "w")
    p = subprocess.Popen([sys.executable, "-c", CHILD, str(state_file), EDITED, mode], stdout=out,
                         stderr=subprocess.STDOUT, env=env)
    out.close()
    return p


def recovery_folder(tmp_path) -> Path:
    return tmp_path / "data" / "backprop-lab" / "recovery"


def wait_for(cond, timeout, proc=None, log=None):
    deadline = time.monotonic() + timeout
    while not cond():
        if proc is not None and proc.poll() is not None and not cond():
            raise AssertionError(f"the app exited with {proc.returncode}: {log.read_text() if log else ''}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; app output: {log.read_text() if log else ''}")
        time.sleep(0.05)


def click_when_shown(button_texts, seen):
    """Answer the next modal message box by clicking the first of *button_texts* it has (as a user would)."""
    def click():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, click)
            return
        seen.append({"text": box.text(), "info": box.informativeText(), "box": box,
                     "formats": [lb.textFormat() for lb in box.findChildren(QLabel) if lb.text()]})
        by_text = {b.text(): b for b in box.buttons()}
        by_text[next(t for t in button_texts if t in by_text)].click()
    QTimer.singleShot(0, click)


# -- the real thing: kill -9 after an edit, restore at the next start ---------------------------------------
def test_killed_app_offers_and_restores_the_edit_exactly(qtbot, tmp_path, state_file, settings):
    folder = recovery_folder(tmp_path)
    p = start_app(tmp_path, state_file)
    try:
        wait_for(lambda: list(folder.glob("*.json")), 60, p, tmp_path / "child.log")
        assert "edit: True" in (tmp_path / "child.log").read_text()
        # While it runs, another instance neither offers nor touches its file.
        other = RecoveryManager(folder)
        assert other.pending_recoveries() == []
        other.clear()
        assert len(list(folder.glob("*.json"))) == 1
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait(30)
    assert p.returncode == -signal.SIGKILL

    # The next start (here, in this process) finds it ...
    win = create_main_window(settings=settings)
    qtbot.addWidget(win)
    win.show()
    manager = RecoveryManager(folder, first_delay=0.05, interval=0.2, parent=win)
    seen = []
    click_when_shown(["Restore"], seen)
    state = offer_recovery(win, manager)
    assert state is not None
    # ... says what and when, in plain text ...
    assert len(seen) == 1 and all(f == Qt.PlainText for f in seen[0]["formats"])
    assert "my net.json" in seen[0]["text"]
    assert str(state_file) in seen[0]["info"]
    assert datetime.now().strftime("%Y-%m-%d") in seen[0]["info"] and "just now" in seen[0]["info"]
    seen[0]["box"].grab().save(str(tmp_path / "recovery-question.png"))
    # ... and gives back the edited weight exactly, as unsaved changes of the original file.
    assert "recovery" not in state.get("display", {})
    assert Simulation.from_dict(state).parameter(W5) == float(EDITED)
    assert manager.restored.path == str(state_file)
    assert load_recovered(win.controller, state, manager.restored.path)
    manager.attach(win.controller, win.controller.parameters_changed)
    c = win.controller
    assert c.sim.parameter(W5) == float(EDITED) and c.dirty and c.path == str(state_file)
    assert win.windowTitle().startswith("my net.json") and win.isWindowModified()
    assert Simulation.load(state_file).parameter(W5) == 0.4  # the file itself is untouched until saved
    # Saving writes the restored work to its file and removes the recovery file.
    assert c.save()
    assert Simulation.load(state_file).parameter(W5) == float(EDITED)
    qtbot.waitUntil(lambda: not list(folder.glob("*.json")), timeout=5000)
    manager.clear()
    assert list(folder.iterdir()) == []


def test_clean_exit_leaves_no_recovery_file(tmp_path, state_file):
    p = start_app(tmp_path, state_file, mode="close-after-autosave")
    assert p.wait(60) == 0, (tmp_path / "child.log").read_text()
    log = (tmp_path / "child.log").read_text()
    assert "edit: True" in log
    folder = recovery_folder(tmp_path)
    assert folder.is_dir()  # the autosave happened ...
    assert list(folder.iterdir()) == []  # ... and quitting (changes discarded) removed it and the lock


# -- debounce ------------------------------------------------------------------------------------------------
def test_debounce_rule_with_a_fake_clock(qtbot, tmp_path):
    now = [1000.0]
    c = SimulationController(load_example("mazur"))
    m = RecoveryManager(tmp_path, first_delay=2.0, interval=10.0, clock=lambda: now[0])
    m.attach(c, c.parameters_changed)
    assert m.delay() == 2.0  # the first save: 2 s after the first change
    c.edit_parameter(W5, "0.5")
    assert m._timer.isActive() and m._timer.interval() == 2000
    c.edit_parameter(W5, "0.6")  # more changes do not push the save back
    assert m._timer.interval() == 2000 and m._timer.remainingTime() <= 2000 * 1.05  # coarse timer: 5 %
    m._timer.stop()
    now[0] = 1002.0
    assert m.autosave()  # what the timer does when it fires
    now[0] = 1003.0
    assert m.delay() == 9.0  # at most every 10 s while things change
    c.edit_parameter(W5, "0.7")
    assert m._timer.isActive() and m._timer.interval() == 9000
    now[0] = 1030.0
    assert m.delay() == 2.0  # quiet for a while: back to 2 s
    # A state that is slow to serialise spaces the saves out (≤ 1 % of the window's time).
    real = c.sim.to_dict

    def slow_to_dict():
        now[0] += 0.3
        return real()

    c.sim.to_dict = slow_to_dict
    assert m.autosave()
    assert m.delay() == pytest.approx(100 * 0.3 - 0.3)
    m._writer.wait(10)
    m.clear()


def test_a_burst_of_changes_writes_at_most_once_per_interval(qtbot, tmp_path):
    c = SimulationController(load_example("mazur"))
    m = RecoveryManager(tmp_path, first_delay=0.05, interval=0.5)
    m.attach(c, c.parameters_changed)
    times = []
    m.autosaved.connect(lambda path: times.append(time.monotonic()))
    edits = []

    def edit():
        edits.append(time.monotonic())
        c.nudge_parameter(W5, 0.001)

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(edit)
    timer.start()
    qtbot.wait(1600)
    timer.stop()
    burst = edits[-1] - edits[0]
    assert len(edits) > 50
    qtbot.waitUntil(lambda: not m._timer.isActive() and not m._writer.busy(), timeout=3000)
    # saves at ~0.05, 0.55, 1.05, 1.55 s and possibly one for the last changes: never one per change
    assert 3 <= len(times) <= 2 + burst / 0.5
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert min(gaps) > 0.5 - 0.15
    # the last save holds the last change
    saved = json.loads(m.file.read_text())
    assert saved["network"]["weights"][1][0][0] == c.sim.parameter(W5)
    m.clear()
    assert not m.file.exists()


# -- clean-up, locks, odd files -------------------------------------------------------------------------------
def test_saving_removes_the_recovery_file_and_clear_removes_the_lock(qtbot, tmp_path, state_file):
    c = SimulationController(load_example("mazur"))
    assert c.open(str(state_file))
    m = RecoveryManager(tmp_path / "rec", first_delay=0.01, interval=0.1)
    m.attach(c, c.parameters_changed)
    c.edit_parameter(W5, "0.25")
    qtbot.waitUntil(m.file.exists, timeout=5000)
    meta = json.loads(m.file.read_text())["display"]["recovery"]
    assert meta["path"] == str(state_file) and meta["pid"] == os.getpid()
    assert m.file.with_suffix(".lock").exists()
    assert c.save()
    qtbot.waitUntil(lambda: not m.file.exists(), timeout=5000)
    m.clear()
    assert list((tmp_path / "rec").iterdir()) == []


def test_a_write_in_progress_cannot_bring_the_file_back_after_clear(qtbot, tmp_path):
    c = SimulationController(load_example("moons"))
    m = RecoveryManager(tmp_path, first_delay=10, interval=10)
    m.attach(c, c.parameters_changed)
    c.sim.run(3_000)  # a history that takes a while (~70 ms) to write
    c.edit_parameter(W5, "0.3")
    assert m.autosave() and m._writer.busy()
    m.clear()  # at once, while the worker is writing
    assert not m.file.exists() and list(tmp_path.iterdir()) == []


def test_another_window_in_the_same_process_is_not_offered(qtbot, tmp_path):
    c = SimulationController(load_example("mazur"))
    a = RecoveryManager(tmp_path, first_delay=0, interval=0.1)
    a.attach(c, c.parameters_changed)
    c.edit_parameter(W5, "0.3")
    qtbot.waitUntil(a.file.exists, timeout=5000)
    b = RecoveryManager(tmp_path)
    assert b.pending_recoveries() == []
    a.clear()
    b.clear()


def test_discard_deletes_and_an_unreadable_file_is_reported(qtbot, tmp_path, settings):
    rec = tmp_path / "rec"
    # What a killed instance leaves: a state file and a lock whose process is gone.
    c = SimulationController(load_example("xor"))
    dead = RecoveryManager(rec, first_delay=0, interval=0.1)
    dead.attach(c, c.parameters_changed)
    c.edit_parameter(W5, "0.3")
    qtbot.waitUntil(dead.file.exists, timeout=5000)
    dead._lock.unlock()  # as the kernel and QLockFile do for a dead process: the lock is free
    dead._lock = None
    leftover = dead.file
    (rec / "broken.json").write_text('{"format": "backprop-lab-state", "vers')
    (rec / ".broken.json.k1ll3d.tmp").write_text("half a save")
    win = create_main_window(settings=settings)
    qtbot.addWidget(win)
    m = RecoveryManager(rec, parent=win)
    infos = m.pending_recoveries()
    assert sorted(i.file.name for i in infos) == sorted([leftover.name, "broken.json"])
    broken = next(i for i in infos if i.file.name == "broken.json")
    assert broken.error and broken.path is None
    good = next(i for i in infos if i.file == leftover)
    assert good.path is None and good.name.startswith("XOR") and good.title.startswith("XOR")
    m.release_pending()
    seen = []
    click_when_shown(["Discard", "&Yes"], seen)  # one question per file: Discard the work, Yes delete the
    click_when_shown(["Discard", "&Yes"], seen)  # unreadable file
    state = offer_recovery(win, m)
    assert state is None
    assert not leftover.exists() and not (rec / "broken.json").exists()
    assert not (rec / ".broken.json.k1ll3d.tmp").exists()
    assert any("XOR" in s["text"] for s in seen) and any("cannot be read" in s["text"] for s in seen)
    assert [p.name for p in rec.iterdir()] == []


def test_question_reads_well_and_shows_markup_as_text(qtbot, tmp_path):
    doc = load_example("mazur").to_dict()
    doc["name"] = '<img src="/dev/zero"> net'
    doc["display"] = {"recovery": {"path": None, "saved_at": "2024-03-05T14:03:12+01:00", "pid": 1}}
    (tmp_path / "x.json").write_text(json.dumps(doc))
    info = read_info(tmp_path / "x.json")
    assert info.saved_at.isoformat() == "2024-03-05T14:03:12+01:00"
    box = recovery_question(None, info)
    assert box.text() == ('Backprop Lab did not close normally. Your unsaved changes to '
                          '“<img src="/dev/zero"> net” were kept.')
    assert "Kept on 2024-03-05 14:03:12 (" in box.informativeText()
    assert "not been saved yet" in box.informativeText()
    assert all(lb.textFormat() == Qt.PlainText for lb in box.findChildren(QLabel) if lb.text())
    box.grab().save(str(tmp_path / "q.png"))
    box.deleteLater()


def test_a_saved_time_without_an_offset_is_read_as_local_time(qtbot, tmp_path):
    """A naive time (no +01:00) must not break the question or the newest-first sorting."""
    doc = load_example("mazur").to_dict()
    for name, saved in (("naive.json", "2024-03-05T14:03:12"), ("aware.json", "2024-03-05T15:00:00+00:00")):
        doc["display"] = {"recovery": {"path": None, "saved_at": saved, "pid": 1}}
        (tmp_path / name).write_text(json.dumps(doc))
    info = read_info(tmp_path / "naive.json")
    assert info.saved_at.tzinfo is not None and info.saved_at.replace(tzinfo=None) == datetime(2024, 3, 5, 14, 3, 12)
    box = recovery_question(None, info)
    assert "Kept on 2024-03-05 14:03:12 (" in box.informativeText()
    box.deleteLater()
    m = RecoveryManager(tmp_path)
    try:
        assert len(m.pending_recoveries()) == 2  # sorted without comparing naive and aware times
    finally:
        m.clear()
