"""CSV import, preview and export of datasets; every problem is a CSVError naming the line and column.

Reading is a pure function: it returns new arrays or raises, never half a
dataset. The file's text and records come from :mod:`.csv_text` (file checks,
decoding, quoting); numbers follow the plain rule of :mod:`.numbers`.
"""
from __future__ import annotations

import csv
import io
import math
import os
import secrets
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .csv_text import DELIMITERS, Record, detect_delimiter, read_text, records
from .data_prep import as_dataset
from .errors import CSVError
from .numbers import is_number_text, number_problem

__all__ = ["CSVData", "DELIMITERS", "MAX_CSV_BYTES", "MAX_CSV_COLUMNS", "MAX_CSV_NUMBERS", "MAX_CSV_ROWS",
           "preview_csv", "read_csv", "read_csv_data", "write_csv"]

Array = np.ndarray
#: A column: its 0-based index (negative counts from the end) or its header name.
Column = int | str

#: The limits state files have: file size, data rows, columns; and numbers in the result.
MAX_CSV_BYTES = 64 * 2**20
MAX_CSV_ROWS = 100_000
MAX_CSV_COLUMNS = 1024
MAX_CSV_NUMBERS = 20_000_000


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


def _field_problem(text: str) -> str | None:
    """Why a CSV field is not an acceptable number (None when it is one)."""
    why = number_problem(text)
    return f"empty field: {why}" if why and not text.strip() else why


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
    delimiter = detect_delimiter(text)
    rest = records(text, delimiter, src)
    first = [r for _, r in zip(range(2), rest)]
    if not first:
        raise CSVError("the file is empty: no rows", source=src, line=1)
    if header is None:
        # A header: no field of the first row is a number but one holds text, and the second row
        # has a number.
        row0 = first[0][1]
        header = (len(first) == 2 and not any(is_number_text(f) for f in row0) and any(f.strip() for f in row0)
                  and any(is_number_text(f) for f in first[1][1]))
    head, head_line = None, first[0][0]
    if header:
        head = [f.strip() for f in first.pop(0)[1]]
        if not first:
            raise CSVError("no data rows after the header", source=src, line=head_line)
    return delimiter, rest, first, head, head_line


def _check_width(line: int, fields: list[str], n_cols: int, first_line: int, src: str) -> None:
    if len(fields) != n_cols:
        col = min(len(fields), n_cols)
        what = "missing field" if len(fields) < n_cols else "extra field"
        raise CSVError(f"{what}: this row has {len(fields)} field(s), line {first_line} has {n_cols}",
                       source=src, line=line, column=col)


def _bad_field(line: int, fields: list[str], cols: list[int], names: list[str | None], src: str) -> CSVError:
    for j in sorted(cols):  # the leftmost bad field
        reason = _field_problem(fields[j])
        if reason:
            return CSVError(reason, source=src, line=line, column=j, column_name=names[j])
    return CSVError("not a number", source=src, line=line)  # pragma: no cover  (float() and the check agree)


def _one_hot(labels: list[str], lines: list[int], col: int, name: str | None,
             src: str) -> tuple[Array, list[str]]:
    """One-hot rows for the class labels; classes in sorted order (numerically when all are numbers)."""
    for lab, line in zip(labels, lines):
        if not lab:
            raise CSVError("empty class label", source=src, line=line, column=col, column_name=name)
    numeric = all(_field_problem(lab) is None for lab in labels)
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
    text, src = read_text(path, MAX_CSV_BYTES)
    delimiter, rest, first, head, first_line = _start(text, src, header)
    n_cols = len(head) if head is not None else len(first[0][1])
    if n_cols > MAX_CSV_COLUMNS:
        raise CSVError(f"more than {MAX_CSV_COLUMNS:,} columns ({n_cols:,})", source=src, line=first_line,
                       column=MAX_CSV_COLUMNS)
    names = _names(head, n_cols)
    # Messages add a header name after the column number; "column 3 ('column 3')" would say nothing.
    err_names: list[str | None] = list(names) if head is not None else [None] * n_cols
    in_idx, tg_idx, oh = _select(inputs, targets, one_hot, head, n_cols, src, first_line)
    # float() takes only numbers, NaN and infinity from ASCII text without "_": then only those are re-checked.
    plain = text.isascii() and "_" not in text
    table, lines, labels = _read_rows(_chain(first, rest), n_cols, first_line, in_idx + tg_idx, oh, err_names,
                                      src, plain)
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


def _read_rows(rows: Iterator[Record], n_cols: int, first_line: int, cols: list[int], oh: int | None,
               err_names: list[str | None], src: str, plain: bool) -> tuple[Array, list[int], list[str]]:
    """The selected columns of every row as a float64 table, the rows' lines and the class labels."""
    width = len(cols)
    # array('d') keeps 8 bytes a number, where a list of Python floats would need about 32.
    values: array = array("d")
    lines: list[int] = []
    labels: list[str] = []
    for line, fields in rows:
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
            bad = [j for j in cols if _field_problem(fields[j])]
            if bad:
                raise _bad_field(line, fields, bad, err_names, src)
        values.extend(row)
        lines.append(line)
        if oh is not None:
            labels.append(fields[oh].strip())
    table = np.frombuffer(values, dtype=np.float64).reshape(len(lines), width).copy()
    return table, lines, labels


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
    text, src = read_text(path, MAX_CSV_BYTES)
    _, rest, first, head, _ = _start(text, src, header)
    shown = [f for _, f in first[:rows]]
    for _, fields in rest:
        if len(shown) >= rows:
            break
        shown.append(fields)
    return head, shown


# -- writing ------------------------------------------------------------------------------------
def write_csv(path: str | os.PathLike, inputs: object, targets: object, header: bool = True,
              input_names: Sequence[str] | None = None, target_names: Sequence[str] | None = None) -> None:
    """Write a dataset as CSV: input columns, then target columns.

    Numbers are written with ``repr`` (the shortest text that reads back as
    the same float64), so ``read_csv`` gives the arrays back bit for bit
    (within its limits: a file over :data:`MAX_CSV_BYTES` is written, but not
    read back). The file is replaced atomically (a temporary file in the same
    folder, renamed); a new file gets the usual permissions (the umask's), a
    replaced one keeps its own.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    inputs, targets : array_like
        2-D tables with one row per sample (finite numbers).
    header : bool
        Write a header row: *input_names* and *target_names*, by default
        ``x1, x2, …`` and ``t1, t2, …``.
    input_names, target_names : sequence of str, optional
        One name per column.

    Raises
    ------
    DataError
        Bad arrays (not 2-D, not finite, different sample counts).
    CSVError
        Names of the wrong length, or the file cannot be written (the message
        names it and says why); an existing file is then left as it was.
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
    try:
        _write_atomic(Path(path), buf.getvalue().encode("utf-8"))
    except OSError as e:
        raise CSVError(f"cannot write the file: {e.strerror or e}", source=str(path)) from None


def _write_atomic(path: Path, data: bytes) -> None:
    """Replace *path* with *data*: a crash leaves the old file or the new one, never half of one."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    # Not tempfile.mkstemp: its files are private (0600), and the export would stay so after the rename.
    tmp = folder / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
    try:
        with os.fdopen(fd, "wb") as f:
            if mode is not None:
                os.fchmod(f.fileno(), mode)
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
