"""Reducing a long loss history for drawing, incrementally, without losing a spike (Qt-free)."""
import numpy as np

from backprop_lab.gui.decimate import Decimator, decimate


def test_incremental_bins_keep_every_extreme_and_stay_bounded():
    rng = np.random.default_rng(7)
    y = rng.random(200_000)
    y[[5, 77_777, 199_998]] = [9.0, -3.0, 7.5]
    y[1234] = np.nan  # a gap (log scale of a zero) must not hide its bin's other points
    d = Decimator(3000)
    for end in (10, 2_999, 3_001, 50_000, 123_456, 200_000):  # a run that grows in uneven chunks
        xs, ys = d.extend(y[:end])
        assert len(xs) == len(ys) <= 3000 + d.per
        assert np.all(np.diff(xs) > 0)  # in order, no point twice
        assert xs[0] >= 1 and xs[-1] == end  # x is the 1-based iteration; the newest point is always drawn
        seen = y[:end]
        assert np.nanmax(ys) == np.nanmax(seen) and np.nanmin(ys) == np.nanmin(seen)
        for x, v in zip(xs, ys):  # every drawn point is a real one, at its own iteration
            assert v == y[int(x) - 1] or (np.isnan(v) and np.isnan(y[int(x) - 1]))
    assert xs[np.argmax(np.nan_to_num(ys, nan=-1))] == 6 and xs[np.argmin(np.nan_to_num(ys, nan=1))] == 77_778
    # built at once or step by step: the same bins
    once = Decimator(3000)
    assert [a.tolist() for a in once.extend(y)] == [xs.tolist(), ys.tolist()]


def test_a_rewritten_history_is_noticed():
    y = np.arange(10_000, dtype=float)
    d = Decimator(3000)
    d.extend(y)
    assert d.fits(y) and d.fits(np.concatenate([y, [1.0]]))
    assert not d.fits(y[:5000])  # stepped back
    z = y.copy()
    z[int(d.imin[-1])] = -1.0  # stepped back and forward on a different path
    assert not d.fits(z)


def test_full_decimation_keeps_order_and_extremes():
    x = np.arange(10_000.0)
    dx, dy = decimate(x, np.sin(x), 1000)
    assert np.all(np.diff(dx) >= 0) and len(dx) <= 1000 + 10
    assert dy.max() == np.sin(x).max() and dy.min() == np.sin(x).min()
