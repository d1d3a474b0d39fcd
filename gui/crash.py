"""Uncaught exceptions: one plain-text dialog with the details to copy, a size-capped log, and a stop callback.

Without this, an exception inside a Qt slot (the run timer, a paint event)
only prints a traceback, once per tick, while the run goes on "running".
:func:`install_excepthook` routes every uncaught exception, from the GUI thread
or any other, to one :class:`CrashHandler`, which

1. writes the traceback to a rotating log file in the user's data folder,
2. calls ``on_error`` on the GUI thread (the window passes
   ``controller.pause``, so a run stops; nothing else is touched, the state
   stays as the last completed step left it),
3. shows ONE non-blocking dialog; errors that arrive while it is open are
   counted in it instead of opening more.  The same error coming back within
   :data:`REPEAT_QUIET_SECONDS` after its dialog was closed is only logged, so
   an error in a repaint cannot bring the dialog back in a loop.
"""
from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QWidget

#: File name of the error log inside the log folder.
LOG_NAME = "errors.log"
#: The log is rotated past this size, keeping one older file: at most about 2 × this on disk.
MAX_LOG_BYTES = 512 * 1024
#: An error identical to one whose dialog was closed less than this long ago is only logged.
REPEAT_QUIET_SECONDS = 10.0
#: Longest summary line shown in the dialog (the full text is in the details and the log).
MAX_SUMMARY = 300
#: Longest details text (tracebacks of recursion errors can be huge; the log keeps it whole).
MAX_DETAILS = 20_000


@dataclass
class ErrorReport:
    """One uncaught exception, formatted where it happened."""

    summary: str   #: "TypeName: first line of the message", cut to MAX_SUMMARY
    details: str   #: the whole traceback
    signature: tuple  #: identifies "the same error": type and the innermost frame
    thread: str    #: name of the thread it was raised in


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def make_report(exc_type, exc, tb, thread: str = "") -> ErrorReport:
    """Format an exception for the dialog and the log (never raises on odd exception objects)."""
    details = "".join(traceback.format_exception(exc_type, exc, tb))
    try:
        message = str(exc)
    except Exception:  # an exception whose __str__ fails must not break the report
        message = "(message unavailable)"
    first = message.strip().splitlines()[0] if message.strip() else ""
    summary = _short(f"{exc_type.__name__}: {first}" if first else exc_type.__name__, MAX_SUMMARY)
    frames = traceback.extract_tb(tb) if tb is not None else []
    where = (frames[-1].filename, frames[-1].lineno) if frames else ("", 0)
    return ErrorReport(summary, details, (exc_type.__qualname__, *where), thread)


class ErrorLog:
    """Append-only text log, rotated to ``NAME.1`` past :data:`MAX_LOG_BYTES`; safe from any thread.

    A storm of one error (a failing repaint raises on every frame) is logged in
    full three times, then as one line at its 10th, 100th, 1000th... occurrence.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._seen: dict[tuple, int] = {}

    def count(self, signature: tuple) -> int:
        """How many times the error *signature* was written (or passed over) so far."""
        with self._lock:
            return self._seen.get(signature, 0)

    def write(self, report: ErrorReport) -> None:
        """Append *report* (in full the first three times, then as a count now and then); rotate past the cap."""
        with self._lock:
            n = self._seen[report.signature] = self._seen.get(report.signature, 0) + 1
            if n > 3 and n not in (10, 100, 1000, 10_000, 100_000):
                return
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            head = f"{stamp} pid {os.getpid()} thread {report.thread}: "
            entry = (head + "uncaught exception\n" + report.details.rstrip("\n") + "\n\n" if n <= 3 else
                     head + f"the same {report.summary} again ({n:,} times so far)\n\n")
            data = entry.encode("utf-8", "replace")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                size = self.path.stat().st_size
            except FileNotFoundError:
                size = 0
            if size and size + len(data) > MAX_LOG_BYTES:
                os.replace(self.path, self.path.with_name(self.path.name + ".1"))
            with open(self.path, "ab") as f:
                f.write(data[:MAX_LOG_BYTES])


class _ErrorBox(QMessageBox):
    """The error dialog: a short plain-text message, the traceback as details, Copy Details and Close."""

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Critical)
        self.setWindowTitle("Unexpected error — Backprop Lab")
        self.setTextFormat(Qt.PlainText)
        self.copy_button = self.addButton("Copy Details", QMessageBox.ActionRole)
        # Copying must not close the box: cut the button box's "clicked → close" link for this button.
        self.copy_button.clicked.disconnect()
        self.copy_button.clicked.connect(self.copy_details)
        self.close_button = self.addButton(QMessageBox.Close)
        self.setDefaultButton(self.close_button)
        self.setEscapeButton(self.close_button)

    def set_contents(self, text: str, informative: str) -> None:
        self.setText(text)
        self.setInformativeText(informative)
        for label in self.findChildren(QLabel):  # the informative label does not follow setTextFormat
            label.setTextFormat(Qt.PlainText)

    def copy_details(self) -> None:
        QApplication.clipboard().setText(f"{self.text()}\n\n{self.detailedText()}")
        self.copy_button.setText("Copied")


class CrashHandler(QObject):
    """Receives every uncaught exception; see the module docstring.  Make it with :func:`install_excepthook`.

    Attributes
    ----------
    dialog : the open error dialog, or None
    errors : how many uncaught exceptions were handled
    dialogs_shown : how many dialogs were opened
    log_path : the log file
    """

    #: Emitted on the GUI thread after each handled error (with its report).
    reported = Signal(object)
    _deliver = Signal(object)  # carries a report from any thread to the GUI thread

    def __init__(self, window_getter: Callable[[], QWidget | None], log_dir: str | os.PathLike,
                 on_error: Callable[[], object] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window_getter = window_getter
        self.on_error = on_error
        self.log_path = Path(log_dir) / LOG_NAME
        self._log = ErrorLog(self.log_path)
        self.dialog: _ErrorBox | None = None
        self.errors = 0
        self.dialogs_shown = 0
        self._repeats = 0
        self._first: ErrorReport | None = None
        self._closed: tuple[tuple, float] | None = None  # signature and time of the last closed dialog
        self._prev_hooks = None
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(100)
        self._refresh.timeout.connect(self._fill_dialog)
        # AutoConnection: direct on the GUI thread (the run is paused before the slot returns),
        # queued from other threads (widgets only on the GUI thread).
        self._deliver.connect(self._on_report)

    # -- hooks ---------------------------------------------------------------------------------------
    def install(self) -> None:
        """Become ``sys.excepthook`` and ``threading.excepthook`` (the previous ones are kept for uninstall)."""
        if self._prev_hooks is None:
            self._prev_hooks = (sys.excepthook, threading.excepthook)
        sys.excepthook = self._sys_hook
        threading.excepthook = self._thread_hook

    def uninstall(self) -> None:
        """Put the previous hooks back (if they are still ours to replace)."""
        if self._prev_hooks is not None:
            if sys.excepthook == self._sys_hook:
                sys.excepthook = self._prev_hooks[0]
            if threading.excepthook == self._thread_hook:
                threading.excepthook = self._prev_hooks[1]
            self._prev_hooks = None

    def _sys_hook(self, exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):  # Ctrl+C in a terminal keeps its usual meaning
            sys.__excepthook__(exc_type, exc, tb)
            return
        self.handle(exc_type, exc, tb, threading.current_thread().name)

    def _thread_hook(self, args) -> None:
        if args.exc_type is SystemExit:  # as the default hook: a thread may end itself this way
            return
        name = args.thread.name if args.thread is not None else "thread"
        self.handle(args.exc_type, args.exc_value, args.exc_traceback, name)

    def handle(self, exc_type, exc, tb, thread: str = "MainThread") -> None:
        """Log the exception and get it shown; callable from any thread, never raises."""
        try:
            report = make_report(exc_type, exc, tb, thread)
            self._write(report)
            self._deliver.emit(report)
        except Exception:  # the hook of last resort must not fail: fall back to the plain traceback
            try:
                sys.__excepthook__(exc_type, exc, tb)
            except Exception:
                pass

    def _write(self, report: ErrorReport) -> None:
        # A terminal still sees the first few, as before this handler (sys.stderr is None under pythonw).
        if sys.stderr is not None and self._log.count(report.signature) < 3:
            try:
                sys.stderr.write(report.details)
            except (OSError, ValueError):
                pass
        try:
            self._log.write(report)
        except Exception:  # a full disk or a read-only folder must not turn into another error
            pass

    # -- on the GUI thread ---------------------------------------------------------------------------
    def _on_report(self, report: ErrorReport) -> None:
        self.errors += 1
        if self.on_error is not None:
            try:
                self.on_error()
            except Exception as e:  # only logged: re-raising here would recurse into this hook
                self._write(make_report(type(e), e, e.__traceback__, "on_error"))
        try:
            self._show(report)
        finally:
            self.reported.emit(report)

    def _show(self, report: ErrorReport) -> None:
        if self.dialog is not None:
            self._repeats += 1
            if not self._refresh.isActive():  # a storm of errors updates the text ten times a second, not per error
                self._refresh.start()
            return
        if self._closed is not None and self._closed[0] == report.signature \
                and time.monotonic() - self._closed[1] < REPEAT_QUIET_SECONDS:
            return  # the user has just seen this one; it is in the log
        self._first, self._repeats = report, 0
        parent = None
        try:
            parent = self.window_getter()
        except Exception:
            pass
        box = _ErrorBox(parent if isinstance(parent, QWidget) else None)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.finished.connect(self._on_dialog_closed)
        self.dialog = box
        self.dialogs_shown += 1
        box.setDetailedText(_short(report.details, MAX_DETAILS))
        self._fill_dialog()
        box.open()  # window-modal and non-blocking: no nested event loop inside the hook

    def _fill_dialog(self) -> None:
        if self.dialog is None:
            return
        info = ("Any run in progress was stopped. The network and its unsaved changes are kept as they "
                "were: you can go on working and save them.\n\n"
                f"The details are also in the log file {self.log_path}")
        if self._repeats:
            more = "1 more error" if self._repeats == 1 else f"{self._repeats:,} more errors"
            info += f"\n\n{more} followed while this message was open; the first one is shown."
        self.dialog.set_contents(f"Something went wrong inside Backprop Lab.\n\n{self._first.summary}", info)

    def _on_dialog_closed(self) -> None:
        if self._first is not None:
            self._closed = (self._first.signature, time.monotonic())
        self.dialog = None


def install_excepthook(app: QApplication | None, window_getter: Callable[[], QWidget | None],
                       log_dir: str | os.PathLike, on_error: Callable[[], object] | None = None) -> CrashHandler:
    """Show uncaught exceptions in one dialog, log them to *log_dir*, and call *on_error*.

    Parameters
    ----------
    app : the application; the handler becomes its child (None: no parent).
    window_getter : returns the window to put the dialog over (or None); called when an error arrives.
    log_dir : folder of the error log (:data:`LOG_NAME`, rotated at :data:`MAX_LOG_BYTES`).
    on_error : called on the GUI thread for every error, e.g. ``controller.pause`` so a run stops.

    Returns
    -------
    CrashHandler
        Installed as ``sys.excepthook`` and ``threading.excepthook``; ``uninstall()`` undoes it.
    """
    handler = CrashHandler(window_getter, log_dir, on_error, parent=app)
    handler.install()
    return handler
