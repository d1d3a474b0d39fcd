"""L2 and L1 regularisation: the penalty added to the loss, its gradient, and their trace formulas.

The penalty ``(λ₂/2)·Σw² + λ₁·Σ|w|`` runs over the weights only (not the
biases) and is part of the loss the engine reports and minimises, so the
gradient check differentiates it too.  Its gradient ``λ₂·w + λ₁·sign(w)``
(sign(0) = 0, the usual subgradient) is added to the data gradient before the
update rule sees it.
"""
from __future__ import annotations

import numpy as np

from .notation import elide, sum_template
from .settings import TrainingSettings


class Regularizer:
    """The penalty of one network's weights under one setting of λ₂ (``l2``) and λ₁ (``l1``).

    Parameters
    ----------
    settings : TrainingSettings
        Gives ``l2`` and ``l1``.
    weight_mask : ndarray of bool
        True at the weights of ``Network.theta`` (biases are not penalised).
    """

    def __init__(self, settings: TrainingSettings, weight_mask: np.ndarray) -> None:
        self.l2 = float(settings.l2)
        self.l1 = float(settings.l1)
        self.active = self.l2 != 0.0 or self.l1 != 0.0
        self._w = weight_mask.astype(np.float64)

    def penalty(self, theta: np.ndarray) -> float:
        """``(λ₂/2)·Σw² + λ₁·Σ|w|`` (0.0 when inactive)."""
        if not self.active:
            return 0.0
        w = theta * self._w
        return 0.5 * self.l2 * float(w @ w) + self.l1 * float(np.abs(w).sum())

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        """``λ₂·w + λ₁·sign(w)`` at the weights, 0 at the biases."""
        w = theta * self._w
        return self.l2 * w + self.l1 * np.sign(w)

    def add_to(self, theta: np.ndarray, loss: float, grad: np.ndarray) -> float:
        """Add the gradient into *grad* in place and return the regularised *loss* (no-op when inactive)."""
        if not self.active:
            return loss
        grad += self.gradient(theta)
        return loss + self.penalty(theta)

    # -- what the trace shows ---------------------------------------------------------------------------
    def penalty_record(self, names: list[str], values: np.ndarray) -> tuple[str, str, list]:
        """``(expansion, template, operands)`` of ``E_reg`` over the weights *names* with *values*."""
        n = len(names)
        ops: list = []
        sym_parts, tmpl_parts = [], []
        for lam, sym, fmt in ((self.l2, "λ₂", "²"), (self.l1, "λ₁", "|")):
            if lam == 0.0:
                continue
            start = len(ops)
            ops.append((sym, lam))
            inner, shown = sum_template(n, start=start + 1, per_term=1)
            terms = elide([names[i] for i in shown], n)
            if fmt == "²":
                sym_parts.append(f"({sym}/2)·(" + " + ".join(f"{t}²" if t != "…" else t for t in terms) + ")")
                tmpl_parts.append(f"({{{start}}}/2)·(" + _wrap(inner, "{", "}²") + ")")
            else:
                sym_parts.append(f"{sym}·(" + " + ".join(f"|{t}|" if t != "…" else t for t in terms) + ")")
                tmpl_parts.append(f"{{{start}}}·(" + _wrap(inner, "|{", "}|") + ")")
            ops += [(names[i], values[i]) for i in shown]
        return " + ".join(sym_parts), " + ".join(tmpl_parts), ops

    def gradient_record(self, p: str, data_grad: float, w: float, total: float) -> tuple[str, str, list, float]:
        """``(expansion, template, operands, result)`` of ``∂E/∂w = ∂E_data/∂w + λ₂·w + λ₁·sign(w)``."""
        sym, tmpl, ops = [f"∂E_data/∂{p}"], ["{0}"], [(f"∂E_data/∂{p}", data_grad)]
        if self.l2 != 0.0:
            sym.append(f"λ₂·{p}")
            tmpl.append(f"{{{len(ops)}}}·{{{len(ops) + 1}}}")
            ops += [("λ₂", self.l2), (p, w)]
        if self.l1 != 0.0:
            sym.append(f"λ₁·sign({p})")
            tmpl.append(f"{{{len(ops)}}}·sign({{{len(ops) + 1}}})")
            ops += [("λ₁", self.l1), (p, w)]
        return " + ".join(sym), " + ".join(tmpl), ops, total


def _wrap(template: str, before: str, after: str) -> str:
    """Turn each ``{k}`` of a sum template into ``before k after`` (e.g. ``{k}²``, ``|{k}|``)."""
    return " + ".join(t if t == "…" else before + t[1:-1] + after for t in template.split(" + "))
