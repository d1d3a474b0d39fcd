"""The fully connected feed-forward network: parameter layout, forward pass, naming and initialisation.

Parameters live in one flat float64 vector ``theta``; ``weights[l]`` (shape
``(n_{l+1}, n_l)``) and ``biases[l]`` (shape ``(n_{l+1},)``) are *views* into it.
One vector makes snapshots for step back a single copy and the update one
vectorised operation.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from .activations import Activation, get_activation
from .errors import ConfigError


class Element(NamedTuple):
    """A part of the network a computation belongs to (for highlighting); immutable and hashable.

    ``kind`` is ``"neuron"`` (``layer`` 0..L, 0 = inputs; ``j`` the neuron),
    ``"weight"`` (``layer`` = weight matrix l, from neuron ``i`` of layer l to
    neuron ``j`` of layer l+1), ``"bias"`` (``layer`` = l, neuron ``j`` of layer
    l+1) or ``"loss"``.

    A named tuple: elements are dictionary keys in every view, hashed thousands of times per key press, and a
    tuple's hash is computed in C.
    """

    kind: str
    layer: int = -1
    j: int = -1
    i: int = -1


LOSS_ELEMENT = Element("loss")


class Network:
    """A dense feed-forward network.

    Parameters
    ----------
    sizes : sequence of int
        Neurons per layer, inputs first; at least two entries.
    activations : sequence of str
        One activation name per dense layer (``len(sizes) - 1`` of them).
        ``softmax`` is only allowed on the output layer.
    theta : ndarray, optional
        Flat parameter vector to adopt (copied); zeros when omitted.
    """

    def __init__(self, sizes: Sequence[int], activations: Sequence[str],
                 theta: np.ndarray | None = None) -> None:
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2:
            raise ConfigError("a network needs an input layer and at least one dense layer")
        if any(s < 1 for s in sizes):
            raise ConfigError(f"every layer needs at least one neuron, got sizes {sizes}")
        if len(activations) != len(sizes) - 1:
            raise ConfigError(f"expected {len(sizes) - 1} activations, got {len(activations)}")
        acts = [get_activation(a) for a in activations]
        for l, a in enumerate(acts[:-1]):
            if not a.elementwise:
                raise ConfigError(f"softmax is only allowed on the output layer (layer {l + 1})")
        self.sizes: tuple[int, ...] = tuple(sizes)
        self.activations: tuple[Activation, ...] = tuple(acts)
        #: ``(weight start, bias start, end)`` of each dense layer's slice of :attr:`theta`.
        self.offsets: list[tuple[int, int, int]] = []
        pos = 0
        for l in range(len(sizes) - 1):
            w0 = pos
            pos += sizes[l + 1] * sizes[l]
            b0 = pos
            pos += sizes[l + 1]
            self.offsets.append((w0, b0, pos))
        self.n_params = pos
        self.theta = np.zeros(pos, dtype=np.float64)
        if theta is not None:
            theta = np.asarray(theta, dtype=np.float64)
            if theta.shape != (pos,):
                raise ConfigError(f"expected {pos} parameters, got shape {theta.shape}")
            self.theta[:] = theta
        self.weights: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        self._bind_views()
        self._names = _Naming(self.sizes)
        # Weights before layer l's (biases are not counted in the names w1, w2, ...).
        self._weight_base = [w0 - sum(self.sizes[k + 1] for k in range(l)) for l, (w0, _, _) in enumerate(self.offsets)]

    def _bind_views(self) -> None:
        self.weights = [self.theta[w0:b0].reshape(self.sizes[l + 1], self.sizes[l])
                        for l, (w0, b0, _) in enumerate(self.offsets)]
        self.biases = [self.theta[b0:end] for (_, b0, end) in self.offsets]

    # -- structure -----------------------------------------------------------
    @property
    def n_layers(self) -> int:
        """Number of dense layers L (weight matrices)."""
        return len(self.sizes) - 1

    @property
    def activation_names(self) -> list[str]:
        return [a.name for a in self.activations]

    def weight_index(self, l: int, j: int, i: int) -> int:
        """Position of ``weights[l][j, i]`` in :attr:`theta`."""
        self._check_weight(l, j, i)
        return self.offsets[l][0] + j * self.sizes[l] + i

    def bias_index(self, l: int, j: int) -> int:
        """Position of ``biases[l][j]`` in :attr:`theta`."""
        self._check_bias(l, j)
        return self.offsets[l][1] + j

    def bias_mask(self) -> np.ndarray:
        """Boolean mask over :attr:`theta` that is True at bias entries."""
        m = np.zeros(self.n_params, dtype=bool)
        for _, b0, end in self.offsets:
            m[b0:end] = True
        return m

    def weight_mask(self) -> np.ndarray:
        """Boolean mask over :attr:`theta` that is True at weight entries."""
        return ~self.bias_mask()

    def element_of_index(self, k: int) -> Element:
        """The weight or bias stored at ``theta[k]``."""
        for l, (w0, b0, end) in enumerate(self.offsets):
            if k < b0:
                j, i = divmod(k - w0, self.sizes[l])
                return Element("weight", l, j, i)
            if k < end:
                return Element("bias", l, k - b0)
        raise IndexError(k)

    def _check_weight(self, l: int, j: int, i: int) -> None:
        if not (0 <= l < self.n_layers and 0 <= j < self.sizes[l + 1] and 0 <= i < self.sizes[l]):
            raise ConfigError(f"no weight [{l}][{j}, {i}] in a network of sizes {list(self.sizes)}")

    def _check_bias(self, l: int, j: int) -> None:
        if not (0 <= l < self.n_layers and 0 <= j < self.sizes[l + 1]):
            raise ConfigError(f"no bias [{l}][{j}] in a network of sizes {list(self.sizes)}")

    # -- naming ----------------------------------------------------------------
    def neuron_name(self, layer: int, j: int) -> str:
        """``i1``, ``h1``, ``o1`` (one hidden layer) or ``h2_3`` (deeper nets)."""
        return self._names.neuron(layer, j)

    def weight_name(self, l: int, j: int, i: int) -> str:
        """``w1``, ``w2``, ... numbered layer by layer, row by row (as in the worked example)."""
        return f"w{self._weight_base[l] + j * self.sizes[l] + i + 1}"

    def bias_name(self, l: int, j: int | None = None) -> str:
        """A bias's name: ``b_h1`` for the bias of neuron h1; ``b1`` (no *j*) for dense layer 1's shared bias.

        Per-neuron names are the rule; the layer name is for biases that are
        shared and fixed, as in the worked example (see :func:`shared_bias_layers`).
        """
        if j is None:
            return f"b{l + 1}"
        return f"b_{self.neuron_name(l + 1, j)}"

    def element_name(self, e: Element) -> str:
        if e.kind == "neuron":
            return self.neuron_name(e.layer, e.j)
        if e.kind == "weight":
            return self.weight_name(e.layer, e.j, e.i)
        if e.kind == "bias":
            return self.bias_name(e.layer, e.j)
        return "E"

    # -- copies ------------------------------------------------------------------
    def copy(self) -> "Network":
        return Network(self.sizes, self.activation_names, self.theta)

    def forward_pass(self, x: np.ndarray,
                     theta: np.ndarray | None = None) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Forward pass of a batch *x* ``(B, n_0)``: ``(nets, outs)`` with ``outs[0] = x``.

        *theta* evaluates other parameters of the same shape (default: this network's).
        """
        if theta is None:
            weights, biases = self.weights, self.biases
        else:
            weights = [theta[w0:b0].reshape(self.sizes[l + 1], self.sizes[l])
                       for l, (w0, b0, _) in enumerate(self.offsets)]
            biases = [theta[b0:end] for (_, b0, end) in self.offsets]
        outs = [x]
        nets = []
        a = x
        for W, b, act in zip(weights, biases, self.activations):
            z = a @ W.T + b
            a = act.forward(z)
            nets.append(z)
            outs.append(a)
        return nets, outs

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Outputs for inputs *x* (shape ``(N, n_0)`` or ``(n_0,)``)."""
        x2 = np.atleast_2d(np.asarray(x, dtype=np.float64))
        _, outs = self.forward_pass(x2)
        return outs[-1] if np.ndim(x) == 2 else outs[-1][0]


class _Naming:
    def __init__(self, sizes: tuple[int, ...]) -> None:
        self.sizes = sizes
        self.n_hidden = len(sizes) - 2

    def neuron(self, layer: int, j: int) -> str:
        if layer == 0:
            return f"i{j + 1}"
        if layer == len(self.sizes) - 1:
            return f"o{j + 1}"
        if self.n_hidden == 1:
            return f"h{j + 1}"
        return f"h{layer}_{j + 1}"


# -- initialisation -----------------------------------------------------------------
INIT_SCHEMES = ("zeros", "constant", "uniform", "normal", "xavier", "he")


def initialize(network: Network, scheme: str, rng: np.random.Generator, *,
               value: float = 0.0, scale: float = 0.5, biases: str | float = "zeros") -> np.ndarray:
    """Return a new flat parameter vector for *network* drawn with *scheme*.

    Parameters
    ----------
    network : Network
        Gives the shapes; it is not modified.
    scheme : {"zeros", "constant", "uniform", "normal", "xavier", "he"}
        ``constant`` uses *value*; ``uniform`` draws from U(−scale, scale);
        ``normal`` from N(0, scale²); ``xavier`` (Glorot uniform) and ``he``
        (normal, std √(2/n_in)) use the layer sizes.
    rng : numpy.random.Generator
        The only source of randomness (seed it for reproducibility).
    value, scale : float
        Parameters of ``constant`` and ``uniform``/``normal``.
    biases : "zeros", "same" or float
        Biases are zero, drawn like the weights (``"same"``) or a constant.
    """
    if scheme not in INIT_SCHEMES:
        raise ConfigError(f"unknown initialisation {scheme!r}; expected one of {list(INIT_SCHEMES)}")
    for name, v in (("value", value), ("scale", scale)):
        if not np.isfinite(v):
            raise ConfigError(f"initialisation {name} must be a finite number, got {v!r}")
    theta = np.zeros(network.n_params, dtype=np.float64)
    tmp = Network(network.sizes, network.activation_names, theta)
    for l in range(network.n_layers):
        n_out, n_in = tmp.weights[l].shape

        def draw(shape: tuple[int, ...]) -> np.ndarray:
            if scheme == "zeros":
                return np.zeros(shape)
            if scheme == "constant":
                return np.full(shape, float(value))
            if scheme == "uniform":
                return rng.uniform(-scale, scale, shape)
            if scheme == "normal":
                return rng.normal(0.0, scale, shape)
            if scheme == "xavier":
                a = np.sqrt(6.0 / (n_in + n_out))
                return rng.uniform(-a, a, shape)
            return rng.normal(0.0, np.sqrt(2.0 / n_in), shape)  # he

        tmp.weights[l][...] = draw((n_out, n_in))
        if biases == "same":
            tmp.biases[l][...] = draw((n_out,))
        elif biases == "zeros":
            tmp.biases[l][...] = 0.0
        else:
            tmp.biases[l][...] = float(biases)
    return tmp.theta.copy()


def symmetric_groups(network: Network) -> list[tuple[int, list[int]]]:
    """Groups of hidden neurons that are exact copies of each other.

    Two neurons of a hidden layer are symmetric when their incoming weights,
    their bias and their outgoing weights are identical: they then compute the
    same value, receive the same delta and the same update, and stay identical
    forever (the symmetry problem).  Returns ``[(layer, [j, ...]), ...]``.
    """
    groups = []
    for layer in range(1, network.n_layers):
        W_in, b = network.weights[layer - 1], network.biases[layer - 1]
        W_out = network.weights[layer]
        seen: dict[bytes, list[int]] = {}
        for j in range(network.sizes[layer]):
            key = W_in[j].tobytes() + b[j:j + 1].tobytes() + W_out[:, j].tobytes()
            seen.setdefault(key, []).append(j)
        groups += [(layer, js) for js in seen.values() if len(js) > 1]
    return groups
