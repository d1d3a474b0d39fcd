"""What the network learned, as numbers: outputs over the input plane, neuron pictures, per-sample results.

Everything here is read-only and Qt-free: it evaluates ``sim.network`` (or a copy
at another parameter vector) with the engine's own forward pass
(:func:`backprop_lab.core.kernel.forward`) in float64, and never changes the
simulation, its timeline or a pending iteration.

Rules the views rely on (documented once, here):

* **Ranges.** The plane and the 1-D curve cover the data (training and test
  inputs together) plus a margin of :data:`MARGIN` (10 %) of the data's extent on
  each side; an axis on which all samples agree gets ±0.5 around that value.
* **Task.** :func:`task_of` decides what the targets mean.  A softmax output is
  classification by ``argmax``.  Several non-softmax outputs are classification by
  ``argmax`` when the targets are one-hot-like (at most two distinct values, and
  one largest entry per row, e.g. 0/1 or 0.01/0.99), else regression.  One output
  is *binary* classification when the targets take exactly two values ``lo < hi``:
  the decision level is their midpoint ``(lo + hi) / 2`` (0.5 for 0/1 targets of a
  sigmoid, 0 for ±1 targets of tanh or linear), an output ≥ the level predicts the
  class of ``hi`` (class 1), below it the class of ``lo`` (class 0).  Any other
  single-output target set is regression (no accuracy, no boundary).
* **Colour scale.** :attr:`Task.centre` and :attr:`Task.half` map an output to
  −1…+1 for a diverging colour map: centre at the decision level (regression: the
  middle of the targets' range), half the distance to the farthest target value.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from .contours import contour_segments
from .errors import ConfigError
from .losses import get_loss
from .network import Network

#: Margin around the data, as a fraction of its extent on each axis.
MARGIN = 0.1

#: Measured redraw cost of the input-space view (see :func:`choose_resolution`):
#: ``cost_ms(r) = COST_FIXED_MS + r² · (COST_PIXEL_MS + COST_PARAM_MS · n_params)``.
COST_FIXED_MS = 2.0
COST_PIXEL_MS = 8.0e-4
COST_PARAM_MS = 8.0e-7
#: Smallest and largest grid edge :func:`choose_resolution` returns.
MIN_RESOLUTION = 24
MAX_RESOLUTION = 100


# -- the task -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Task:
    """What the targets ask for (see the module docstring for the rules).

    Attributes
    ----------
    kind : {"binary", "multiclass", "regression"}
    n_classes : int
        2 for binary, the number of outputs for multiclass, 0 for regression.
    level : float or None
        Decision level of a single output (binary only).
    low, high : float
        Binary: the two target values (class 0 and class 1).  Otherwise the
        smallest and largest target value.
    centre, half : float
        Colour scale of one output: ``(value − centre) / half`` lies in −1…+1
        over the targets' range.
    """

    kind: str
    n_classes: int
    level: float | None
    low: float
    high: float
    centre: float
    half: float

    @property
    def is_classification(self) -> bool:
        return self.kind != "regression"


def _all_targets(sim) -> np.ndarray:
    t = [np.asarray(sim.targets, dtype=np.float64)]
    tt = getattr(sim, "test_targets", None)
    if tt is not None and len(tt):
        t.append(np.asarray(tt, dtype=np.float64))
    return np.concatenate(t)


_task_cache: list = [None, None]  # [(targets, test targets, output activation), Task]


def task_of(sim) -> Task:
    """Classify the simulation's targets as binary, multiclass or regression.

    The answer is remembered for the same (read-only) target arrays, so live views
    do not scan 100,000 targets on every redraw.
    """
    key = (sim.targets, getattr(sim, "test_targets", None), sim.network.activations[-1].name)
    old = _task_cache[0]
    if old is not None and all(a is b for a, b in zip(old[:2], key[:2])) and old[2] == key[2] \
            and not sim.targets.flags.writeable:
        return _task_cache[1]
    task = _task_from_targets(sim)
    _task_cache[:] = [key, task]
    return task


def _task_from_targets(sim) -> Task:
    t = _all_targets(sim)
    net: Network = sim.network
    lo, hi = float(t.min()), float(t.max())
    centre = 0.5 * (lo + hi)
    half = 0.5 * (hi - lo) if hi > lo else 1.0
    n_out = net.sizes[-1]
    values = np.unique(t)
    if n_out > 1:
        one_max = bool(np.all((t == t.max(axis=1, keepdims=True)).sum(axis=1) == 1))
        if net.activations[-1].name == "softmax" or (len(values) <= 2 and one_max):
            return Task("multiclass", n_out, None, lo, hi, centre, half)
        return Task("regression", 0, None, lo, hi, centre, half)
    if len(values) == 2:
        return Task("binary", 2, centre, lo, hi, centre, half)
    return Task("regression", 0, None, lo, hi, centre, half)


def classify(outputs: np.ndarray, task: Task) -> np.ndarray | None:
    """Predicted class per row of *outputs* ``(..., n_L)``; None for regression."""
    if task.kind == "multiclass":
        return np.argmax(outputs, axis=-1)
    if task.kind == "binary":
        return (outputs[..., 0] >= task.level).astype(np.int64)
    return None


def target_classes(targets: np.ndarray, task: Task) -> np.ndarray | None:
    """The class each target row stands for; None for regression."""
    if task.kind == "multiclass":
        return np.argmax(targets, axis=-1)
    if task.kind == "binary":
        return (targets[..., 0] == task.high).astype(np.int64)
    return None


# -- evaluation helpers ----------------------------------------------------------------------------
def network_at(sim, theta: np.ndarray | None = None) -> Network:
    """``sim.network`` itself, or a copy holding *theta* (the simulation is never changed)."""
    if theta is None:
        return sim.network
    net = sim.network.copy()
    theta = np.asarray(theta, dtype=np.float64)
    if theta.shape != net.theta.shape:
        raise ConfigError(f"theta must have {net.n_params} entries, got shape {theta.shape}")
    net.theta[:] = theta
    return net


#: Rows per forward pass over a grid.  Larger products make OpenBLAS start its threads, which on a
#: busy 2-core machine cost more CPU in spinning than they save (measured: 11 ms of CPU for a
#: 10,000-point grid of 2-8-8-1 in one pass, 3.3 ms in blocks of 4,096).
CHUNK_ROWS = 4096


def _forward(net: Network, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The engine's forward pass (``kernel.forward``) over *x*, in blocks of CHUNK_ROWS rows."""
    with np.errstate(all="ignore"):  # saturating activations, as in the engine
        if len(x) <= CHUNK_ROWS:
            return net.forward_pass(x)
        parts = [net.forward_pass(x[k:k + CHUNK_ROWS]) for k in range(0, len(x), CHUNK_ROWS)]
    nets = [np.concatenate([p[0][l] for p in parts]) for l in range(len(parts[0][0]))]
    outs = [np.concatenate([p[1][l] for p in parts]) for l in range(len(parts[0][1]))]
    return nets, outs


def data_range(sim, axis: int, margin: float = MARGIN) -> tuple[float, float]:
    """Range of input *axis* over training and test inputs, widened by *margin* of its extent."""
    xs = [np.asarray(sim.inputs)[:, axis]]
    ti = getattr(sim, "test_inputs", None)
    if ti is not None and len(ti):
        xs.append(np.asarray(ti)[:, axis])
    v = np.concatenate(xs)
    lo, hi = float(v.min()), float(v.max())
    if hi - lo <= 1e-12 * max(1.0, abs(lo)):
        return lo - 0.5, hi + 0.5
    m = margin * (hi - lo)
    return lo - m, hi + m


def _check_resolution(resolution: int, what: str = "resolution") -> int:
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or resolution < 2:
        raise ConfigError(f"{what} must be a whole number ≥ 2, got {resolution!r}")
    return int(resolution)


# -- the input plane ---------------------------------------------------------------------------------
@dataclass
class PlaneGrid:
    """The network evaluated on a grid over its two inputs.

    Attributes
    ----------
    xs, ys : ndarray
        Grid coordinates of input 1 (columns) and input 2 (rows).
    outputs : ndarray
        ``(len(ys), len(xs), n_L)``: ``outputs[r, c] = network.forward([xs[c], ys[r]])``.
    layers : list of ndarray
        ``layers[l - 1]`` is ``(len(ys), len(xs), n_l)``: the outputs of dense layer
        *l* (1 … L) at every grid point (what :func:`neuron_pictures` shows).
    task : Task
    """

    xs: np.ndarray
    ys: np.ndarray
    outputs: np.ndarray
    layers: list[np.ndarray]
    task: Task

    def __iter__(self) -> Iterator[np.ndarray]:
        """Unpacks as ``xs, ys, outputs``."""
        return iter((self.xs, self.ys, self.outputs))

    @property
    def winner(self) -> np.ndarray | None:
        """Predicted class at each grid point (None for regression)."""
        return classify(self.outputs, self.task)

    @property
    def confidence(self) -> np.ndarray:
        """The winning output's value (its probability for softmax) at each grid point."""
        return self.outputs.max(axis=-1)

    @property
    def value(self) -> np.ndarray:
        """The first output at each grid point (the one a single-output network has)."""
        return self.outputs[..., 0]


def plane_grid(sim, resolution: int, *, theta: np.ndarray | None = None, margin: float = MARGIN,
               ny: int | None = None, ranges: tuple[tuple[float, float], tuple[float, float]] | None = None
               ) -> PlaneGrid:
    """The network's outputs over the plane of its two inputs.

    Parameters
    ----------
    sim : Simulation
        A network with exactly two inputs.
    resolution : int
        Grid points along input 1 (and input 2 unless *ny* is given).
    theta : ndarray, optional
        Evaluate at these parameters instead of the current ones.
    margin : float
        Fraction of the data's extent added on each side (:data:`MARGIN`).
    ny : int, optional
        Grid points along input 2 (default: *resolution*).
    ranges : ((x0, x1), (y0, y1)), optional
        Cover this rectangle instead of the data's range (a view shows what is visible).

    Raises
    ------
    ConfigError
        When the network does not have two inputs or the resolution is not ≥ 2.
    """
    net = network_at(sim, theta)
    if net.sizes[0] != 2:
        raise ConfigError(f"the input plane needs a network with 2 inputs, this one has {net.sizes[0]}")
    nx = _check_resolution(resolution)
    ny = nx if ny is None else _check_resolution(ny, "ny")
    if ranges is None:
        ranges = (data_range(sim, 0, margin), data_range(sim, 1, margin))
    (x0, x1), (y0, y1) = ranges
    if not all(np.isfinite([x0, x1, y0, y1])) or x1 <= x0 or y1 <= y0:
        raise ConfigError(f"ranges must be finite and increasing, got {ranges!r}")
    xs = np.linspace(x0, x1, nx)
    ys = np.linspace(y0, y1, ny)
    gx, gy = np.meshgrid(xs, ys)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    _, outs = _forward(net, pts)
    layers = [o.reshape(ny, nx, o.shape[1]) for o in outs[1:]]
    return PlaneGrid(xs, ys, layers[-1], layers, task_of(sim))


def neuron_pictures(sim, resolution: int, *, theta: np.ndarray | None = None,
                    grid: PlaneGrid | None = None) -> dict[tuple[int, int], np.ndarray]:
    """Each hidden and output neuron's activation over the input plane.

    Returns ``{(layer, j): array (ny, nx)}`` with ``layer`` 1 … L as in
    ``Element("neuron", layer, j)``; rows follow input 2, columns input 1 (the
    grid of :func:`plane_grid`, which is reused when *grid* is given).
    """
    g = grid if grid is not None else plane_grid(sim, resolution, theta=theta)
    return {(l + 1, j): g.layers[l][:, :, j] for l in range(len(g.layers)) for j in range(g.layers[l].shape[2])}


def activation_scale(name: str, values: np.ndarray) -> tuple[float, float]:
    """``(centre, half)`` that maps a neuron's activation onto −1…+1 for colouring.

    Bounded activations use their own range (sigmoid and softmax 0…1, tanh −1…1);
    unbounded ones (ReLU, leaky ReLU, linear) are centred at 0 and scaled by the
    largest magnitude in *values*, so the picture always shows its structure.
    """
    if name in ("sigmoid", "softmax"):
        return 0.5, 0.5
    if name == "tanh":
        return 0.0, 1.0
    m = float(np.max(np.abs(values))) if np.size(values) else 0.0
    return 0.0, (m if math.isfinite(m) and m > 0 else 1.0)


def curve_1d(sim, n: int, *, theta: np.ndarray | None = None,
             margin: float = MARGIN) -> tuple[np.ndarray, np.ndarray]:
    """The function a 1-input network computes, over the data's range: ``(xs (n,), outputs (n, n_L))``."""
    net = network_at(sim, theta)
    if net.sizes[0] != 1:
        raise ConfigError(f"the curve needs a network with 1 input, this one has {net.sizes[0]}")
    xs = np.linspace(*data_range(sim, 0, margin), _check_resolution(n, "n"))
    _, outs = _forward(net, xs[:, None])
    return xs, outs[-1]


def boundary_segments(grid: PlaneGrid) -> np.ndarray:
    """Where the predicted class changes on *grid* (``(K, 2, 2)`` segments; empty for regression).

    One output: the contour at the decision level.  Several: for each class c the
    zero contour of ``out_c − max_{k≠c} out_k`` (the edge of the region c wins).
    """
    task = grid.task
    if task.kind == "binary":
        return contour_segments(grid.xs, grid.ys, grid.value, task.level)
    if task.kind != "multiclass":
        return np.empty((0, 2, 2))
    out = grid.outputs
    part = np.partition(out, -2, axis=-1)
    first, second = part[..., -1], part[..., -2]
    segs = []
    for c in range(out.shape[-1]):
        others = np.where(out[..., c] >= first, second, first)  # the best of the other classes
        segs.append(contour_segments(grid.xs, grid.ys, out[..., c] - others, 0.0))
    return np.concatenate(segs)


def redraw_cost_ms(n_params: int, pixels: int) -> float:
    """The cost model's estimate of one input-space redraw over *pixels* grid points (ms)."""
    return COST_FIXED_MS + pixels * (COST_PIXEL_MS + COST_PARAM_MS * max(int(n_params), 0))


def choose_resolution(n_params: int, budget_ms: float, *, lo: int = MIN_RESOLUTION,
                      hi: int = MAX_RESOLUTION) -> int:
    """Largest grid edge r whose input-space redraw fits in *budget_ms*, from a measured cost model.

    ``cost_ms(r) = COST_FIXED_MS + r² · (COST_PIXEL_MS + COST_PARAM_MS · n_params)``
    (:func:`redraw_cost_ms`): the per-pixel term is colouring, the boundary and
    drawing the image, the per-parameter term the forward pass (about one
    multiply-add per weight per grid point).  The constants come from CPU times of
    single-threaded redraws on the project's 2-core machines (``benchmarks/insight.py``,
    networks 2-h-h-1 with h = 8 … 128, grids 30² … 120²).  Machines and their load
    differ, so the view also rescales *budget_ms* by the ratio of its measured to its
    predicted redraw time.  The result is clamped
    to ``[lo, hi]``: never below *lo*, so a huge network still gets a readable
    picture; never above *hi*, beyond which a smoothly scaled image looks no better.
    """
    if isinstance(budget_ms, bool) or not isinstance(budget_ms, (int, float)) or not math.isfinite(budget_ms) \
            or budget_ms <= 0:
        raise ConfigError(f"budget_ms must be a positive number, got {budget_ms!r}")
    per = COST_PIXEL_MS + COST_PARAM_MS * max(int(n_params), 0)
    room = budget_ms - COST_FIXED_MS
    r = int(math.sqrt(room / per)) if room > 0 else lo
    return max(lo, min(hi, r))


# -- samples -------------------------------------------------------------------------------------------
@dataclass
class SampleTable:
    """Per-sample results on one data set.

    Attributes
    ----------
    inputs, targets, outputs : ndarray
        ``(N, n_0)``, ``(N, n_L)``, ``(N, n_L)``.
    loss : ndarray
        ``(N,)``: each sample's loss (the training loss's per-sample term).
    predicted, target_class : ndarray or None
        ``(N,)`` int class indices (None for regression).
    correct : ndarray or None
        ``(N,)`` bool, ``predicted == target_class`` (None for regression).
    task : Task
    """

    inputs: np.ndarray
    targets: np.ndarray
    outputs: np.ndarray
    loss: np.ndarray
    predicted: np.ndarray | None
    target_class: np.ndarray | None
    correct: np.ndarray | None
    task: Task

    def __len__(self) -> int:
        return len(self.inputs)

    @property
    def accuracy(self) -> float | None:
        """Fraction right, or None for regression."""
        return None if self.correct is None else float(self.correct.mean())


def _data(sim, which: str) -> tuple[np.ndarray, np.ndarray] | None:
    if which == "train":
        return np.asarray(sim.inputs), np.asarray(sim.targets)
    if which == "test":
        x, t = getattr(sim, "test_inputs", None), getattr(sim, "test_targets", None)
        return None if x is None or t is None or len(x) == 0 else (np.asarray(x), np.asarray(t))
    raise ConfigError(f"which must be 'train' or 'test', got {which!r}")


def sample_table(sim, which: str = "train", *, theta: np.ndarray | None = None,
                 task: Task | None = None) -> SampleTable | None:
    """Inputs, targets, outputs, loss, predicted class and right/wrong of every sample.

    *which* is ``"train"`` or ``"test"``; None when there is no test set.  The loss
    is the one training minimises (``sim.settings.loss``), per sample.
    """
    data = _data(sim, which)
    if data is None:
        return None
    x, t = data
    net = network_at(sim, theta)
    task = task or task_of(sim)
    nets, outs = _forward(net, x)
    with np.errstate(all="ignore"):
        terms = get_loss(sim.settings.loss).terms(nets[-1], outs[-1], t, net.activations[-1])
    pred, cls = classify(outs[-1], task), target_classes(t, task)
    correct = None if pred is None else pred == cls
    return SampleTable(x, t, outs[-1], terms.sum(axis=1), pred, cls, correct, task)


def accuracy(sim, which: str = "train", *, theta: np.ndarray | None = None) -> float | None:
    """Fraction of samples classified right (module docstring: argmax or the decision level).

    None for regression, and for ``which="test"`` without a test set.
    """
    table = sample_table(sim, which, theta=theta)
    return None if table is None else table.accuracy


from .landscape import (  # noqa: E402
    ThetaHistory,
    auto_span,
    base_theta,
    loss_along,
    loss_surface,
    next_point,
    param_index,
    path_through,
    tangent,
    traceable,
)
from .runs import RunRecord, RunsModel, describe_difference  # noqa: E402

__all__ = [
    "MARGIN", "CHUNK_ROWS", "Task", "task_of", "classify", "target_classes", "network_at", "data_range",
    "PlaneGrid", "plane_grid", "neuron_pictures", "activation_scale", "curve_1d", "contour_segments",
    "boundary_segments", "choose_resolution", "redraw_cost_ms", "SampleTable", "sample_table", "accuracy",
    "ThetaHistory", "auto_span", "base_theta", "loss_along", "loss_surface", "next_point", "param_index",
    "path_through", "tangent", "traceable", "RunRecord", "RunsModel", "describe_difference",
]
