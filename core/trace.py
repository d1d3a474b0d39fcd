"""One iteration as an ordered list of computation records.

Each :class:`Computation` is one line of the worked example: what it computes
(``target``), in which phase, for which network element, its symbolic form,
the named operand values and the result.  Every number in a record is taken
from the arrays of the engine's :class:`~backprop_lab.core.kernel.Pass` and
update, never recomputed here, so the equations the GUI shows are the engine's
own numbers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterator, Sequence

import numpy as np

from .kernel import Pass
from .network import LOSS_ELEMENT, Element, Network

PHASES = ("forward", "loss", "backward", "update")
_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
MAX_TERMS = 10  # longer sums are shown with "…" in the middle


def format_number(value: float, digits: int = 9) -> str:
    """*value* as the worked example prints it: *digits* decimal places, trailing
    zeros dropped, a real minus sign; scientific notation (with *digits*
    significant digits) for magnitudes below 1e-4 or from 1e6."""
    v = float(value)
    if v == 0.0:
        return "0"
    if not math.isfinite(v):
        return str(v)
    a = abs(v)
    if 1e-4 <= a < 1e6:
        text = f"{v:.{digits}f}".rstrip("0").rstrip(".")
        if text in ("", "-", "-0", "0"):
            text = f"{v:.{max(digits - 1, 0)}e}"
    else:
        text = f"{v:.{max(digits - 1, 0)}e}"
    if "e" in text:
        mant, exp = text.split("e")
        if "." in mant:
            mant = mant.rstrip("0").rstrip(".")
        text = f"{mant}e{int(exp)}"
    return text.replace("-", "−")


@dataclass(frozen=True, slots=True)
class Computation:
    """One computation of an iteration.

    Attributes
    ----------
    index : int
        Position in the trace (0-based).
    phase : str
        ``forward``, ``loss``, ``backward`` or ``update``.
    kind : str
        ``weighted_sum``, ``activation``, ``loss_term``, ``sample_loss``,
        ``total_loss``, ``output_error``, ``hidden_error``, ``local_derivative``,
        ``output_delta``, ``hidden_delta``, ``gradient``, ``velocity`` or ``update``.
    element : Element
        The neuron, weight, bias or loss this computation belongs to.
    sample : int or None
        Position of the sample within the batch, for per-sample computations.
    target : str
        The symbol computed, e.g. ``net_h1``, ``∂E/∂w5``, ``w5⁺``.
    expansion : str
        The symbolic right-hand side, e.g. ``w1·i1 + w2·i2 + b1``.
    template : str
        The right-hand side with ``{k}`` where operand *k*'s value goes.
    operands : tuple of (str, float)
        Named operand values, in template order.
    result : float
        The engine's value of ``target``.
    param_index : int
        For ``update`` records: the index into ``Network.theta`` it sets (else −1).
    old_value : float
        For ``update`` records: the parameter's value before the update.
    """

    index: int
    phase: str
    kind: str
    element: Element
    sample: int | None
    target: str
    expansion: str
    template: str
    operands: tuple[tuple[str, float], ...]
    result: float
    param_index: int = -1
    old_value: float = 0.0

    def substituted(self, digits: int = 9) -> str:
        """The right-hand side with the operand values filled in."""
        vals = []
        for _, v in self.operands:
            s = format_number(v, digits)
            vals.append(f"({s})" if v < 0 else s)
        return self.template.format(*vals)

    def text(self, digits: int = 9) -> str:
        """``target = expansion = numbers = result``, the worked example's form."""
        parts = [self.target, self.expansion]
        sub = self.substituted(digits)
        if sub != self.expansion:
            parts.append(sub)
        parts.append(format_number(self.result, digits))
        return " = ".join(parts)

    def operand(self, name: str) -> float:
        for n, v in self.operands:
            if n == name:
                return v
        raise KeyError(name)


@dataclass
class Trace:
    """The ordered computations of one iteration.

    Attributes
    ----------
    iteration : int
        The iteration number this trace computes (1-based: the first step is 1).
    batch : ndarray
        Dataset indices of the samples in the batch.
    records : list of Computation
        In the order they are performed.
    loss : float
        The batch loss before the update.
    """

    iteration: int
    batch: np.ndarray
    records: list[Computation] = field(default_factory=list)
    loss: float = float("nan")

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[Computation]:
        return iter(self.records)

    def __getitem__(self, k: int) -> Computation:
        return self.records[k]

    def find(self, target: str, sample: int | None = None) -> Computation:
        """The first record computing *target* (for *sample* when given)."""
        for r in self.records:
            if r.target == target and (sample is None or r.sample == sample):
                return r
        raise KeyError(target)

    def for_element(self, element: Element) -> list[Computation]:
        """Every record that belongs to *element* (a neuron's forward values and
        delta, a weight's gradient and update, ...)."""
        return [r for r in self.records if r.element == element]

    def text(self, digits: int = 9) -> str:
        """The whole iteration as plain text, one computation per line."""
        lines = [f"Iteration {self.iteration}"]
        phase = None
        for r in self.records:
            if r.phase != phase:
                phase = r.phase
                lines.append(f"-- {phase} --")
            lines.append(r.text(digits))
        return "\n".join(lines)


def _sum_template(n: int, start: int = 0, per_term: int = 2, sep: str = " + ") -> tuple[str, list[int]]:
    """Template ``{0}·{1} + {2}·{3} + …`` for *n* products; elides the middle
    of long sums.  Returns the template and the term indices it shows."""
    shown = list(range(n)) if n <= MAX_TERMS else list(range(MAX_TERMS - 2)) + [n - 1]
    parts = []
    k = start
    for pos, term in enumerate(shown):
        if n > MAX_TERMS and pos == MAX_TERMS - 2:
            parts.append("…")
        if per_term == 2:
            parts.append(f"{{{k}}}·{{{k + 1}}}")
        else:
            parts.append(f"{{{k}}}")
        k += per_term
    return sep.join(parts), shown


class TraceBuilder:
    """Turns a :class:`Pass` and an update into a :class:`Trace`.

    Parameters
    ----------
    network : Network
        The network *before* the update (its weights are the operands).
    settings : object
        Has ``learning_rate``, ``momentum``, ``update_biases`` and ``loss``.
    """

    def __init__(self, network: Network, settings) -> None:
        self.net = network
        self.s = settings

    def build(self, iteration: int, batch: np.ndarray, targets: np.ndarray, p: Pass,
              velocity_old: np.ndarray | None, velocity_new: np.ndarray | None,
              theta_new: np.ndarray) -> Trace:
        tr = Trace(iteration, np.asarray(batch), [], p.loss)
        self._targets = targets
        self._rec: list[Computation] = tr.records
        B = p.outs[0].shape[0]
        self.B = B
        self._forward(p, B)
        self._loss(p, targets, B)
        self._backward(p, B)
        self._updates(p, velocity_old, velocity_new, theta_new)
        return tr

    # -- helpers ---------------------------------------------------------------
    def _add(self, phase, kind, element, sample, target, expansion, template, operands, result,
             param_index=-1, old_value=0.0) -> None:
        self._rec.append(Computation(len(self._rec), phase, kind, element, sample, target, expansion,
                                     template, tuple(operands), float(result), param_index,
                                     float(old_value)))

    def _sfx(self, s: int) -> str:
        return "" if self.B == 1 else f"⁽{s + 1}⁾".translate(_SUP)

    def _n(self, layer: int, j: int) -> str:
        return self.net.neuron_name(layer, j)

    def _out_sym(self, layer: int, j: int, s: int) -> str:
        # Inputs are named by themselves (i1), other neurons by their output (out_h1).
        name = self._n(layer, j)
        return (name if layer == 0 else f"out_{name}") + self._sfx(s)

    # -- phases ------------------------------------------------------------------
    def _forward(self, p: Pass, B: int) -> None:
        net = self.net
        for l in range(net.n_layers):
            act = net.activations[l]
            W, b = net.weights[l], net.biases[l]
            n_in = net.sizes[l]
            tmpl, shown = _sum_template(n_in)
            bias_sym = net.bias_name(l)
            for s in range(B):
                for j in range(net.sizes[l + 1]):
                    name = self._n(l + 1, j)
                    ops = []
                    sym = []
                    for i in shown:
                        wn = net.weight_name(l, j, i)
                        xn = self._out_sym(l, i, s)
                        ops += [(wn, W[j, i]), (xn, p.outs[l][s, i])]
                        sym.append(f"{wn}·{xn}")
                    if n_in > MAX_TERMS:
                        sym.insert(MAX_TERMS - 2, "…")
                    ops.append((bias_sym, b[j]))
                    expansion = " + ".join(sym) + f" + {bias_sym}"
                    template = tmpl + f" + {{{len(ops) - 1}}}"
                    self._add("forward", "weighted_sum", Element("neuron", l + 1, j), s,
                              f"net_{name}{self._sfx(s)}", expansion, template, ops, p.nets[l][s, j])
                for j in range(net.sizes[l + 1]):
                    name = self._n(l + 1, j)
                    net_sym = f"net_{name}{self._sfx(s)}"
                    if act.elementwise:
                        ops = [(net_sym, p.nets[l][s, j])]
                        expansion = f"{act.symbol}({net_sym})"
                        template = act.formula.format(net="{0}")
                    else:  # softmax over the layer
                        n_out = net.sizes[l + 1]
                        ops = [(f"net_{self._n(l + 1, k)}{self._sfx(s)}", p.nets[l][s, k]) for k in range(n_out)]
                        expansion = f"softmax({net_sym})"
                        den = " + ".join(f"e^{{{k}}}" for k in range(n_out))
                        template = f"e^{{{j}}} / ({den})"
                    self._add("forward", "activation", Element("neuron", l + 1, j), s,
                              f"out_{name}{self._sfx(s)}", expansion, template, ops, p.outs[l + 1][s, j])

    def _loss(self, p: Pass, targets: np.ndarray, B: int) -> None:
        net = self.net
        L = net.n_layers
        ce = self.s.loss == "cross_entropy"
        softmax = not net.activations[-1].elementwise
        for s in range(B):
            term_syms = []
            for k in range(net.sizes[-1]):
                name = self._n(L, k)
                t_sym, o_sym = f"t_{name}{self._sfx(s)}", f"out_{name}{self._sfx(s)}"
                e_sym = f"E_{name}{self._sfx(s)}"
                term_syms.append(e_sym)
                if not ce:
                    expansion = f"½({t_sym} − {o_sym})²"
                    template = "½({0} − {1})²"
                elif softmax:
                    expansion = f"−{t_sym}·log {o_sym}"
                    template = "−{0}·log {1}"
                else:
                    expansion = f"−{t_sym}·log {o_sym} − (1 − {t_sym})·log(1 − {o_sym})"
                    template = "−{0}·log {1} − (1 − {0})·log(1 − {1})"
                self._add("loss", "loss_term", Element("neuron", L, k), s, e_sym, expansion, template,
                          [(t_sym, targets[s, k]), (o_sym, p.outs[L][s, k])], p.loss_terms[s, k])
            tmpl, shown = _sum_template(len(term_syms), per_term=1)
            target = "E_total" if B == 1 else f"E{self._sfx(s)}"
            kind = "total_loss" if B == 1 else "sample_loss"
            self._add("loss", kind, LOSS_ELEMENT, s if B > 1 else 0, target,
                      " + ".join(term_syms[i] for i in shown),
                      tmpl, [(term_syms[i], p.loss_terms[s, i]) for i in shown], p.sample_loss[s])
        if B > 1:
            tmpl, shown = _sum_template(B, per_term=1)
            self._add("loss", "total_loss", LOSS_ELEMENT, None, "E_total",
                      f"(1/{B})·Σₛ E⁽ˢ⁾", f"({tmpl}) / {B}",
                      [(f"E{self._sfx(s)}", p.sample_loss[s]) for s in shown], p.loss)

    def _backward(self, p: Pass, B: int) -> None:
        """Deltas, from the output layer back to the first hidden layer."""
        net = self.net
        L = net.n_layers
        self._grad_done: set[int] = set()
        for l in range(L - 1, -1, -1):
            act = net.activations[l]
            for s in range(B):
                for j in range(net.sizes[l + 1]):
                    name = self._n(l + 1, j)
                    sx = self._sfx(s)
                    el = Element("neuron", l + 1, j)
                    out_sym = f"out_{name}{sx}"
                    dE_dout = f"∂E/∂{out_sym}"
                    dout_dnet = f"∂{out_sym}/∂net_{name}{sx}"
                    delta_sym = f"δ_{name}{sx}"
                    if p.errors[l] is None:
                        # Cross-entropy (or softmax+MSE): δ at the logits directly.
                        t_sym = f"t_{name}{sx}"
                        if self.s.loss == "cross_entropy":
                            self._add("backward", "output_delta", el, s, delta_sym, f"{out_sym} − {t_sym}",
                                      "{0} − {1}", [(out_sym, p.outs[L][s, j]), (t_sym, self._targets[s, j])],
                                      p.deltas[l][s, j])
                        else:
                            self._add("backward", "output_delta", el, s, delta_sym,
                                      f"{out_sym}·(∂E/∂{out_sym} − Σₖ ∂E/∂outₖ·outₖ)", "{0}·(…)",
                                      [(out_sym, p.outs[L][s, j])], p.deltas[l][s, j])
                        continue
                    if l == L - 1:
                        t_sym = f"t_{name}{sx}"
                        # t is an operand; the engine's error is out − t.
                        self._add("backward", "output_error", el, s, dE_dout, f"{out_sym} − {t_sym}",
                                  "{0} − {1}", [(out_sym, p.outs[L][s, j]), (t_sym, self._targets[s, j])],
                                  p.errors[l][s, j])
                    else:
                        n_next = net.sizes[l + 2]
                        tmpl, shown = _sum_template(n_next)
                        ops, sym = [], []
                        for k in shown:
                            d_sym = f"δ_{self._n(l + 2, k)}{sx}"
                            wn = net.weight_name(l + 1, k, j)
                            ops += [(d_sym, p.deltas[l + 1][s, k]), (wn, net.weights[l + 1][k, j])]
                            sym.append(f"{d_sym}·{wn}")
                        if n_next > MAX_TERMS:
                            sym.insert(MAX_TERMS - 2, "…")
                        self._add("backward", "hidden_error", el, s, dE_dout, " + ".join(sym), tmpl, ops,
                                  p.errors[l][s, j])
                    o = p.outs[l + 1][s, j]
                    self._add("backward", "local_derivative", el, s, dout_dnet,
                              act.derivative_formula.replace("out", out_sym).replace("net", f"net_{name}{sx}"),
                              _DERIV_TEMPLATES[act.name],
                              [(out_sym, o)] if act.name in ("sigmoid", "tanh") else
                              [(f"net_{name}{sx}", p.nets[l][s, j])] if act.name in ("relu", "leaky_relu") else [],
                              p.fprimes[l][s, j])
                    self._add("backward", "output_delta" if l == L - 1 else "hidden_delta", el, s, delta_sym,
                              f"{dE_dout} · {dout_dnet}", "{0} · {1}",
                              [(dE_dout, p.errors[l][s, j]), (dout_dnet, p.fprimes[l][s, j])],
                              p.deltas[l][s, j])
            self._layer_gradients(p, l, B)

    def _layer_gradients(self, p: Pass, l: int, B: int) -> None:
        net = self.net
        chain = p.errors[l] is not None and B == 1
        for j in range(net.sizes[l + 1]):
            name = self._n(l + 1, j)
            for i in range(net.sizes[l] + 1):
                is_bias = i == net.sizes[l]
                if is_bias:
                    k = net.bias_index(l, j)
                    pname = f"{net.bias_name(l)}→{name}"
                    el = Element("bias", l, j)
                else:
                    k = net.weight_index(l, j, i)
                    pname = net.weight_name(l, j, i)
                    el = Element("weight", l, j, i)
                target = f"∂E/∂{pname}"
                if chain:
                    x_name = "1" if is_bias else self._out_sym(l, i, 0)
                    expansion = f"∂E/∂out_{name} · ∂out_{name}/∂net_{name} · ∂net_{name}/∂{pname}"
                    ops = [(f"∂E/∂out_{name}", p.errors[l][0, j]),
                           (f"∂out_{name}/∂net_{name}", p.fprimes[l][0, j])]
                    if is_bias:
                        template = "{0} · {1} · 1"
                    else:
                        ops.append((x_name, p.outs[l][0, i]))
                        template = "{0} · {1} · {2}"
                elif B == 1:
                    expansion = f"δ_{name} · " + ("1" if is_bias else self._out_sym(l, i, 0))
                    ops = [(f"δ_{name}", p.deltas[l][0, j])]
                    if is_bias:
                        template = "{0} · 1"
                    else:
                        ops.append((self._out_sym(l, i, 0), p.outs[l][0, i]))
                        template = "{0} · {1}"
                else:
                    x_sym = "1" if is_bias else self._out_sym(l, i, 0).replace(self._sfx(0), "⁽ˢ⁾")
                    expansion = f"(1/{B})·Σₛ δ_{name}⁽ˢ⁾·{x_sym}"
                    tmpl, shown = _sum_template(B, per_term=1 if is_bias else 2)
                    template = f"({tmpl}) / {B}"
                    ops = []
                    for s in shown:
                        ops.append((f"δ_{name}{self._sfx(s)}", p.deltas[l][s, j]))
                        if not is_bias:
                            ops.append((self._out_sym(l, i, s), p.outs[l][s, i]))
                self._add("backward", "gradient", el, None, target, expansion, template, ops, p.grad[k])

    def _updates(self, p: Pass, v_old, v_new, theta_new) -> None:
        net = self.net
        s = self.s
        eta = s.learning_rate
        for k in range(net.n_params):
            el = net.element_of_index(k)
            if el.kind == "bias":
                if not s.update_biases:
                    continue
                pname = f"{net.bias_name(el.layer)}→{self._n(el.layer + 1, el.j)}"
            else:
                pname = net.weight_name(el.layer, el.j, el.i)
            old = net.theta[k]
            if s.momentum != 0.0:
                self._add("update", "velocity", el, None, f"v_{pname}⁺", f"μ·v_{pname} + ∂E/∂{pname}",
                          "{0}·{1} + {2}", [("μ", s.momentum), (f"v_{pname}", v_old[k]), (f"∂E/∂{pname}", p.grad[k])],
                          v_new[k])
                self._add("update", "update", el, None, f"{pname}⁺", f"{pname} − η·v_{pname}⁺", "{0} − {1}·{2}",
                          [(pname, old), ("η", eta), (f"v_{pname}⁺", v_new[k])], theta_new[k], k, old)
            else:
                self._add("update", "update", el, None, f"{pname}⁺", f"{pname} − η·∂E/∂{pname}", "{0} − {1}·{2}",
                          [(pname, old), ("η", eta), (f"∂E/∂{pname}", p.grad[k])], theta_new[k], k, old)


_DERIV_TEMPLATES = {
    "sigmoid": "{0}·(1 − {0})",
    "tanh": "1 − {0}²",
    "relu": "[{0} > 0]",
    "leaky_relu": "[{0} > 0] or 0.01",
    "linear": "1",
}


def build_trace(network: Network, settings, iteration: int, batch: Sequence[int] | np.ndarray,
                targets: np.ndarray, p: Pass, velocity_old, velocity_new, theta_new) -> Trace:
    """Build the :class:`Trace` of one iteration from the engine's values."""
    b = TraceBuilder(network, settings)
    return b.build(iteration, np.asarray(batch), targets, p, velocity_old, velocity_new, theta_new)
