"""CSV import, preview and export of datasets; every problem is a CSVError naming the line and column.

Reading is a pure function: it returns new arrays or raises, never half a
dataset. A file is checked before it is opened (a regular file, at most
:data:`MAX_CSV_BYTES`), then read whole, checked for binary content, decoded
as UTF-8 (a byte-order mark is allowed) and parsed with the ``csv`` module.
"""
from __future__ import annotations

import csv
import io
import math
import os
import re
import stat
import tempfile
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .data_prep import as_dataset
from .errors import CSVError

Array = np.ndarray
#: A column: its 0-based index (negative counts from the end) or its header name.
Column = int | str
Record = tuple[int, list[str]]  # (line where a record starts, its fields)

#: The limits state files have: file size, data rows, columns; and numbers in the result.
MAX_CSV_BYTES = 64 * 2**20
MAX_CSV_ROWS = 100_000
MAX_CSV_COLUMNS = 1024
MAX_CSV_NUMBERS = 20_000_000
#: Candidate delimiters, in the order that breaks ties.
DELIMITERS: tuple[str, ...] = (",", ";", "\t")

_FILE_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
               (stat.S_ISSOCK, "a socket"))
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+", re.ASCII)
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+\Z")


@dataclass(frozen=True)
class CSVData:
    """What :func:`read_csv_data` imported, with names for a table or a diagram.

    Attributes
    ----------
    inputs, targets : numpy.ndarray
        float64, one row per data row of the file.
    input_names, target_names : list of str
        Header names (``"column 3"`` without a header); a one-hot block is
        named ``"label=cat"`` etc.
    classes : list of str or None
        The one-hot classes in target-column order, or None.
    header : list of str or None
        The header row, when the file has one.
    delimiter : str
        ``","``, ``";"`` or ``"\\t"``.
    """

    inputs: Array
    targets: Array
    input_names: list[str]
    target_names: list[str]
    classes: list[str] | None
    header: list[str] | None
    delimiter: str


# -- reading the text ------------------------------------------------------------------------
def _read_text(path: str | os.PathLike) -> tuple[str, str]:
    """The decoded text of *path* and the name to show; every failure is a CSVError."""
    src = str(path)
    try:
        st = os.stat(path)
    except OSError as e:
        raise CSVError(f"cannot read the file: {e.strerror or e}", source=src) from None
    # Before opening: opening a FIFO for reading blocks until a writer appears.
    _check_regular(st, src)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            _check_regular(os.fstat(f.fileno()), src)  # it may have been replaced since the stat
            raw = f.read(MAX_CSV_BYTES + 1)
    except OSError as e:
        raise CSVError(f"cannot read the file: {e.strerror or e}", source=src) from None
    if len(raw) > MAX_CSV_BYTES:
        raise _too_large(len(raw), src)
    return _decode(raw, src), src


def _check_regular(st: os.stat_result, src: str) -> None:
    if not stat.S_ISREG(st.st_mode):
        kind = next((k for test, k in _FILE_KINDS if test(st.st_mode)), "not a regular file")
        raise CSVError(f"{kind}, not a regular file: nothing was read", source=src)
    if st.st_size > MAX_CSV_BYTES:
        raise _too_large(st.st_size, src)


def _too_large(size: int, src: str) -> CSVError:
    return CSVError(f"the file is {size / 2**20:.1f} MB; CSV files are limited to {MAX_CSV_BYTES / 2**20:g} MB",
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


def _lines(text: str) -> Iterator[str]:
    """The lines of *text* with their ends (\\n, \\r\\n or \\r), lazily.

    Neither a list of lines nor an ``io.StringIO`` copy of a 64 MB text is made:
    a preview reads ten rows, and an import stops at the row limit.
    """
    return (m.group() for m in _LINE.finditer(text))


def _detect_delimiter(text: str) -> str:
    """The candidate found most often outside quotes on the first non-blank line (ties: , ; tab)."""
    first = next((ln for ln in _lines(text) if ln.strip()), "")
    outside = "".join(first.split('"')[::2])  # drop the quoted parts
    counts = [outside.count(d) for d in DELIMITERS]
    return DELIMITERS[counts.index(max(counts))] if max(counts) else ","


def _records(text: str, delimiter: str, src: str) -> Iterator[Record]:
    """(first line, fields) of each non-blank record, with csv's errors turned into CSVErrors."""
    reader = csv.reader(_lines(text), delimiter=delimiter, quotechar='"',
                        doublequote=True, skipinitialspace=True, strict=True)
    line = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            if "unexpected end of data" in str(e):
                raise CSVError("a quoted field that starts on this record is never closed",
                               source=src, line=line) from None
            raise CSVError(f"bad quoting ({e}); quote a whole field and double quotes inside it",
                           source=src, line=reader.line_num) from None
        if len(fields) > 1 or (fields and fields[0].strip()):  # a row of empty fields is not blank
            yield line, fields
        line = reader.line_num + 1


# -- numbers ------------------------------------------------------------------------------------
def _show(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _is_number(text: str) -> bool:
    """Whether *text* reads as a number (NaN and infinity included: they are numbers in the wrong place)."""
    s = text.strip()
    if not s.isascii() or "_" in s:
        return False
    try:
        float(s)
    except ValueError:
        return False
    return True


def _number_error(text: str) -> str | None:
    """Why *text* is not an acceptable number, or None when it is one."""
    s = text.strip()
    if not s:
        return "empty field: a number is missing"
    # float() also takes "1_000" and non-ASCII digits; a data file means plain decimal numbers.
    if s.isascii() and "_" not in s:
        try:
            v = float(s)
        except ValueError:
            pass
        else:
            if math.isfinite(v):
                return None
            word = s.lower().lstrip("+-")
            if word == "nan":
                return "NaN is not allowed: every value must be a finite number"
            if word in ("inf", "infinity"):
                return "infinite values are not allowed"
            return f"{_show(s)} is too large for a 64-bit float"
    hint = " (use a decimal point, not a comma)" if _DECIMAL_COMMA.fullmatch(s) else ""
    return f"{_show(s)} is not a number{hint}"


# -- column selection ---------------------------------------------------------------------------
def _names(header: list[str] | None, n_cols: int) -> list[str]:
    if header is None:
        return [f"column {j + 1}" for j in range(n_cols)]
    return [h.strip() or f"column {j + 1}" for j, h in enumerate(header)]


def _resolve(spec: object, header: list[str] | None, n_cols: int, src: str, head_line: int = 1) -> int:
    if isinstance(spec, (int, np.integer)) and not isinstance(spec, bool):
        if -n_cols <= spec < n_cols:
            return int(spec) % n_cols
        raise CSVError(f"column index {spec} is out of range: the rows have {n_cols} column(s) "
                       f"(indices 0 to {n_cols - 1})", source=src)
    if not isinstance(spec, str):
        raise CSVError(f"a column is a 0-based index or a header name, not {spec!r}", source=src)
    if header is None:
        raise CSVError(f"column {spec!r} is a name, but the file has no header row: use 0-based indices",
                       source=src)
    found = [j for j, h in enumerate(header) if h.strip() == spec.strip()]
    if not found:
        listed = ", ".join(repr(h.strip()) for h in header[:20]) + (", …" if len(header) > 20 else "")
        raise CSVError(f"no column named {spec!r}; the header has {listed}", source=src, line=head_line)
    if len(found) > 1:
        raise CSVError(f"the header names {spec!r} {len(found)} times (columns "
                       f"{', '.join(str(j + 1) for j in found)}): use a 0-based index", source=src, line=head_line)
    return found[0]


def _as_list(spec: object) -> list[object] | None:
    if spec is None:
        return None
    if isinstance(spec, (str, int, np.integer)):
        return [spec]
    return list(spec)  # type: ignore[call-overload]


def _select(inputs: object, targets: object, one_hot: object, header: list[str] | None, n_cols: int,
            src: str, head_line: int) -> tuple[list[int], list[int], int | None]:
    """Column indices of the inputs, the numeric targets and the one-hot class column."""
    ins, tgs = _as_list(inputs), _as_list(targets)

    def resolve(c: object) -> int:
        return _resolve(c, header, n_cols, src, head_line)

    oh = None if one_hot is None else resolve(one_hot)
    if oh is not None and tgs is not None:
        raise CSVError("give either targets or one_hot, not both (one_hot makes the targets)", source=src)
    in_idx = None if ins is None else [resolve(c) for c in ins]
    tg_idx = None if tgs is None else [resolve(c) for c in tgs]
    if oh is not None:
        tg_idx = []
        if in_idx is None:
            in_idx = [j for j in range(n_cols) if j != oh]
    elif tg_idx is None:
        tg_idx = [n_cols - 1] if in_idx is None else [j for j in range(n_cols) if j not in in_idx]
    if in_idx is None:
        in_idx = [j for j in range(n_cols) if j not in tg_idx]
    if not in_idx:
        raise CSVError(f"no input columns (the rows have {n_cols} column(s))", source=src)
    if not tg_idx and oh is None:
        raise CSVError(f"no target columns (the rows have {n_cols} column(s))", source=src)
    return in_idx, tg_idx, oh


# -- reading ------------------------------------------------------------------------------------
def _start(text: str, src: str,
           header: bool | None) -> tuple[str, Iterator[Record], list[Record], list[str] | None, int]:
    """Delimiter, the record iterator, the data records already read, the header row and its line."""
    if header not in (None, True, False):
        raise CSVError(f"header must be None (detect), True or False, not {header!r}", source=src)
    delimiter = _detect_delimiter(text)
    records = _records(text, delimiter, src)
    first = [r for _, r in zip(range(2), records)]
    if not first:
        raise CSVError("the file is empty: no rows", source=src, line=1)
    if header is None:
        # A header: no field of the first row is a number but one holds text, and the second row
        # has a number.
        row0 = first[0][1]
        header = (len(first) == 2 and not any(_is_number(f) for f in row0) and any(f.strip() for f in row0)
                  and any(_is_number(f) for f in first[1][1]))
    head, head_line = None, first[0][0]
    if header:
        head = [f.strip() for f in first.pop(0)[1]]
        if not first:
            raise CSVError("no data rows after the header", source=src, line=head_line)
    return delimiter, records, first, head, head_line


def _check_width(line: int, fields: list[str], n_cols: int, first_line: int, src: str) -> None:
    if len(fields) != n_cols:
        col = min(len(fields), n_cols)
        what = "missing field" if len(fields) < n_cols else "extra field"
        raise CSVError(f"{what}: this row has {len(fields)} field(s), line {first_line} has {n_cols}",
                       source=src, line=line, column=col)


def _bad_field(line: int, fields: list[str], cols: list[int], names: list[str | None], src: str) -> CSVError:
    for j in sorted(cols):  # the leftmost bad field
        reason = _number_error(fields[j])
        if reason:
            return CSVError(reason, source=src, line=line, column=j, column_name=names[j])
    return CSVError("not a number", source=src, line=line)  # pragma: no cover  (float() and the check agree)


def _one_hot(labels: list[str], lines: list[int], col: int, name: str | None,
             src: str) -> tuple[Array, list[str]]:
    """One-hot rows for the class labels; classes in sorted order (numerically when all are numbers)."""
    for lab, line in zip(labels, lines):
        if not lab:
            raise CSVError("empty class label", source=src, line=line, column=col, column_name=name)
    numeric = all(_number_error(lab) is None for lab in labels)
    if numeric:
        keys = [float(lab) for lab in labels]  # "1" and "1.0" are the same class
        first_text: dict[float, str] = {}
        for k, lab in zip(keys, labels):
            first_text.setdefault(k, lab)
        order = sorted(first_text)
        classes = [first_text[k] for k in order]
    else:
        keys, order = list(labels), sorted(set(labels))
        classes = order
    if len(order) > MAX_CSV_COLUMNS:
        raise CSVError(f"the class column has {len(order):,} different values; at most {MAX_CSV_COLUMNS:,} "
                       f"classes (outputs)", source=src, column=col, column_name=name)
    pos = {k: i for i, k in enumerate(order)}
    out = np.zeros((len(labels), len(order)))
    out[np.arange(len(labels)), [pos[k] for k in keys]] = 1.0
    return out, classes


def read_csv_data(path: str | os.PathLike, inputs: Sequence[Column] | Column | None = None,
                  targets: Sequence[Column] | Column | None = None, header: bool | None = None,
                  one_hot: Column | None = None) -> CSVData:
    """Import a CSV file with the column names; :func:`read_csv` returns just the arrays.

    Same parameters and errors as :func:`read_csv`.
    """
    text, src = _read_text(path)
    delimiter, records, first, head, first_line = _start(text, src, header)
    n_cols = len(head) if head is not None else len(first[0][1])
    if n_cols > MAX_CSV_COLUMNS:
        raise CSVError(f"more than {MAX_CSV_COLUMNS:,} columns ({n_cols:,})", source=src, line=first_line,
                       column=MAX_CSV_COLUMNS)
    names = _names(head, n_cols)
    # Messages add a header name after the column number; "column 3 ('column 3')" would say nothing.
    err_names: list[str | None] = list(names) if head is not None else [None] * n_cols
    in_idx, tg_idx, oh = _select(inputs, targets, one_hot, head, n_cols, src, first_line)
    cols = in_idx + tg_idx
    width = len(cols)
    # array('d') keeps 8 bytes a number, where a list of Python floats would need about 32.
    values: array = array("d")
    lines: list[int] = []
    labels: list[str] = []
    plain = text.isascii() and "_" not in text  # then float() accepts only what _number_error accepts
    for line, fields in _chain(first, records):
        _check_width(line, fields, n_cols, first_line, src)
        if len(lines) == MAX_CSV_ROWS:
            raise CSVError(f"more than {MAX_CSV_ROWS:,} data rows", source=src, line=line)
        if (len(lines) + 1) * width > MAX_CSV_NUMBERS:
            raise CSVError(f"more than {MAX_CSV_NUMBERS:,} numbers", source=src, line=line)
        try:
            row = [float(fields[j]) for j in cols]
        except ValueError:
            raise _bad_field(line, fields, cols, err_names, src) from None
        if not plain or not all(map(math.isfinite, row)):
            bad = [j for j in cols if _number_error(fields[j])]
            if bad:
                raise _bad_field(line, fields, bad, err_names, src)
        values.extend(row)
        lines.append(line)
        if oh is not None:
            labels.append(fields[oh].strip())
    table = np.frombuffer(values, dtype=np.float64).reshape(len(lines), width).copy()
    x, t = table[:, :len(in_idx)].copy(), table[:, len(in_idx):].copy()
    t_names = [names[j] for j in tg_idx]
    classes = None
    if oh is not None:
        t, classes = _one_hot(labels, lines, oh, err_names[oh], src)
        t_names = [f"{names[oh]}={c}" for c in classes]
        if t.size + x.size > MAX_CSV_NUMBERS:
            raise CSVError(f"{x.size + t.size:,} numbers with the one-hot columns; the limit is "
                           f"{MAX_CSV_NUMBERS:,}", source=src)
    return CSVData(x, t, [names[j] for j in in_idx], t_names, classes, head, delimiter)


def _chain(first: list[Record], rest: Iterator[Record]) -> Iterator[Record]:
    yield from first
    yield from rest


def read_csv(path: str | os.PathLike, inputs: Sequence[Column] | Column | None = None,
             targets: Sequence[Column] | Column | None = None, header: bool | None = None,
             one_hot: Column | None = None) -> tuple[Array, Array]:
    """Read a dataset from a CSV file.

    Parameters
    ----------
    path : str or os.PathLike
        A regular file of at most 64 MB, UTF-8 (a byte-order mark is fine).
        The delimiter is the one of comma, semicolon and tab found most often
        (outside double quotes) on the first non-blank line; ties go in that
        order, and with none of them there is one column. Fields may be quoted
        with ``"`` (a ``""`` inside stands for one quote). Blank lines are
        skipped. Numbers use a decimal point (``1.5``, ``-2e-3``).
    inputs, targets : list of (int or str), or one of them, optional
        Columns by 0-based index (negative counts from the end) or by header
        name. Without either, the last column is the target and the others
        are inputs; with only one of them, the other is every remaining column.
        The same column may appear in both (e.g. an autoencoder).
    header : bool or None
        True: the first row holds the names; False: it is data; None: detect
        — a header when no field of the first row is a number and the second
        row has a number.
    one_hot : int or str, optional
        A class column (numbers or text) to encode as one-hot targets, one
        column per class in sorted order: numerically when every label is a
        number (``"1"`` and ``"1.0"`` are one class), else by Unicode text
        order. Then *targets* must be None; *inputs* defaults to the other
        columns.

    Returns
    -------
    inputs, targets : numpy.ndarray
        float64 arrays, one row per data row. Only the selected columns must
        hold numbers; other columns may hold anything.

    Raises
    ------
    CSVError
        With the file, the line and the column (counted from 1) in the
        message: not a regular file (checked before opening, so a FIFO never
        blocks), over the limits (64 MB, 100,000 data rows, 1,024 columns,
        20,000,000 numbers), binary content, not UTF-8, bad quoting, empty,
        ragged rows, a missing value, a non-number, NaN or infinity, an
        unknown column name or index. Nothing is returned half-imported.
    """
    data = read_csv_data(path, inputs, targets, header, one_hot)
    return data.inputs, data.targets


def preview_csv(path: str | os.PathLike, rows: int = 10,
                header: bool | None = None) -> tuple[list[str] | None, list[list[str]]]:
    """The header (or None) and the first *rows* data rows as text, for a preview before importing.

    The file gets the same checks as :func:`read_csv` up to those rows (type,
    size, binary content, UTF-8, quoting); the rows are shown as they are, so
    a short or long row is visible rather than an error.

    Raises
    ------
    CSVError
        As :func:`read_csv`, and for *rows* outside 1 … 1,000.
    """
    if isinstance(rows, bool) or not isinstance(rows, int) or not 1 <= rows <= 1000:
        raise CSVError(f"rows must be an integer from 1 to 1000, got {rows!r}", source=str(path))
    text, src = _read_text(path)
    _, records, first, head, _ = _start(text, src, header)
    shown = [f for _, f in first[:rows]]
    for _, fields in records:
        if len(shown) >= rows:
            break
        shown.append(fields)
    return head, shown


# -- writing ------------------------------------------------------------------------------------
def write_csv(path: str | os.PathLike, inputs: object, targets: object, header: bool = True,
              input_names: Sequence[str] | None = None, target_names: Sequence[str] | None = None) -> None:
    """Write a dataset as CSV: input columns, then target columns.

    Numbers are written with ``repr`` (the shortest text that reads back as
    the same float64), so ``read_csv`` gives the arrays back bit for bit. The
    file is replaced atomically (a temporary file in the same folder, renamed).

    Parameters
    ----------
    header : bool
        Write a header row: *input_names* and *target_names*, by default
        ``x1, x2, …`` and ``t1, t2, …``.

    Raises
    ------
    DataError
        Bad arrays (not 2-D, not finite, different sample counts) or names of
        the wrong length.
    OSError
        The file cannot be written; an existing file is then left as it was.
    """
    x, t = as_dataset(inputs, targets)
    in_names = list(input_names) if input_names is not None else [f"x{j + 1}" for j in range(x.shape[1])]
    tg_names = list(target_names) if target_names is not None else [f"t{j + 1}" for j in range(t.shape[1])]
    if len(in_names) != x.shape[1] or len(tg_names) != t.shape[1]:
        raise CSVError(f"{len(in_names)} input and {len(tg_names)} target names for {x.shape[1]} input and "
                       f"{t.shape[1]} target columns", source=str(path))
    buf = io.StringIO()
    if header:
        csv.writer(buf, lineterminator="\n").writerow(in_names + tg_names)  # quotes names where needed
    # Numbers never need quoting: join them directly, which is several times faster than csv.writer.
    buf.write("".join(",".join(map(repr, row)) + "\n" for row in np.hstack([x, t]).tolist()))
    _write_atomic(Path(path), buf.getvalue().encode("utf-8"))


def _write_atomic(path: Path, data: bytes) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
