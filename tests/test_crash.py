"""Uncaught exceptions: one plain-text dialog, a capped log, the run stopped and the state kept.

pytest-qt normally installs its own ``sys.excepthook`` during a test and fails
the test on any exception raised inside Qt; these tests switch that off
(``qt_no_exception_capture``) because the hook under test must be the one that
receives the exceptions.  Each test checks an effect only our hook produces
(the dialog, the log file, the callback), so a hook that is not installed fails it.
"""
import sys
import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt, QThread, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMessageBox

from backprop_lab.core import load_example
from backprop_lab.gui import crash
from backprop_lab.gui.controller import SimulationController
from backprop_lab.gui.run_loop import MAX_SPEED

pytestmark = pytest.mark.qt_no_exception_capture


@pytest.fixture
def window(qtbot):
    w = QMainWindow()
    w.resize(800, 600)
    qtbot.addWidget(w)
    w.show()
    return w


@pytest.fixture
def calls():
    return []


@pytest.fixture
def handler(qapp, window, tmp_path, calls):
    before = (sys.excepthook, threading.excepthook)
    h = crash.install_excepthook(qapp, lambda: window, tmp_path / "logs", on_error=lambda: calls.append(
        QThread.currentThread() is qapp.thread()))
    assert sys.excepthook == h._sys_hook and threading.excepthook == h._thread_hook
    yield h
    if h.dialog is not None:
        h.dialog.done(0)
    h.uninstall()
    assert (sys.excepthook, threading.excepthook) == before
    h.deleteLater()


def visible_boxes():
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def close_from_timer(qtbot, h):
    """Press Close as a user would, from the event loop, and wait for the dialog to go."""
    QTimer.singleShot(0, h.dialog.close_button.click)
    qtbot.waitUntil(lambda: h.dialog is None, timeout=3000)


def failing_slot():
    raise ValueError('<img src="/dev/zero"> is not a weight\nsecond line')


def test_error_in_a_timer_slot_shows_one_dialog_logs_it_and_calls_back(qtbot, handler, calls):
    QTimer.singleShot(0, failing_slot)
    qtbot.waitUntil(lambda: handler.dialog is not None, timeout=3000)
    box = handler.dialog
    assert box.isVisible() and box.parent() is not None
    assert visible_boxes() == [box]
    assert calls == [True]  # on_error ran once, on the GUI thread
    # Short plain-text message: markup from the message is shown as typed, never interpreted.
    assert box.text() == ('Something went wrong inside Backprop Lab.\n\n'
                          'ValueError: <img src="/dev/zero"> is not a weight')
    labels = [lb for lb in box.findChildren(QLabel) if lb.text()]
    assert labels and all(lb.textFormat() == Qt.PlainText for lb in labels)
    assert str(handler.log_path) in box.informativeText()
    # The traceback is the detailed text and can be copied.
    assert "in failing_slot" in box.detailedText() and "Traceback (most recent call last)" in box.detailedText()
    box.copy_button.click()
    assert box.isVisible(), "Copy Details must not close the dialog"
    assert "in failing_slot" in QApplication.clipboard().text()
    log = handler.log_path.read_text("utf-8")
    assert "Traceback (most recent call last)" in log and "in failing_slot" in log
    assert 'ValueError: <img src="/dev/zero"> is not a weight' in log
    close_from_timer(qtbot, handler)
    assert visible_boxes() == []


def test_a_burst_of_27_errors_gives_one_dialog(qtbot, handler, calls):
    ticks = []

    def tick():
        ticks.append(1)
        if len(ticks) == 27:
            timer.stop()
        raise MemoryError("Unable to allocate 1.49 GiB for an array")

    timer = QTimer()
    timer.setInterval(1)
    timer.timeout.connect(tick)
    timer.start()
    qtbot.waitUntil(lambda: handler.errors == 27, timeout=10000)
    assert handler.dialogs_shown == 1 and len(visible_boxes()) == 1
    assert len(calls) == 27
    qtbot.waitUntil(lambda: "26 more errors followed" in handler.dialog.informativeText(), timeout=3000)
    log = handler.log_path.read_text("utf-8")
    assert log.count("Traceback") == 3  # a storm of one error is logged in full three times...
    assert "again (10 times so far)" in log  # ...then counted
    close_from_timer(qtbot, handler)
    # The same error right after its dialog was closed is logged, not shown again (no dialog loop) ...
    QTimer.singleShot(0, tick)
    qtbot.waitUntil(lambda: handler.errors == 28, timeout=3000)
    assert handler.dialogs_shown == 1 and visible_boxes() == []
    # ... a different one is shown.
    QTimer.singleShot(0, failing_slot)
    qtbot.waitUntil(lambda: handler.dialog is not None, timeout=3000)
    assert handler.dialogs_shown == 2


def test_a_failing_run_is_stopped_and_the_state_kept(qtbot, qapp, window, tmp_path, monkeypatch):
    """The reproduction from issue 11.4: a MemoryError inside the run timer."""
    c = SimulationController(load_example("moons"))
    c.set_speed(MAX_SPEED)  # chunks through Simulation.run
    h = crash.install_excepthook(qapp, lambda: window, tmp_path / "logs", on_error=c.pause)
    ends = []
    c.run_finished.connect(ends.append)
    try:
        real_run = c.sim.run
        before_failure = {}
        calls = []

        def run(*args, **kw):
            calls.append(1)
            if len(calls) >= 4:  # three chunks train, then the engine fails
                before_failure.update(theta=c.sim.network.theta.copy(), iteration=c.sim.iteration)
                raise MemoryError("Unable to allocate 1.49 GiB for an array with shape (100000000, 2)")
            return real_run(*args, **kw)

        monkeypatch.setattr(c.sim, "run", run)
        c.run(1000)
        qtbot.waitUntil(lambda: h.errors >= 1, timeout=5000)
        assert not c.running  # the run stopped at the first error
        qtbot.wait(200)
        assert h.errors == 1 and h.dialogs_shown == 1  # not one per tick
        assert len(ends) == 1 and ends[0].paused  # the run stopped exactly once
        assert len(calls) == 4  # and the timer did not tick again
        assert before_failure["iteration"] > 0
        assert c.sim.iteration == before_failure["iteration"]
        np.testing.assert_array_equal(c.sim.network.theta, before_failure["theta"])
        assert "MemoryError" in h.log_path.read_text("utf-8")
        c.step()  # and the window goes on working from that state
        assert c.sim.iteration == before_failure["iteration"] + 1
    finally:
        if h.dialog is not None:
            h.dialog.done(0)
        h.uninstall()


def test_an_error_in_another_thread_is_shown_on_the_gui_thread(qtbot, handler, calls):
    def work():
        raise RuntimeError("worker failed")

    t = threading.Thread(target=work, name="autosave-worker")
    t.start()
    t.join()
    qtbot.waitUntil(lambda: handler.dialog is not None, timeout=3000)
    assert calls == [True]
    assert "RuntimeError: worker failed" in handler.dialog.text()
    assert "thread autosave-worker" in handler.log_path.read_text("utf-8")


def test_the_log_is_capped(handler, monkeypatch):
    monkeypatch.setattr(crash, "MAX_LOG_BYTES", 4000)
    for i in range(200):  # distinct errors, so none is folded into a count
        exc_type = type(f"Error{i}", (Exception,), {})
        try:
            raise exc_type(f"number {i}")
        except Exception as e:
            handler.handle(type(e), e, e.__traceback__)
    log, old = handler.log_path, handler.log_path.with_name(handler.log_path.name + ".1")
    assert old.exists()
    assert log.stat().st_size <= 4000 and old.stat().st_size <= 4000
    assert "Error199: number 199" in log.read_text("utf-8")


def test_an_on_error_that_fails_is_logged_not_raised(qtbot, qapp, window, tmp_path):
    def bad_callback():
        raise KeyError("callback broke")

    h = crash.install_excepthook(qapp, lambda: window, tmp_path, on_error=bad_callback)
    try:
        QTimer.singleShot(0, failing_slot)
        qtbot.waitUntil(lambda: h.dialog is not None, timeout=3000)
        qtbot.wait(50)
        assert h.errors == 1 and h.dialogs_shown == 1
        assert "callback broke" in h.log_path.read_text("utf-8")
    finally:
        if h.dialog is not None:
            h.dialog.done(0)
        h.uninstall()


def test_dialog_screenshot(qtbot, handler, tmp_path):
    QTimer.singleShot(0, failing_slot)
    qtbot.waitUntil(lambda: handler.dialog is not None, timeout=3000)
    img = handler.dialog.grab()
    assert img.width() > 200 and img.height() > 100
    img.save(str(tmp_path / "crash-dialog.png"))
