"""Plain-language explanations of computation records, and the "Why?" chain of each.

:func:`explain` writes one or two sentences about one record, for its own
element and numbers ("δ_o1 says how much the total error changes when net_o1
changes; every weight into o1 reuses it").  :func:`chain_factors` lists what a
record is made of — for a gradient the chain-rule factors ∂E/∂out · ∂out/∂net ·
∂net/∂w — each with the index of the earlier record that produced it, so a
view can jump there (it lives in :mod:`.chain` and is re-exported here).

Records are recognised by ``kind``, ``element``, ``sample`` and operand
*positions*, never by their symbol strings, so renamed symbols (``b_h1`` for
``b1``) keep working; a kind this module does not know gets a generic sentence.
"""
from __future__ import annotations

import math

from .chain import Factor, chain_factors, is_adam_update, record_index
from .network import Network
from .trace import Computation, Trace, format_number

__all__ = ["Factor", "KIND_TITLES", "kind_title", "explain", "chain_factors"]

#: A short title for each known kind (what the Current step card calls it).
KIND_TITLES: dict[str, str] = {
    "weighted_sum": "weighted sum",
    "activation": "activation",
    "loss_term": "loss term",
    "sample_loss": "sample loss",
    "total_loss": "loss",
    "output_error": "∂E/∂out of an output",
    "hidden_error": "∂E/∂out of a hidden neuron",
    "local_derivative": "local derivative ∂out/∂net",
    "output_delta": "output δ",
    "hidden_delta": "hidden δ",
    "gradient": "gradient",
    "velocity": "momentum velocity",
    "first_moment": "Adam's first moment",
    "second_moment": "Adam's second moment",
    "bias_correction": "Adam's bias correction",
    "update": "update",
}


def kind_title(kind: str) -> str:
    """A short readable title for *kind* (unknown kinds: the name with spaces)."""
    return KIND_TITLES.get(kind, kind.replace("_", " "))


# -- sentences -------------------------------------------------------------------------------------
_SQUASH = {
    "sigmoid": "the sigmoid σ squashes {net} = {v} into an output between 0 and 1",
    "tanh": "tanh squashes {net} = {v} into an output between −1 and 1",
    "relu": "ReLU passes {net} = {v} through when it is positive and gives 0 otherwise",
    "leaky_relu": "leaky ReLU passes {net} = {v} through when it is positive and multiplies it by 0.01 otherwise",
    "linear": "a linear neuron passes {net} = {v} through unchanged",
}
_SLOPE = {
    "sigmoid": "the slope of the sigmoid there, out·(1 − out); it is at most 0.25 and near 0 when the neuron "
               "is saturated (out close to 0 or 1), which is what makes saturated neurons learn slowly",
    "tanh": "the slope of tanh there, 1 − out²; it is at most 1 and near 0 when out is close to ±1",
    "relu": "the slope of ReLU there: 1 while the neuron is on (net > 0), 0 while it is off",
    "leaky_relu": "the slope of leaky ReLU there: 1 for net > 0, 0.01 otherwise",
    "linear": "the slope of a linear neuron, always 1",
}


class _Words:
    """Names and numbers for the sentences of one record."""

    def __init__(self, rec: Computation, trace: Trace, network: Network, digits: int) -> None:
        self.rec, self.trace, self.net, self.digits = rec, trace, network, digits
        self.B = len(trace.batch)
        self.L = network.n_layers

    def num(self, v: float) -> str:
        return format_number(v, self.digits)

    def op(self, k: int) -> tuple[str, float] | None:
        ops = self.rec.operands
        return ops[k] if -len(ops) <= k < len(ops) else None

    @property
    def res(self) -> str:
        return f"{self.rec.target} = {self.num(self.rec.result)}"

    @property
    def name(self) -> str:
        try:
            return self.net.element_name(self.rec.element)
        except (IndexError, KeyError, ValueError):  # a record of another network: keep its own symbol
            return self.rec.target

    @property
    def of_sample(self) -> str:
        s = self.rec.sample
        return f" for sample {s + 1} of the batch" if self.B > 1 and s is not None else ""

    def neuron(self, layer: int, j: int) -> str:
        return self.net.neuron_name(layer, j)

    def act_name(self, layer: int) -> str:
        return self.net.activations[layer - 1].name if 1 <= layer <= self.L else ""

    def fed(self, layer: int, j: int) -> str:
        """'o1 and o2': the neurons a neuron of *layer* sends its output to."""
        names = [self.neuron(layer + 1, k) for k in range(self.net.sizes[layer + 1])]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _weighted_sum(w: _Words) -> str:
    e = w.rec.element
    n_in = w.net.sizes[e.layer - 1]
    src = "inputs" if e.layer == 1 else "outputs of the previous layer"
    bias = w.op(-1)
    bias_txt = f" plus the bias {bias[0]} = {w.num(bias[1])}" if bias else ""
    nxt = w.act_name(e.layer) or "its activation"
    return (f"{w.res} is everything flowing into {w.name}{w.of_sample}: the {n_in} {src}, each times the weight "
            f"on its edge,{bias_txt}. Next, {w.name}'s {nxt} turns it into {w.name}'s output.")


def _activation(w: _Words) -> str:
    e = w.rec.element
    act = w.act_name(e.layer)
    role = ("the network's prediction" if e.layer == w.L else f"what {w.name} passes on to {w.fed(e.layer, e.j)}")
    if act == "softmax":
        how = (f"softmax turns the nets of the whole output layer into probabilities that add up to 1; "
               f"this one is the probability the network gives to class {e.j + 1}")
    else:
        net = w.op(0)
        tmpl = _SQUASH.get(act, "the " + act + " activation turns {net} = {v} into the output")
        how = tmpl.format(net=net[0] if net else "net", v=w.num(net[1]) if net else "?")
    text = f"{w.res} is {w.name}'s output{w.of_sample}: {how}. It is {role}."
    if act in ("sigmoid", "tanh"):
        lo = -1.0 if act == "tanh" else 0.0
        if min(abs(w.rec.result - lo), abs(1.0 - w.rec.result)) < 0.01:
            text += f" {w.name} is saturated here, so its slope and its learning are small."
    return text


def _is_cross_entropy(rec: Computation) -> bool:
    return "log" in rec.template or "log" in rec.expansion


def _loss_term(w: _Words) -> str:
    t, out = w.op(0), w.op(1)
    nums = f" (target {w.num(t[1])}, output {w.num(out[1])})" if t and out else ""
    if not _is_cross_entropy(w.rec):
        what = "half the squared distance between the target and the output; it is 0 only when they agree"
    elif w.act_name(w.L) == "softmax":
        what = ("−t·log(out): with a one-hot target only the true class's term is not 0, and it grows without "
                "bound as the probability given to the true class falls towards 0")
    else:
        what = ("the binary cross-entropy: 0 when the output equals a target of 0 or 1, and growing without "
                "bound as the output moves to the wrong end")
    return f"{w.res} is {w.name}'s share of the error{w.of_sample}{nums}: {what}."


def _sample_loss(w: _Words) -> str:
    return (f"{w.res} is the error on sample {(w.rec.sample or 0) + 1} of the batch: the sum of every output's "
            f"loss term for that sample.")


def _total_loss(w: _Words) -> str:
    if w.B > 1:
        return (f"{w.res} is the batch loss: the mean of the {w.B} samples' errors. Training makes it smaller, "
                f"and every gradient of this iteration is a mean over the same {w.B} samples.")
    return (f"{w.res} is the total error on this sample: the sum of every output's loss term. Training makes it "
            f"smaller; the backward pass works out how each weight changes it.")


def _output_error(w: _Words) -> str:
    out, t = w.op(0), w.op(1)
    v = w.rec.result
    if out and t:
        where = f"{out[0]} = {w.num(out[1])} is {{}} its target {t[0]} = {w.num(t[1])}"
    else:
        where = f"{w.name}'s output is {{}} its target"
    if v > 0:
        side = where.format("above") + ", so lowering it lowers the error"
    elif v < 0:
        side = where.format("below") + ", so raising it lowers the error"
    else:
        side = where.format("exactly at") + ", so it asks for no change"
    return (f"{w.res} says how fast the error grows when {w.name}'s output grows{w.of_sample}; for ½(t − out)² it "
            f"is out − t. Here {side}.")


def _hidden_error(w: _Words) -> str:
    e = w.rec.element
    fed = w.fed(e.layer, e.j)
    return (f"{w.res} collects the blame {w.name} gets from the layer above{w.of_sample}: {w.name} feeds {fed}, so it "
            f"is the sum of each one's δ times the weight that carries {w.name}'s output to it.")


def _local_derivative(w: _Words) -> str:
    e = w.rec.element
    act = w.act_name(e.layer)
    slope = _SLOPE.get(act, f"the slope of the {act} activation there")
    text = f"{w.res} is how fast {w.name}'s output changes when its net input changes{w.of_sample}: {slope}."
    if act in ("relu",) and w.rec.result == 0.0:
        text += f" {w.name} is off for this sample, so no gradient flows back through it."
    return text


def _delta(w: _Words) -> str:
    e = w.rec.element
    net_sym = f"net_{w.name}"
    text = (f"{w.rec.target} = {w.num(w.rec.result)} says how much the total error changes when {net_sym} changes"
            f"{w.of_sample}; every weight into {w.name} reuses it")
    if e.layer > 1:
        text += ", and it is passed further back to the layer below"
    text += "."
    if w.rec.kind == "output_delta" and len(w.rec.operands) == 2 and _is_cross_entropy_delta(w):
        text += (" With cross-entropy the derivatives of the loss and the output activation cancel down to "
                 "out − t.")
    return text


def _is_cross_entropy_delta(w: _Words) -> bool:
    """An output δ computed directly as out − t (no ∂E/∂out record for this neuron)."""
    idx = record_index(w.trace)
    return idx.find(("output_error",), w.rec.element, w.rec.sample, w.rec.index) is None


def _param_words(w: _Words) -> str:
    e = w.rec.element
    if e.kind == "bias":
        return f"the bias {w.name}"
    return w.name


def _gradient(w: _Words) -> str:
    p = _param_words(w)
    g = w.rec.result
    if g > 0:
        sign = f"increasing {p} would increase the error, so the update lowers it"
    elif g < 0:
        sign = f"increasing {p} would decrease the error, so the update raises it"
    else:
        sign = f"{p} does not change the error here, so the update leaves it alone"
    e = w.rec.element
    if e.kind == "weight":
        src = w.neuron(e.layer, e.i)
        src = f"the input {src}" if e.layer == 0 else f"{src}'s output"
        how = f"δ of {w.neuron(e.layer + 1, e.j)} times {src}, the value {w.name} multiplies"
    else:
        how = f"δ of {w.neuron(e.layer + 1, e.j)} times 1, since a bias adds directly to the net input"
    mean = f"the mean over the {w.B} samples of " if w.B > 1 else ""
    return (f"{w.res}: nudging {p} by a small ε changes the error by about {w.num(g)}·ε; {sign}. It is "
            f"{mean}{how}.")


def _velocity(w: _Words) -> str:
    mu = w.op(0)
    mu_txt = f"{w.num(mu[1])} of " if mu else "part of "
    return (f"{w.res} is the momentum (velocity) of {_param_words(w)}: it keeps {mu_txt}the previous velocity and "
            f"adds the new gradient, so steps build up in directions that stay consistent and cancel where they flip.")


def _first_moment(w: _Words) -> str:
    beta = w.op(0)
    return (f"{w.res} is Adam's running mean of {_param_words(w)}'s gradient (its first moment): it keeps "
            f"β1 = {w.num(beta[1])} of the previous mean and adds 1 − β1 of the new gradient, so it follows the "
            f"gradient's direction while smoothing out its jumps from batch to batch.")


def _second_moment(w: _Words) -> str:
    beta = w.op(0)
    return (f"{w.res} is Adam's running mean of {_param_words(w)}'s squared gradient (its second moment): it "
            f"keeps β2 = {w.num(beta[1])} of the previous mean and adds 1 − β2 of the new gradient squared. "
            f"Its square root says how large the gradient has typically been, whatever its sign.")


def _bias_correction(w: _Words) -> str:
    moment, beta, t = w.op(0), w.op(1), w.op(2)
    which = "first" if moment[0].startswith("m") else "second"
    factor = 1.0 - beta[1] ** t[1]
    return (f"{w.res} is the {which} moment {moment[0]} = {w.num(moment[1])} corrected for starting at 0: "
            f"divided by 1 − {beta[0]}^t = {w.num(factor)} (t = {int(t[1]):,}: this is update {int(t[1]):,}), which "
            f"lifts it to the size of what it averages; the correction fades as t grows.")


def _adam_update(w: _Words, old: float, new: float) -> str:
    eta = w.op(1)
    return (f"{w.res}: Adam moves {_param_words(w)} against its corrected mean gradient divided by the square root "
            f"of its corrected mean squared gradient, times η = {w.num(eta[1])}: a step of about η whatever the "
            f"gradient's size (smaller where the gradient keeps changing sign), from {w.num(old)} to "
            f"{w.num(new)} (a change of {'+' if new > old else ''}{w.num(new - old)}).")


def _update(w: _Words) -> str:
    old = w.rec.old_value if w.rec.param_index >= 0 else (w.op(0)[1] if w.op(0) else math.nan)
    new = w.rec.result
    if len(w.rec.operands) == 5 and is_adam_update(w.rec, w.trace):
        return _adam_update(w, old, new)
    eta = w.op(1)
    step = f"η = {w.num(eta[1])} times " if eta else ""
    momentum = record_index(w.trace).find(("velocity",), w.rec.element, None, w.rec.index) is not None
    against = "its velocity" if momentum else "its gradient"
    return (f"{w.res}: gradient descent moves {_param_words(w)} against {against}, by {step}it, from "
            f"{w.num(old)} to {w.num(new)} (a change of {'+' if new > old else ''}{w.num(new - old)}).")


def _generic(w: _Words) -> str:
    where = f" for {w.name}" if w.rec.element.kind != "loss" else " for the loss"
    return f"{w.res} is a {kind_title(w.rec.kind)} computation{where}{w.of_sample} ({w.rec.phase} phase)."


_EXPLAIN = {
    "weighted_sum": _weighted_sum, "activation": _activation, "loss_term": _loss_term,
    "sample_loss": _sample_loss, "total_loss": _total_loss, "output_error": _output_error,
    "hidden_error": _hidden_error, "local_derivative": _local_derivative, "output_delta": _delta,
    "hidden_delta": _delta, "gradient": _gradient, "velocity": _velocity, "first_moment": _first_moment,
    "second_moment": _second_moment, "bias_correction": _bias_correction, "update": _update,
}


def explain(rec: Computation, trace: Trace, network: Network, digits: int = 9) -> str:
    """One or two plain sentences saying what *rec* means, for its element and numbers.

    Parameters
    ----------
    rec : Computation
        A record of *trace*.
    trace : Trace
        The iteration it belongs to (for the batch size and related records).
    network : Network
        Gives neuron names and activations (its structure, not its values).
    digits : int
        Decimal places of the numbers in the text.

    Returns
    -------
    str
        Plain text (no markup).  Kinds this module does not know get a generic
        sentence naming the element.
    """
    words = _Words(rec, trace, network, digits)
    fn = _EXPLAIN.get(rec.kind, _generic)
    try:
        return fn(words)
    except (IndexError, KeyError, ValueError, TypeError, AttributeError):
        # A record shaped differently from what this version expects still gets a sentence.
        return _generic(words)
