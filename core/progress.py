"""Checks that saved progress (counters, loss history, optimizer state) is consistent before it is restored."""
from __future__ import annotations

from typing import Any

import numpy as np

from .errors import ConfigError
from .history import SERIES, Buckets, as_buckets, reduced_problem
from .optimizer import OptimizerState
from .settings import TrainingSettings


def _count(v: Any, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
        raise ConfigError(f"{what} must be a whole number ≥ 0, got {v!r}")
    return int(v)


def _vector(v: Any, what: str, n: int | None = None, finite: bool = False) -> np.ndarray:
    try:
        a = np.array(v, dtype=np.float64, ndmin=1)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} must be a list of numbers") from None
    if a.ndim != 1 or (n is not None and len(a) != n):
        raise ConfigError(f"{what} must hold {n if n is not None else 'a list of'} numbers, got shape {a.shape}")
    if finite and not np.isfinite(a).all():
        raise ConfigError(f"{what} contains NaN or infinite values")
    return a


def check_progress(n_samples: int, n_params: int, settings: TrainingSettings, iteration: Any, epoch: Any,
                   position: Any, batch_loss: Any, epoch_loss: Any, epoch_end: Any,
                   optimizer_state: dict | None, test_loss: Any,
                   reduced: dict | None = None) -> tuple[tuple, OptimizerState]:
    """Validate saved progress; return ``((batch, epoch, end, test, reduced), optimizer state)``.

    *reduced* maps series names (:data:`~.history.SERIES`) to the buckets of the history's reduced
    part (:class:`~.history.Buckets` or dicts); the lists then hold the entries after them.
    Raises :class:`ConfigError` saying which value disagrees with what.
    """
    it, ep, pos = _count(iteration, "iteration"), _count(epoch, "epoch"), _count(position, "position")
    if pos >= n_samples:
        raise ConfigError(f"position must be less than the number of samples ({n_samples}), got {pos}")
    red = _reduced(reduced or {})
    bl = _vector(batch_loss if len(batch_loss) else np.empty(0), "batch_loss")
    done = red["batch_loss"].covered if "batch_loss" in red else 0
    if len(bl) + done != it:
        after = f" after the {done} reduced ones" if done else ""
        raise ConfigError(f"batch_loss must have one entry per iteration{after} ({it - done}), got {len(bl)}")
    el = _vector(epoch_loss if len(epoch_loss) else np.empty(0), "epoch_loss")
    ee_raw = np.array(epoch_end if len(epoch_end) else np.empty(0, dtype=np.int64), ndmin=1)
    if len(ee_raw) != len(el):
        raise ConfigError(f"epoch_end must have one entry per epoch loss ({len(el)}), got {len(ee_raw)}")
    e_done = red["epoch_loss"].covered if "epoch_loss" in red else 0
    if len(el) + e_done > ep:
        raise ConfigError(f"epoch_loss has {len(el) + e_done} entries but only {ep} epochs are complete")
    if len(ee_raw) and (not np.all(np.equal(np.mod(ee_raw, 1), 0)) or ee_raw.min() < 1):
        raise ConfigError("epoch_end must hold iteration numbers ≥ 1")
    ee = ee_raw.astype(np.int64)
    if np.any(np.diff(ee) < 0):
        raise ConfigError("epoch_end must not decrease")
    if len(ee) and ee[-1] > it:
        raise ConfigError(f"an epoch ends after iteration {int(ee[-1])}, later than the current one ({it})")
    if test_loss is None:
        tl = np.full(len(el), np.nan)
    else:
        tl = _vector(test_loss if len(test_loss) else np.empty(0), "test_loss")
        if len(tl) != len(el):
            raise ConfigError(f"test_loss must have one entry per epoch loss ({len(el)}), got {len(tl)}")
    problem = reduced_problem(red, ee, it)
    if problem:
        raise ConfigError(f"{problem[0]}: {problem[1]}")
    return (bl, el, ee, tl, red), _optimizer_state(settings, n_params, optimizer_state or {})


def _reduced(reduced: dict) -> dict[str, Buckets]:
    if not isinstance(reduced, dict) or not set(reduced) <= set(SERIES):
        raise ConfigError(f"reduced must map some of {', '.join(SERIES)} to buckets")
    out = {k: as_buckets(v, np.int64 if k == "epoch_end" else np.float64) for k, v in reduced.items()}
    return {k: b for k, b in out.items() if len(b)}


def _optimizer_state(settings: TrainingSettings, n: int, saved: dict) -> OptimizerState:
    """The state the settings need, from *saved* where it is there (missing parts start at zero)."""
    unknown = set(saved) - {"velocity", "m", "v", "t"}
    if unknown:
        raise ConfigError(f"unknown optimizer state {sorted(unknown)}")
    state = OptimizerState.fresh(settings, n)
    if settings.optimizer == "adam":
        if "m" in saved or "v" in saved or "t" in saved:
            if not all(k in saved for k in ("m", "v", "t")):
                raise ConfigError("Adam's state needs m, v and t together")
            state.m = _vector(saved["m"], "optimizer m", n, finite=True)
            state.v = _vector(saved["v"], "optimizer v", n, finite=True)
            if (state.v < 0).any():
                raise ConfigError("Adam's v must not be negative")
            state.t = _count(saved["t"], "optimizer t")
    elif settings.momentum != 0.0 and saved.get("velocity") is not None:
        state.velocity = _vector(saved["velocity"], "optimizer velocity", n, finite=True)
    return state
