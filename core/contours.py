"""Marching squares: the line segments where a function sampled on a grid crosses a level."""
from __future__ import annotations

import numpy as np


def contour_segments(xs: np.ndarray, ys: np.ndarray, values: np.ndarray, level: float) -> np.ndarray:
    """Line segments where *values* ``(len(ys), len(xs))`` crosses *level* (marching squares).

    Returns ``(K, 2, 2)``: segment k runs from ``(x, y) = out[k, 0]`` to ``out[k, 1]``.
    Crossings are linearly interpolated along cell edges; a saddle cell is split by
    the value at its centre.  Vectorised, and only the cells the contour passes
    through are interpolated, so a boundary over a 100×100 grid costs well under a
    millisecond.
    """
    v = np.asarray(values, dtype=np.float64)
    xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    above = v >= level
    hcross = above[:, 1:] != above[:, :-1]  # edge (r, c)–(r, c+1)
    vcross = above[1:, :] != above[:-1, :]  # edge (r, c)–(r+1, c)
    # Edges of each cell in the order bottom, right, top, left.
    flags = np.stack([hcross[:-1], vcross[:, 1:], hcross[1:], vcross[:, :-1]], -1)
    r, c = np.nonzero(flags.any(-1))
    if len(r) == 0:
        return np.empty((0, 2, 2))
    f = flags[r, c]

    def along_x(rr, cc):
        with np.errstate(all="ignore"):
            t = (level - v[rr, cc]) / (v[rr, cc + 1] - v[rr, cc])
        return np.stack([xs[cc] + t * (xs[cc + 1] - xs[cc]), ys[rr]], -1)

    def along_y(rr, cc):
        with np.errstate(all="ignore"):
            t = (level - v[rr, cc]) / (v[rr + 1, cc] - v[rr, cc])
        return np.stack([xs[cc], ys[rr] + t * (ys[rr + 1] - ys[rr])], -1)

    pts = np.stack([along_x(r, c), along_y(r, c + 1), along_x(r + 1, c), along_y(r, c)], 1)  # (K, 4, 2)
    count = f.sum(1)
    two = count == 2
    order = np.argsort(~f[two], axis=1, kind="stable")[:, :2]  # the two crossed edges, in edge order
    p2 = pts[two]
    k = np.arange(len(p2))
    segs = [np.stack([p2[k, order[:, 0]], p2[k, order[:, 1]]], 1)]
    four = count == 4
    if four.any():
        p4, r4, c4 = pts[four], r[four], c[four]
        centre = 0.25 * (v[r4, c4] + v[r4, c4 + 1] + v[r4 + 1, c4] + v[r4 + 1, c4 + 1])
        joined = (centre >= level) == above[r4, c4]  # centre on the bottom-left corner's side
        # Joined: cut off the bottom-right and top-left corners (edges 0–1, 2–3); else bottom-left, top-right.
        a = np.broadcast_to([0, 2], (len(p4), 2))
        b = np.where(joined[:, None], [1, 3], [3, 1])
        idx = np.arange(len(p4))[:, None]
        segs.append(np.stack([p4[idx, a], p4[idx, b]], 2).reshape(-1, 2, 2))
    return np.concatenate(segs)
