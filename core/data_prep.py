"""Preparing data for training: validation, a seeded train/test split, input scaling, target checks."""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from .activations import ACTIVATIONS
from .errors import DataError
from .numbers import number_problem

Array = np.ndarray

#: The same limit as state files: at most this many samples.
MAX_SAMPLES = 100_000
#: Input scaling methods understood by :func:`scale_inputs`.
SCALING_METHODS: tuple[str, ...] = ("none", "minmax", "standardise")
#: Tolerance of the "softmax targets sum to 1" check: ``|Σ_k t_k − 1| ≤ SUM_TOLERANCE``.
SUM_TOLERANCE = 1e-9


def as_matrix(values: object, what: str) -> Array:
    """*values* as a 2-D, finite, C-contiguous float64 array (a copy).

    Parameters
    ----------
    values : array_like
        A list of rows or a 2-D array; a 1-D sequence is refused (ambiguous).
    what : str
        Name used in messages, e.g. ``"inputs"``.

    Raises
    ------
    DataError
        Not numeric, not 2-D, empty, or with a NaN/infinite entry (the message
        names the sample and the column, counting from 1).
    """
    try:
        raw = np.asarray(values)
        _check_numeric(raw, what)
        a = np.array(raw, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as e:
        if isinstance(e, DataError):
            raise
        raise DataError(f"{what}: not a table of numbers ({e})") from None
    if a.ndim != 2:
        raise DataError(f"{what}: expected a 2-D table (samples × columns), got {a.ndim} dimension(s)")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise DataError(f"{what}: empty ({a.shape[0]} samples × {a.shape[1]} columns)")
    bad = np.argwhere(~np.isfinite(a))
    if len(bad):
        r, c = (int(v) for v in bad[0])
        raise DataError(f"{what}: sample #{r + 1}, column {c + 1}: {float(a[r, c])!r} is not a finite number",
                        row=r, column=c)
    return np.ascontiguousarray(a)


def _check_numeric(raw: Array, what: str) -> None:
    """Refuse text and other non-numbers *before* numpy converts them (it would read "1_000" as 1000.0)."""
    if raw.dtype.kind in "biuf" or raw.size == 0:
        return
    flat = [v.item() if isinstance(v, np.generic) else v for v in raw.flat]
    if raw.dtype.kind == "O":
        bad = [k for k, v in enumerate(flat)
               if isinstance(v, (str, bytes)) or not isinstance(v, (numbers.Real, Decimal))]
    elif raw.dtype.kind in "US":  # numpy made every entry text: name one that is not even number-like
        bad = [k for k, v in enumerate(flat) if number_problem(str(v))] or [0]
    else:  # complex numbers, dates, ...
        bad = [0]
    if not bad:
        return
    k = bad[0]
    where = f"sample #{k // raw.shape[1] + 1}, column {k % raw.shape[1] + 1}: " if raw.ndim == 2 else ""
    why = "is text, not a number" if isinstance(flat[k], (str, bytes)) else "is not a real number"
    raise DataError(f"{what}: {where}{flat[k]!r} {why}", row=k // raw.shape[1] if raw.ndim == 2 else None,
                    column=k % raw.shape[1] if raw.ndim == 2 else None)


def as_dataset(inputs: object, targets: object) -> tuple[Array, Array]:
    """Validated float64 copies of *inputs* and *targets* with the same number of samples.

    Raises
    ------
    DataError
        See :func:`as_matrix`; also different sample counts or more than
        :data:`MAX_SAMPLES` samples.
    """
    x, t = as_matrix(inputs, "inputs"), as_matrix(targets, "targets")
    if len(x) != len(t):
        raise DataError(f"{len(x)} input rows but {len(t)} target rows")
    if len(x) > MAX_SAMPLES:
        raise DataError(f"{len(x)} samples; the limit is {MAX_SAMPLES:,}")
    return x, t


def check_seed(seed: object, what: str = "seed") -> int:
    """*seed* as an int ≥ 0 for ``numpy.random.default_rng``; :class:`DataError` otherwise."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DataError(f"{what} must be an integer ≥ 0, got {seed!r}")
    return int(seed)


# -- train/test split -------------------------------------------------------------------------
def n_test_samples(n: int, test_fraction: float) -> int:
    """How many of *n* samples a split with *test_fraction* holds out: ``ceil(n · fraction)``.

    The product is rounded to 9 decimals first: 100 · 0.07 is 7.000000000000001 in floating
    point, which must give 7, not 8.
    """
    return math.ceil(round(n * float(test_fraction), 9))


def split_problem(n: int, test_fraction: float) -> str:
    """Why a split of *n* samples with *test_fraction* leaves no training sample ("" when it does not)."""
    if n_test_samples(n, test_fraction) >= n:
        return f"a test fraction of {test_fraction:g} of {n:,} sample(s) leaves no training samples"
    return ""


def train_test_split(inputs: object, targets: object, test_fraction: float,
                     seed: int = 0) -> tuple[Array, Array, Array, Array]:
    """Split the samples at random into a training and a test set.

    The test set has ``ceil(n · test_fraction)`` samples (as scikit-learn
    counts), drawn by ``numpy.random.default_rng(seed).permutation(n)``; both
    parts keep the samples in their original relative order, so a table of the
    training set reads like the full table with some rows taken out.

    Parameters
    ----------
    inputs, targets : array_like
        2-D tables with one row per sample.
    test_fraction : float
        In [0, 1). 0 gives an empty test set (shape ``(0, columns)``).
    seed : int
        Seed (≥ 0); the same seed gives the same split.

    Returns
    -------
    x_train, t_train, x_test, t_test : numpy.ndarray
        float64 copies.

    Raises
    ------
    DataError
        A fraction outside [0, 1), a bad seed, bad data, or a split that
        would leave the training set empty (e.g. 1 sample with a fraction > 0).
    """
    x, t = as_dataset(inputs, targets)
    if (isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float, np.floating))
            or not 0.0 <= test_fraction < 1.0):
        raise DataError(f"test fraction must be a number in [0, 1), got {test_fraction!r}")
    seed = check_seed(seed)
    n = len(x)
    why = split_problem(n, test_fraction)
    if why:
        raise DataError(why)
    n_test = n_test_samples(n, test_fraction)
    order = np.random.default_rng(seed).permutation(n)
    test = np.sort(order[:n_test])
    train = np.sort(order[n_test:])
    return x[train], t[train], x[test], t[test]


# -- input scaling ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ScalingParams:
    """An input transform ``x' = (x − offset) / scale``, column by column.

    ``minmax``: offset = column minimum, scale = maximum − minimum (to [0, 1]);
    ``standardise``: offset = mean, scale = population standard deviation
    (ddof = 0); ``none``: offset 0, scale 1. A constant column gets scale 1,
    so it becomes all zeros instead of a division by zero.
    """

    method: str
    offset: Array
    scale: Array

    def formulas(self, names: list[str] | None = None, digits: int = 6) -> list[str]:
        """One readable line per column, e.g. ``x1' = (x1 − 0.5) / 2``."""
        names = names or [f"x{j + 1}" for j in range(len(self.offset))]
        return [f"{n}' = ({n} − {o:.{digits}g}) / {s:.{digits}g}" if self.method != "none" else f"{n}' = {n}"
                for n, o, s in zip(names, self.offset, self.scale)]


def scale_inputs(inputs: object, method: str,
                 reference: object | None = None) -> tuple[Array, ScalingParams]:
    """Scale input columns; return the scaled copy and the parameters used.

    Parameters
    ----------
    inputs : array_like
        2-D table, one row per sample.
    method : {"none", "minmax", "standardise"}
        ``minmax`` maps each column of the reference onto [0, 1];
        ``standardise`` to mean 0 and (population) standard deviation 1.
    reference : array_like, optional
        Compute the parameters from this table instead (e.g. the training set
        when scaling a test set the same way). Same number of columns.

    Returns
    -------
    scaled : numpy.ndarray
    params : ScalingParams
        Pass to :func:`apply_scaling` to transform other data identically.

    Raises
    ------
    DataError
        Unknown method, bad tables, or a result that is not finite.
    """
    if method not in SCALING_METHODS:
        raise DataError(f"unknown scaling method {method!r}; expected one of {list(SCALING_METHODS)}")
    x = as_matrix(inputs, "inputs")
    ref = x if reference is None else as_matrix(reference, "reference")
    if ref.shape[1] != x.shape[1]:
        raise DataError(f"the reference has {ref.shape[1]} columns, the inputs {x.shape[1]}")
    with np.errstate(all="ignore"):  # overflow is reported below as a DataError, never a warning
        if method == "minmax":
            offset, scale = ref.min(axis=0), ref.max(axis=0) - ref.min(axis=0)
        elif method == "standardise":
            offset, scale = ref.mean(axis=0), ref.std(axis=0)
        else:
            offset, scale = np.zeros(x.shape[1]), np.ones(x.shape[1])
    scale = np.where(scale == 0.0, 1.0, scale)
    params = ScalingParams(method, offset, scale)
    return apply_scaling(x, params), params


def apply_scaling(inputs: object, params: ScalingParams) -> Array:
    """Apply a transform made by :func:`scale_inputs` to *inputs* (a copy).

    Raises
    ------
    DataError
        Wrong number of columns, bad table, or a non-finite result (overflow).
    """
    x = as_matrix(inputs, "inputs")
    if x.shape[1] != len(params.offset):
        raise DataError(f"the scaling is for {len(params.offset)} columns, the inputs have {x.shape[1]}")
    if params.method == "none":
        return x
    with np.errstate(all="ignore"):
        out = (x - params.offset) / params.scale
    if not np.isfinite(out).all() or not (np.isfinite(params.offset).all() and np.isfinite(params.scale).all()):
        raise DataError(f"{params.method} scaling overflows: the values are too large to scale")
    return out


# -- target checks ----------------------------------------------------------------------------
def target_problem(targets: Array, loss: str, output_activation: str) -> tuple[int, int | None, str] | None:
    """The first target *loss* cannot take: ``(sample, column, reason)``, or None when all fit.

    The rule of :func:`check_targets` for a finite 2-D table (e.g. one sample's
    row with an edited value): with cross-entropy every entry within [0, 1] and,
    with a softmax output, each row summing to 1 within :data:`SUM_TOLERANCE`.
    *column* is None when the problem is a row's sum; *reason* names the value.
    """
    if loss != "cross_entropy":
        return None
    t = np.asarray(targets, dtype=np.float64)
    outside = np.argwhere((t < 0.0) | (t > 1.0))
    if len(outside):
        r, c = (int(v) for v in outside[0])
        return r, c, (f"{float(t[r, c])!r} is outside [0, 1], which cross-entropy with a {output_activation} "
                      f"output needs")
    if output_activation == "softmax":
        sums = t.sum(axis=1)
        off = np.flatnonzero(np.abs(sums - 1.0) > SUM_TOLERANCE)
        if len(off):
            r = int(off[0])
            return r, None, (f"the targets sum to {float(sums[r])!r}; softmax with cross-entropy needs one-hot "
                             f"rows or distributions summing to 1")
    return None


def check_targets(targets: object, loss: str, output_activation: str) -> None:
    """Check that *targets* suit the loss and the output layer's activation.

    - ``mse``: any finite numbers.
    - ``cross_entropy`` with ``sigmoid``: every entry within [0, 1].
    - ``cross_entropy`` with ``softmax``: every entry within [0, 1] and each
      row one-hot or a distribution, ``|Σ_k t_k − 1| ≤ 1e-9`` (:data:`SUM_TOLERANCE`).

    Raises
    ------
    DataError
        Naming the sample (``sample #3``, from 1) and, for an entry, the column;
        :attr:`DataError.row` / :attr:`DataError.column` hold the 0-based indices.
        Also for an unknown loss or activation, or cross-entropy with another
        output activation.
    """
    if loss not in ("mse", "cross_entropy"):
        raise DataError(f"unknown loss {loss!r}; expected 'mse' or 'cross_entropy'")
    if output_activation not in ACTIVATIONS:
        raise DataError(f"unknown activation {output_activation!r}; expected one of {sorted(ACTIVATIONS)}")
    t = as_matrix(targets, "targets")
    if loss == "cross_entropy" and output_activation not in ("sigmoid", "softmax"):
        raise DataError(f"cross-entropy needs a sigmoid or softmax output layer, not {output_activation}")
    problem = target_problem(t, loss, output_activation)
    if problem is not None:
        r, c, reason = problem
        where = f"sample #{r + 1}" + (f", target {c + 1}" if c is not None else "")
        raise DataError(f"{where}: {reason}", row=r, column=c)
