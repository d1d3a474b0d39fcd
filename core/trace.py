"""One iteration as an ordered list of computation records (:class:`Computation`, :class:`Trace`).

Each :class:`Computation` is one line of the worked example: what it computes
(``target``), in which phase, for which network element, its symbolic form,
the named operand values and the result.  Records are built by
:mod:`.tracing` from the engine's own arrays, never recomputed.
"""
from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Callable, Iterator, NamedTuple

import numpy as np

from .network import Element
from .notation import format_number, substitute

__all__ = ["PHASES", "SHARED_KINDS", "Computation", "LazyRecords", "Segment", "Trace", "format_number"]

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


#: The kinds of :meth:`Trace.shared_records` (no other record has them).
SHARED_KINDS = frozenset({"gradient", "regularization", "learning_rate", "velocity", "first_moment",
                          "second_moment", "bias_correction", "update"})


class Segment(NamedTuple):
    """A run of consecutive records of one phase (and one batch position, or ``None`` for several or none)."""

    start: int
    count: int
    phase: str
    sample: int | None


class LazyRecords(Sequence):
    """A trace's records, each segment made when it is first read.

    A window showing an iteration reads the records of one sample, the loss and the rows on screen: on the
    moons example about a third of the thousand records.  Each segment is made by its function (which must
    return exactly ``count`` records numbered from ``start``) at most once; reading them all gives the same
    list an eager build gives.
    """

    __slots__ = ("segments", "_makers", "_made", "_starts", "_n")

    def __init__(self, segments: list[tuple[Segment, Callable[[], list[Computation]]]]) -> None:
        self.segments = [seg for seg, _ in segments]
        self._makers = [make for _, make in segments]
        self._made: list[list[Computation] | None] = [None] * len(segments)
        self._starts = [seg.start for seg in self.segments]
        self._n = sum(seg.count for seg in self.segments)

    def segment(self, k: int) -> list[Computation]:
        """The records of segment *k* (made now if they were not yet)."""
        got = self._made[k]
        if got is None:
            seg = self.segments[k]
            got = self._makers[k]()
            if len(got) != seg.count or (got and got[0].index != seg.start):
                raise RuntimeError(f"trace segment {k} ({seg.phase}) made {len(got)} records, "
                                   f"{seg.count} expected")  # a builder's counts are wrong: never shown wrong
            self._made[k] = got
            self._makers[k] = None  # what it read may go
        return got

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(self._n))]
        if k < 0:
            k += self._n
        if not 0 <= k < self._n:
            raise IndexError("record index out of range")
        j = bisect.bisect_right(self._starts, k) - 1
        return self.segment(j)[k - self._starts[j]]

    def __iter__(self) -> Iterator[Computation]:
        for j in range(len(self.segments)):
            yield from self.segment(j)

    def __eq__(self, other) -> bool:
        if isinstance(other, (LazyRecords, list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def made(self) -> int:
        """How many segments were made so far (for tests and benchmarks)."""
        return sum(m is not None for m in self._made)


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
    records: Sequence[Computation] = field(default_factory=list)  # a list, or LazyRecords from the builder
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

    def _segments(self) -> list[tuple[Segment, Callable[[], list[Computation]]]]:
        """The records as segments: the lazy ones' own, else runs of one phase and sample found by reading."""
        recs = self.records
        if isinstance(recs, LazyRecords):
            return [(seg, (lambda j=j: recs.segment(j))) for j, seg in enumerate(recs.segments)]
        out, k = [], 0
        while k < len(recs):
            r, j = recs[k], k
            while j < len(recs) and recs[j].phase == r.phase and recs[j].sample == r.sample:
                j += 1
            out.append((Segment(k, j - k, r.phase, r.sample), (lambda a=k, b=j: list(recs[a:b]))))
            k = j
        return out

    def phases(self) -> list[tuple[str, int, int]]:
        """``(phase, first index, count)`` of each run of records of one phase, in order (without reading
        the records of a lazily built trace)."""
        out: list[list] = []
        for seg, _ in self._segments():
            if out and out[-1][0] == seg.phase:
                out[-1][2] += seg.count
            else:
                out.append([seg.phase, seg.start, seg.count])
        return [tuple(p) for p in out]

    def sample_records(self, sample: int | None, shared: bool = True) -> list[Computation]:
        """The records shown for batch position *sample*: its own, those of no sample (gradients, updates, the
        batch's loss) and the total loss, in order.  A lazily built trace makes only the segments they are in.

        With ``shared=False``, without the records of :meth:`shared_records`.
        """
        out = []
        for seg, make in self._segments():
            if seg.sample == sample or seg.phase == "loss" or (shared and seg.sample is None):
                out += [r for r in make() if r.sample is None or r.sample == sample or r.kind == "total_loss"]
        return out

    def shared_records(self) -> list[Computation]:
        """The records of no sample outside the loss: the gradients (and their regularisation) and the updates
        (with what the optimizer computes on the way), of kinds :data:`SHARED_KINDS`."""
        return [r for seg, make in self._segments() if seg.sample is None and seg.phase != "loss" for r in make()]

    def phase_records(self, phase: str) -> list[Computation]:
        """The records of *phase*, in order."""
        return [r for seg, make in self._segments() if seg.phase == phase for r in make()]

    def first_index(self, sample: int) -> int | None:
        """The index of the first record of batch position *sample* (None when none belongs to it): the start
        of its first segment, its forward pass (no record of a sample comes before it)."""
        return next((seg.start for seg, _ in self._segments() if seg.sample == sample), None)

    def for_element(self, element: Element) -> list[Computation]:
        """Every record that belongs to *element* (a neuron's forward values and
        delta, a weight's gradient and update, ...)."""
        if element.kind in ("weight", "bias"):  # only gradients and updates belong to a parameter
            return [r for r in self.shared_records() if r.element == element]
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
