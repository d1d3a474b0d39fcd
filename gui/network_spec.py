"""What File ▸ New Network… builds: :class:`NetworkSpec`, its checks and :func:`build_simulation` (no Qt).

Everything here is engine calls (``Network``, ``initialize``, ``datasets.make``,
``train_test_split``, ``Simulation``), so scripts and tests can build the same
simulation the dialog does without a window.
"""
from __future__ import annotations

import inspect
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from backprop_lab.core import ACTIVATIONS, INIT_SCHEMES, ConfigError, Network, Simulation, TrainingSettings, initialize
from backprop_lab.core import datasets as ds
from backprop_lab.core.errors import DataError
from backprop_lab.core.numbers import parse_int

#: Largest seed the dialogs accept (what a 32-bit signed spin box or C int holds).
MAX_SEED = 2**31 - 1

#: The documented limits (README, state files): neurons per layer, dense layers, parameters.
MAX_LAYER_SIZE = 1024
MAX_DENSE_LAYERS = 16
MAX_PARAMS = 2_000_000
HIDDEN_ACTIVATIONS = tuple(a for a in ACTIVATIONS if a != "softmax")
OUTPUT_ACTIVATIONS = tuple(ACTIVATIONS)
LOSS_CHOICES = (("mse", "½·squared error (mse)"), ("cross_entropy", "cross-entropy"))
CE_OUTPUTS = ("sigmoid", "softmax")
KEEP = ""  # dataset_name meaning "keep the current data"


@dataclass(frozen=True)
class NetworkSpec:
    """Everything File ▸ New Network… decides.

    Attributes
    ----------
    sizes : tuple of int
        Neurons per layer, inputs first.
    activations : tuple of str
        One per dense layer.
    loss : {"mse", "cross_entropy"}
    init_scheme : str
        One of ``INIT_SCHEMES``; *init_seed* seeds its generator.
    dataset_name : str
        A name of ``datasets.names()``, or ``""`` to keep the current data
        (then pass it to :func:`build_simulation`).
    dataset_options : Mapping
        ``n_samples``, ``noise``, ``seed`` and the generator's options
        (``targets``, ``classes``, ``degree``, ``inputs``), as ``datasets.make``
        takes them; a set that takes any number of inputs gets ``inputs`` =
        the input layer's size when it is not given.
    test_fraction : float
        In [0, 1): the part held out as a test set, chosen with the dataset's seed.
    """

    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    loss: str
    init_scheme: str
    init_seed: int
    dataset_name: str
    dataset_options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    test_fraction: float = 0.0

    def __post_init__(self) -> None:
        # Normalise once, so a spec compares and prints the same however it was written, and nobody can change
        # the options of a frozen spec through the dict they passed in.
        for name in ("sizes", "activations"):
            value = getattr(self, name)
            if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
                raise ConfigError(f"{name} must be a sequence, got {value!r}")
        sizes = tuple(self.sizes)
        if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in sizes):
            raise ConfigError(f"layer sizes must be whole numbers, got {list(sizes)}")
        seed = self.init_seed
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ConfigError(f"the initialisation seed must be a whole number, got {seed!r}")
        frac = self.test_fraction
        if isinstance(frac, bool) or not isinstance(frac, (int, float, np.floating)) or not np.isfinite(frac):
            raise ConfigError(f"the test fraction must be a number in [0, 1), got {frac!r}")
        object.__setattr__(self, "sizes", tuple(int(s) for s in sizes))
        object.__setattr__(self, "activations", tuple(str(a) for a in self.activations))
        object.__setattr__(self, "init_seed", int(seed))
        object.__setattr__(self, "dataset_options", MappingProxyType(dict(self.dataset_options)))

    def title(self) -> str:
        """E.g. ``"2-4-4-1 tanh on spiral"`` (``"tanh/sigmoid"`` when the output differs)."""
        acts = self.activations
        if len(set(acts)) == 1:
            act = acts[0]
        elif len(set(acts[:-1])) == 1:
            act = f"{acts[0]}/{acts[-1]}"
        else:
            act = ", ".join(acts)
        data = self.dataset_name or "the current data"
        return f"{'-'.join(map(str, self.sizes))} {act} on {data}"

    @property
    def n_params(self) -> int:
        """Weights and biases of the network."""
        return sum((a + 1) * b for a, b in zip(self.sizes[:-1], self.sizes[1:]))


def spec_problems(spec: NetworkSpec, data_shape: tuple[int, int] | None = None) -> list[str]:
    """Every reason *spec* cannot be built (empty when it can), in the order a person would fix them.

    *data_shape* is (input columns, target columns) of the current data, for
    ``dataset_name == ""``.
    """
    out: list[str] = []
    sizes, acts = spec.sizes, spec.activations
    if len(sizes) < 2:
        return ["A network needs an input layer and an output layer."]
    if len(sizes) - 1 > MAX_DENSE_LAYERS:
        out.append(f"{len(sizes) - 1} dense layers; at most {MAX_DENSE_LAYERS} "
                   f"({MAX_DENSE_LAYERS - 1} hidden layers and the output).")
    for k, s in enumerate(sizes):
        if not 1 <= s <= MAX_LAYER_SIZE:
            out.append(f"{_layer_name(k, len(sizes))} has {s} neurons; each layer needs 1 to {MAX_LAYER_SIZE:,}.")
    if len(acts) != len(sizes) - 1:
        return out + [f"{len(acts)} activations for {len(sizes) - 1} dense layers."]
    for k, a in enumerate(acts, start=1):
        if a not in ACTIVATIONS:
            out.append(f"{_layer_name(k, len(sizes))}: unknown activation {a!r}.")
        elif a == "softmax" and k < len(acts):
            out.append(f"{_layer_name(k, len(sizes))}: softmax is only allowed on the output layer (it couples "
                       f"the neurons of a layer into one distribution).")
    if acts and acts[-1] == "softmax" and sizes[-1] < 2:
        out.append("A softmax output needs at least 2 neurons (with one it is always 1).")
    if spec.loss not in dict(LOSS_CHOICES):
        out.append(f"Unknown loss {spec.loss!r}.")
    elif spec.loss == "cross_entropy" and acts and acts[-1] not in CE_OUTPUTS:
        out.append(f"Cross-entropy needs a sigmoid or softmax output layer; the output is {acts[-1]}. "
                   f"Choose ½·squared error, or a sigmoid or softmax output.")
    if spec.n_params > MAX_PARAMS:
        out.append(f"{spec.n_params:,} parameters; the limit is {MAX_PARAMS:,}.")
    if spec.init_scheme not in INIT_SCHEMES:
        out.append(f"Unknown initialisation {spec.init_scheme!r}.")
    if not 0 <= spec.init_seed <= MAX_SEED:
        out.append(f"The initialisation seed must be 0 to {MAX_SEED:,}.")
    out += _data_problems(spec, data_shape)
    return out


def _data_problems(spec: NetworkSpec, data_shape: tuple[int, int] | None) -> list[str]:
    n_in, n_out = spec.sizes[0], spec.sizes[-1]
    if spec.dataset_name == KEEP:
        if data_shape is None:
            return ["There is no current data to keep: choose a dataset."]
        what = "The current data"
        d_in, d_out = data_shape
    else:
        try:
            info = ds.info(spec.dataset_name)
        except DataError as e:
            return [str(e)]
        what = info.title
        d_in = info.n_inputs
        if info.any_inputs:  # made for the input layer (build_simulation fills in inputs=n)
            d_in = spec.dataset_options.get("inputs", n_in)
            if not 1 <= d_in <= ds.MAX_INPUTS:
                return [f"{what} takes 1 to {ds.MAX_INPUTS} inputs; the input layer has {n_in}."]
        if spec.dataset_name == "blobs":
            classes = spec.dataset_options.get("classes", 3)
            if not 3 <= n_out <= ds.MAX_CLASSES:
                return [f"Blobs needs 3 to {ds.MAX_CLASSES} outputs (one per class); the output layer has {n_out}."]
            d_out = classes
        else:
            d_out = ds.output_size(spec.dataset_name)
        if not (0.0 <= spec.test_fraction < 1.0):
            return [f"The test fraction must be in [0, 1), got {spec.test_fraction!r}."]
    problems = []
    if d_in != n_in:
        fix = (" Choose Gaussian clusters or Linear regression, which take any number of inputs" if spec.dataset_name
               else " Choose a dataset instead (Gaussian clusters or Linear regression take any number of inputs)")
        problems.append(f"{what} has {d_in} input(s); the input layer has {n_in}.{fix}, or set the inputs to "
                        f"{d_in}.")
    if d_out != n_out:
        problems.append(f"{what} has {d_out} target column(s); the output layer has {n_out}.")
    return problems


def _layer_name(k: int, n_layers: int) -> str:
    if k == 0:
        return "The input layer"
    if k == n_layers - 1:
        return "The output layer"
    return f"Hidden layer {k}"


def _init_kwargs(scheme: str) -> dict[str, float]:
    # The same values as the Training panel's Re-initialise, so both give the same weights.
    if scheme == "constant":
        return {"value": 0.5}
    if scheme in ("uniform", "normal"):
        return {"scale": 0.5}
    return {}


def build_simulation(spec: NetworkSpec, data: tuple | None = None) -> Simulation:
    """A new, untrained :class:`~backprop_lab.core.Simulation` for *spec*, titled ``spec.title()``.

    Parameters
    ----------
    spec : NetworkSpec
    data : tuple, optional
        ``(inputs, targets, test_inputs, test_targets)`` to keep when
        ``spec.dataset_name == ""`` (the test pair may be None).

    Raises
    ------
    ConfigError
        *spec* has a problem (:func:`spec_problems`, all of them in the message).
    DataError
        The data does not suit the loss (e.g. cross-entropy targets outside [0, 1]).
    """
    shape = None if data is None else (np.shape(data[0])[1], np.shape(data[1])[1])
    problems = spec_problems(spec, shape)
    if problems:
        raise ConfigError(" ".join(problems))
    net = Network(spec.sizes, spec.activations)
    net.theta[:] = initialize(net, spec.init_scheme, np.random.default_rng(spec.init_seed),
                              **_init_kwargs(spec.init_scheme))
    if spec.dataset_name == KEEP:
        x, t, x_te, t_te = (list(data) + [None, None])[:4]  # type: ignore[arg-type]
        how = "the data it was made from"
    else:
        opts = dict(spec.dataset_options)
        if ds.takes_any_inputs(spec.dataset_name):
            opts.setdefault("inputs", spec.sizes[0])
        x, t = ds.make(spec.dataset_name, **opts)
        x_te = t_te = None
        if spec.test_fraction > 0:
            x, t, x_te, t_te = ds.train_test_split(x, t, spec.test_fraction, seed=opts.get("seed", 0))
        how = (f"{spec.dataset_name} ({len(x) + (0 if x_te is None else len(x_te)):,} samples, noise "
               f"{opts.get('noise', 0):g}, seed {opts.get('seed', 0)})")
    for arr in (t, t_te):
        if arr is not None:
            ds.check_targets(arr, spec.loss, spec.activations[-1])
    settings = TrainingSettings(loss=spec.loss, seed=spec.init_seed)
    n_test = 0 if x_te is None else len(x_te)
    kwargs: dict[str, Any] = {"name": spec.title()}
    held = ""
    if n_test and "test_inputs" in inspect.signature(Simulation.__init__).parameters:
        kwargs.update(test_inputs=x_te, test_targets=t_te)
        held = f"; {n_test:,} test samples held out"
    elif n_test:  # the split is made all the same, so the training set does not depend on the engine's version
        held = f"; {n_test:,} samples held out for a test set, which this version of the engine does not keep"
    kwargs["notes"] = (f"Made with File ▸ New Network…: {'-'.join(map(str, spec.sizes))} "
                       f"({', '.join(spec.activations)}), {spec.init_scheme} weights (seed {spec.init_seed}), "
                       f"trained on {how}{held}.")
    return Simulation(net, x, t, settings, **kwargs)


def parse_sizes(text: str) -> tuple[int, ...]:
    """``"2-4-4-1"`` (or ``2, 4, 4, 1`` / ``2 4 4 1``) as sizes; ``ValueError`` with the reason."""
    parts = [p for p in re.split(r"\s*[-,]\s*|\s+", text.strip()) if p]
    if len(parts) < 2:
        raise ValueError("Sizes: give at least an input and an output size, e.g. 2-4-1")
    sizes = tuple(parse_int(p, f"Sizes: layer {k + 1}", 1, MAX_LAYER_SIZE) for k, p in enumerate(parts))
    if len(sizes) - 1 > MAX_DENSE_LAYERS:
        raise ValueError(f"Sizes: at most {MAX_DENSE_LAYERS} layers after the inputs, got {len(sizes) - 1}")
    return sizes
