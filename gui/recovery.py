"""Crash recovery: unsaved work is autosaved to a per-window file and offered back at the next start.

How it works
------------
* While the controller has unsaved changes, :class:`RecoveryManager` writes
  the state (``sim.to_dict()``, the state-file format) to
  ``<data folder>/recovery/<pid>-<random>.json`` with
  :func:`backprop_lab.core.statefile.save_atomic`, so a kill or power loss
  leaves the previous or the new copy, never half of one.  Where the work
  belongs and when it was kept go into the file's ``display.recovery``
  (``{"path": ..., "saved_at": ..., "pid": ...}``), which :meth:`restore` removes.
* Debounced: the first save comes :data:`FIRST_DELAY` seconds after a change,
  later ones at most every :data:`INTERVAL` seconds while changes go on, and
  never more often than 10 × the time a write took nor 100 × the time
  ``to_dict`` took (a long history costs more; the autosave then takes at most
  about 10 % of a core and 1 % of the window's time).  ``to_dict`` runs on the
  GUI thread (the simulation is only ever touched there): 0.06 ms for the
  largest example, 8 ms after 10⁵ iterations of moons, 96 ms after 10⁶.  The
  JSON encoding, write and fsync run on a worker thread, one write at a time
  per window; a newer state waiting for the worker replaces an older one.
* A saved file or a clean exit removes the recovery file (``dirty_changed(False)``
  and ``QCoreApplication.aboutToQuit`` do it; :meth:`clear` does it explicitly).
* Each recovery file has a lock file beside it (:class:`QLockFile`: it holds the
  pid, host and program name, and a lock whose process has died is stale and
  taken over).  So a second instance never offers, restores or deletes the
  files of an instance that is still running.

``BPL_AUTOSAVE_SECONDS="FIRST,INTERVAL"`` (e.g. ``"0.2,1"``) overrides the two
delays; the tests use it to make a real process autosave quickly.

The questions asked at start-up (Restore / Discard) are in :mod:`.recovery_prompt`.
"""
from __future__ import annotations

import json
import math
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLockFile, QObject, QTimer, Signal

from backprop_lab.core.statefile import parse_json, save_atomic

from .paths import data_dir

#: Seconds from the first change to the first autosave.
FIRST_DELAY = 2.0
#: Least number of seconds between two autosaves while changes go on.
INTERVAL = 10.0
#: Environment variable overriding both: "FIRST,INTERVAL" in seconds.
ENV_SECONDS = "BPL_AUTOSAVE_SECONDS"
#: Longest file or network name shown in the recovery question.
MAX_NAME = 120


class RecoveryError(ValueError):
    """A recovery file that cannot be read back."""


def default_folder() -> Path:
    """``$XDG_DATA_HOME/backprop-lab/recovery`` (``~/.local/share/backprop-lab/recovery``)."""
    return data_dir() / "recovery"


def _delays_from_env() -> tuple[float, float] | None:
    raw = os.environ.get(ENV_SECONDS, "").strip()
    if not raw:
        return None
    try:
        first, interval = (float(x) for x in raw.split(","))
    except ValueError:
        raise ValueError(f"{ENV_SECONDS} must be two numbers of seconds, FIRST,INTERVAL; got {raw!r}") from None
    if not (math.isfinite(first) and math.isfinite(interval) and 0 <= first and 0 < interval):
        raise ValueError(f"{ENV_SECONDS}: delays must be finite, FIRST ≥ 0 and INTERVAL > 0; got {raw!r}")
    return first, interval


def short_text(text: str, limit: int = MAX_NAME) -> str:
    """*text* on one line (no line breaks from a file into a dialog), cut to *limit* characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


@dataclass(frozen=True)
class RecoveryInfo:
    """One recovery file left by an instance that is no longer running."""

    file: Path             #: the recovery state file
    path: str | None       #: the state file the work belongs to; None if it was never saved
    name: str              #: the network's name (the ``name`` in the state)
    saved_at: datetime     #: when it was autosaved (local time)
    error: str = ""        #: why it cannot be read ("" when it can)

    @property
    def title(self) -> str:
        """What to call the work in a message: the file name, else the network's name."""
        return short_text(Path(self.path).name if self.path else (self.name or "an untitled network"))


def _lock_path(file: Path) -> Path:
    return file.with_suffix(".lock")


def _remove_leftovers(file: Path) -> None:
    """Delete *file* and the temporary files a killed save_atomic left beside it."""
    for p in [file, *file.parent.glob(f".{file.name}.*.tmp")]:
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def read_info(file: Path) -> RecoveryInfo:
    """What a recovery file holds, for the question at start-up (never raises for a bad file)."""
    try:
        mtime = datetime.fromtimestamp(file.stat().st_mtime).astimezone()
    except OSError:
        mtime = datetime.now().astimezone()
    try:
        doc = json.loads(file.read_bytes())
        meta = doc.get("display", {}).get("recovery", {})
        path = meta.get("path")
        saved = meta.get("saved_at")
        when = datetime.fromisoformat(saved) if isinstance(saved, str) else mtime
        if when.tzinfo is None:  # written without an offset (by hand, another version): local time
            when = when.astimezone()
        return RecoveryInfo(file, path if isinstance(path, str) and path else None,
                            doc.get("name") if isinstance(doc.get("name"), str) else "", when)
    except (OSError, ValueError, AttributeError, RecursionError) as e:
        return RecoveryInfo(file, None, "", mtime, error=short_text(str(e), 300))


class _Writer:
    """One worker thread per window doing the file work in order; the newest waiting job replaces older ones."""

    def __init__(self, done: Callable[[tuple], None]) -> None:
        self._done = done
        self._mutex = threading.Lock()
        self._job: tuple | None = None
        self._thread: threading.Thread | None = None

    def submit(self, job: tuple) -> None:
        with self._mutex:
            self._job = job
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="backprop-lab autosave", daemon=True)
                self._thread.start()

    def busy(self) -> bool:
        with self._mutex:
            return self._thread is not None

    def wait(self, timeout: float) -> bool:
        """Wait for the queued work to finish; False if it is still going after *timeout* seconds."""
        with self._mutex:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _loop(self) -> None:
        while True:
            with self._mutex:
                job, self._job = self._job, None
                if job is None:
                    self._thread = None
                    return
            kind, file = job[0], job[1]
            t0 = time.perf_counter()
            error = ""
            try:
                if kind == "write":
                    save_atomic(job[2], file)
                else:
                    _remove_leftovers(file)
            except Exception as e:  # a full disk or a NaN in the history: reported, never raised in this thread
                error = str(e)
            try:
                self._done((kind, file, error, time.perf_counter() - t0))
            except RuntimeError:  # the manager was deleted meanwhile (window closed): nothing to tell
                pass


class RecoveryManager(QObject):
    """Autosaves a controller's unsaved work and finds the work of instances that died.

    Parameters
    ----------
    folder : where recovery files live (default :func:`default_folder`).
    first_delay, interval : the debounce, in seconds (defaults :data:`FIRST_DELAY`,
        :data:`INTERVAL`, or the environment variable :data:`ENV_SECONDS`).
    clock : monotonic seconds (tests pass a fake one).

    Signals
    -------
    autosaved(str) : the recovery file was written (its path).
    autosave_failed(str) : a write failed; the message says why (the next change tries again).
    """

    autosaved = Signal(str)
    autosave_failed = Signal(str)
    _finished = Signal(object)  # from the worker thread

    def __init__(self, folder: str | os.PathLike | None = None, *, first_delay: float | None = None,
                 interval: float | None = None, clock: Callable[[], float] = time.monotonic,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        env = _delays_from_env()
        self.first_delay = first_delay if first_delay is not None else env[0] if env else FIRST_DELAY
        self.interval = interval if interval is not None else env[1] if env else INTERVAL
        self.folder = Path(folder) if folder is not None else default_folder()
        self.file = self.folder / f"{os.getpid()}-{uuid.uuid4().hex[:12]}.json"
        self.restored: RecoveryInfo | None = None  #: what :meth:`restore` last gave back
        self.writes = 0  #: autosaves written so far
        self._clock = clock
        self._lock: QLockFile | None = None
        self._held: dict[Path, QLockFile] = {}  # locks of other instances' files we are offering
        self._controller = None
        self._last_save: float | None = None
        self._save_cost = 0.0  # seconds: to_dict on this thread
        self._write_cost = 0.0  # seconds: the last write on the worker
        self._has_file = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.autosave)
        self._writer = _Writer(self._finished.emit)
        self._finished.connect(self._on_finished)

    # -- autosave ----------------------------------------------------------------------------------
    def attach(self, controller, changed_signal) -> None:
        """Watch *controller*: *changed_signal* (any zero-argument signal) marks a change.

        Connect after a restored state has been loaded into the controller: loading
        announces ``dirty_changed(False)``, which removes the recovery file.
        """
        self._controller = controller
        changed_signal.connect(self._on_changed)
        controller.dirty_changed.connect(self._on_dirty_changed)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.clear)
        if controller.dirty:
            self._on_changed()

    def _gap(self) -> float:
        return max(self.interval, 10 * self._write_cost, 100 * self._save_cost)

    def delay(self) -> float:
        """Seconds from now until an autosave may run (the debounce rule)."""
        now = self._clock()
        due = now + self.first_delay
        if self._last_save is not None:
            due = max(due, self._last_save + self._gap())
        return max(0.0, due - now)

    def _on_changed(self, *args) -> None:
        if not self._timer.isActive():  # a save is already due: it will take the newest state
            self._timer.start(round(self.delay() * 1000))

    def _on_dirty_changed(self, dirty: bool) -> None:
        if dirty:
            self._on_changed()
        else:  # saved, or the changes were let go: nothing is left to recover
            self._timer.stop()
            self._remove_own()

    def autosave(self) -> bool:
        """Write the controller's state now if it has unsaved changes (the timer calls this)."""
        c = self._controller
        if c is None:
            return False
        if not c.dirty:
            self._remove_own()
            return False
        t0 = self._clock()
        try:
            doc = c.sim.to_dict()
        except Exception as e:  # the state cannot be written: say so; the window goes on
            self.autosave_failed.emit(f"Autosave failed: {e}")
            return False
        self._save_cost = max(0.0, self._clock() - t0)
        doc["display"] = dict(doc.get("display") or {}, recovery={
            "path": os.path.abspath(c.path) if c.path else None,
            "saved_at": datetime.now().astimezone().isoformat(timespec="seconds"),
            "pid": os.getpid()})
        if not self._take_own_lock():
            self.autosave_failed.emit(f"Autosave failed: cannot lock {_lock_path(self.file)}")
            return False
        self._last_save = t0
        self._has_file = True
        self._writer.submit(("write", self.file, doc))
        return True

    def _take_own_lock(self) -> bool:
        if self._lock is None:
            try:
                self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError:
                return False
            lock = QLockFile(str(_lock_path(self.file)))
            lock.setStaleLockTime(0)  # stale only when its process is gone, never by age
            if not lock.tryLock(0):
                return False
            self._lock = lock
        return True

    def _remove_own(self) -> None:
        if self._has_file:
            self._has_file = False
            self._writer.submit(("remove", self.file))  # after a write in progress, replacing one waiting

    def _on_finished(self, result: tuple) -> None:
        kind, file, error, seconds = result
        if kind != "write":
            return
        self._write_cost = seconds
        if error:
            self.autosave_failed.emit(f"Autosave failed: {error}")
        else:
            self.writes += 1
            self.autosaved.emit(str(file))

    def clear(self, timeout: float = 5.0) -> None:
        """Remove this window's recovery file and lock (a clean exit); waits up to *timeout* s for a write."""
        self._timer.stop()
        self._has_file = True  # whatever the bookkeeping says, no file of ours may stay behind
        self._remove_own()
        self._writer.wait(timeout)
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None
        self.release_pending()

    # -- recovery at start-up --------------------------------------------------------------------------
    def pending_recoveries(self) -> list[RecoveryInfo]:
        """Recovery files whose instance is gone, newest first; they stay locked by this one until
        :meth:`restore`, :meth:`discard` or :meth:`release_pending`."""
        if not self.folder.is_dir():
            return []
        found = []
        for lock_file in sorted(self.folder.glob("*.lock")):
            file = lock_file.with_suffix(".json")
            if file == self.file or file in self._held:
                continue
            lock = QLockFile(str(lock_file))
            lock.setStaleLockTime(0)
            if not lock.tryLock(0):
                continue  # a running instance's (or a lock we cannot take): never touched
            if file.is_file():
                self._held[file] = lock
                found.append(read_info(file))
            else:  # the instance died before its first autosave finished: clean up
                _remove_leftovers(file)
                lock.unlock()
        for file in self.folder.glob("*.json"):  # a state without a lock file: its owner is gone
            if file not in self._held and file != self.file and not _lock_path(file).exists():
                lock = QLockFile(str(_lock_path(file)))
                lock.setStaleLockTime(0)
                if lock.tryLock(0) and file.is_file():
                    self._held[file] = lock
                    found.append(read_info(file))
        return sorted(found, key=lambda info: info.saved_at, reverse=True)

    def restore(self, info: RecoveryInfo) -> dict:
        """The recovered state dict (state-file format, ``display.recovery`` removed).

        This window takes the file over: it stays on disk, now autosaved by this
        instance, until the work is saved or the program exits cleanly.
        Raises :class:`RecoveryError` when the file cannot be read.
        """
        lock = self._held.get(info.file)
        if lock is None:
            raise RecoveryError(f"{info.file} is not a pending recovery of this instance")
        try:
            raw = info.file.read_bytes()
            doc = parse_json(raw, str(info.file))
        except (OSError, ValueError) as e:
            raise RecoveryError(f"cannot read the recovered work: {e}") from None
        if not isinstance(doc, dict):
            raise RecoveryError(f"{info.file}: not a state file")
        display = doc.get("display")
        if isinstance(display, dict):
            display.pop("recovery", None)
        # Adopt the file and its lock as this window's own.
        del self._held[info.file]
        if self._lock is not None and self._lock is not lock:
            _remove_leftovers(self.file)
            self._lock.unlock()
        self.file, self._lock, self._has_file = info.file, lock, True
        self.restored = info
        return doc

    def discard(self, info: RecoveryInfo) -> None:
        """Delete a pending recovery file (the user chose Discard)."""
        lock = self._held.pop(info.file, None)
        if lock is None:
            raise RecoveryError(f"{info.file} is not a pending recovery of this instance")
        _remove_leftovers(info.file)
        lock.unlock()

    def release_pending(self) -> None:
        """Leave the pending files for a later start (unlock them, keep them)."""
        for lock in self._held.values():
            lock.unlock()
        self._held.clear()
