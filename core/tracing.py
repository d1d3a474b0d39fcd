"""Builds the :class:`~.trace.Trace` of one iteration from the engine's arrays (names, formulas, operands).

Every number in a record is taken from the engine's :class:`~.kernel.Pass`
and :class:`~.optimizer.Update`, never recomputed here, so the equations
shown are the engine's own numbers.  Formulas come from their owners: the
activation objects, the loss and its output-delta rule, the regulariser and
the update rule; this module only names things and orders the records.

Naming: a bias is named by its neuron (``b_h1``) unless its layer's biases
are shared and fixed — ``update_biases`` is off and all biases of the layer
are equal, as in the worked example — where the layer's name ``b1`` is used.
"""
from __future__ import annotations

import copy
from functools import partial
from typing import Any, Callable

import numpy as np

from .kernel import Pass
from .losses import OutputSymbols, get_loss, output_delta_rule
from .network import LOSS_ELEMENT, Element, Network
from .notation import MAX_TERMS, elide, sample_suffix, sum_template
from .optimizer import OptimizerState, schedule_record, update_records
from .regularization import Regularizer
from .settings import TrainingSettings
from .trace import Computation, LazyRecords, Segment, Trace


class _Numbered(list):
    """A segment's records as they are made: ``len`` counts from the segment's first index, which numbers
    each record as in the whole trace."""

    def __init__(self, start: int) -> None:
        super().__init__()
        self.start = start

    def __len__(self) -> int:
        return self.start + super().__len__()


def shared_bias_layers(network: Network, settings: TrainingSettings) -> list[bool]:
    """For each dense layer: whether its biases are shared and fixed (named ``b1``, not ``b_h1``)."""
    if settings.update_biases:
        return [False] * network.n_layers
    return [bool(np.all(b == b[0])) for b in network.biases]


class TraceBuilder:
    """Turns one iteration's engine values into records, in the order they are performed.

    Parameters
    ----------
    network : Network
        The network *before* the update (its parameters are the operands).
    settings : TrainingSettings
        The settings the iteration ran with.
    """

    def __init__(self, network: Network, settings: TrainingSettings) -> None:
        self.net = network
        self.s = settings
        self.loss = get_loss(settings.loss)
        self.rule = output_delta_rule(self.loss, network.activations[-1])
        self.reg = Regularizer(settings, network.weight_mask())
        self.shared = shared_bias_layers(network, settings)
        self.B = 1
        self._sfxs = [""]
        self._names = [[network.neuron_name(layer, j) for j in range(n)] for layer, n in enumerate(network.sizes)]
        self._params = self._parameters()
        self._rec: list[Computation] = []
        # The names, expansions and templates of a record depend only on the structure, the settings and the
        # sample's position in the batch, never on the numbers: they are made once per builder and reused by
        # every later iteration (the simulation keeps its builder while ``fits`` holds).
        self._strings: dict[tuple, Any] = {}
        self._counts: dict[int, list[int]] = {}  # records per segment, by batch size (see build)
        self.key = trace_key(network, settings)

    def fits(self, network: Network, settings: TrainingSettings) -> bool:
        """Whether this builder's names and formulas are right for *network* and *settings*."""
        return trace_key(network, settings) == self.key

    def build(self, iteration: int, batch: np.ndarray, targets: np.ndarray, computed: Any,
              state_before: OptimizerState, updates_done: int, network: Network | None = None) -> Trace:
        """The trace of *computed* (an :class:`~.iteration.Computed` with detail).

        *network* (the parameters before the update) defaults to the one the
        builder was made for; it must have the same structure (see :meth:`fits`).

        The records are made in segments (a layer's forward pass for one sample, the loss, one sample's
        deltas of a layer, a layer's gradients, the updates).  The first trace of each batch size is made
        whole and its segments counted; later ones are :class:`~.trace.LazyRecords` whose segments are made
        when read (a window shows one sample's and the rows on screen), from copies of everything they read.
        """
        if network is not None:
            self.net = network
        p: Pass = computed.pass_
        B = p.outs[0].shape[0]
        # a copy of this builder holds what this iteration's records are made of, so that they can be made
        # later, after the network, the optimizer's state and this builder have moved on
        ctx = copy.copy(self)
        ctx.net = self.net.copy()
        ctx._p, ctx._computed, ctx._targets = p, computed, np.array(targets)
        ctx._state_before, ctx._updates_done = state_before.copy(), updates_done
        ctx.B, ctx._sfxs = B, [sample_suffix(k, B) for k in range(B)]
        ctx._vals = {}  # the engine's arrays as lists, made with the first segment (shared by its copies)
        plan = ctx._plan()
        tr = Trace(iteration, np.asarray(batch), [], computed.loss)
        counts = self._counts.get(B)
        if counts is None:  # made whole, and counted for the next ones
            ctx._rec = tr.records
            counts = []
            for _, _, make, args in plan:
                n = len(tr.records)
                make(ctx, *args)
                counts.append(len(tr.records) - n)
            self._counts[B] = counts
            return tr
        segments, start = [], 0
        for (phase, sample, make, args), n in zip(plan, counts):
            segments.append((Segment(start, n, phase, sample), partial(ctx._made, start, make, args)))
            start += n
        tr.records = LazyRecords(segments)
        return tr

    def _plan(self) -> list[tuple[str, int | None, Callable[..., None], tuple]]:
        """``(phase, sample or None, make, args)`` of each segment, in the order the records are performed:
        the forward pass layer by layer, the loss, then from the output layer back each layer's deltas and
        its gradients, then the updates.  ``make(builder, *args)`` appends the records to ``builder._rec``."""
        B, L = self.B, self.net.n_layers
        cls = TraceBuilder
        plan: list[tuple[str, int | None, Callable[..., None], tuple]] = []
        for l in range(L):
            plan += [("forward", s, cls._forward_sample, (l, s)) for s in range(B)]
        plan.append(("loss", None, cls._loss, ()))
        plan += [("backward", s, cls._output_deltas, (s,)) for s in range(B)]
        plan.append(("backward", None, cls._layer_gradients, (L - 1,)))
        for l in range(L - 2, -1, -1):
            plan += [("backward", s, cls._hidden_deltas, (l, s)) for s in range(B)]
            plan.append(("backward", None, cls._layer_gradients, (l,)))
        plan.append(("update", None, cls._updates, ()))
        return plan

    def _made(self, start: int, make: Callable[..., None], args: tuple) -> list[Computation]:
        """One segment's records, numbered from *start* (on a copy of this builder: segments may be made in
        any order, and from another thread, without sharing the list being filled)."""
        b = copy.copy(self)
        b._rec = _Numbered(start)
        make(b, *args)
        return list(b._rec)

    def _values(self) -> dict:
        # Plain Python floats read from lists are many times cheaper than indexing numpy arrays element by
        # element; converted once per iteration, when its first segment is made.
        v = self._vals
        if not v:
            p = self._p
            lists = {name: [None if a is None else a.tolist() for a in getattr(p, name) or ()]
                     for name in ("outs", "nets", "errors", "fprimes", "deltas")}
            dW = None if p.delta_weights is None else [None if w is None else w.tolist() for w in p.delta_weights]
            # one update: another thread making a segment sees an empty dict or a whole one
            v.update(lists=lists, W=[w.tolist() for w in self.net.weights], dW=dW,
                     b=[b.tolist() for b in self.net.biases])
        return v

    # -- helpers ---------------------------------------------------------------------------------
    def _add(self, phase, kind, element, sample, target, expansion, template, operands, result,
             param_index=-1, old_value=0.0) -> None:
        self._rec.append(Computation(len(self._rec), phase, kind, element, sample, target, expansion,
                                     template, tuple(operands), float(result),
                                     param_index, float(old_value)))

    def _sfx(self, s: int) -> str:
        return self._sfxs[s]

    def _n(self, layer: int, j: int) -> str:
        return self._names[layer][j]

    def _out_sym(self, layer: int, j: int, s: int) -> str:
        # Inputs are named by themselves (i1), other neurons by their output (out_h1).
        name = self._n(layer, j)
        return (name if layer == 0 else f"out_{name}") + self._sfx(s)

    def bias_sym(self, l: int, j: int) -> str:
        """The bias of neuron j of dense layer l as a value in a sum: ``b1`` (shared) or ``b_h1``."""
        return self.net.bias_name(l) if self.shared[l] else self.net.bias_name(l, j)

    def param_name(self, k: int) -> str:
        """A parameter's name in gradients and updates: ``w5``, ``b_h1``, or ``b1→h1`` for a shared bias."""
        return self._params[k][1]

    def _parameters(self) -> list[tuple[Element, str]]:
        """``(element, name)`` of every parameter, in ``theta`` order."""
        net = self.net
        out: list[tuple[Element, str]] = []
        for l in range(net.n_layers):
            for j in range(net.sizes[l + 1]):
                out += [(Element("weight", l, j, i), net.weight_name(l, j, i)) for i in range(net.sizes[l])]
            shared = self.shared[l]
            out += [(Element("bias", l, j), f"{net.bias_name(l)}→{self._n(l + 1, j)}" if shared
                     else net.bias_name(l, j)) for j in range(net.sizes[l + 1])]
        return out

    # -- phases ----------------------------------------------------------------------------------
    def _forward_sample(self, l: int, s: int) -> None:
        """Layer *l*'s weighted sums, then its activations, for batch position *s*."""
        v = self._values()
        lists = v["lists"]
        net, rec = self.net, self._rec
        act = net.activations[l]
        W, b = v["W"][l], v["b"][l]
        n_out = net.sizes[l + 1]
        outs, nets = lists["outs"], lists["nets"]
        x, z, y = outs[l][s], nets[l][s], outs[l + 1][s]
        for j in range(n_out):
            target, expansion, template, names, shown, el = self._sum_strings(l, j, s)
            w = W[j]
            values = [v for i in shown for v in (w[i], x[i])]
            values.append(b[j])
            rec.append(Computation(len(rec), "forward", "weighted_sum", el, s, target, expansion, template,
                                   tuple(zip(names, values)), z[j]))
        for j in range(n_out):
            target, expansion, template, names, idx, el = self._activation_strings(l, j, s, act)
            rec.append(Computation(len(rec), "forward", "activation", el, s, target, expansion, template,
                                   tuple(zip(names, [z[k] for k in idx])), y[j]))

    def _sum_strings(self, l: int, j: int, s: int) -> tuple:
        """Target, expansion, template, operand names, shown inputs and element of neuron j's weighted sum."""
        key = ("sum", l, j, s, self.B)
        got = self._strings.get(key)
        if got is None:
            net = self.net
            n_in = net.sizes[l]
            tmpl, shown = sum_template(n_in)
            names, sym = [], []
            for i in shown:
                wn, xn = net.weight_name(l, j, i), self._out_sym(l, i, s)
                names += [wn, xn]
                sym.append(f"{wn}·{xn}")
            bias = self.bias_sym(l, j)
            names.append(bias)
            got = self._strings[key] = (f"net_{self._n(l + 1, j)}{self._sfx(s)}",
                                        " + ".join(elide(sym, n_in)) + f" + {bias}",
                                        tmpl + f" + {{{len(names) - 1}}}", tuple(names), shown,
                                        Element("neuron", l + 1, j))
        return got

    def _activation_strings(self, l: int, j: int, s: int, act: Any) -> tuple:
        """Target, expansion, template, operand names, operand nets and element of neuron j's activation."""
        key = ("act", l, j, s, self.B)
        got = self._strings.get(key)
        if got is None:
            n_out = self.net.sizes[l + 1]
            template, idx = act.output_formula(j, n_out)
            names = tuple(f"net_{self._n(l + 1, k)}{self._sfx(s)}" for k in idx)
            got = self._strings[key] = (f"out_{self._n(l + 1, j)}{self._sfx(s)}",
                                        f"{act.symbol}(net_{self._n(l + 1, j)}{self._sfx(s)})", template, names,
                                        tuple(idx), Element("neuron", l + 1, j))
        return got

    def _loss(self) -> None:
        p, computed = self._p, self._computed
        net = self.net
        L = net.n_layers
        B = self.B
        term_expansion, term_template = self.loss.term_formula(net.activations[-1])
        reg = self.reg.active
        for s in range(B):
            term_syms = []
            for k in range(net.sizes[-1]):
                name = self._n(L, k)
                t_sym, o_sym, e_sym = (f"t_{name}{self._sfx(s)}", f"out_{name}{self._sfx(s)}",
                                       f"E_{name}{self._sfx(s)}")
                term_syms.append(e_sym)
                self._add("loss", "loss_term", Element("neuron", L, k), s, e_sym,
                          term_expansion.format(t=t_sym, out=o_sym), term_template,
                          [(t_sym, self._targets[s, k]), (o_sym, p.outs[L][s, k])], p.loss_terms[s, k])
            tmpl, shown = sum_template(len(term_syms), per_term=1)
            if B == 1:
                target, kind = ("E_data", "data_loss") if reg else ("E_total", "total_loss")
            else:
                target, kind = f"E{self._sfx(s)}", "sample_loss"
            self._add("loss", kind, LOSS_ELEMENT, s if B > 1 else 0, target,
                      " + ".join(elide([term_syms[i] for i in shown], len(term_syms))),
                      tmpl, [(term_syms[i], p.loss_terms[s, i]) for i in shown], p.sample_loss[s])
        if B > 1:
            tmpl, shown = sum_template(B, per_term=1)
            target, kind = ("E_data", "data_loss") if reg else ("E_total", "total_loss")
            self._add("loss", kind, LOSS_ELEMENT, None, target, f"(1/{B})·Σₛ E⁽ˢ⁾", f"({tmpl}) / {B}",
                      [(f"E{self._sfx(s)}", p.sample_loss[s]) for s in shown], p.loss)
        if reg:
            mask = net.weight_mask()
            names = [self.param_name(k) for k in np.flatnonzero(mask)]
            expansion, template, ops = self.reg.penalty_record(names, net.theta[mask])
            self._add("loss", "penalty", LOSS_ELEMENT, None, "E_reg", expansion, template, ops, computed.penalty)
            self._add("loss", "total_loss", LOSS_ELEMENT, None, "E_total", "E_data + E_reg", "{0} + {1}",
                      [("E_data", p.loss), ("E_reg", computed.penalty)], computed.loss)

    def _output_deltas(self, s: int) -> None:
        p = self._p
        net, L, sx = self.net, self.net.n_layers, self._sfx(s)
        syms = []
        for j in range(net.sizes[-1]):
            name = self._n(L, j)
            out, nt = f"out_{name}{sx}", f"net_{name}{sx}"
            syms.append(OutputSymbols(out, nt, f"t_{name}{sx}", f"∂E/∂{out}", f"∂{out}/∂{nt}", f"δ_{name}{sx}"))

        def row(a):
            return None if a is None else a[s]
        for j, kind, target, expansion, template, ops, result in self.rule.records(
                syms, p.nets[-1][s], p.outs[-1][s], self._targets[s], row(p.errors[-1]), row(p.fprimes[-1]),
                p.deltas[-1][s]):
            self._add("backward", kind, Element("neuron", L, j), s, target, expansion, template, ops, result)

    def _hidden_deltas(self, l: int, s: int) -> None:
        """The deltas of dense layer *l*'s neurons for batch position *s*."""
        for j in range(self.net.sizes[l + 1]):
            self._hidden_delta(self._p, l, s, j)

    def _hidden_delta(self, p: Pass, l: int, s: int, j: int) -> None:
        v = self._values()
        L = v["lists"]
        updated = p.delta_weights is not None
        (el, dE_dout, dout_dnet, out_sym, net_sym, delta_sym, expansion, template, names, shown,
         d_tmpl) = self._hidden_strings(l, s, j, updated)
        W = v["dW"][l + 1] if updated else v["W"][l + 1]
        d_next = L["deltas"][l + 1][s]
        values = [v for k in shown for v in (d_next[k], W[k][j])]
        err, fp, out, z = L["errors"][l][s][j], L["fprimes"][l][s][j], L["outs"][l + 1][s][j], L["nets"][l][s][j]
        rec = self._rec
        rec.append(Computation(len(rec), "backward", "hidden_error", el, s, dE_dout, expansion, template,
                               tuple(zip(names, values)), err))
        operand = self.net.activations[l].derivative_operands(out_sym, net_sym, out, z)
        rec.append(Computation(len(rec), "backward", "local_derivative", el, s, dout_dnet, d_tmpl[0], d_tmpl[1],
                               operand, fp))
        rec.append(Computation(len(rec), "backward", "hidden_delta", el, s, delta_sym, f"{dE_dout} · {dout_dnet}",
                               "{0} · {1}", ((dE_dout, err), (dout_dnet, fp)), L["deltas"][l][s][j]))

    def _hidden_strings(self, l: int, s: int, j: int, updated: bool) -> tuple:
        key = ("hidden", l, s, j, self.B, updated)
        got = self._strings.get(key)
        if got is None:
            net, sx = self.net, self._sfx(s)
            name = self._n(l + 1, j)
            out_sym, net_sym = f"out_{name}{sx}", f"net_{name}{sx}"
            dE_dout, dout_dnet = f"∂E/∂{out_sym}", f"∂{out_sym}/∂{net_sym}"
            n_next = net.sizes[l + 2]
            tmpl, shown = sum_template(n_next)
            names, sym = [], []
            for k in shown:
                d_sym = f"δ_{self._n(l + 2, k)}{sx}"
                wn = net.weight_name(l + 1, k, j) + ("⁺" if updated else "")
                names += [d_sym, wn]
                sym.append(f"{d_sym}·{wn}")
            act = net.activations[l]
            d_expansion, d_template, _ = act.derivative_record(out_sym, net_sym, 0.0, 0.0)
            got = self._strings[key] = (Element("neuron", l + 1, j), dE_dout, dout_dnet, out_sym, net_sym,
                                        f"δ_{name}{sx}", " + ".join(elide(sym, n_next)), tmpl, tuple(names), shown,
                                        (d_expansion, d_template))
        return got

    def _layer_gradients(self, l: int) -> None:
        p, computed = self._p, self._computed
        self._values()
        net = self.net
        reg = self.reg.active
        rec = self._rec
        data_grad = computed.data_grad.tolist()
        for j in range(net.sizes[l + 1]):
            for i in range(net.sizes[l] + 1):
                is_bias, k, el, pname, data_target = self._gradient_strings(l, j, i, reg)
                expansion, template, ops = self._gradient_formula(p, l, j, i, is_bias, pname)
                rec.append(Computation(len(rec), "backward", "gradient", el, None, data_target, expansion, template,
                                       ops, data_grad[k]))
                if reg and not is_bias:
                    expansion, template, ops, total = self.reg.gradient_record(
                        pname, computed.data_grad[k], net.theta[k], computed.update.grad[k])
                    self._add("backward", "regularization", el, None, f"∂E/∂{pname}", expansion, template, ops,
                              total)

    def _gradient_strings(self, l: int, j: int, i: int, reg: bool) -> tuple:
        key = ("grad", l, j, i, reg)
        got = self._strings.get(key)
        if got is None:
            net = self.net
            is_bias = i == net.sizes[l]
            k = net.bias_index(l, j) if is_bias else net.weight_index(l, j, i)
            el = Element("bias", l, j) if is_bias else Element("weight", l, j, i)
            pname = self.param_name(k)
            data_target = f"∂E_data/∂{pname}" if reg and not is_bias else f"∂E/∂{pname}"
            got = self._strings[key] = (is_bias, k, el, pname, data_target)
        return got

    def _gradient_formula(self, p: Pass, l: int, j: int, i: int, is_bias: bool, pname: str):
        L, B = self._values()["lists"], self.B
        name = self._n(l + 1, j)
        if L["errors"][l] is not None and L["fprimes"][l] is not None and B == 1:
            expansion = f"∂E/∂out_{name} · ∂out_{name}/∂net_{name} · ∂net_{name}/∂{pname}"
            ops = ((f"∂E/∂out_{name}", L["errors"][l][0][j]), (f"∂out_{name}/∂net_{name}", L["fprimes"][l][0][j]))
            if is_bias:
                return expansion, "{0} · {1} · 1", ops
            return expansion, "{0} · {1} · {2}", ops + ((self._out_sym(l, i, 0), L["outs"][l][0][i]),)
        if B == 1:
            if is_bias:
                return f"δ_{name} · 1", "{0} · 1", ((f"δ_{name}", L["deltas"][l][0][j]),)
            x = self._out_sym(l, i, 0)
            return f"δ_{name} · {x}", "{0} · {1}", ((f"δ_{name}", L["deltas"][l][0][j]), (x, L["outs"][l][0][i]))
        expansion, template, names, shown = self._batch_gradient_strings(l, j, i, is_bias, name)
        deltas, outs = L["deltas"][l], L["outs"][l]
        if is_bias:
            values = [deltas[s][j] for s in shown]
        else:
            values = [v for s in shown for v in (deltas[s][j], outs[s][i])]
        return expansion, template, tuple(zip(names, values))

    def _batch_gradient_strings(self, l: int, j: int, i: int, is_bias: bool, name: str) -> tuple:
        key = ("bgrad", l, j, i, self.B)
        got = self._strings.get(key)
        if got is None:
            B = self.B
            x_sym = "1" if is_bias else self._out_sym(l, i, 0).replace(self._sfx(0), "⁽ˢ⁾")
            tmpl, shown = sum_template(B, per_term=1 if is_bias else 2)
            names = []
            for s in shown:
                names.append(f"δ_{name}{self._sfx(s)}")
                if not is_bias:
                    names.append(self._out_sym(l, i, s))
            got = self._strings[key] = (f"(1/{B})·Σₛ δ_{name}⁽ˢ⁾·{x_sym}", f"({tmpl}) / {B}", tuple(names), shown)
        return got

    def _updates(self) -> None:
        computed, state_before, updates_done = self._computed, self._state_before, self._updates_done
        net, s = self.net, self.s
        sched = schedule_record(s, updates_done)
        if sched is not None:
            target, expansion, template, ops, result = sched
            self._add("update", "learning_rate", LOSS_ELEMENT, None, target, expansion, template, ops, result)
        upd = computed.update
        for k, (el, pname) in enumerate(self._params):
            if el.kind == "bias" and not s.update_biases:
                continue
            old = net.theta[k]
            for kind, target, expansion, template, ops, result, sets in update_records(
                    s, state_before, upd, k, pname, old):
                self._add("update", kind, el, None, target, expansion, template, ops, result,
                          k if sets else -1, old if sets else 0.0)


def trace_key(network: Network, settings: TrainingSettings) -> tuple:
    """What a trace's names and formulas depend on: the structure, the settings and which biases are shared."""
    return (tuple(network.sizes), tuple(network.activation_names), settings,
            tuple(shared_bias_layers(network, settings)))


def build_trace(network: Network, settings: TrainingSettings, iteration: int, batch: np.ndarray,
                targets: np.ndarray, computed: Any, state_before: OptimizerState, updates_done: int) -> Trace:
    """The :class:`Trace` of one iteration from the engine's values (see :class:`TraceBuilder`)."""
    return TraceBuilder(network, settings).build(iteration, batch, targets, computed, state_before, updates_done)


__all__ = ["MAX_TERMS", "TraceBuilder", "build_trace", "shared_bias_layers", "trace_key"]
