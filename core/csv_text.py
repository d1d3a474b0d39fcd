"""The text of a CSV file, read safely, and its records: file checks, decoding, delimiter, quoting errors.

A file is checked before it is opened (a regular file, not over the size
limit), then read whole, checked for binary content, decoded as UTF-8 (a
byte-order mark is allowed) and split into records with the ``csv`` module.
Every problem is a :class:`~backprop_lab.core.errors.CSVError` naming the file
and, where there is one, the line and column (both from 1).
"""
from __future__ import annotations

import csv
import os
import re
import stat
from collections.abc import Iterator

from .errors import CSVError

#: A record: the line it starts on (from 1) and its fields.
Record = tuple[int, list[str]]
#: Candidate delimiters, in the order that breaks ties.
DELIMITERS: tuple[str, ...] = (",", ";", "\t")

_FILE_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
               (stat.S_ISSOCK, "a socket"))
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+\Z")


def read_text(path: str | os.PathLike, max_bytes: int) -> tuple[str, str]:
    """The decoded text of *path* and the name to show for it.

    Parameters
    ----------
    path : str or os.PathLike
        The file; anything but a regular file is refused before it is opened
        (opening a FIFO for reading blocks until a writer appears).
    max_bytes : int
        The size limit, checked before reading and again on what was read.

    Raises
    ------
    CSVError
        Not a regular file, unreadable, over *max_bytes*, binary, UTF-16 or not UTF-8.
    """
    src = str(path)
    try:
        st = os.stat(path)
    except OSError as e:
        raise CSVError(f"cannot read the file: {e.strerror or e}", source=src) from None
    _check_regular(st, src, max_bytes)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            _check_regular(os.fstat(f.fileno()), src, max_bytes)  # it may have been replaced since the stat
            raw = f.read(max_bytes + 1)
    except OSError as e:
        raise CSVError(f"cannot read the file: {e.strerror or e}", source=src) from None
    if len(raw) > max_bytes:
        raise _too_large(len(raw), src, max_bytes)
    return _decode(raw, src), src


def _check_regular(st: os.stat_result, src: str, max_bytes: int) -> None:
    if not stat.S_ISREG(st.st_mode):
        kind = next((k for test, k in _FILE_KINDS if test(st.st_mode)), "not a regular file")
        raise CSVError(f"{kind}, not a regular file: nothing was read", source=src)
    if st.st_size > max_bytes:
        raise _too_large(st.st_size, src, max_bytes)


def _too_large(size: int, src: str, max_bytes: int) -> CSVError:
    return CSVError(f"the file is {size / 2**20:.1f} MB; CSV files are limited to {max_bytes / 2**20:g} MB",
                    source=src)


def _byte_place(raw: bytes, pos: int) -> tuple[int, int]:
    """1-based line and 0-based byte column of byte *pos*."""
    start = raw.rfind(b"\n", 0, pos) + 1
    return raw.count(b"\n", 0, pos) + 1, pos - start


def _decode(raw: bytes, src: str) -> str:
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise CSVError("UTF-16 text is not supported: save the file as UTF-8", source=src, line=1)
    nul = raw.find(b"\x00")
    if nul >= 0:
        line, col = _byte_place(raw, nul)
        raise CSVError("binary content (a NUL byte): this is not a text file", source=src, line=line, column=col)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line, col = _byte_place(raw, e.start)
        raise CSVError(f"not UTF-8 text (byte 0x{raw[e.start]:02x}); save the file as UTF-8",
                       source=src, line=line, column=col) from None


def lines(text: str) -> Iterator[str]:
    """The lines of *text* with their ends (\\n, \\r\\n or \\r), lazily.

    Neither a list of lines nor an ``io.StringIO`` copy of a 64 MB text is made:
    a preview reads ten rows, and an import stops at the row limit.
    """
    return (m.group() for m in _LINE.finditer(text))


def detect_delimiter(text: str) -> str:
    """The candidate found most often outside quotes on the first non-blank line (ties: , ; tab)."""
    first = next((ln for ln in lines(text) if ln.strip()), "")
    outside = "".join(first.split('"')[::2])  # drop the quoted parts
    counts = [outside.count(d) for d in DELIMITERS]
    return DELIMITERS[counts.index(max(counts))] if max(counts) else ","


def records(text: str, delimiter: str, src: str) -> Iterator[Record]:
    """(first line, fields) of each non-blank record, with csv's errors turned into CSVErrors.

    Raises
    ------
    CSVError
        A quoted field never closed, a field longer than ``csv.field_size_limit()``
        (named at the line its record starts on: an unclosed quote makes the rest
        of the file one field), or other bad quoting.
    """
    reader = csv.reader(lines(text), delimiter=delimiter, quotechar='"',
                        doublequote=True, skipinitialspace=True, strict=True)
    line = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise _quoting_error(str(e), src, line, reader.line_num) from None
        if len(fields) > 1 or (fields and fields[0].strip()):  # a row of empty fields is not blank
            yield line, fields
        line = reader.line_num + 1


def _quoting_error(message: str, src: str, start: int, now: int) -> CSVError:
    """The CSVError for a ``csv.Error`` *message* in the record starting on line *start* (read up to *now*)."""
    if "unexpected end of data" in message:
        return CSVError("a quoted field that starts on this record is never closed", source=src, line=start)
    if "field larger than field limit" in message:
        # The csv module's limit is process-wide; it is read, never raised (other code may rely on it).
        return CSVError(f"a field of the record starting here is longer than {csv.field_size_limit():,} "
                        f"characters: a quote that is never closed, or not a CSV file", source=src, line=start)
    return CSVError(f"bad quoting ({message}); quote a whole field and double quotes inside it",
                    source=src, line=now)
