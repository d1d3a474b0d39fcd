"""Long work off the GUI thread: opening and saving large files and the gradient check of a large network.

Each runs as a :class:`~backprop_lab.gui.background.BackgroundJob` behind a window-modal progress dialog with
Cancel, while a local event loop keeps the window painting and its timers running.  The work never touches
the shown simulation: opening builds a new one, saving writes a copy of the state document taken on the GUI
thread, and the gradient check works on a copy of the network and batch.  So the current state is exactly as it
was after Cancel.  Opening really stops: the loader asks a cancel flag between pieces of its work and ends with
``Cancelled``, and the dialog ("Cancelling…") stays until it has; the other jobs cannot be interrupted, so their
outcome is dropped when they end.  Small work runs directly, as before (no dialog flashing up).
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEventLoop, QObject, Qt
from PySide6.QtWidgets import QProgressDialog, QPushButton, QWidget

from backprop_lab.core import Simulation, StateFileError, load_in_process, save_in_process
from backprop_lab.core.errors import BackpropLabError, Cancelled
from backprop_lab.core.statefile import save_atomic, state_document

from .background import BackgroundJob

#: Files larger than this many bytes are opened off the GUI thread.
OPEN_IN_BACKGROUND_BYTES = 2_000_000
#: Files at least this large are parsed by a separate process: parsing holds Python's interpreter lock, so on a
#: worker thread a file this size would still stall the window for about half a second.
OPEN_IN_PROCESS_BYTES = 16_000_000
#: States with more numbers than this (parameters, data, history) are saved off the GUI thread.
SAVE_IN_BACKGROUND_NUMBERS = 250_000
#: States of at least this many numbers are written by a separate process: writing the text holds Python's
#: interpreter lock for long stretches, so on a worker thread the window would stall for up to a second.
SAVE_IN_PROCESS_NUMBERS = 1_000_000
#: Gradient checks costing more than this (checked parameters × batch × parameters) run off the GUI thread.
CHECK_IN_BACKGROUND_COST = 20_000_000


@dataclass
class Outcome:
    """How a long job ended: ``"done"`` (with *value*), ``"failed"`` (with the exception) or ``"cancelled"``."""

    status: str
    value: object = None

    @property
    def done(self) -> bool:
        return self.status == "done"


class _ProgressRun:
    """The progress dialog, local event loop and outcome of one :func:`run_with_progress` call."""

    def __init__(self, parent: QWidget | None, title: str, label: str, cancel: threading.Event | None) -> None:
        self.cancel = cancel
        self.dialog = dialog = QProgressDialog(label, "Cancel", 0, 0, parent)
        dialog.setWindowTitle(title)
        dialog.setWindowModality(Qt.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoReset(False)
        dialog.setAutoClose(False)
        dialog.setAccessibleName(title)
        self.loop = QEventLoop()
        self.result: list[Outcome] = []
        dialog.canceled.connect(self.cancelled)
        dialog.rejected.connect(self.cancelled)  # Esc

    def finish(self, outcome: Outcome) -> None:
        if not self.result:
            self.result.append(outcome)
            self.loop.quit()

    def cancelled(self) -> None:
        if self.cancel is None:
            self.finish(Outcome("cancelled"))
            return
        if not self.cancel.is_set():  # the worker stops at its next look at the flag, then ends the loop
            self.cancel.set()
            self.dialog.setLabelText("Cancelling…")
            for button in self.dialog.findChildren(QPushButton):
                button.setEnabled(False)  # no second Cancel: it is under way
        if not self.result:
            self.dialog.show()  # (a cancelled or rejected dialog hides itself) until the worker has stopped

    def ended(self, outcome: Outcome) -> None:
        cancelled_now = self.cancel is not None and self.cancel.is_set() and outcome.status != "bug"
        self.finish(Outcome("cancelled") if cancelled_now else outcome)

    def wait(self) -> Outcome:
        """Show the dialog and run the local event loop until the job has ended or is cancelled."""
        self.dialog.show()
        if not self.result:
            self.loop.exec()
        self.dialog.hide()
        self.dialog.deleteLater()
        return self.result[0]


def _guarded(fn: Callable[[], object], expected: tuple[type[BaseException], ...]) -> Callable[[], tuple]:
    """*fn* returning ``("ok", value)``, or ``("bug", exception)`` for an exception that is not *expected*."""
    def guarded():
        try:
            return ("ok", fn())
        except expected:
            raise
        except BaseException as e:  # noqa: BLE001 — a bug: raised again on the GUI thread by run_with_progress
            return ("bug", e)
    return guarded


def run_with_progress(parent: QWidget | None, title: str, label: str, fn: Callable[[], object],
                      expected: tuple[type[BaseException], ...] = (),
                      cancel: threading.Event | None = None) -> Outcome:
    """Call *fn* on a worker thread behind a progress dialog with Cancel; return when it ends or is cancelled.

    The window stays responsive (a local event loop runs); the dialog is window-modal, so no other action
    can start meanwhile.  With *cancel* (an event *fn* watches, ending with :class:`Cancelled`), Cancel sets
    it and the dialog waits ("Cancelling…") until the worker has stopped; without, Cancel returns at once and
    the worker's result, when it comes, is dropped.
    """
    owner = QObject()
    job = BackgroundJob(_guarded(fn, expected), expected, owner)
    run = _ProgressRun(parent, title, label, cancel)
    job.succeeded.connect(lambda v: run.ended(Outcome("done", v[1]) if v[0] == "ok" else Outcome("bug", v[1])))
    job.failed.connect(lambda e: run.ended(Outcome("failed", e)))
    job.start()
    outcome = run.wait()
    if outcome.status == "cancelled":
        # a worker that cannot be interrupted: its outcome is dropped with its owner when it ends
        job.succeeded.disconnect()
        job.failed.disconnect()
    owner.deleteLater()
    if outcome.status == "bug":
        raise outcome.value  # to the crash handler, with its traceback
    return outcome


# -- opening ----------------------------------------------------------------------------------------------------
def open_file(window, path: str) -> bool:
    """Open *path* in *window*'s controller; a large file is read off the GUI thread (Cancel keeps the state)."""
    c = window.controller
    try:
        size = os.stat(path).st_size
    except OSError:
        size = 0  # the controller reports the problem
    if size <= OPEN_IN_BACKGROUND_BYTES:
        return c.open(path)
    c.pause()
    stop = threading.Event()
    if size >= OPEN_IN_PROCESS_BYTES:
        def load():
            return load_in_process(path, cancel=stop.is_set)
    else:
        def load():
            return Simulation.load(path, cancel=stop.is_set)
    out = run_with_progress(window, "Opening", f"Opening {os.path.basename(path)} ({size / 1e6:,.1f} MB)…",
                            load, (StateFileError, Cancelled), stop)
    if out.status == "cancelled":
        c.say("Opening cancelled; nothing changed.")
        return False
    if out.status == "failed":
        c.error.emit("Cannot open the file", str(out.value), "")
        return False
    c.set_simulation(out.value, path)
    c.say(f"Opened {path}.")
    return True


# -- saving -----------------------------------------------------------------------------------------------------
def _numbers(sim) -> int:
    return int(sim.network.n_params + sim.inputs.size + sim.targets.size + len(sim.batch_loss.view()))


def _copied(doc):
    """*doc* with every array copied: the worker then writes a snapshot, whatever the window does meanwhile."""
    if isinstance(doc, dict):
        return {k: _copied(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_copied(v) for v in doc]
    if isinstance(doc, np.ndarray):
        return doc.copy()
    return doc


def save(window, path: str | None = None) -> bool:
    """Save through *window*'s controller; a large state is written off the GUI thread. True when saved."""
    c = window.controller
    path = path or c.path
    if not path:
        return False
    if _numbers(c.sim) <= SAVE_IN_BACKGROUND_NUMBERS:
        return c.save(path)
    c.pause()
    c.sim.display = c.display.to_dict()
    try:
        doc = _copied(state_document(c.sim, arrays=True))
    except Exception as e:  # noqa: BLE001 — a failed save keeps the work: report, never raise
        c.error.emit("Cannot save", f"{type(e).__name__}: {e}", "Nothing was saved and your work is still open.")
        return False
    if _numbers(c.sim) >= SAVE_IN_PROCESS_NUMBERS:
        stop = threading.Event()
        out = run_with_progress(window, "Saving", f"Saving {os.path.basename(path)}…",
                                lambda: save_in_process(doc, path, cancel=stop.is_set), (Exception,), stop)
        if out.status == "cancelled":
            c.say("Save cancelled: nothing was written (the file is as it was); the work is still unsaved.")
            return False
    else:
        out = run_with_progress(window, "Saving", f"Saving {os.path.basename(path)}…",
                                lambda: save_atomic(doc, path), (Exception,))
    if out.status == "cancelled":
        # the write goes on to its end (it is atomic either way); whether it landed is not known here
        c.say("Save cancelled: the work is still unsaved (the file may or may not have been replaced).")
        return False
    if out.status == "failed":
        e = out.value
        msg = str(e) if isinstance(e, (BackpropLabError, OSError)) else f"{type(e).__name__}: {e}"
        c.error.emit("Cannot save", msg, "Nothing was saved and your work is still open.")
        return False
    c.mark_saved(path)
    return True


# -- gradient check ---------------------------------------------------------------------------------------------
def _check_work(sim) -> Callable[[], object]:
    """The slow half of :meth:`Simulation.gradient_check` as a function of copies (the fast half runs here)."""
    return sim.gradient_check_task()


def check_cost(sim) -> int:
    """A rough count of the multiply-adds of a gradient check on *sim* (decides whether it goes to a worker)."""
    n_checked = min(sim.network.n_params, 2 * 2000 + sum(sim.network.sizes[1:]))
    batch = min(sim.settings.batch_size, sim.n_samples)
    return int(2 * n_checked * batch * sim.network.n_params)


def gradient_check(window) -> None:
    """The gradient check (Ctrl+G); a large one runs off the GUI thread with Cancel."""
    c = window.controller
    if c.running:
        return
    if check_cost(c.sim) <= CHECK_IN_BACKGROUND_COST:
        c.gradient_check()
        return
    work = _check_work(c.sim)
    n = c.sim.network.n_params
    out = run_with_progress(window, "Gradient check", f"Comparing backpropagation with finite differences "
                            f"({n:,} parameters; large networks are sampled)…", work)
    if out.status == "cancelled":
        c.say("Gradient check cancelled.")
    elif out.done:
        c.gradient_checked.emit(out.value)
