"""DataRequest (new data for the simulation) and the Qt-free steps that make one: adapt, split, scale."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from backprop_lab.core import datasets as ds

Array = np.ndarray
#: Most scaling formulas written into a description (a 1,024-column CSV would give 1,024 lines).
MAX_FORMULAS = 4


@dataclass(frozen=True)
class DataRequest:
    """New data for the simulation: ``sim.set_data(inputs, targets, test_inputs, test_targets)``.

    The arrays are read-only float64 copies; the test arrays are None when
    there is no test set. *description* is plain text (first line: where the
    data came from; then the split and the scaling formulas, if any).
    """

    inputs: Array
    targets: Array
    test_inputs: Array | None
    test_targets: Array | None
    description: str


def _frozen(a: Array | None) -> Array | None:
    if a is None:
        return None
    a = np.array(a, dtype=np.float64, copy=True)
    a.setflags(write=False)
    return a


def make_request(inputs: Array, targets: Array, test_inputs: Array | None, test_targets: Array | None,
                 description: str) -> DataRequest:
    """A :class:`DataRequest` with read-only copies (an empty test set becomes None)."""
    if test_inputs is not None and len(test_inputs) == 0:
        test_inputs = test_targets = None
    return DataRequest(_frozen(inputs), _frozen(targets), _frozen(test_inputs), _frozen(test_targets),
                       description)


# -- how a generator adapts to a network ------------------------------------------------------------
def target_encoding(name: str, output_activation: str | None) -> str | None:
    """The ``targets=`` option for *name* with this output activation (None: the set has no choice).

    Sigmoid and softmax outputs need 0/1 targets, tanh ±1; other outputs take
    the set's natural encoding (±1 for the regression curves, 0/1 for classes).
    """
    opts = ds.info(name).options
    if "targets" not in opts:
        return None
    if output_activation in ("sigmoid", "softmax", "tanh"):
        return ds.encoding_for(output_activation)
    return opts["targets"]


def generator_options(name: str, output_activation: str | None, classes: int | None = None,
                      degree: int | None = None, inputs: int | None = None) -> dict[str, Any]:
    """The ``make`` options for *name*: the target encoding, and ``classes``/``degree``/``inputs`` where they apply."""
    opts: dict[str, Any] = {}
    enc = target_encoding(name, output_activation)
    if enc is not None:
        opts["targets"] = enc
    if name == "blobs" and classes is not None:
        opts["classes"] = classes
    if name == "polynomial" and degree is not None:
        opts["degree"] = degree
    if ds.takes_any_inputs(name) and inputs is not None:
        opts["inputs"] = inputs
    return opts


def fit_problem(what: str, n_in: int, n_out: int, net_in: int, net_out: int, generator: str | None = None) -> str:
    """Why data with *n_in* → *n_out* columns does not fit a network with *net_in* → *net_out* ("" if it does).

    *what* names the data in the message; *generator* is the dataset's name when
    it comes from one (blobs can adapt: one class per output).
    """
    if (n_in, n_out) == (net_in, net_out):
        return ""
    why = (f"{what} has {n_in} input(s) → {n_out} target(s); the network has {net_in} input(s) → "
           f"{net_out} output(s).")
    if generator == "blobs" and n_in == net_in:
        if 3 <= net_out <= ds.MAX_CLASSES:
            return why + f" Use {net_out} classes to fit it."
        return why + (f" Blobs needs 3 to {ds.MAX_CLASSES} outputs (one per class): choose another set or change "
                      f"the output layer.")
    # Name the way out in the words of the buttons and menus, with the network's own numbers.
    if generator is None:
        return why + (f" Press “New network for this data” below to make a {n_in} → {n_out} network for it, or "
                      f"choose data with {net_in} input(s) → {net_out} target(s).")
    if n_in != net_in:
        return why + (" Choose a set that takes any number of inputs (Gaussian clusters, Linear regression), or "
                      "make a network for this set with File ▸ New Network….")
    return why + " Choose data with that shape, or change the network (File ▸ New Network…)."


def _formulas(params: ds.ScalingParams) -> list[str]:
    lines = [f.replace("− -", "+ ") for f in params.formulas(digits=4)]
    if len(lines) > MAX_FORMULAS:
        lines = lines[:MAX_FORMULAS] + [f"… ({len(lines) - MAX_FORMULAS} more columns)"]
    return lines


def split_and_scale(x: Array, t: Array, fraction: float, seed: int,
                    scaling: str) -> tuple[Array, Array, Array | None, Array | None, list[str]]:
    """Split (seeded), then scale with the training set's statistics; the lines describing both.

    Raises
    ------
    DataError
        A fraction that leaves no training samples, or a scaling that overflows.
    """
    lines = []
    if fraction > 0:
        x_tr, t_tr, x_te, t_te = ds.train_test_split(x, t, fraction, seed=seed)
        lines.append(f"Test set: {len(x_te):,} of {len(x):,} samples ({100 * fraction:g} %), chosen with seed {seed}.")
    else:
        x_tr, t_tr, x_te, t_te = x, t, None, None
    if scaling != "none":
        x_tr, params = ds.scale_inputs(x_tr, scaling)
        if x_te is not None:
            x_te = ds.apply_scaling(x_te, params)
        what = "min–max" if scaling == "minmax" else "standardised"
        lines.append(f"Inputs scaled ({what}, from the training set): " + "; ".join(_formulas(params)))
    return x_tr, t_tr, x_te, t_te, lines
