"""Structure edits as pure functions: plan a new layout, check it, and carry parameters and optimizer state over.

A structure edit (add or remove a neuron, insert or remove a layer, change an
activation) is planned on a :class:`~.network.Network` as a :class:`Reshape`:
the new sizes and activations plus, for every layer and neuron of the new
network, which layer and neuron of the old one it *is* (or −1 when it is new).
From that correspondence alone :meth:`Reshape.index_map` derives, for every
entry of the new parameter vector, the entry of the old one it keeps (−1 for a
new parameter): a weight survives when both of its neurons survive and their
layers were adjacent before; a bias survives with its neuron.  Nothing here
changes its arguments; :mod:`.edits` records the result on the timeline.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .activations import ACTIVATIONS
from .errors import ConfigError
from .losses import LOSSES
from .network import Network, _Naming, initialize
from .optimizer import OptimizerState

__all__ = ["MAX_LAYER_SIZE", "MAX_DENSE_LAYERS", "MAX_PARAMS", "Reshape", "Restructured", "plan_add_neuron",
           "plan_remove_neuron", "plan_insert_layer", "plan_remove_layer", "plan_set_activation",
           "check_structure", "count_params", "restructure", "carry", "carry_state", "structure_rng"]

#: The documented limits (README, state files, File ▸ New Network…).
MAX_LAYER_SIZE = 1024
MAX_DENSE_LAYERS = 16
MAX_PARAMS = 2_000_000


@dataclass(frozen=True)
class Reshape:
    """A planned structure change of one network.

    Attributes
    ----------
    sizes : tuple of int
        Neurons per layer of the new network, inputs first.
    activations : tuple of str
        One activation per dense layer of the new network.
    layer_origin : tuple of int
        For each new layer, the index of the old layer it is, or −1 for a new layer.
    neuron_origin : tuple of tuple of int
        For each new layer, for each of its neurons, the old neuron's index in
        its old layer, or −1 for a new neuron (all −1 in a new layer).
    label : str
        What the edit is called on the timeline, e.g. ``"add neuron h3"``.
    """

    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    layer_origin: tuple[int, ...]
    neuron_origin: tuple[tuple[int, ...], ...]
    label: str

    @property
    def n_params(self) -> int:
        return count_params(self.sizes)

    def index_map(self, old: Network) -> np.ndarray:
        """For each entry of the new parameter vector, the old entry it keeps (−1 where it is new)."""
        out = np.full(self.n_params, -1, dtype=np.int64)
        pos = 0
        for l in range(len(self.sizes) - 1):
            n_in, n_out = self.sizes[l], self.sizes[l + 1]
            o_in, o_out = self.layer_origin[l], self.layer_origin[l + 1]
            rows = np.asarray(self.neuron_origin[l + 1], dtype=np.int64)
            if o_in >= 0 and o_out == o_in + 1:  # the same connection existed before
                cols = np.asarray(self.neuron_origin[l], dtype=np.int64)
                w = old.offsets[o_in][0] + rows[:, None] * old.sizes[o_in] + cols[None, :]
                w[(rows[:, None] < 0) | (cols[None, :] < 0)] = -1
                out[pos:pos + n_in * n_out] = w.ravel()
            pos += n_in * n_out
            if o_out >= 1:  # the neurons of an old dense layer keep their biases
                out[pos:pos + n_out] = np.where(rows >= 0, old.offsets[o_out - 1][1] + rows, -1)
            pos += n_out
        return out


@dataclass
class Restructured:
    """The result of :func:`restructure`.

    Attributes
    ----------
    network : Network
        The new network, surviving parameters copied, new ones drawn.
    index_map : ndarray of int
        For each new parameter, the old parameter it kept, or −1.
    new : ndarray of bool
        True at the parameters that are new (``index_map < 0``); read-only.
    """

    network: Network
    index_map: np.ndarray
    new: np.ndarray


# -- planning ----------------------------------------------------------------------------------------------
def _identity(net: Network) -> tuple[list[int], list[list[int]], list[str]]:
    return (list(range(len(net.sizes))), [list(range(n)) for n in net.sizes], list(net.activation_names))


def _whole(v: Any, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise ConfigError(f"{what} must be a whole number, got {v!r}")
    return int(v)


def _layer(net: Network, layer: Any, lowest: int = 0) -> int:
    k = _whole(layer, "the layer")
    last = len(net.sizes) - 1
    if not lowest <= k <= last:
        raise ConfigError(f"no layer {k}: the network {_shape(net.sizes)} has layers {lowest} … {last} "
                          f"(0 = inputs, {last} = outputs)")
    return k


def _shape(sizes: Sequence[int]) -> str:
    return "-".join(str(s) for s in sizes)


def _layer_name(k: int, n_layers: int) -> str:
    if k == 0:
        return "the input layer"
    if k == n_layers - 1:
        return "the output layer"
    return f"hidden layer {k}"


def plan_add_neuron(net: Network, layer: int) -> Reshape:
    """Add a neuron at the end of *layer* (0 = inputs, as ``network.sizes`` counts)."""
    k = _layer(net, layer)
    origin, neurons, acts = _identity(net)
    sizes = list(net.sizes)
    sizes[k] += 1
    neurons[k].append(-1)
    name = _Naming(tuple(sizes)).neuron(k, sizes[k] - 1)
    return Reshape(tuple(sizes), tuple(acts), tuple(origin), tuple(map(tuple, neurons)), f"add neuron {name}")


def plan_remove_neuron(net: Network, layer: int, j: int) -> Reshape:
    """Remove neuron *j* of *layer*, with its bias and every weight into and out of it."""
    k = _layer(net, layer)
    j = _whole(j, "the neuron")
    if not 0 <= j < net.sizes[k]:
        raise ConfigError(f"no neuron {j} in {_layer_name(k, len(net.sizes))}: it has neurons 0 … "
                          f"{net.sizes[k] - 1}")
    name = net.neuron_name(k, j)
    if net.sizes[k] == 1:
        hint = (f"; remove the layer instead (remove_layer({k}))" if 0 < k < len(net.sizes) - 1 else "")
        raise ConfigError(f"{name} is the only neuron of {_layer_name(k, len(net.sizes))}, and a layer cannot be "
                          f"empty{hint}")
    origin, neurons, acts = _identity(net)
    sizes = list(net.sizes)
    sizes[k] -= 1
    del neurons[k][j]
    return Reshape(tuple(sizes), tuple(acts), tuple(origin), tuple(map(tuple, neurons)), f"remove neuron {name}")


def plan_insert_layer(net: Network, index: int, size: int, activation: str) -> Reshape:
    """Insert a hidden layer of *size* neurons at position *index* (1 … number of layers − 1) among all layers.

    ``index = 1`` makes it the first hidden layer; ``len(sizes) - 1`` puts it
    just before the output layer, which keeps its place at the end.
    """
    n = len(net.sizes)
    index = _whole(index, "the layer position")
    if not 1 <= index <= n - 1:
        raise ConfigError(f"a new layer goes at position 1 … {n - 1} (between the inputs and the outputs of "
                          f"{_shape(net.sizes)}), not {index}")
    size = _whole(size, "the new layer's size")
    if not 1 <= size <= MAX_LAYER_SIZE:
        raise ConfigError(f"a layer needs 1 to {MAX_LAYER_SIZE:,} neurons, not {size}")
    _check_activation(activation)
    origin, neurons, acts = _identity(net)
    sizes = list(net.sizes)
    sizes.insert(index, size)
    origin.insert(index, -1)
    neurons.insert(index, [-1] * size)
    acts.insert(index - 1, activation)
    return Reshape(tuple(sizes), tuple(acts), tuple(origin), tuple(map(tuple, neurons)),
                   f"insert layer {index} ({size} {activation})")


def plan_remove_layer(net: Network, index: int) -> Reshape:
    """Remove hidden layer *index* (1 … number of layers − 2); the layers on either side are connected anew."""
    n = len(net.sizes)
    index = _whole(index, "the layer")
    if index == 0 or index == n - 1:
        raise ConfigError(f"{_layer_name(index, n)} cannot be removed; only hidden layers can"
                          + ("" if n > 2 else f" and {_shape(net.sizes)} has none"))
    if not 1 <= index <= n - 2:
        raise ConfigError(f"no hidden layer {index}: {_shape(net.sizes)} has "
                          + (f"hidden layers 1 … {n - 2}" if n > 2 else "no hidden layer"))
    origin, neurons, acts = _identity(net)
    sizes = list(net.sizes)
    del sizes[index], origin[index], neurons[index], acts[index - 1]
    return Reshape(tuple(sizes), tuple(acts), tuple(origin), tuple(map(tuple, neurons)),
                   f"remove layer {index}")


def plan_set_activation(net: Network, layer: int, name: str) -> Reshape:
    """Give dense layer *layer* (1 … number of layers − 1) the activation *name*; every parameter is kept."""
    k = _whole(layer, "the layer")
    n = len(net.sizes)
    if k == 0:
        raise ConfigError("the input layer has no activation; layers 1 … "
                          f"{n - 1} have one")
    k = _layer(net, k, lowest=1)
    _check_activation(name)
    origin, neurons, acts = _identity(net)
    acts[k - 1] = name
    return Reshape(tuple(net.sizes), tuple(acts), tuple(origin), tuple(map(tuple, neurons)),
                   f"activation of layer {k}: {name}")


def _check_activation(name: Any) -> None:
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ConfigError(f"unknown activation {name!r}; expected one of {', '.join(ACTIVATIONS)}")


# -- validity -------------------------------------------------------------------------------------------------
def count_params(sizes: Sequence[int]) -> int:
    """Weights and biases of a dense network with these layer sizes."""
    return sum(sizes[l + 1] * (sizes[l] + 1) for l in range(len(sizes) - 1))


def check_structure(sizes: Sequence[int], activations: Sequence[str], loss: str, *,
                    output_changed: bool = True) -> None:
    """Raise :class:`ConfigError` with the reason if the layout breaks a rule.

    The rules: every layer has 1 … :data:`MAX_LAYER_SIZE` neurons, there are
    1 … :data:`MAX_DENSE_LAYERS` dense layers and at most :data:`MAX_PARAMS`
    parameters, softmax is only on the output layer, a softmax output has at
    least 2 neurons (checked when *output_changed*, so networks loaded with one
    stay editable elsewhere), and cross-entropy needs a sigmoid or softmax output.
    """
    n = len(sizes)
    if n < 2:
        raise ConfigError("a network needs an input layer and at least one dense layer")
    if n - 1 > MAX_DENSE_LAYERS:
        raise ConfigError(f"{n - 1} dense layers; the limit is {MAX_DENSE_LAYERS} (hidden layers and the output)")
    for k, s in enumerate(sizes):
        if not 1 <= s <= MAX_LAYER_SIZE:
            raise ConfigError(f"{_layer_name(k, n)} would have {s:,} neurons; a layer needs 1 to "
                              f"{MAX_LAYER_SIZE:,}")
    p = count_params(sizes)
    if p > MAX_PARAMS:
        raise ConfigError(f"{_shape(sizes)} would have {p:,} parameters; the limit is {MAX_PARAMS:,}")
    for k, a in enumerate(activations[:-1], start=1):
        if a == "softmax":
            raise ConfigError(f"softmax is only allowed on the output layer, not on hidden layer {k} (it couples "
                              f"the neurons of a layer into one distribution)")
    out = activations[-1]
    if output_changed and out == "softmax" and sizes[-1] < 2:
        raise ConfigError("a softmax output needs at least 2 neurons (with one it is always 1)")
    allowed = LOSSES[loss].allowed_output
    if out not in allowed:
        raise ConfigError(f"the loss is {loss}, which needs a {' or '.join(allowed)} output layer, not {out}; "
                          f"change the loss first (set_loss('mse'))")


# -- carrying values over ---------------------------------------------------------------------------------
def structure_rng(seed: int, edits_before: int) -> np.random.Generator:
    """The generator new parameters are drawn from: ``default_rng([seed, edits_before])``.

    *edits_before* is the number of structure edits made before this one, so a
    sequence of edits with the same seed draws the same numbers every time.
    """
    return np.random.default_rng([int(seed), int(edits_before)])


def restructure(net: Network, plan: Reshape, rng: np.random.Generator, scheme: str = "xavier",
                theta: np.ndarray | None = None, **init: Any) -> Restructured:
    """Build the network *plan* describes: kept parameters from *theta*, new ones drawn with *scheme*.

    Parameters
    ----------
    net : Network
        The network the plan was made on (not modified).
    plan : Reshape
        From one of the ``plan_*`` functions.
    rng : numpy.random.Generator
        Draws a whole parameter vector of the new network with
        :func:`~.network.initialize` (so the fan-in and fan-out of Xavier and He
        are the new layers'); only the entries of new parameters are used.
    scheme : str
        An initialisation scheme of :data:`~.network.INIT_SCHEMES`; *init* goes to
        :func:`~.network.initialize` (``value``, ``scale``, ``biases``).
    theta : ndarray, optional
        The parameters to carry over (default ``net.theta``).
    """
    idx = plan.index_map(net)
    shell = Network(plan.sizes, plan.activations)
    fresh = initialize(shell, scheme, rng, **init)
    old = net.theta if theta is None else theta
    new = idx < 0
    fresh[~new] = old[idx[~new]]
    new.setflags(write=False)
    return Restructured(Network(plan.sizes, plan.activations, fresh), idx, new)


def carry(values: np.ndarray | None, index_map: np.ndarray) -> np.ndarray | None:
    """*values* (laid out like the old theta) re-laid for the new network: kept entries copied, new ones 0."""
    if values is None:
        return None
    out = np.zeros(len(index_map))
    kept = index_map >= 0
    out[kept] = values[index_map[kept]]
    return out


def carry_state(state: OptimizerState, index_map: np.ndarray) -> OptimizerState:
    """The optimizer state for the new network: momentum's velocity and Adam's m and v kept for surviving
    parameters and zero for new ones; Adam's update count t is kept."""
    return OptimizerState(carry(state.velocity, index_map), carry(state.m, index_map), carry(state.v, index_map),
                          state.t)
