"""BackgroundJob: run one slow, Qt-free function (a CSV import or export) off the GUI thread, report on it.

The function runs on a Python thread; its result or exception comes back on
the thread of the job's owner (the GUI thread) through a queued signal, so
slots may touch widgets. Exceptions the caller expects (``expected``) are
delivered to :attr:`BackgroundJob.failed`; any other is raised again on the GUI
thread, where the crash handler reports it like any other bug.
"""
from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from . import gc_guard


class BackgroundJob(QObject):
    """One call of *fn* on a worker thread.

    Parameters
    ----------
    fn : callable
        Called with no arguments on the worker; must not touch Qt objects.
    expected : tuple of exception types
        Exceptions that are outcomes (e.g. ``CSVError``), sent to :attr:`failed`.
    parent : QObject, optional
        Owner; when it is deleted first, the outcome is dropped.

    Signals
    -------
    succeeded(object) : the function's return value.
    failed(object) : one of the *expected* exceptions.
    """

    succeeded = Signal(object)
    failed = Signal(object)
    _done = Signal(bool, object)

    def __init__(self, fn: Callable[[], object], expected: tuple[type[BaseException], ...] = (),
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fn = fn
        self._expected = expected
        self._thread: threading.Thread | None = None
        self._done.connect(self._deliver)  # queued: emitted on the worker, delivered on this object's thread

    def start(self) -> None:
        """Start the call (once)."""
        if self._thread is not None:
            raise RuntimeError("a BackgroundJob runs once")
        self._thread = threading.Thread(target=self._run, name="backprop-lab job", daemon=True)
        gc_guard.worker_starting()
        self._thread.start()

    @property
    def running(self) -> bool:
        """Whether the worker has not finished yet (its outcome may still be on its way)."""
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the worker (not for the delivery, which needs the event loop); False on a timeout."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def _run(self) -> None:
        try:
            try:
                outcome = (True, self._fn())
            except BaseException as e:  # delivered, never lost in a thread
                outcome = (False, e)
            try:
                self._done.emit(*outcome)
            except RuntimeError:  # the owner, and this job with it, was deleted meanwhile
                pass
        finally:
            gc_guard.worker_ended()

    def _deliver(self, ok: bool, value: object) -> None:
        gc_guard.collect_here()
        if ok:
            self.succeeded.emit(value)
        elif isinstance(value, self._expected):
            self.failed.emit(value)
        else:
            raise value  # type: ignore[misc]  # a bug: to the crash handler, with its traceback
