"""One iteration as an ordered list of computation records (:class:`Computation`, :class:`Trace`).

Each :class:`Computation` is one line of the worked example: what it computes
(``target``), in which phase, for which network element, its symbolic form,
the named operand values and the result.  Records are built by
:mod:`.tracing` from the engine's own arrays, never recomputed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, NamedTuple

import numpy as np

from .network import Element
from .notation import format_number, substitute

__all__ = ["PHASES", "Computation", "Trace", "format_number"]

PHASES = ("forward", "loss", "backward", "update")


class Computation(NamedTuple):
    """One computation of an iteration (immutable).

    A named tuple rather than a frozen dataclass: an iteration of the moons example makes about a thousand
    records per key press, and a tuple is made four times faster.

    Attributes
    ----------
    index : int
        Position in the trace (0-based).
    phase : str
        ``forward``, ``loss``, ``backward`` or ``update``.
    kind : str
        ``weighted_sum``, ``activation``, ``loss_term``, ``sample_loss``,
        ``data_loss``, ``penalty``, ``total_loss``, ``output_error``,
        ``hidden_error``, ``local_derivative``, ``output_delta``,
        ``hidden_delta``, ``gradient``, ``regularization``, ``learning_rate``,
        ``velocity``, ``first_moment``, ``second_moment``, ``bias_correction``
        or ``update``.
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
        """The right-hand side with the operand values filled in (see :func:`.notation.substitute`)."""
        return substitute(self.template, [v for _, v in self.operands], digits)

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
