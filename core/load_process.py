"""Loading and saving a large state file in a separate process, so that the text never holds up the caller's threads.

Parsing JSON holds Python's global interpreter lock for the whole document (about a second for the largest
accepted file), so a loader on a worker *thread* still stalls a window's event loop that long.  Here a child
process (started fresh, never forked from a GUI process) reads, parses and validates the file and sends the
finished :class:`~.simulation.Simulation` back pickled; its arrays arrive as raw bytes, which take the parent a
few tens of milliseconds to unpickle.  Saving is the same the other way: the state document goes to the child
pickled, and the child writes the file atomically (:func:`save_in_process`).
"""
from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path
from typing import Callable

from .errors import Cancelled, StateFileError

#: How often (seconds) the parent looks at its cancel flag while the child works.
POLL_SECONDS = 0.05


def _child(path: str) -> int:
    """Run in the child process: load *path*, write the outcome to standard output (pickled)."""
    from .simulation import Simulation
    out = sys.stdout.buffer
    try:
        sim = Simulation.load(path)
    except StateFileError as e:
        out.write(pickle.dumps(("invalid", str(e))))
        return 0
    except Exception as e:  # noqa: BLE001 — reported to the parent, which loads in-process instead
        out.write(pickle.dumps(("failed", f"{type(e).__name__}: {e}")))
        return 0
    try:
        payload = pickle.dumps(("ok", sim), protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, AttributeError, TypeError):
        # e.g. a tiny network whose plain-Python kernel keeps closures: the parent loads it itself
        payload = pickle.dumps(("unpicklable", None))
    out.write(payload)
    out.flush()
    return 0


def load_in_process(path: str | Path, *, cancel: Callable[[], bool] | None = None):
    """:meth:`Simulation.load(path) <.simulation.Simulation.load>` done by a child process.

    Raises :class:`StateFileError` for an invalid file (the child's message) and :class:`Cancelled` when
    *cancel* returns True before the child is done (the child is terminated).  Where the child cannot do
    the work or send its result, the file is loaded in this process instead (same result, with the stall).
    """
    from .simulation import Simulation

    # A fresh interpreter running this module's main (not multiprocessing, which would import the caller's
    # main module, e.g. the whole window, into the child).
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(path)], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        while True:
            if cancel is not None and cancel():
                raise Cancelled("loading cancelled")
            try:
                data, _ = child.communicate(timeout=POLL_SECONDS)
                break
            except subprocess.TimeoutExpired:  # retrying loses no output (see subprocess.communicate)
                continue
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()
    try:
        status, value = pickle.loads(data)
    except Exception:  # noqa: BLE001 — the child died (e.g. out of memory): load here instead
        return Simulation.load(path, cancel=cancel)
    if status == "ok":
        return value
    if status == "invalid":
        raise StateFileError(value)
    return Simulation.load(path, cancel=cancel)


def _save_child(path: str) -> int:
    """Run in the child process: read a pickled state document from standard input, write it to *path*."""
    from .statefile import save_atomic
    doc = pickle.load(sys.stdin.buffer)
    try:
        save_atomic(doc, path)
    except Exception as e:  # noqa: BLE001 — every failure goes back to the parent as its message
        sys.stdout.buffer.write(pickle.dumps(("failed", str(e) or type(e).__name__)))
        return 0
    sys.stdout.buffer.write(pickle.dumps(("ok", None)))
    return 0


def save_in_process(doc: dict, path: str | Path, *, cancel: Callable[[], bool] | None = None) -> None:
    """:func:`~.statefile.save_atomic` (*doc*, *path*) done by a child process.

    Raises :class:`~.statefile.SaveError` with the child's message when the save fails and :class:`Cancelled`
    when *cancel* returns True first (the child is killed; the old file stays, the write being atomic).
    """
    from .atomic_save import SaveError
    child = subprocess.Popen([sys.executable, "-c", _CHILD, "--save", str(path)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    data = b""
    try:
        # The document goes in whole before anything is read back: the child answers with a few bytes only
        # when it is done (they fit in the pipe), so waiting for it to exit cannot deadlock.
        try:
            pickle.dump(doc, child.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            child.stdin.close()
        except BrokenPipeError:
            pass  # the child ended early: what it said, if anything, is read below
        while True:
            if cancel is not None and cancel():
                raise Cancelled("saving cancelled")
            try:
                child.wait(timeout=POLL_SECONDS)
                break
            except subprocess.TimeoutExpired:
                continue
        data = child.stdout.read()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for pipe in (child.stdin, child.stdout):
            if pipe is not None and not pipe.closed:
                try:
                    pipe.close()
                except BrokenPipeError:
                    pass
    try:
        status, text = pickle.loads(data)
    except Exception:  # noqa: BLE001 — the child died before it answered
        raise SaveError(f"cannot save {path}: the saving process ended unexpectedly; nothing was changed") from None
    if status != "ok":
        raise SaveError(text)


def main(argv: list[str]) -> int:
    """The child's entry point: ``PATH`` loads, ``--save PATH`` saves (see the two functions above)."""
    return _save_child(argv[1]) if argv[0] == "--save" else _child(argv[0])


# The child imports this module by name (``-m`` would run a second copy of it beside the package's).
_CHILD = "import sys; from backprop_lab.core.load_process import main; sys.exit(main(sys.argv[1:]))"
