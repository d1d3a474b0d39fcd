"""The loss history, bounded: recent entries at full resolution, older ones reduced to min/max buckets.

A series (:class:`BoundedSeries`) keeps its newest entries as they are (at least
``keep`` of them, at most ``2·keep``); when it fills, the older half moves into
*buckets*, each holding the minimum and maximum of a contiguous range of entries.
Buckets have one width at a time (``width``); when there are more than
``max_buckets`` of them, neighbours are merged in pairs and the width doubles.  So
a series of any length takes at most about ``2·keep + 3·max_buckets`` numbers, and
a min/max envelope drawn at screen resolution looks exactly like the full curve.

Every bucket's min and max are the exact extremes of the entries it covers, with one
exception: truncating (stepping back) to an entry inside a bucket keeps that bucket,
cut at the entry, with the min and max of its whole former range — the true values
of the remaining entries lie within them (they are not kept, so they cannot be
recomputed).  Entries appended afterwards (replayed or new) are exact again.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import ConfigError

#: Entries of each series kept at full resolution (the newest; up to twice as many before a reduction).
DEFAULT_KEEP = 65_536
#: Min/max buckets of each series at most (neighbours are merged in pairs beyond).
DEFAULT_BUCKETS = 4_096
#: The names of the four series, as in state files (``history.<name>`` and ``history.<name>_reduced``).
SERIES = ("batch_loss", "epoch_loss", "epoch_end", "test_loss")


class Growable:
    """An append-only float or int array with amortised O(1) append and O(1) truncation (``n = k``)."""

    __slots__ = ("_buf", "n")

    def __init__(self, dtype: Any = np.float64, values: Any = ()) -> None:
        values = np.asarray(values, dtype=dtype)
        self._buf = np.empty(max(64, 2 * len(values)), dtype=dtype)
        self._buf[: len(values)] = values
        self.n = len(values)

    def append(self, v: float) -> None:
        if self.n == len(self._buf):
            self._grow()
        self._buf[self.n] = v
        self.n += 1

    def _grow(self) -> None:
        # at least 64 more: a compact copy of an empty series (a snapshot at iteration 0) has no room at all
        self._buf = np.concatenate([self._buf, np.empty(max(64, len(self._buf)), dtype=self._buf.dtype)])

    def extend(self, values: np.ndarray) -> None:
        """Append every value of *values*."""
        while self.n + len(values) > len(self._buf):
            Growable._grow(self)
        self._buf[self.n: self.n + len(values)] = values
        self.n += len(values)

    def view(self) -> np.ndarray:
        """The values, as a view (valid until the next append)."""
        return self._buf[: self.n]

    @property
    def nbytes(self) -> int:
        return self._buf.nbytes


@dataclass(frozen=True)
class Buckets:
    """The reduced part of a series: bucket k covers entries ``start[k]`` … ``end[k]`` (1-based, inclusive).

    For ``batch_loss`` the entries are iterations, for the per-epoch series epochs.
    ``min[k]`` and ``max[k]`` bound every value of the bucket's entries (see the module
    docstring); NaN in both for a bucket of a test loss without any value.  The arrays
    are read-only copies.
    """

    start: np.ndarray
    end: np.ndarray
    min: np.ndarray
    max: np.ndarray

    def __len__(self) -> int:
        return len(self.start)

    @property
    def covered(self) -> int:
        """Entries the buckets cover (the index of the last one; 0 without buckets)."""
        return int(self.end[-1]) if len(self.end) else 0

    def points(self, x: "Buckets | None" = None) -> tuple[np.ndarray, np.ndarray]:
        """A polyline through every bucket's min and max, ``(x, y)`` as float64, for drawing.

        A bucket of entries a…b gives the points (a, min) and (b, max) (one point when a = b):
        drawn at screen resolution this is the envelope of the full curve.  With *x* (the
        ``epoch_end`` buckets of per-epoch series), x is its min and max (the iterations the
        bucket's first and last epoch ended at) instead of the entry numbers.
        """
        xa, xb = (self.start, self.end) if x is None else (x.min, x.max)
        two = self.end > self.start
        xs = np.column_stack([xa, xb]).astype(np.float64).ravel()
        ys = np.column_stack([self.min, self.max]).astype(np.float64).ravel()
        keep = np.column_stack([np.ones(len(two), bool), two]).ravel()
        return xs[keep], ys[keep]

    def as_dict(self) -> dict[str, np.ndarray]:
        return {"start": self.start, "end": self.end, "min": self.min, "max": self.max}


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


class BoundedSeries(Growable):
    """A :class:`Growable` of bounded memory: ``view()`` holds the newest entries, :meth:`buckets` the older ones.

    ``n`` counts the full-resolution entries (``len(view())``), :attr:`offset` the entries
    before them (reduced to buckets), :attr:`total` both.  Entry ``k`` of ``view()`` is entry
    ``offset + k + 1`` of the series (1-based).
    """

    __slots__ = ("offset", "keep", "max_buckets", "width", "_end", "_lo", "_hi", "_cache")

    def __init__(self, dtype: Any = np.float64, values: Any = (), *, keep: int = DEFAULT_KEEP,
                 max_buckets: int = DEFAULT_BUCKETS, buckets: Buckets | None = None) -> None:
        if keep < 1 or max_buckets < 2:
            raise ConfigError(f"a loss history keeps at least 1 entry and 2 buckets, got {keep} and {max_buckets}")
        Growable.__init__(self, dtype, ())
        self.keep, self.max_buckets = int(keep), int(max_buckets)
        self.offset, self.width = 0, 1
        self._end = Growable(np.int64)  # per bucket: its last entry, 1-based (= the end of its range, 0-based)
        self._lo = Growable(dtype)
        self._hi = Growable(dtype)
        self._cache: Buckets | None = None
        if buckets is not None and len(buckets):
            self._end = Growable(np.int64, buckets.end)
            self._lo = Growable(dtype, buckets.min)
            self._hi = Growable(dtype, buckets.max)
            self.offset = buckets.covered
            widest = int(np.max(buckets.end - buckets.start)) + 1
            self.width = 1 << (widest - 1).bit_length()  # the width the buckets were made with (a power of 2)
        values = np.asarray(values, dtype=dtype)
        if len(values) > 2 * self.keep:  # e.g. a file written before histories were bounded
            m = len(values) - self.keep
            self._add_to_buckets(values[:m])
            values, self.offset = values[m:], self.offset + m
        self._buf = np.empty(max(64, 2 * len(values)), dtype=dtype)
        self._buf[: len(values)] = values
        self.n = len(values)

    # -- growing -----------------------------------------------------------------------------------------
    def _grow(self) -> None:
        if self.n >= 2 * self.keep:
            self._reduce(self.n - self.keep)
        else:
            Growable._grow(self)

    def _reduce(self, m: int) -> None:
        """Move the *m* oldest full-resolution entries into buckets."""
        self._add_to_buckets(self._buf[:m])
        # A new buffer rather than shifting in place: views handed out earlier keep their values.
        buf = np.empty_like(self._buf)
        buf[: self.n - m] = self._buf[m: self.n]
        self._buf, self.n, self.offset = buf, self.n - m, self.offset + m

    def _add_to_buckets(self, vals: np.ndarray) -> None:
        """Append *vals* (the entries after the buckets) to the buckets: fill the last, then new ones."""
        self._cache = None
        w = self.width
        nb = self._end.n
        if nb:
            ends, lo, hi = self._end.view(), self._lo.view(), self._hi.view()
            last_width = int(ends[-1] - (ends[-2] if nb > 1 else 0))
            take = min(w - last_width, len(vals)) if last_width < w else 0
            if take:
                lo[-1] = np.fmin(lo[-1], np.fmin.reduce(vals[:take]))
                hi[-1] = np.fmax(hi[-1], np.fmax.reduce(vals[:take]))
                ends[-1] += take
                vals = vals[take:]
        pos = int(self._end.view()[-1]) if self._end.n else self.offset  # where new buckets start (0-based)
        k, r = divmod(len(vals), w)
        if k:
            block = vals[: k * w].reshape(k, w)
            self._end.extend(pos + w * np.arange(1, k + 1))
            self._lo.extend(np.fmin.reduce(block, axis=1))
            self._hi.extend(np.fmax.reduce(block, axis=1))
        if r:
            rest = vals[k * w:]
            self._end.append(pos + k * w + r)
            self._lo.append(np.fmin.reduce(rest))
            self._hi.append(np.fmax.reduce(rest))
        while self._end.n > self.max_buckets:
            self._merge_pairs()

    def _merge_pairs(self) -> None:
        nb = self._end.n
        k = nb // 2 * 2
        ends, lo, hi = self._end.view(), self._lo.view(), self._hi.view()
        odd = slice(k, nb)  # an odd last bucket (the newest) stays as it is
        dtype = self._lo._buf.dtype
        self._end = Growable(np.int64, np.concatenate([ends[1:k:2], ends[odd]]))
        self._lo = Growable(dtype, np.concatenate([np.fmin(lo[0:k:2], lo[1:k:2]), lo[odd]]))
        self._hi = Growable(dtype, np.concatenate([np.fmax(hi[0:k:2], hi[1:k:2]), hi[odd]]))
        self.width *= 2

    def extend(self, values: Any) -> None:
        """Append every value of *values* (reducing as :meth:`append` does)."""
        for v in np.asarray(values, dtype=self._buf.dtype):
            self.append(v)

    # -- reading -----------------------------------------------------------------------------------------
    @property
    def total(self) -> int:
        """Entries recorded: reduced and full-resolution."""
        return self.offset + self.n

    @property
    def reduced(self) -> bool:
        """Whether older entries have been reduced to buckets."""
        return self.offset > 0

    def buckets(self) -> Buckets:
        """The reduced part (empty arrays when nothing is reduced); read-only copies, kept until it changes."""
        if self._cache is None:
            ends = self._end.view()
            self._cache = Buckets(_frozen(np.concatenate([[1], ends[:-1] + 1]) if len(ends) else ends),
                                  _frozen(ends), _frozen(self._lo.view()), _frozen(self._hi.view()))
        return self._cache

    def points(self, dtype: Any = np.float64) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)`` of the whole series for drawing: the buckets as a min/max polyline, then every entry."""
        bx, by = self.buckets().points()
        x = np.arange(self.offset + 1, self.total + 1, dtype=np.float64)
        return np.concatenate([bx, x]), np.concatenate([by, self.view().astype(dtype)])

    @property
    def nbytes(self) -> int:
        return self._buf.nbytes + self._end.nbytes + self._lo.nbytes + self._hi.nbytes

    # -- changing ----------------------------------------------------------------------------------------
    def truncate(self, total: int) -> None:
        """Forget every entry after the first *total* (a bucket cut in two keeps its min and max)."""
        if total >= self.offset:
            self.n = total - self.offset
            return
        self._cache = None
        ends = self._end.view()
        k = int(np.searchsorted(ends, total, side="left"))  # the first bucket ending at or after *total*
        start = int(ends[k - 1]) if k else 0
        if total == start:
            nb = k
        else:
            nb = k + 1
            ends[k] = total
        self._end.n = self._lo.n = self._hi.n = nb
        self.n, self.offset = 0, total

    def copy(self) -> "BoundedSeries":
        """An independent copy holding no spare capacity (for snapshots)."""
        c = BoundedSeries.__new__(BoundedSeries)
        c.keep, c.max_buckets, c.offset, c.width, c._cache = self.keep, self.max_buckets, self.offset, self.width, None
        c._buf, c.n = self.view().copy(), self.n
        c._end, c._lo, c._hi = (_trimmed(g) for g in (self._end, self._lo, self._hi))
        return c


def _trimmed(g: Growable) -> Growable:
    c = Growable.__new__(Growable)
    c._buf, c.n = g.view().copy(), g.n
    return c


class LossHistory:
    """What the loss plot draws, in bounded memory (see the module docstring).

    ``batch_loss`` has one entry per iteration; ``epoch_loss`` (training set),
    ``epoch_end`` (the iteration each epoch ended at) and ``test_epoch_loss``
    (test set, NaN for epochs without one) one per epoch.  Each is a
    :class:`BoundedSeries`; the three per-epoch series are appended and cut together,
    so their buckets always cover the same epochs.

    Parameters
    ----------
    keep : int
        Newest entries of each series kept at full resolution.
    max_buckets : int
        Buckets of each series at most.
    """

    def __init__(self, keep: int = DEFAULT_KEEP, max_buckets: int = DEFAULT_BUCKETS) -> None:
        self.keep, self.max_buckets = int(keep), int(max_buckets)
        self.replace((), (), (), ())

    def _series(self) -> tuple[BoundedSeries, ...]:
        return self.batch_loss, self.epoch_loss, self.epoch_end, self.test_epoch_loss

    def counts(self) -> tuple[int, int]:
        """``(iterations recorded, epochs recorded)``, reduced ones included."""
        return self.batch_loss.total, self.epoch_loss.total

    def truncate(self, n_batch: int, n_epoch: int) -> None:
        """Forget everything after the first *n_batch* iterations and *n_epoch* epochs."""
        self.batch_loss.truncate(n_batch)
        for s in self._series()[1:]:
            s.truncate(n_epoch)
        ends = self.epoch_end
        if ends.n == 0 and ends._hi.n and ends._hi.view()[-1] > n_batch:
            # A bucket of epochs cut here: its last epoch ended by iteration n_batch (later epochs end after it).
            ends._hi.view()[-1] = n_batch
            ends._cache = None

    def copy(self) -> "LossHistory":
        """An independent, compact copy (for snapshots of actions that replace the history)."""
        c = LossHistory.__new__(LossHistory)
        c.keep, c.max_buckets = self.keep, self.max_buckets
        c.batch_loss, c.epoch_loss, c.epoch_end, c.test_epoch_loss = (s.copy() for s in self._series())
        return c

    def restore(self, saved: "LossHistory") -> None:
        """Become a copy of *saved* (which stays as it is)."""
        c = saved.copy()
        self.keep, self.max_buckets = c.keep, c.max_buckets
        self.batch_loss, self.epoch_loss, self.epoch_end, self.test_epoch_loss = c._series()

    def replace(self, batch_loss: Any, epoch_loss: Any, epoch_end: Any, test_epoch_loss: Any,
                reduced: dict[str, Buckets] | None = None) -> None:
        """Set the full-resolution entries and, in *reduced*, the buckets before them (keyed as :data:`SERIES`)."""
        reduced = reduced or {}
        kw = {"keep": self.keep, "max_buckets": self.max_buckets}
        self.batch_loss = BoundedSeries(np.float64, batch_loss, buckets=reduced.get("batch_loss"), **kw)
        self.epoch_loss = BoundedSeries(np.float64, epoch_loss, buckets=reduced.get("epoch_loss"), **kw)
        self.epoch_end = BoundedSeries(np.int64, epoch_end, buckets=reduced.get("epoch_end"), **kw)
        test = reduced.get("test_loss")
        if test is None and len(reduced.get("epoch_loss", ())):  # a file without a test set: no test values
            b = reduced["epoch_loss"]
            test = Buckets(b.start, b.end, np.full(len(b), np.nan), np.full(len(b), np.nan))
        self.test_epoch_loss = BoundedSeries(np.float64, test_epoch_loss, buckets=test, **kw)

    def set_budget(self, keep: int, max_buckets: int) -> None:
        """Change how much each series keeps (applied at its next reduction)."""
        if keep < 1 or max_buckets < 2:
            raise ConfigError(f"a loss history keeps at least 1 entry and 2 buckets, got {keep} and {max_buckets}")
        self.keep, self.max_buckets = int(keep), int(max_buckets)
        for s in self._series():
            s.keep, s.max_buckets = self.keep, self.max_buckets

    def reduced(self) -> dict[str, Buckets]:
        """The buckets of every series that has some, keyed as :data:`SERIES` (empty when nothing is reduced)."""
        return {name: s.buckets() for name, s in zip(SERIES, self._series()) if s.reduced}

    def epoch_points(self, series: BoundedSeries) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)`` of a per-epoch *series* for drawing; x: the iteration each epoch ended at."""
        bx, by = series.buckets().points(self.epoch_end.buckets()) if series.reduced else (np.empty(0), np.empty(0))
        return (np.concatenate([bx, self.epoch_end.view().astype(np.float64)]),
                np.concatenate([by, series.view().astype(np.float64)]))

    @property
    def nbytes(self) -> int:
        return sum(s.nbytes for s in self._series())


class HistoryAccess:
    """The loss history's series as attributes of a simulation (``sim.batch_loss.view()`` etc.)."""

    history: LossHistory

    @property
    def batch_loss(self) -> BoundedSeries:
        """One batch loss per iteration (``view()``: the full-resolution ones; ``buckets()``: the older ones)."""
        return self.history.batch_loss

    @property
    def epoch_loss(self) -> BoundedSeries:
        """The training-set loss after each epoch."""
        return self.history.epoch_loss

    @property
    def epoch_end(self) -> BoundedSeries:
        """The iteration each epoch ended at."""
        return self.history.epoch_end

    @property
    def test_epoch_loss(self) -> BoundedSeries:
        """The test-set loss after each epoch (NaN where there was no test set)."""
        return self.history.test_epoch_loss


def bucket_problem(start: np.ndarray, end: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                   nan_allowed: bool = False) -> tuple[str, str] | None:
    """Why these buckets are not a valid reduced history, as ``(place, message)``, or None.

    They must be as long as each other, start at entry 1, be contiguous (each starts one after the
    previous one's end), not be empty (end ≥ start), and have finite min ≤ max (NaN in both is
    allowed with *nan_allowed*).  *place* is e.g. ``"start[3]"``.
    """
    n = len(start)
    for name, a in (("end", end), ("min", lo), ("max", hi)):
        if len(a) != n:
            return name, f"expected {n:,} entries (one per bucket, as start), got {len(a):,}"
    if not n:
        return None
    if start[0] != 1:
        return "start[0]", f"the first bucket must start at entry 1, got {int(start[0])}"
    bad = np.flatnonzero(end < start)
    if len(bad):
        k = int(bad[0])
        return f"end[{k}]", f"a bucket ends before it starts ({int(end[k])} < {int(start[k])})"
    gap = np.flatnonzero(start[1:] != end[:-1] + 1)
    if len(gap):
        k = int(gap[0]) + 1
        return f"start[{k}]", (f"buckets must be contiguous: expected {int(end[k - 1]) + 1} (one after the "
                               f"previous bucket's end), got {int(start[k])}")
    lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    both_nan = np.isnan(lo) & np.isnan(hi) if nan_allowed else np.zeros(n, bool)
    for name, a in (("min", lo), ("max", hi)):
        bad = np.flatnonzero(~np.isfinite(a) & ~both_nan)
        if len(bad):
            return f"{name}[{int(bad[0])}]", "must be a finite number"
    bad = np.flatnonzero(~(lo <= hi) & ~both_nan)
    if len(bad):
        k = int(bad[0])
        return f"min[{k}]", f"a bucket's min must not exceed its max ({lo[k]!r} > {hi[k]!r})"
    return None


def as_buckets(value: Any, dtype: Any = np.float64) -> Buckets:
    """*value* (a :class:`Buckets` or a dict with ``start``, ``end``, ``min``, ``max``) as Buckets of arrays."""
    if isinstance(value, Buckets):
        return value
    if not isinstance(value, dict) or set(value) != {"start", "end", "min", "max"}:
        raise ConfigError("a reduced history must be an object with exactly start, end, min and max")
    try:
        return Buckets(*(np.array(value[k], dtype=np.int64 if k in ("start", "end") else dtype, ndmin=1)
                         for k in ("start", "end", "min", "max")))
    except (TypeError, ValueError, OverflowError):
        raise ConfigError("a reduced history's start, end, min and max must be lists of numbers") from None


def reduced_problem(reduced: dict[str, Buckets], epoch_end_tail: np.ndarray,
                    iteration: int) -> tuple[str, str] | None:
    """Why *reduced* (buckets keyed as :data:`SERIES`) cannot be a history's reduced part, as ``(key, message)``.

    Each series' buckets must pass :func:`bucket_problem`; the per-epoch ones come together
    (``epoch_loss`` and ``epoch_end``, ``test_loss`` only with them) and cover the same epochs;
    ``epoch_end``'s min and max (the iterations the bucket's first and last epoch ended at) must
    increase strictly from bucket to bucket and on to *epoch_end_tail*, leave room for one
    iteration per epoch, and not pass *iteration*.  Counts (entries covered against the counters)
    are the caller's.  *key* is e.g. ``"batch_loss_reduced.start[3]"``.
    """
    for name, b in reduced.items():
        p = bucket_problem(b.start, b.end, b.min, b.max, nan_allowed=name == "test_loss")
        if p:
            return f"{name}_reduced.{p[0]}", p[1]
    if ("epoch_loss" in reduced) != ("epoch_end" in reduced):
        have = "epoch_loss" if "epoch_loss" in reduced else "epoch_end"
        return f"{have}_reduced", "epoch_loss_reduced and epoch_end_reduced go together"
    if "test_loss" in reduced and "epoch_loss" not in reduced:
        return "test_loss_reduced", "needs epoch_loss_reduced and epoch_end_reduced"
    if "epoch_loss" not in reduced:
        return None
    e = reduced["epoch_loss"]
    for name in ("epoch_end", "test_loss"):
        b = reduced.get(name)
        if b is not None and (len(b) != len(e) or not (np.array_equal(b.start, e.start)
                                                       and np.array_equal(b.end, e.end))):
            return f"{name}_reduced.end", "must cover the same epochs as epoch_loss_reduced (the same start and end)"
    ee = reduced["epoch_end"]
    lo, hi = ee.min, ee.max
    if lo[0] < 1:
        return "epoch_end_reduced.min[0]", f"an epoch ends at an iteration ≥ 1, got {lo[0]!r}"
    short = np.flatnonzero(hi - lo < ee.end - ee.start)
    if len(short):
        k = int(short[0])
        return (f"epoch_end_reduced.max[{k}]", f"{int(ee.end[k] - ee.start[k]) + 1} epochs cannot end between "
                f"iterations {lo[k]!r} and {hi[k]!r} (each takes at least one iteration)")
    step = np.flatnonzero(lo[1:] <= hi[:-1])
    if len(step):
        k = int(step[0]) + 1
        return f"epoch_end_reduced.min[{k}]", f"epoch ends must increase; {lo[k]!r} follows {hi[k - 1]!r}"
    if len(epoch_end_tail) and epoch_end_tail[0] <= hi[-1]:
        return "epoch_end[0]", (f"epoch ends must increase; {int(epoch_end_tail[0])} follows {hi[-1]!r}, the last "
                                f"end of epoch_end_reduced")
    if hi[-1] > iteration:
        return f"epoch_end_reduced.max[{len(hi) - 1}]", (f"an epoch ends at iteration {hi[-1]!r}, after the current "
                                                         f"one ({iteration:,})")
    return None
