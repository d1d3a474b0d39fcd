"""Atomic file writing: a temporary file beside the target, fsynced and renamed over it.

A crash or kill at any moment leaves either the old or the new file.  The target
keeps its permission bits (a new file gets ``0666 & ~umask``, as any editor
would create it), a symbolic link stays a link and the file it points to is
replaced (the temporary file goes in that file's folder, so the rename stays
atomic), and temporary files that killed saves left behind are removed on the
next save into the same folder.
"""
from __future__ import annotations

import hashlib
import os
import re
import socket
import stat
import tempfile
import time
from typing import Iterable

from .errors import BackpropLabError

#: A temporary file of ours older than this is stale even if its process seems alive.
STALE_SECONDS = 60.0
_HOST = hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]
# .NAME.bpl-PID-HOST-XXXXXXXX.tmp (ours); .NAME.XXXXXXXX.tmp (earlier versions, which used mkstemp's default).
_OURS = re.compile(r"\.(?P<name>.+)\.bpl-(?P<pid>[0-9]{1,7})-(?P<host>[0-9a-f]{6})-[a-z0-9_]{8}\.tmp", re.S)
_PID_MAX = 4_194_304  # the largest pid Linux hands out


class SaveError(BackpropLabError, OSError):
    """Saving failed; the previous file (if any) is untouched."""


def _umask() -> int:
    """The process umask, read without changing it (``os.umask`` would, for a moment, in every thread)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _pid_alive(pid: int) -> bool:
    if not 0 < pid <= _PID_MAX:
        return True  # not a pid we could have written: never a reason to delete
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _is_stale(name: str, target_name: str, st: os.stat_result, now: float) -> bool:
    """True only for a temporary file of our own exact pattern that no save is still writing."""
    old = now - st.st_mtime > STALE_SECONDS
    m = _OURS.fullmatch(name)
    if m:
        return old or (m["host"] == _HOST and not _pid_alive(int(m["pid"])))
    legacy = re.fullmatch(re.escape(f".{target_name}.") + r"[a-z0-9_]{8}\.tmp", name)
    return bool(legacy) and old


def remove_stale_temporaries(folder: str, target_name: str) -> list[str]:
    """Delete temporary files of ours that killed saves left in *folder*; returns their names.

    Only regular files (not links) owned by this user whose names match our pattern
    exactly are considered, and only when their process is gone (same host) or they
    were not written for :data:`STALE_SECONDS`.  Failures are ignored: cleaning up
    never stops a save.
    """
    removed = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(".") and name.endswith(".tmp")):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if (stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid()
                    and _is_stale(name, target_name, st, now)):
                os.unlink(entry.path)
                removed.append(name)
        except OSError:
            continue
    return removed


def resolve_target(path: str | os.PathLike) -> str:
    """The file a save to *path* must replace: *path* itself, or the file its symbolic link(s) point to."""
    path = os.fspath(path)
    return os.path.realpath(path) if os.path.islink(path) else path


def write_atomic(chunks: Iterable[str], path: str | os.PathLike, *, max_bytes: int | None = None,
                 too_big: str = "") -> None:
    """Write the text *chunks* to *path* atomically, keeping its mode and links (see the module docstring).

    Raises :class:`SaveError` for every failure, with the old file untouched and no
    temporary file left; also when the text exceeds *max_bytes* (*too_big* says why
    that matters).  Exceptions raised while producing *chunks* become SaveError too.
    """
    shown = os.fspath(path)
    target = resolve_target(path)
    folder, name = os.path.split(target)
    folder = folder or "."
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise SaveError(f"cannot save {shown}: {e.strerror or e}") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        what = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise SaveError(f"cannot save {shown}: it is {what}")
    remove_stale_temporaries(folder, name)
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.bpl-{os.getpid()}-{_HOST}-", suffix=".tmp")
    except OSError as e:
        raise SaveError(f"cannot save {shown}: {e.strerror or e} (is the folder writable?)") from None
    try:
        _fill(fd, chunks, st, max_bytes, too_big)
        os.replace(tmp, target)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, SaveError):
            raise SaveError(f"cannot save {shown}: {e}") from None
        if isinstance(e, OSError):
            raise SaveError(f"cannot save {shown}: {e.strerror or e}") from None
        if isinstance(e, MemoryError):
            raise SaveError(f"cannot save {shown}: not enough memory") from None
        if isinstance(e, Exception):
            raise SaveError(f"cannot save {shown}: {type(e).__name__}: {str(e)[:200]}") from None
        raise  # KeyboardInterrupt and the like: the temporary file is gone, the old file untouched
    _sync_folder(folder)


def _fill(fd: int, chunks: Iterable[str], st: os.stat_result | None, max_bytes: int | None, too_big: str) -> None:
    """Write the chunks into the temporary file *fd* with the target's mode, then fsync and close it."""
    with os.fdopen(fd, "wb", buffering=1 << 20) as f:
        mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask()
        os.fchmod(f.fileno(), mode)
        if st is not None and (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
            for uid, gid in ((st.st_uid, -1), (-1, st.st_gid)):
                try:  # keep the owner and group where we may (root may; a user may pick a group of theirs)
                    os.fchown(f.fileno(), uid, gid)
                except OSError:
                    pass
            os.fchmod(f.fileno(), mode)  # chown clears set-id bits
        written = 0
        for chunk in chunks:
            data = chunk.encode("utf-8")
            written += len(data)
            if max_bytes is not None and written > max_bytes:
                raise SaveError(f"the file would be larger than {max_bytes // 2**20} MB, the most a state file "
                                f"may hold, so it could not be opened again{too_big}")
            f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable (best effort: some file systems refuse to fsync a folder)."""
    try:
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass
