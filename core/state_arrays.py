"""State files: JSON number arrays → float64 numpy arrays, refusing anything else by its exact place.

Types, row lengths and finiteness are checked with C-level passes (``set(map(type, …))``,
``np.isfinite``); only when one fails is the offending entry looked for, so that the
message can name it (``data.inputs[19876][1]: expected number, got a string 'abc'``).
Arrays built by the saver (numpy already) pass through the same checks.
"""
from __future__ import annotations

from itertools import chain
from typing import Any

import numpy as np

from .state_json import describe, fail, place, quote

__all__ = ["vector", "matrix", "nulls"]


def _first(seq, bad) -> int:
    return next(k for k, v in enumerate(seq) if bad(v))


def _too_big(v: Any, integer: bool) -> bool:
    """True for an int that float64 (or int64 with *integer*) cannot hold."""
    if type(v) is not int:
        return False
    if integer:
        return not -2**63 <= v < 2**63
    try:
        float(v)
    except OverflowError:
        return True
    return False


def vector(value: Any, where: list, source: str | None, *, integer: bool = False,
           minimum: float | None = None, missing: bool = False) -> np.ndarray:
    """A flat list (or array) of numbers as float64 (int64 with *integer*), refusing anything else by place.

    With *missing*, an entry may be ``null`` (NaN in an array): a value there is none of, such as the test
    loss of an epoch trained before there was a test set.
    """
    kind = "integer" if integer else "number"
    dtype = np.int64 if integer else np.float64
    if isinstance(value, np.ndarray):
        if value.ndim != 1 or (integer and value.dtype.kind not in "iu") or value.dtype.kind not in "iuf":
            raise fail(f"expected a flat array of {kind}s", where=place(where), source=source)
        arr = value.astype(dtype, copy=False)
    else:
        if type(value) is not list:
            raise fail(f"expected array, got {describe(value)}", where=place(where), source=source)
        allowed = {int} if integer else {float, int}
        if missing:
            allowed = allowed | {type(None)}
        if not set(map(type, value)) <= allowed:
            k = _first(value, lambda v: type(v) not in allowed)
            what = f"{kind} or null" if missing else kind
            raise fail(f"expected {what}, got {describe(value[k])}", where=place(where + [k]), source=source)
        try:
            arr = np.array([np.nan if v is None else v for v in value] if missing else value, dtype=dtype)
        except OverflowError:  # an integer beyond the float (or int64) range
            k = _first(value, lambda v: _too_big(v, integer))
            raise fail(f"the {kind} is too large", where=place(where + [k]), source=source) from None
    _check_values(arr, where, source, minimum, lambda k: [k], missing)
    return arr


def _check_values(arr: np.ndarray, where: list, source: str | None, minimum: float | None, at,
                  missing: bool = False) -> None:
    flat = arr.reshape(-1)
    if missing:  # NaN stands for null; infinities are still refused, and NaN is never below a minimum
        inf = np.isinf(flat)
        if inf.any():
            raise fail("the number is too large (only finite numbers)", where=place(where + at(int(inf.argmax()))),
                       source=source)
        low = flat < minimum if minimum is not None else None
        if low is not None and low.any():
            k = int(low.argmax())
            raise fail(f"must be ≥ {minimum}, got {quote(flat[k].item())}", where=place(where + at(k)), source=source)
        return
    if arr.dtype.kind == "f" and not np.isfinite(np.add.reduce(flat)):
        bad = ~np.isfinite(flat)
        if bad.any():
            k = int(bad.argmax())
            what = "is NaN" if np.isnan(flat[k]) else "is too large"
            raise fail(f"the number {what} (only finite numbers)", where=place(where + at(k)), source=source)
    if minimum is not None and flat.size and flat.min() < minimum:
        k = int((flat < minimum).argmax())
        raise fail(f"must be ≥ {minimum}, got {quote(flat[k].item())}", where=place(where + at(k)), source=source)


def matrix(value: Any, where: list, shape: tuple[int, int], source: str | None, rows_note: str = "") -> np.ndarray:
    """A list of equally long rows of numbers as a float64 array of *shape*, refusing anything else by place."""
    n, m = shape
    if isinstance(value, np.ndarray):
        if value.shape != shape or value.dtype.kind not in "iuf":
            raise fail(f"expected {n} × {m} numbers", where=place(where), source=source)
        arr = value.astype(np.float64, copy=False)
    else:
        if type(value) is not list:
            raise fail(f"expected array, got {describe(value)}", where=place(where), source=source)
        if len(value) != n:
            raise fail(f"expected {n} rows{rows_note}, got {len(value)}", where=place(where), source=source)
        if n and set(map(type, value)) != {list}:
            k = _first(value, lambda r: type(r) is not list)
            raise fail(f"expected array, got {describe(value[k])}", where=place(where + [k]), source=source)
        if n and set(map(len, value)) != {m}:
            k = _first(value, lambda r: len(r) != m)
            raise fail(f"expected {m} numbers, got {len(value[k])}", where=place(where + [k]), source=source)
        if not set(map(type, chain.from_iterable(value))) <= {float, int}:
            for k, row in enumerate(value):
                for i, v in enumerate(row):
                    if type(v) not in (float, int):
                        raise fail(f"expected number, got {describe(v)}", where=place(where + [k, i]), source=source)
        try:
            arr = np.array(value, dtype=np.float64).reshape(n, m)
        except OverflowError:
            k = _first(value, lambda r: any(_too_big(v, False) for v in r))
            raise fail("a number in this row is too large", where=place(where + [k]), source=source) from None
    _check_values(arr, where, source, None, lambda k: list(divmod(k, m)))
    return arr


def nulls(values: Any) -> Any:
    """*values* with NaN written as None (a list; an array without NaN is kept as it is): ``null`` in the file, a
    value there is none of (the test loss of an epoch trained before there was a test set)."""
    if isinstance(values, np.ndarray):
        if not np.isnan(values).any():
            return values
        values = values.tolist()
    return [None if v != v else v for v in values]
