"""Reducing a long loss history to a few thousand points for drawing, keeping every spike (Qt-free).

``decimate`` keeps each bin's minimum and maximum.  ``Decimator`` does the same incrementally for a history
that only grows (a run): bins of a power-of-two size are kept and merged in pairs when there are too many, so a
redraw costs the new points, not the whole history.
"""
from __future__ import annotations

import numpy as np

MAX_POINTS = 3000  # drawn points per curve (two per pixel of a wide plot)


def decimate(x: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Keep each bin's minimum and maximum so spikes stay visible when drawing fewer points."""
    n = len(y)
    if n <= max_points:
        return x, y
    bins = max_points // 2
    per = n // bins
    m = per * bins
    yb = y[:m].reshape(bins, per)
    xb = x[:m].reshape(bins, per)
    imin = np.nanargmin(np.where(np.isnan(yb), np.inf, yb), axis=1)
    imax = np.nanargmax(np.where(np.isnan(yb), -np.inf, yb), axis=1)
    rows = np.arange(bins)
    lo, hi = np.minimum(imin, imax), np.maximum(imin, imax)
    xs = np.column_stack([xb[rows, lo], xb[rows, hi]]).ravel()
    ys = np.column_stack([yb[rows, lo], yb[rows, hi]]).ravel()
    return np.concatenate([xs, x[m:]]), np.concatenate([ys, y[m:]])


class Decimator:
    """Min/max bins of an append-only series y[0], y[1], … (x is the 1-based index)."""

    def __init__(self, max_points: int = MAX_POINTS) -> None:
        self.max_bins = max_points // 2
        self.per = 1
        self.n = 0  # points covered by full bins
        self.imin = np.empty(0, np.int64)  # per bin: index of its minimum, its maximum, and the values
        self.imax = np.empty(0, np.int64)
        self.vmin = np.empty(0)
        self.vmax = np.empty(0)

    def fits(self, y: np.ndarray) -> bool:
        """Whether *y* is what this decimator saw, possibly extended (not cut back and rewritten)."""
        if len(y) < self.n:
            return False
        if not len(self.imin):
            return True
        k = int(self.imin[-1])
        return y[k] == self.vmin[-1] or (np.isnan(y[k]) and np.isnan(self.vmin[-1]))

    def extend(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Take the points added to *y* since the last call; return the points to draw (x, y)."""
        full = (len(y) - self.n) // self.per
        if full:
            block = y[self.n:self.n + full * self.per].reshape(full, self.per)
            lo = np.argmin(np.where(np.isnan(block), np.inf, block), axis=1)
            hi = np.argmax(np.where(np.isnan(block), -np.inf, block), axis=1)
            start = self.n + np.arange(full) * self.per
            self.imin = np.concatenate([self.imin, start + lo])
            self.imax = np.concatenate([self.imax, start + hi])
            self.vmin = np.concatenate([self.vmin, block[np.arange(full), lo]])
            self.vmax = np.concatenate([self.vmax, block[np.arange(full), hi]])
            self.n += full * self.per
        while len(self.vmin) > self.max_bins:
            self._merge_pairs()
        return self._points(y)

    def _merge_pairs(self) -> None:
        k = len(self.vmin) // 2 * 2  # an odd last bin becomes raw points again
        a, b = slice(0, k, 2), slice(1, k, 2)
        take_b = np.nan_to_num(self.vmin[b], nan=np.inf) < np.nan_to_num(self.vmin[a], nan=np.inf)
        self.imin = np.where(take_b, self.imin[b], self.imin[a])
        self.vmin = np.where(take_b, self.vmin[b], self.vmin[a])
        take_b = np.nan_to_num(self.vmax[b], nan=-np.inf) > np.nan_to_num(self.vmax[a], nan=-np.inf)
        self.imax = np.where(take_b, self.imax[b], self.imax[a])
        self.vmax = np.where(take_b, self.vmax[b], self.vmax[a])
        self.per *= 2
        self.n = len(self.vmin) * self.per

    def _points(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        first = self.imin <= self.imax
        i1 = np.where(first, self.imin, self.imax)
        i2 = np.where(first, self.imax, self.imin)
        v1 = np.where(first, self.vmin, self.vmax)
        v2 = np.where(first, self.vmax, self.vmin)
        keep = np.column_stack([np.ones(len(i1), bool), i2 != i1]).ravel()  # a bin of one point: once
        xs = np.column_stack([i1, i2]).ravel()[keep].astype(np.float64) + 1.0
        ys = np.column_stack([v1, v2]).ravel()[keep]
        tail = np.arange(self.n, len(y), dtype=np.float64) + 1.0
        return np.concatenate([xs, tail]), np.concatenate([ys, y[self.n:]])
