"""Dataset generators (logic gates, TensorFlow Playground's 2-D sets, blobs, 1-D curves, n-D sets) and the data API.

``make(name, n_samples, noise, seed, **options)`` returns ``(inputs, targets)``
as float64 arrays; every draw comes from ``numpy.random.default_rng(seed)``.
This module also re-exports the rest of the data API (splitting, scaling,
target checks, CSV) so that scripts need a single import.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from .csv_io import (
    MAX_CSV_BYTES,
    MAX_CSV_COLUMNS,
    MAX_CSV_ROWS,
    CSVData,
    preview_csv,
    read_csv,
    read_csv_data,
    write_csv,
)
from .data_prep import (
    MAX_SAMPLES,
    SCALING_METHODS,
    SUM_TOLERANCE,
    ScalingParams,
    apply_scaling,
    as_dataset,
    check_seed,
    check_targets,
    n_test_samples,
    scale_inputs,
    split_problem,
    target_problem,
    train_test_split,
)
from .errors import CSVError, DataError

Array = np.ndarray

__all__ = [
    "DatasetInfo", "make", "names", "info", "describe", "output_size", "input_size", "min_samples", "encoding_for",
    "train_test_split", "scale_inputs", "apply_scaling", "ScalingParams", "SCALING_METHODS", "check_targets",
    "target_problem", "n_test_samples", "split_problem", "MAX_DEGREE",
    "SUM_TOLERANCE", "as_dataset", "read_csv", "read_csv_data", "preview_csv", "write_csv", "CSVData",
    "MAX_CSV_BYTES", "MAX_CSV_COLUMNS", "MAX_CSV_ROWS", "MAX_SAMPLES", "MAX_CLASSES", "DataError", "CSVError",
    "xor", "moons", "blobs", "ANY_INPUTS", "MAX_INPUTS", "takes_any_inputs", "any_inputs_set",
]

#: Most classes ``make("blobs", classes=…)`` draws.
MAX_CLASSES = 20
#: Most ``degree`` of ``make("polynomial", degree=…)``.
MAX_DEGREE = 10
#: Most ``inputs`` of the sets that take any number of inputs (:data:`ANY_INPUTS`).
MAX_INPUTS = 64
#: The sets whose number of inputs is an option (``inputs=n``): one per kind, classification first.
ANY_INPUTS = ("clusters", "linear")


# -- the examples' fixed generators (scripts/make_examples.py; outputs must never change) ----
def xor() -> tuple[Array, Array]:
    """The four XOR points and targets."""
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return x, np.array([[0.0], [1.0], [1.0], [0.0]])


def moons(n: int, rng: np.random.Generator, noise: float = 0.1) -> tuple[Array, Array]:
    """Two interleaved half circles; targets −1 and +1 (for a tanh output)."""
    n1 = n // 2
    a = rng.uniform(0, np.pi, n1)
    b = rng.uniform(0, np.pi, n - n1)
    x = np.concatenate([np.c_[np.cos(a), np.sin(a)], np.c_[1 - np.cos(b), 0.5 - np.sin(b)]])
    x += rng.normal(0, noise, x.shape)
    t = np.concatenate([-np.ones(n1), np.ones(n - n1)])[:, None]
    order = rng.permutation(n)
    return x[order], t[order]


def blobs(n: int, rng: np.random.Generator, k: int = 3, spread: float = 0.35) -> tuple[Array, Array]:
    """*k* Gaussian clusters on a circle; one-hot targets."""
    centers = np.c_[np.cos(2 * np.pi * np.arange(k) / k), np.sin(2 * np.pi * np.arange(k) / k)]
    labels = rng.integers(0, k, n)
    x = centers[labels] + rng.normal(0, spread, (n, 2))
    return x, np.eye(k)[labels]


# -- generators of make() ---------------------------------------------------------------------
# Each returns (inputs, targets) in the set's natural encoding: class labels 0/1 (one-hot for
# blobs) for classification, values in [−1, 1] (before noise) for the regression curves.
_GATES = {"and": (0, 0, 0, 1), "or": (0, 1, 1, 1), "xor": (0, 1, 1, 0), "xnor": (1, 0, 0, 1)}
_CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def _gate(table: tuple[int, ...]) -> Callable[..., tuple[Array, Array]]:
    def gen(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
        idx = np.arange(n) % 4
        x = _CORNERS[idx].copy()
        # The first four rows stay the exact truth table; only the copies are jittered.
        if n > 4:
            x[4:] += rng.normal(0.0, noise, (n - 4, 2))
        return x, np.array(table, dtype=np.float64)[idx][:, None]
    return gen


def _worked_example(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    return np.array([[0.05, 0.10]]), np.array([[0.01, 0.99]])


def _circle(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    # Playground's classifyCircleData scaled by 1/5: radius 1, class 1 inside r < 0.5.
    n_in = n // 2
    r = np.concatenate([rng.uniform(0.0, 0.5, n_in), rng.uniform(0.7, 1.0, n - n_in)])
    angle = rng.uniform(0.0, 2 * np.pi, n)
    x = np.c_[r * np.sin(angle), r * np.cos(angle)]
    # The label comes from a jittered copy of the point (label noise near the edge, as the Playground).
    jitter = rng.uniform(-1.0, 1.0, (n, 2)) * noise
    label = (np.hypot(*(x + jitter).T) < 0.5).astype(np.float64)
    return _shuffled(x, label[:, None], rng)


def _xor_quadrants(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    # Playground's classifyXORData scaled by 1/5, kept within [−1, 1]: |coordinate| ≥ 0.05.
    mag = rng.uniform(0.05, 1.0, (n, 2))
    x = mag * rng.choice([-1.0, 1.0], (n, 2))
    jitter = rng.uniform(-1.0, 1.0, (n, 2)) * noise
    noisy = x + jitter
    label = (noisy[:, 0] * noisy[:, 1] >= 0).astype(np.float64)
    return x, label[:, None]


def _gaussians(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    n1 = n // 2
    sigma = 0.1 + noise / 2
    centre = np.r_[np.tile([0.5, 0.5], (n1, 1)), np.tile([-0.5, -0.5], (n - n1, 1))]
    x = centre + rng.normal(0.0, sigma, (n, 2))
    label = np.r_[np.ones(n1), np.zeros(n - n1)]
    return _shuffled(x, label[:, None], rng)


def _spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    # Playground's classifySpiralData scaled by 1/5: two arms of 1.75 turns, radius 0 → 1;
    # arm 0 is arm 1 turned by π (point for point, before noise).
    parts = []
    for m, turn, label in ((n // 2, 0.0, 1.0), (n - n // 2, np.pi, 0.0)):
        r = np.arange(m) / max(m, 1)
        t = 1.75 * 2 * np.pi * r + turn
        xy = np.c_[r * np.sin(t), r * np.cos(t)] + rng.uniform(-1.0, 1.0, (m, 2)) * noise / 5
        parts.append((xy, np.full((m, 1), label)))
    x = np.concatenate([p[0] for p in parts])
    return _shuffled(x, np.concatenate([p[1] for p in parts]), rng)


def _blobs(n: int, noise: float, rng: np.random.Generator, classes: int = 3) -> tuple[Array, Array]:
    angle = 2 * np.pi * np.arange(classes) / classes
    centres = 0.7 * np.c_[np.cos(angle), np.sin(angle)]
    label = np.arange(n) % classes  # balanced: the counts differ by at most one
    x = centres[label] + rng.normal(0.0, 0.1 + noise / 2, (n, 2))
    return _shuffled(x, np.eye(classes)[label], rng)


def _clusters(n: int, noise: float, rng: np.random.Generator, inputs: int = 3) -> tuple[Array, Array]:
    # The Two Gaussians set in any number of dimensions: centres ±0.5 on every axis, so the classes are
    # √inputs apart and a single neuron (a plane between them) separates them.
    n1 = n // 2
    centre = np.r_[np.full((n1, inputs), 0.5), np.full((n - n1, inputs), -0.5)]
    x = centre + rng.normal(0.0, 0.1 + noise / 2, (n, inputs))
    label = np.r_[np.ones(n1), np.zeros(n - n1)]
    return _shuffled(x, label[:, None], rng)


def _linear(n: int, noise: float, rng: np.random.Generator, inputs: int = 3) -> tuple[Array, Array]:
    # Random weights scaled so that Σ|w| = 1: with x in [−1, 1]ⁿ the target stays in [−1, 1] (before noise).
    w = rng.normal(0.0, 1.0, inputs)
    w /= np.abs(w).sum()
    x = rng.uniform(-1.0, 1.0, (n, inputs))
    return x, (x @ w + rng.normal(0.0, noise, n))[:, None]


def _curve(f: Callable[..., Array]) -> Callable[..., tuple[Array, Array]]:
    def gen(n: int, noise: float, rng: np.random.Generator, **opts: Any) -> tuple[Array, Array]:
        x = rng.uniform(-1.0, 1.0, n)
        y = f(x, **opts) + rng.normal(0.0, noise, n)
        return x[:, None], y[:, None]
    return gen


def _chebyshev(x: Array, degree: int = 3) -> Array:
    # T_0 = 1, T_1 = x, T_{k+1} = 2x·T_k − T_{k−1}: stays within [−1, 1] on [−1, 1].
    prev, cur = np.ones_like(x), x.copy()
    for _ in range(degree - 1):
        prev, cur = cur, 2 * x * cur - prev
    return cur


def _moons01(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    x, t = moons(n, rng, noise)
    return x, (t + 1.0) / 2.0  # moons() gives −1/+1


def _shuffled(x: Array, t: Array, rng: np.random.Generator) -> tuple[Array, Array]:
    order = rng.permutation(len(x))
    return x[order], t[order]


# -- the registry -----------------------------------------------------------------------------
@dataclass(frozen=True)
class DatasetInfo:
    """What a generator makes, for documentation and for the GUI's list.

    Attributes
    ----------
    name : str
        The key for :func:`make`.
    title : str
        A short label.
    description : str
        One or two sentences for a list or a tooltip.
    kind : {"pattern", "classification", "regression"}
    n_inputs : int
        Input columns.
    inputs : str
        The input range.
    targets : str
        The target encoding.
    noise : str
        What ``noise`` does.
    default_samples, default_noise
        What :func:`make` uses when they are not given.
    options : Mapping
        Extra options and their defaults (``targets`` = the default encoding).
    suggested_output, suggested_loss : str
        An output activation and a loss that fit the default encoding.
    fixed_samples : bool
        True when the sample count cannot be chosen (the worked example).
    any_inputs : bool
        True when the number of inputs is the option ``inputs`` (*n_inputs*
        is its default).
    """

    name: str
    title: str
    description: str
    kind: str
    n_inputs: int
    inputs: str
    targets: str
    noise: str
    default_samples: int
    default_noise: float
    options: Mapping[str, Any] = field(default_factory=dict)
    suggested_output: str = "sigmoid"
    suggested_loss: str = "mse"
    fixed_samples: bool = False
    any_inputs: bool = False


_GATE_NOISE = "Gaussian jitter (standard deviation = noise) on the inputs of the copies beyond the first four"
_PG = "TensorFlow Playground's set scaled by 1/5"
_CURVE_NOISE = "Gaussian noise (standard deviation = noise) added to the targets"
_BINARY = "one column: 1 for class 1, 0 for class 0 (targets='pm1': +1 / −1)"

_INFO: dict[str, tuple[DatasetInfo, Callable[..., tuple[Array, Array]]]] = {}


def _register(gen: Callable[..., tuple[Array, Array]], **kw: Any) -> None:
    kw.setdefault("options", {"targets": "pm1" if kw["kind"] == "regression" else "01"})
    kw["options"] = MappingProxyType(dict(kw["options"]))  # read-only: make() relies on the defaults
    info_ = DatasetInfo(**kw)
    _INFO[info_.name] = (info_, gen)


_register(_worked_example, name="worked_example", title="Worked example (one pattern)", kind="pattern",
          description="The single pattern of Mazur's step-by-step example: inputs 0.05, 0.10 → targets 0.01, 0.99.",
          n_inputs=2, inputs="the one row (0.05, 0.10)", targets="two columns (0.01, 0.99)", noise="not used",
          default_samples=1, default_noise=0.0, options={}, fixed_samples=True)
for _g, _title in (("and", "AND"), ("or", "OR"), ("xor", "XOR"), ("xnor", "XNOR")):
    _register(_gate(_GATES[_g]), name=_g, title=f"Logic gate {_title}", kind="classification",
              description=f"The truth table of {_title} on inputs 0/1 (rows 00, 01, 10, 11); more samples repeat "
                          f"it, jittered by the noise.",
              n_inputs=2, inputs="corners of [0, 1]²; copies jittered", targets=_BINARY + " = the gate's output",
              noise=_GATE_NOISE, default_samples=4, default_noise=0.0)
_register(_circle, name="circle", title="Circle", kind="classification",
          description="Class 1 inside a circle of radius 0.5, class 0 in a ring from 0.7 to 1 around it "
                      "(half the samples each).",
          n_inputs=2, inputs="the unit disc (|x| ≤ 1)", targets=_BINARY + "; 1 inside radius 0.5",
          noise=f"{_PG}: the label is taken at the point plus U(−noise, noise) per coordinate, so points near the "
                f"edge may get the other class", default_samples=200, default_noise=0.0)
_register(_xor_quadrants, name="xor_quadrants", title="XOR quadrants", kind="classification",
          description="Points in the four quadrants: class 1 where x1·x2 ≥ 0 (first and third), class 0 elsewhere.",
          n_inputs=2, inputs="[−1, 1]², each coordinate at least 0.05 from 0",
          targets=_BINARY + "; 1 where x1·x2 ≥ 0",
          noise=f"{_PG}: the label is taken at the point plus U(−noise, noise) per coordinate",
          default_samples=200, default_noise=0.0)
_register(_gaussians, name="gaussians", title="Two Gaussians", kind="classification",
          description="Two round clusters: class 1 around (0.5, 0.5), class 0 around (−0.5, −0.5).",
          n_inputs=2, inputs="about [−1, 1]² (Gaussian, unbounded)", targets=_BINARY,
          noise="standard deviation of each cluster = 0.1 + noise/2", default_samples=200, default_noise=0.0)
_register(_spiral, name="spiral", title="Spiral", kind="classification",
          description="Two interleaved spiral arms of 1.75 turns from the centre to radius 1; class 1 on one arm, "
                      "class 0 on the other (the first arm turned by 180°).",
          n_inputs=2, inputs="the unit disc", targets=_BINARY + "; 1 on the first arm",
          noise=f"{_PG}: each coordinate moved by U(−noise, noise)/5", default_samples=200, default_noise=0.0)
_register(_blobs, name="blobs", title="Gaussian blobs (several classes)", kind="classification",
          description="k round clusters (option classes=k, 3 by default) evenly on a circle of radius 0.7, "
                      "balanced; one output per class.",
          n_inputs=2, inputs="about [−1, 1]² (Gaussian, unbounded)",
          targets="one-hot, one column per class: 1 for the class, 0 elsewhere (targets='pm1': +1 / −1)",
          noise="standard deviation of each cluster = 0.1 + noise/2", default_samples=150, default_noise=0.0,
          options={"targets": "01", "classes": 3}, suggested_output="softmax", suggested_loss="cross_entropy")
_register(_curve(lambda x: np.sin(np.pi * x)), name="sine", title="Sine (1-D regression)", kind="regression",
          description="t = sin(πx): one full period on x ∈ [−1, 1].",
          n_inputs=1, inputs="x uniform in [−1, 1]", targets="t = sin(πx) ∈ [−1, 1] (targets='01': (t + 1)/2)",
          noise=_CURVE_NOISE, default_samples=100, default_noise=0.0, suggested_output="linear")
_register(_curve(_chebyshev), name="polynomial", title="Polynomial (1-D regression)", kind="regression",
          description="t = T_d(x), the Chebyshev polynomial of degree d (option degree=d, 3 by default: "
                      "4x³ − 3x), which waves between −1 and 1.",
          n_inputs=1, inputs="x uniform in [−1, 1]", targets="t = T_d(x) ∈ [−1, 1] (targets='01': (t + 1)/2)",
          noise=_CURVE_NOISE, default_samples=100, default_noise=0.0,
          options={"targets": "pm1", "degree": 3}, suggested_output="linear")
_register(_curve(lambda x: np.where(x >= 0, 1.0, -1.0)), name="step", title="Step (1-D regression)",
          kind="regression", description="t = −1 for x < 0 and +1 for x ≥ 0: a jump no smooth network fits exactly.",
          n_inputs=1, inputs="x uniform in [−1, 1]", targets="t ∈ {−1, +1} (targets='01': 0 / 1)",
          noise=_CURVE_NOISE, default_samples=100, default_noise=0.0, suggested_output="tanh")
_register(_moons01, name="moons", title="Two moons", kind="classification",
          description="Two interleaved half circles, as in the Two moons example.",
          n_inputs=2, inputs="about [−1, 2] × [−0.5, 1]", targets=_BINARY + "; 1 on the lower moon",
          noise="Gaussian jitter (standard deviation = noise) on the inputs", default_samples=200,
          default_noise=0.1)


_register(_clusters, name="clusters", title="Gaussian clusters (any number of inputs)", kind="classification",
          description="Two round clusters in as many dimensions as the network has inputs (option inputs=n, "
                      "3 by default): class 1 around (0.5, …, 0.5), class 0 around (−0.5, …, −0.5).",
          n_inputs=3, inputs="about [−1, 1]ⁿ (Gaussian, unbounded)", targets=_BINARY,
          noise="standard deviation of each cluster = 0.1 + noise/2", default_samples=200, default_noise=0.0,
          options={"targets": "01", "inputs": 3}, any_inputs=True)
_register(_linear, name="linear", title="Linear regression (any number of inputs)", kind="regression",
          description="t = w·x for random weights w (drawn with the seed, Σ|w| = 1) and x uniform in [−1, 1]ⁿ, "
                      "with as many inputs as the network has (option inputs=n, 3 by default).",
          n_inputs=3, inputs="x uniform in [−1, 1]ⁿ", targets="t = w·x ∈ [−1, 1] (targets='01': (t + 1)/2)",
          noise=_CURVE_NOISE, default_samples=200, default_noise=0.0,
          options={"targets": "pm1", "inputs": 3}, suggested_output="linear", any_inputs=True)


def names() -> list[str]:
    """The dataset names :func:`make` accepts, in the order a list should show them."""
    return list(_INFO)


def info(name: str) -> DatasetInfo:
    """The :class:`DatasetInfo` of *name*; :class:`DataError` for an unknown name."""
    try:
        return _INFO[name][0]
    except (KeyError, TypeError):
        raise DataError(f"unknown dataset {name!r}; expected one of {names()}") from None


def describe(name: str) -> str:
    """A plain-text description of *name* for a GUI list: what it is, its shape, ranges and encoding."""
    i = info(name)
    outs = output_size(name)
    opts = ", ".join(f"{k}={v!r}" for k, v in i.options.items())
    lines = [f"{i.title}: {i.description}",
             "Shape: " + (f"1 to {MAX_INPUTS} inputs (option inputs=n), by default " if i.any_inputs else "")
             + f"{i.n_inputs} input(s) → {outs} output(s)"
             + (" (one per class)" if name == "blobs" else "") + f"; {i.default_samples} sample(s) by default.",
             f"Inputs: {i.inputs}.", f"Targets: {i.targets}.", f"Noise: {i.noise}."]
    if opts:
        lines.append(f"Options: {opts}.")
    lines.append(f"Fits: a {i.suggested_output} output with {i.suggested_loss}.")
    return "\n".join(lines)


def input_size(name: str, **options: Any) -> int:
    """How many input neurons *name* needs with these options (``inputs`` for :data:`ANY_INPUTS`)."""
    i = info(name)
    if i.any_inputs:
        return _check_options(i, options)["inputs"]
    return i.n_inputs


def takes_any_inputs(name: str) -> bool:
    """Whether *name* makes data for any number of inputs (the option ``inputs=n``)."""
    return info(name).any_inputs


def any_inputs_set(kind: str) -> str:
    """The set of :data:`ANY_INPUTS` for a *kind* of problem: ``"linear"`` for regression, else ``"clusters"``."""
    return "linear" if kind == "regression" else "clusters"


def output_size(name: str, **options: Any) -> int:
    """How many output neurons *name* needs with these options (``classes`` for blobs)."""
    i = info(name)
    if name == "worked_example":
        return 2
    if name == "blobs":
        return _check_options(i, options)["classes"]
    return 1


def min_samples(name: str) -> int:
    """The fewest samples :func:`make` draws for *name*: 4 for the logic gates (their truth table), else 1."""
    info(name)
    return 4 if name in _GATES else 1


def encoding_for(output_activation: str) -> str:
    """The ``targets`` encoding that suits an output activation: ``"pm1"`` for tanh, else ``"01"``."""
    return "pm1" if output_activation == "tanh" else "01"


def _check_int(value: object, what: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
        raise DataError(f"{what} must be an integer from {lo} to {hi:,}, got {value!r}")
    return int(value)


def _check_options(i: DatasetInfo, options: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(options) - set(i.options))
    if unknown:
        allowed = ", ".join(i.options) or "none"
        raise DataError(f"{i.name}: unknown option(s) {', '.join(unknown)}; its options: {allowed}")
    opts = {**i.options, **options}
    if "targets" in opts and opts["targets"] not in ("01", "pm1"):
        raise DataError(f"{i.name}: targets must be '01' or 'pm1', got {opts['targets']!r}")
    if "classes" in opts:
        opts["classes"] = _check_int(opts["classes"], f"{i.name}: classes", 3, MAX_CLASSES)
    if "degree" in opts:
        opts["degree"] = _check_int(opts["degree"], f"{i.name}: degree", 1, MAX_DEGREE)
    if "inputs" in opts:
        opts["inputs"] = _check_int(opts["inputs"], f"{i.name}: inputs", 1, MAX_INPUTS)
    return opts


def make(name: str, n_samples: int | None = None, noise: float | None = None, seed: int = 0,
         **options: Any) -> tuple[Array, Array]:
    """Generate the dataset *name*; see :func:`names`, :func:`describe` and the README's table.

    Parameters
    ----------
    name : str
        One of :func:`names`. ``"xor"`` is the logic gate (4 rows); TensorFlow
        Playground's XOR set is ``"xor_quadrants"``.
    n_samples : int, optional
        1 … 100,000 (the logic gates need at least 4; the worked example is
        always 1). Defaults to ``info(name).default_samples``.
    noise : float, optional
        In [0, 1]; what it does depends on the set (``info(name).noise``).
        Defaults to ``info(name).default_noise``.
    seed : int
        Seed ≥ 0 of the ``numpy.random.default_rng`` that makes every draw:
        the same arguments always give the same arrays.
    **options
        ``targets="01" | "pm1"`` picks the target encoding (0/1 for sigmoid
        outputs, ±1 for tanh; regression curves: their values in [−1, 1] for
        ``"pm1"``, the default, or mapped by (t + 1)/2 for ``"01"``);
        ``classes=k`` (3 … 20) for ``"blobs"``; ``degree=d`` (1 … 10) for
        ``"polynomial"``; ``inputs=n`` (1 … 64) for the sets that take any
        number of inputs (``"clusters"``, ``"linear"``).

    Returns
    -------
    inputs, targets : numpy.ndarray
        float64, shapes ``(n_samples, input_size(name, **options))`` and
        ``(n_samples, output_size(name, **options))``.

    Raises
    ------
    DataError
        Unknown name or option, or a value out of range.
    """
    i = info(name)
    gen = _INFO[name][1]
    opts = _check_options(i, options)
    encoding = opts.pop("targets", None)
    n = i.default_samples if n_samples is None else n_samples
    if i.fixed_samples:
        _check_int(n, f"{name}: n_samples", 1, 1)
    else:
        n = _check_int(n, f"{name}: n_samples", min_samples(name), MAX_SAMPLES)
    nz = i.default_noise if noise is None else noise
    if isinstance(nz, bool) or not isinstance(nz, (int, float, np.floating)) or not 0.0 <= nz <= 1.0:
        raise DataError(f"{name}: noise must be a number in [0, 1], got {nz!r}")
    seed = check_seed(seed, f"{name}: seed")
    x, t = gen(n, float(nz), np.random.default_rng(seed), **opts)
    if encoding is not None and encoding != i.options["targets"]:
        t = 2.0 * t - 1.0 if encoding == "pm1" else (t + 1.0) / 2.0
    return np.ascontiguousarray(x, dtype=np.float64), np.ascontiguousarray(t, dtype=np.float64)
