"""The "Why?" of a computation: what it is made of, and which earlier record produced each part.

:func:`chain_factors` lists the ingredients of one record — for a gradient the
chain rule's factors ∂E/∂out · ∂out/∂net · ∂net/∂w — each with the index of
the record that computed it, so a view can jump there.  Records are recognised
by ``kind``, ``element``, ``sample`` and operand *positions* (never by symbol
strings), and every source is confirmed by value: an operand is a copy of its
producer's float64 result, so a mismatch means "unknown", never a wrong link.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .network import Element
from .trace import Computation, Trace

__all__ = ["Factor", "RecordIndex", "chain_factors", "record_index"]


@dataclass(frozen=True)
class Factor:
    """One ingredient of a record's computation.

    Attributes
    ----------
    symbol : str
        What it is called in the equation, e.g. ``∂E/∂out_o1``.
    value : float
        Its value, as used by the record.
    meaning : str
        What it is, in words.
    source_index : int or None
        Index (in the trace) of the earlier record that computed it; ``None``
        for data, settings and parameters as they were when the iteration began.
    """

    symbol: str
    value: float
    meaning: str
    source_index: int | None


class RecordIndex:
    """Record positions of one trace by (kind, element, sample), for quick lookups.

    Parameters
    ----------
    trace : Trace
        The iteration to index (it is not copied; traces are not changed after they are built).
    """

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.n = len(trace.records)
        self.by_key: dict[tuple[str, Element, int | None], list[int]] = {}
        self._neurons: dict[tuple[str, int, int | None], set[int]] = {}
        for k, r in enumerate(trace.records):
            self.by_key.setdefault((r.kind, r.element, r.sample), []).append(k)
            if r.element.kind == "neuron":
                self._neurons.setdefault((r.kind, r.element.layer, r.sample), set()).add(r.element.j)

    def find(self, kinds: tuple[str, ...], element: Element, sample: int | None, before: int,
             value: float | None = None) -> int | None:
        """The latest record of one of *kinds* for *element*/*sample* before *before*.

        With *value*, only a record whose result is exactly that value counts
        (every operand is a copy of the producing record's float64 result).
        """
        best = None
        for kind in kinds:
            for k in self.by_key.get((kind, element, sample), ()):
                if k < before and (value is None or _same(self.trace.records[k].result, value)):
                    best = k if best is None else max(best, k)
        return best

    def count(self, kind: str, layer: int, sample: int | None) -> int:
        """How many neurons of *layer* have a record of *kind* for *sample* (the layer's size, when known)."""
        return len(self._neurons.get((kind, layer, sample), ()))


_CACHE: list[RecordIndex] = []


def record_index(trace: Trace) -> RecordIndex:
    """The :class:`RecordIndex` of *trace* (the last one is cached)."""
    # One cached index: views ask about many records of the same trace in a row.
    if _CACHE and _CACHE[0].trace is trace and _CACHE[0].n == len(trace.records):
        return _CACHE[0]
    _CACHE[:] = [RecordIndex(trace)]
    return _CACHE[0]


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def _shown(n_terms: int, n_total: int) -> list[int]:
    """Which of *n_total* terms the *n_terms* operand groups stand for (long sums elide the middle)."""
    if n_total <= 0 or n_terms >= n_total:
        return list(range(n_terms))
    return list(range(n_terms - 1)) + [n_total - 1]


class _Why:
    """Builds the factors of one record."""

    def __init__(self, rec: Computation, trace: Trace) -> None:
        self.rec, self.trace = rec, trace
        self.idx = record_index(trace)
        if 0 <= rec.index < len(trace.records) and trace.records[rec.index] is rec:
            self.pos = rec.index
        else:  # a record from elsewhere: look it up; unknown records may use everything
            self.pos = next((k for k, r in enumerate(trace.records) if r is rec), len(trace.records))
        self.B = len(trace.batch)
        self.s = rec.sample if rec.sample is not None else (0 if self.B == 1 else None)

    def f(self, k: int, meaning: str, kinds: tuple[str, ...] = (), element: Element | None = None,
          sample: int | None = -1, symbol: str | None = None) -> Factor:
        """Factor for operand *k*, its source searched among *kinds* of *element*."""
        name, value = self.rec.operands[k]
        src = None
        if kinds and element is not None:
            src = self.idx.find(kinds, element, self.s if sample == -1 else sample, self.pos, value)
        return Factor(symbol or name, float(value), meaning, src)

    def out_of(self, layer: int, i: int, k: int, sample: int | None, what: str) -> Factor:
        """Operand *k* is the output of neuron (layer, i): an activation record, or an input."""
        if layer == 0:
            return self.f(k, f"{what} (an input, from the data)")
        return self.f(k, f"{what} (an output, from the forward pass)", ("activation",),
                      Element("neuron", layer, i), sample)

    def generic(self, k: int) -> Factor:
        """An operand this module has no rule for: its source is the latest earlier record of that name."""
        name, value = self.rec.operands[k]
        for j in range(self.pos - 1, -1, -1):
            r = self.trace.records[j]
            if r.target == name and _same(r.result, value):
                return Factor(name, float(value), f"computed earlier ({r.kind.replace('_', ' ')})", j)
        return Factor(name, float(value), "a value this computation uses", None)

    def rest(self, done: int) -> list[Factor]:
        return [self.generic(k) for k in range(done, len(self.rec.operands))]


def _f_weighted_sum(w: _Why) -> list[Factor]:
    e, ops = w.rec.element, w.rec.operands
    n_pairs = (len(ops) - 1) // 2
    n_in = w.idx.count("activation", e.layer - 1, w.s) if e.layer > 1 else n_pairs
    out = []
    for p, i in enumerate(_shown(n_pairs, n_in)):
        out.append(w.f(2 * p, "a weight: its value when this iteration began"))
        out.append(w.out_of(e.layer - 1, i, 2 * p + 1, w.s, "what that weight multiplies"))
    out.append(w.f(len(ops) - 1, "the bias of this neuron"))
    return out


def _f_activation(w: _Why) -> list[Factor]:
    e, ops = w.rec.element, w.rec.operands
    if len(ops) == 1:
        return [w.f(0, "the net input, from the weighted sum", ("weighted_sum",), e)]
    # softmax: every net input of the layer, in neuron order
    return [w.f(k, "a net input of the layer, from its weighted sum", ("weighted_sum",),
                Element("neuron", e.layer, k)) for k in range(len(ops))]


def _f_loss_term(w: _Why) -> list[Factor]:
    return [w.f(0, "the target, from the data"),
            w.f(1, "the output, from the forward pass", ("activation",), w.rec.element)] + w.rest(2)


def _f_loss_sum(w: _Why) -> list[Factor]:
    ops = w.rec.operands
    if w.rec.kind == "total_loss" and w.B > 1:
        sh = _shown(len(ops), w.B)
        return [w.f(k, f"the error on sample {s + 1}", ("sample_loss",), Element("loss"), s) for k, s in enumerate(sh)]
    last = [r.element for r in w.trace.records if r.kind == "loss_term" and r.sample == w.s]
    sh = _shown(len(ops), len(last))
    return [w.f(k, "one output's loss term", ("loss_term",), last[j] if j < len(last) else None)
            for k, j in enumerate(sh)]


def _f_output_error(w: _Why) -> list[Factor]:
    return [w.f(0, "the output, from the forward pass", ("activation",), w.rec.element),
            w.f(1, "the target, from the data")] + w.rest(2)


def _f_hidden_error(w: _Why) -> list[Factor]:
    e, ops = w.rec.element, w.rec.operands
    n_pairs = len(ops) // 2
    n_next = w.idx.count("output_delta", e.layer + 1, w.s) + w.idx.count("hidden_delta", e.layer + 1, w.s)
    out = []
    for p, k in enumerate(_shown(n_pairs, n_next)):
        out.append(w.f(2 * p, "δ of a neuron in the layer above, from the backward pass",
                       ("output_delta", "hidden_delta"), Element("neuron", e.layer + 1, k)))
        name, value = ops[2 * p + 1]
        weight = Element("weight", e.layer, k, e.j)
        upd = w.idx.find(("update",), weight, None, w.pos, value)
        if upd is not None:  # the classic mistake: the already-updated weight
            out.append(Factor(name, float(value), "the weight carrying this neuron's output up, ALREADY UPDATED "
                              "in this iteration (the classic mistake)", upd))
        else:
            out.append(Factor(name, float(value), "the weight carrying this neuron's output up (before the update)",
                              None))
    return out + w.rest(2 * n_pairs)


def _f_local_derivative(w: _Why) -> list[Factor]:
    ops = w.rec.operands
    if not ops:
        return []
    e = w.rec.element
    src = w.idx.find(("activation",), e, w.s, w.pos, ops[0][1])
    net_src = w.idx.find(("weighted_sum",), e, w.s, w.pos, ops[0][1])
    if net_src is not None and (src is None or "net" in ops[0][0]):
        return [Factor(ops[0][0], float(ops[0][1]), "the net input, from the weighted sum", net_src)] + w.rest(1)
    return [Factor(ops[0][0], float(ops[0][1]), "the output, from the forward pass", src)] + w.rest(1)


def _f_delta(w: _Why) -> list[Factor]:
    e, ops = w.rec.element, w.rec.operands
    err_kind = "output_error" if w.rec.kind == "output_delta" else "hidden_error"
    err = w.idx.find((err_kind,), e, w.s, w.pos, ops[0][1]) if ops else None
    if err is not None and len(ops) >= 2:
        return [Factor(ops[0][0], float(ops[0][1]), "how the error changes when this neuron's output changes",
                       err),
                w.f(1, "the slope of this neuron's activation function at its net input", ("local_derivative",), e)
                ] + w.rest(2)
    # δ computed directly (cross-entropy: out − t; softmax with squared error: out and more)
    out = [w.f(0, "the output, from the forward pass", ("activation",), e)] if ops else []
    if len(ops) >= 2 and w.idx.find(("activation",), e, w.s, w.pos, ops[1][1]) is None:
        out.append(w.f(1, "the target, from the data"))
        return out + w.rest(2)
    return out + w.rest(1)


def _expansion_parts(rec: Computation, n: int) -> list[str] | None:
    parts = rec.expansion.split(" · ")
    return parts if len(parts) == n else None


def _f_gradient(w: _Why) -> list[Factor]:
    e, ops = w.rec.element, w.rec.operands
    neuron = Element("neuron", e.layer + 1, e.j)
    is_bias = e.kind == "bias"
    if w.B == 1:
        err = w.idx.find(("output_error", "hidden_error"), neuron, 0, w.pos, ops[0][1]) if ops else None
        der = w.idx.find(("local_derivative",), neuron, 0, w.pos, ops[1][1]) if len(ops) > 1 else None
        n_x = 0 if is_bias else 1
        if err is not None and der is not None and len(ops) >= 2 + n_x:
            sym = _expansion_parts(w.rec, 3) or [ops[0][0], ops[1][0], "∂net/∂" + ("b" if is_bias else "w")]
            fs = [Factor(sym[0], float(ops[0][1]), "how the error changes when the output of the neuron this parameter "
                         "feeds changes", err),
                  Factor(sym[1], float(ops[1][1]), "the slope of that neuron's activation function", der)]
            if is_bias:
                fs.append(Factor(sym[2], 1.0, "1, because a bias adds directly to the net input", None))
            else:
                x = w.out_of(e.layer, e.i, 2, 0, f"the value this weight multiplies, {ops[2][0]}")
                fs.append(Factor(sym[2], x.value, x.meaning, x.source_index))
            return fs + w.rest(2 + n_x)
        # δ form: ∂E/∂w = δ · x
        fs = [w.f(0, "δ: how the error changes when the net input of the neuron this parameter feeds changes",
                  ("output_delta", "hidden_delta"), neuron, 0)] if ops else []
        if is_bias:
            fs.append(Factor("∂net/∂b", 1.0, "1, because a bias adds directly to the net input", None))
            return fs + w.rest(1)
        if len(ops) > 1:
            fs.append(w.out_of(e.layer, e.i, 1, 0, f"the value this weight multiplies, {ops[1][0]}"))
        return fs + w.rest(2)
    # batch mean: (1/B)·Σₛ δ⁽ˢ⁾·x⁽ˢ⁾
    per = 1 if is_bias else 2
    n_terms = len(ops) // per
    fs = [Factor(f"1/{w.B}", 1.0 / w.B, f"the gradient is the mean over the {w.B} samples of the batch", None)]
    for p, s in enumerate(_shown(n_terms, w.B)):
        fs.append(w.f(per * p, f"δ for sample {s + 1}, from the backward pass", ("output_delta", "hidden_delta"),
                      neuron, s))
        if not is_bias:
            fs.append(w.out_of(e.layer, e.i, per * p + 1, s, f"the value the weight multiplies for sample {s + 1}"))
    return fs + w.rest(per * n_terms)


#: The records a step's gradient may come from: the gradient, or with a penalty (L2, L1) the gradient plus it.
_GRADIENTS = ("regularization", "gradient")


def _f_velocity(w: _Why) -> list[Factor]:
    e = w.rec.element
    return [w.f(0, "μ, the momentum setting"), w.f(1, "the velocity after the previous iteration"),
            w.f(2, "this iteration's gradient", _GRADIENTS, e, None)] + w.rest(3)


def _f_moment(w: _Why) -> list[Factor]:
    e = w.rec.element
    which = "gradient" if w.rec.kind == "first_moment" else "squared gradient"
    return [w.f(0, "how much of the previous mean is kept"),
            w.f(1, f"the running mean of the {which} after the previous iteration"),
            w.f(2, "this iteration's gradient", _GRADIENTS, e, None)] + w.rest(3)


def _f_bias_correction(w: _Why) -> list[Factor]:
    e = w.rec.element
    # this parameter's first correction is m̂'s, its second v̂'s (by position: both moments may be 0)
    first = w.idx.by_key.get(("bias_correction", e, None), [w.pos])[0] == w.pos
    return [w.f(0, "the running mean just updated", ("first_moment",) if first else ("second_moment",), e, None),
            w.f(1, "the mean's decay setting"), w.f(2, "how many updates Adam has made, this one included")] \
        + w.rest(3)


def _f_adam_update(w: _Why) -> list[Factor]:
    # m̂ and v̂ are this parameter's last two bias corrections, in that order (by position, not by value: at
    # t = 1, m̂ equals the gradient, and with a zero gradient both are 0)
    e, ops = w.rec.element, w.rec.operands
    corrections = [k for k in w.idx.by_key.get(("bias_correction", e, None), ()) if k < w.pos][-2:]
    m_src, v_src = corrections if len(corrections) == 2 else (None, None)
    return [w.f(0, "the parameter's value before the update"), w.f(1, "η, the learning rate"),
            Factor(ops[2][0], float(ops[2][1]), "the corrected mean gradient: the step's direction", m_src),
            Factor(ops[3][0], float(ops[3][1]), "the corrected mean squared gradient: its root scales the step",
                   v_src),
            w.f(4, "ε, a tiny number that keeps the division finite")] + w.rest(5)


def is_adam_update(rec: Computation, trace: Trace) -> bool:
    """Whether *rec* is an update by Adam (its parameter's moments were bias-corrected in this iteration)."""
    return rec.kind == "update" and bool(record_index(trace).by_key.get(("bias_correction", rec.element, None)))


def _f_update(w: _Why) -> list[Factor]:
    e, ops = w.rec.element, w.rec.operands
    if len(ops) == 5 and is_adam_update(w.rec, w.trace):
        return _f_adam_update(w)
    fs = [w.f(0, "the parameter's value before the update"), w.f(1, "η, the learning rate")]
    if len(ops) > 2:
        src = w.idx.find(("velocity",) + _GRADIENTS, e, None, w.pos, ops[2][1])
        what = "the step direction" if src is None else ("the new velocity" if w.trace.records[src].kind == "velocity"
                                                         else "this iteration's gradient")
        fs.append(Factor(ops[2][0], float(ops[2][1]), what, src))
    return fs + w.rest(3)


_FACTORS = {
    "weighted_sum": _f_weighted_sum, "activation": _f_activation, "loss_term": _f_loss_term,
    "sample_loss": _f_loss_sum, "total_loss": _f_loss_sum, "output_error": _f_output_error,
    "hidden_error": _f_hidden_error, "local_derivative": _f_local_derivative, "output_delta": _f_delta,
    "hidden_delta": _f_delta, "gradient": _f_gradient, "velocity": _f_velocity, "first_moment": _f_moment,
    "second_moment": _f_moment, "bias_correction": _f_bias_correction, "update": _f_update,
}


def chain_factors(rec: Computation, trace: Trace) -> list[Factor]:
    """What *rec* is made of, each part with the record that produced it.

    For a single-sample gradient these are the chain rule's factors
    ``∂E/∂out · ∂out/∂net · ∂net/∂w`` (their product is the gradient); for a
    δ, ``∂E/∂out · ∂out/∂net``; for a batch gradient ``1/B`` and each sample's
    δ and input; for sums and other records, their operands.

    Parameters
    ----------
    rec : Computation
        A record of *trace*.
    trace : Trace
        Its iteration.

    Returns
    -------
    list of Factor
        ``source_index`` is always smaller than *rec*'s own index, or ``None``
        for data, settings and parameter values the iteration started with.
    """
    w = _Why(rec, trace)
    fn = _FACTORS.get(rec.kind)
    if fn is None:
        return w.rest(0)
    try:
        return fn(w)
    except (IndexError, KeyError, ValueError, TypeError, AttributeError):
        # A record laid out differently from what this version expects: fall back to its operands.
        return w.rest(0)
