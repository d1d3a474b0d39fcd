"""Issue 11 on the window: file text shown as plain text, failed saves keep the work, long work off the GUI thread."""
import json
import re
import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QLabel, QMessageBox, QProgressDialog, QPushButton, QWidget

from backprop_lab.core import Cancelled, Element, Simulation, load_example
from backprop_lab.gui import long_work
from backprop_lab.gui.run_loop import MAX_SPEED

IMG = "<img src=\"{}\">"
BOLD = "<b>x</b>"
W5_ELEMENT = Element("weight", 1, 0, 0)


@pytest.fixture
def win(open_window, monkeypatch):
    """The window showing errors in its own (non-blocking) plain message box; questions are answered Discard."""
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Discard)
    w = open_window()
    yield w
    box = getattr(w, "error_box", None)
    if box is not None:
        try:
            box.done(0)
        except RuntimeError:  # already deleted
            pass


@pytest.fixture
def red_png(tmp_path):
    """A 200×200 pure red image: any rendering of an <img> pointing at it shows red pixels."""
    path = tmp_path / "x.png"
    img = QImage(200, 200, QImage.Format_RGB32)
    img.fill(QColor(255, 0, 0))
    assert img.save(str(path))
    return str(path)


def red_pixels(widget: QWidget) -> int:
    img = widget.grab().toImage().convertToFormat(QImage.Format_RGB32)
    arr = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes()).reshape(img.height(), img.bytesPerLine())
    px = arr[:, :img.width() * 4].reshape(img.height(), img.width(), 4)  # B, G, R, A
    return int(np.count_nonzero((px[..., 2] == 255) & (px[..., 1] == 0) & (px[..., 0] == 0)))


def hostile_file(tmp_path, red_png) -> str:
    sim = load_example("mazur")
    sim.name = IMG.format(red_png)
    sim.notes = BOLD + " " + IMG.format(red_png)
    path = tmp_path / "hostile.json"
    sim.save(str(path))
    return str(path)


def labels_showing(win, needle: str) -> list[QLabel]:
    # the window's own labels: walking every widget of the application also met widgets that earlier tests'
    # windows left to be deleted, and a stale one crashed the run (a segmentation fault in CI)
    return [w for w in win.findChildren(QLabel) if needle in w.text()]


def test_markup_in_name_and_notes_is_shown_literally(qtbot, win, tmp_path, red_png):
    path = hostile_file(tmp_path, red_png)
    assert win.open_file(path)
    qtbot.wait(50)
    img = IMG.format(red_png)
    shown = labels_showing(win, img) + labels_showing(win, BOLD)
    assert shown, "the name and notes are shown somewhere"
    for label in shown:
        assert label.textFormat() == Qt.PlainText, label.accessibleName()
    # no tooltip holds the raw markup (a tooltip guesses rich text): it is escaped or converted
    for w in [win, *win.findChildren(QWidget)]:
        assert img not in w.toolTip() and BOLD not in w.toolTip(), w.objectName()
    for a in win.recent_menu.actions():
        assert "<" not in a.toolTip().replace("<p", "").replace("</p>", "") or "&lt;" in a.toolTip()
    assert img not in win.windowTitle() or win.windowTitle().startswith("hostile")
    win.training_dock.show()
    qtbot.wait(50)
    assert red_pixels(win.training) == 0, "the image in the file was loaded and shown"


def test_rejected_file_quoting_markup_shows_a_plain_dialog(qtbot, win, tmp_path, red_png):
    good = tmp_path / "good.json"
    load_example("mazur").save(str(good))
    data = json.loads(good.read_text())
    key = IMG.format(red_png)
    data["training"][key] = 1  # an unknown key: refused, and quoted in the message
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    iteration = win.controller.state.iteration
    assert not win.open_file(str(path))
    qtbot.waitUntil(lambda: getattr(win, "error_box", None) is not None and win.error_box.isVisible(), timeout=2000)
    box = win.error_box
    assert box.textFormat() == Qt.PlainText
    assert key[:20] in box.text(), box.text()  # quoted literally (cut to a short length)
    for label in box.findChildren(QLabel):
        assert label.textFormat() == Qt.PlainText
    assert red_pixels(box) == 0
    assert win.controller.state.iteration == iteration  # the current state stays


def test_error_messages_are_bounded(qtbot, win, tmp_path):
    win.controller.error.emit("Cannot open the file", "x" * 1_000_000, "")
    qtbot.waitUntil(lambda: win.error_box.isVisible(), timeout=2000)
    assert len(win.error_box.text()) < 3000


def test_recent_file_with_ampersand_and_markup_keeps_its_name(qtbot, win, tmp_path):
    path = tmp_path / "a&b <b>x.json"
    load_example("mazur").save(str(path))
    assert win.open_file(str(path))
    a = win.recent_menu.actions()[0]
    assert a.text().replace("&&", "&") == path.name
    assert "<b>" not in a.toolTip() and "&lt;b&gt;" in a.toolTip()  # converted: shown literally


# -- 11.2: a failed save never loses the work --------------------------------------------------------------------
def test_failed_save_on_quit_keeps_the_window_open(qtbot, win, tmp_path, monkeypatch):
    c = win.controller
    target = tmp_path / "net.json"
    assert c.save(str(target))
    c.step()
    assert c.dirty
    theta = c.sim.network.theta.copy()
    target.unlink()
    target.mkdir()  # the file became a folder: the save's rename fails with an OSError
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Save)
    win.act_quit.trigger()  # Ctrl+Q → Save
    qtbot.wait(50)
    assert win.isVisible(), "the window closed although the save failed"
    assert c.dirty and c.path == str(target)
    np.testing.assert_array_equal(c.sim.network.theta, theta)
    assert win.error_box.isVisible() and "save" in win.error_box.windowTitle().lower()


def test_failed_save_raising_anything_keeps_the_window_open(qtbot, win, tmp_path, monkeypatch):
    """A save failing with an unexpected error (the NaN-history ValueError of 11.2) never closes the window."""
    c = win.controller
    assert c.save(str(tmp_path / "net.json"))
    c.step()
    iteration = c.sim.iteration

    def broken_save(path):
        raise ValueError("Out of range float values are not JSON compliant")

    monkeypatch.setattr(c.sim, "save", broken_save)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Save)
    win.close()
    qtbot.wait(50)
    assert win.isVisible()
    assert c.dirty and c.sim.iteration == iteration
    assert "JSON" in win.error_box.text()


# -- 11.7: long work off the GUI thread, with Cancel ------------------------------------------------------------
class Gate:
    """Simulation.load made to wait until the test opens the gate, looking at its cancel flag every 10 ms as
    the real loader does; ``log`` says how each load ended.  No wall-clock: what the window did while the
    load waited is the evidence.  A gate never opened opens itself after 20 s so that a failing test fails
    instead of hanging."""

    def __init__(self, monkeypatch):
        self.event, self.log = threading.Event(), []
        real = Simulation.load

        def load(path, cancel=None):
            self.log.append("started")
            end = time.monotonic() + 20
            while not self.event.wait(0.01) and time.monotonic() < end:
                if cancel is not None and cancel():
                    self.log.append("cancelled")
                    raise Cancelled("cancelled")
            self.log.append("loaded")
            return real(path, cancel=cancel)

        monkeypatch.setattr(Simulation, "load", staticmethod(load))

    def open(self):
        self.event.set()


def progress_dialog(win):
    found = [d for d in win.findChildren(QProgressDialog) if d.isVisible()]
    return found[0] if found else None


def when_dialog_shows(win, act):
    """Call act(dialog) from a GUI-thread timer as soon as the progress dialog is visible."""
    timer = QTimer(win)

    def poll():
        d = progress_dialog(win)
        if d is not None:
            timer.stop()
            act(d)

    timer.timeout.connect(poll)
    timer.start(10)
    return timer


def test_opening_a_large_file_keeps_the_window_responsive(qtbot, win, tmp_path, monkeypatch):
    path = tmp_path / "xor.json"
    load_example("xor").save(str(path))
    monkeypatch.setattr(long_work, "OPEN_IN_BACKGROUND_BYTES", 0)  # every file counts as large
    gate, seen_dialog = Gate(monkeypatch), []
    # the load can only end when a timer on the GUI thread opens the gate: so the event loop ran meanwhile
    when_dialog_shows(win, lambda d: (seen_dialog.append(gate.log[:]), gate.open()))
    assert win.open_file(str(path))
    assert seen_dialog == [["started"]]  # the dialog was up while the load was under way
    assert gate.log == ["started", "loaded"]
    assert win.controller.state.name == load_example("xor").name
    assert progress_dialog(win) is None


def test_cancel_while_opening_keeps_the_current_state(qtbot, win, tmp_path, monkeypatch):
    c = win.controller
    c.step()
    path = tmp_path / "xor.json"
    load_example("xor").save(str(path))
    before = (c.sim, c.sim.iteration, c.sim.network.theta.copy(), c.path)
    monkeypatch.setattr(long_work, "OPEN_IN_BACKGROUND_BYTES", 0)
    gate = Gate(monkeypatch)
    when_dialog_shows(win, lambda d: d.findChild(QPushButton).click())  # the Cancel button
    assert not win.open_file(str(path))
    assert gate.log == ["started", "cancelled"]  # Cancel stopped the load: it never got to the end
    assert c.sim is before[0] and c.sim.iteration == before[1] and c.path == before[3]
    np.testing.assert_array_equal(c.sim.network.theta, before[2])
    gate.open()
    qtbot.wait(50)  # anything the stopped worker left queued is delivered: it must change nothing either
    assert c.sim is before[0] and c.sim.iteration == before[1]


def test_a_large_save_runs_in_the_background_and_writes_the_state(qtbot, win, tmp_path, monkeypatch):
    c = win.controller
    c.step()
    c.step()
    monkeypatch.setattr(long_work, "SAVE_IN_BACKGROUND_NUMBERS", 0)
    calls = []
    real = long_work.save_atomic
    monkeypatch.setattr(long_work, "save_atomic", lambda doc, path: calls.append(path) or real(doc, path))
    path = tmp_path / "bg.json"
    assert long_work.save(win, str(path))
    assert calls == [str(path)]  # it went through the worker
    assert not c.dirty and c.path == str(path)
    again = Simulation.load(str(path))
    assert again.iteration == 2
    np.testing.assert_array_equal(again.network.theta, c.sim.network.theta)


def test_a_failed_background_save_keeps_the_work(qtbot, win, tmp_path, monkeypatch):
    c = win.controller
    c.step()
    monkeypatch.setattr(long_work, "SAVE_IN_BACKGROUND_NUMBERS", 0)
    folder = tmp_path / "taken.json"
    folder.mkdir()
    assert not long_work.save(win, str(folder))
    assert c.dirty and c.path is None
    qtbot.waitUntil(lambda: win.error_box.isVisible(), timeout=2000)
    assert "folder" in win.error_box.text()


def test_a_large_gradient_check_runs_in_the_background(qtbot, win, monkeypatch):
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
    monkeypatch.setattr(long_work, "CHECK_IN_BACKGROUND_COST", 0)
    c = win.controller
    results = []
    c.gradient_checked.connect(results.append)
    theta = c.sim.network.theta.copy()
    win.act_grad_check.trigger()
    assert len(results) == 1
    r = results[0]
    # finite differences agree with backpropagation on the worked example (smooth sigmoids, MSE)
    assert r.max_error < 1e-6
    assert r.n_checked == c.sim.network.n_params
    # independent check of one entry: ∂E/∂w5 of the published worked example is 0.082167041
    assert np.any(np.abs(r.analytic - 0.082167041) < 1e-8)
    np.testing.assert_array_equal(c.sim.network.theta, theta)


# -- 11.13: after a divergence, say what diverged and what to try -------------------------------------------------
def linear_worked_example() -> Simulation:
    """The worked example with linear neurons: its sigmoids saturate instead of diverging at any learning rate."""
    sim = load_example("mazur")
    sim.set_activation(1, "linear")
    sim.set_activation(2, "linear")
    return sim


def test_divergence_says_what_diverged_and_suggests_a_smaller_learning_rate(qtbot, win):
    c = win.controller
    c.set_simulation(linear_worked_example())
    messages, errors = [], []
    c.message.connect(messages.append)
    c.error.connect(lambda *a: errors.append(a))
    assert c.set_training(learning_rate=100.0)
    c.set_speed(MAX_SPEED)
    c.run(100)
    qtbot.waitUntil(lambda: not c.running, timeout=5000)
    assert c.sim.iteration < 100 and errors, "the run should have diverged"
    title, message, details = errors[-1]
    assert title == "Training diverged"
    text = " ".join([message, details, messages[-1]])
    for word in ("nan", "inf"):
        assert not re.search(rf"\b{word}\b", text, re.IGNORECASE), text
    assert f"iteration {c.sim.iteration + 1}" in message.lower()  # which iteration overflowed
    assert "infinite" in message  # and what: the training loss
    assert "smaller learning rate" in details and "η = 10 " in details  # what to try: a tenth of 100
    assert messages[-1].startswith("Training diverged") and "Run finished" not in messages[-1]
    # the equations still show the computations of the last finite state
    eq = win.equations.plain_text()
    assert "Etotal =" in eq and "too large" not in eq
    # one more step reports the same, and changes nothing
    it = c.sim.iteration
    c.step()
    assert c.sim.iteration == it and errors[-1][0] == "Training diverged"
    assert "smaller learning rate" in errors[-1][2]


def test_a_loss_too_large_to_compute_is_never_called_nan(qtbot, win):
    c = win.controller
    c.set_simulation(linear_worked_example())
    messages = []
    c.message.connect(messages.append)
    assert c.edit_parameter(W5_ELEMENT, 1e200)  # outputs ~1e199: the squared error overflows to inf
    assert "too large to compute" in messages[-1], messages[-1]
    assert not re.search(r"\b(nan|inf)\b", messages[-1])


def test_escape_cancels_a_long_open_too(qtbot, win, tmp_path, monkeypatch):
    c = win.controller
    before = c.sim
    path = tmp_path / "xor.json"
    load_example("xor").save(str(path))
    monkeypatch.setattr(long_work, "OPEN_IN_BACKGROUND_BYTES", 0)
    gate = Gate(monkeypatch)
    when_dialog_shows(win, lambda d: qtbot.keyClick(d, Qt.Key_Escape))
    assert not win.open_file(str(path))
    assert gate.log == ["started", "cancelled"]
    assert c.sim is before
    gate.open()
    qtbot.wait(50)
    assert c.sim is before


# -- 11.7: Cancel really stops a load -------------------------------------------------------------------------------
def big_state_file(path, samples: int = 60_000) -> None:
    """A state file of about 4 MB: xor's network with many samples (within every limit)."""
    doc = load_example("xor").to_dict()
    rng = np.random.default_rng(11)
    x = rng.uniform(-1, 1, (samples, 2))
    doc["data"] = {"inputs": x.tolist(), "targets": (x[:, :1] * x[:, 1:] > 0).astype(float).tolist()}
    path.write_text(json.dumps(doc))


def test_a_cancelled_load_stops_early_and_leaves_the_window_untouched(qtbot, win, tmp_path, monkeypatch):
    from backprop_lab.core import statefile
    c = win.controller
    c.step()
    before = (c.sim, c.sim.iteration, c.sim.network.theta.copy(), c.path, c.dirty)
    path = tmp_path / "big.json"
    big_state_file(path)
    monkeypatch.setattr(long_work, "OPEN_IN_BACKGROUND_BYTES", 0)
    monkeypatch.setattr(statefile, "READ_CHUNK", 64 * 1024)  # many pieces to read: Cancel lands among them
    work = {"chunks": 0, "checked": 0, "built": 0}
    real_read, real_check, real_build = statefile.read_state_bytes, statefile.check, statefile._simulation
    cancel_seen, reading, clicked = [], [], []

    def read(src, cancel=None):
        def counting():
            work["chunks"] += 1
            if work["chunks"] == 3:  # the GUI thread presses Cancel while the file is being read
                reading.append(1)
                end = time.perf_counter() + 5
                while not clicked and time.perf_counter() < end:
                    time.sleep(0.005)
            stop = cancel()
            cancel_seen.append(stop)
            return stop
        return real_read(src, counting)

    def press_cancel():
        if reading and not clicked:
            progress_dialog(win).findChild(QPushButton).click()
            clicked.append(1)
    poller = QTimer()
    poller.timeout.connect(press_cancel)
    poller.start(5)
    monkeypatch.setattr(statefile, "read_state_bytes", read)
    monkeypatch.setattr(statefile, "check", lambda *a, **k: work.__setitem__("checked", 1) or real_check(*a, **k))
    monkeypatch.setattr(statefile, "_simulation", lambda *a, **k: work.__setitem__("built", 1) or real_build(*a, **k))
    assert not win.open_file(str(path))
    poller.stop()
    assert clicked
    # the load stopped at its next look at the flag: nothing after the reading ran
    assert cancel_seen[-1] is True and cancel_seen.count(True) == 1
    assert work["chunks"] < path.stat().st_size // (64 * 1024)
    assert work["checked"] == 0 and work["built"] == 0
    assert progress_dialog(win) is None
    assert c.sim is before[0] and c.sim.iteration == before[1] and c.path == before[3] and c.dirty == before[4]
    np.testing.assert_array_equal(c.sim.network.theta, before[2])


def test_the_loader_stops_at_the_first_look_after_cancel(tmp_path):
    from backprop_lab.core import statefile
    path = tmp_path / "big.json"
    big_state_file(path, 20_000)
    for stop_at in (1, 2, 3, 4, 6):
        looks = []

        def cancel():
            looks.append(1)
            return len(looks) >= stop_at
        with pytest.raises(Cancelled):
            statefile.load_simulation(path, cancel=cancel)
        assert len(looks) == stop_at  # not one look (nor any work) after it said stop
    looks = []
    sim = Simulation.load(path, cancel=lambda: looks.append(1) or False)
    assert sim.n_samples == 20_000 and len(looks) >= 6  # never cancelled: loads, looking between its stages


def test_a_very_large_save_is_written_by_a_child_process(qtbot, win, tmp_path, monkeypatch):
    c = win.controller
    c.step()
    monkeypatch.setattr(long_work, "SAVE_IN_BACKGROUND_NUMBERS", 0)
    monkeypatch.setattr(long_work, "SAVE_IN_PROCESS_NUMBERS", 0)  # every state counts as very large
    calls = []
    real = long_work.save_in_process
    monkeypatch.setattr(long_work, "save_in_process", lambda doc, path, **k: calls.append(path) or real(doc, path, **k))
    path = tmp_path / "child.json"
    assert long_work.save(win, str(path))
    assert calls == [str(path)] and not c.dirty and c.path == str(path)
    np.testing.assert_array_equal(Simulation.load(str(path)).network.theta, c.sim.network.theta)
    folder = tmp_path / "taken.json"
    folder.mkdir()
    c.step()
    assert not long_work.save(win, str(folder))  # the child's failure reaches the window; the work stays
    assert c.dirty and c.path == str(path)
    qtbot.waitUntil(lambda: win.error_box.isVisible(), timeout=2000)
    assert "folder" in win.error_box.text()
