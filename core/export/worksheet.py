"""A practice worksheet of one iteration (every result left blank) and its answer key.

The worksheet gives the network, the data and, for each computation in order,
its formula with the *given* numbers filled in (inputs, targets, weights,
biases, η); a number the learner computed earlier appears as ``⟨k⟩``, "your
answer to exercise k", so mistakes can be traced.  The answer key lists the
engine's value of every exercise and then the full worked equations.
"""
from __future__ import annotations

from ..trace import Computation, format_number
from .document import Document, Equation, Heading, Math, Table, cell, para
from .iteration import IterationData
from .lesson import MAX_EQUATIONS, computation_blocks, data_blocks, equation_sides, network_blocks, select
from .mathtext import BLANK, REF_CLOSE, REF_OPEN

#: Relative tolerance the worksheet states for a right answer.
TOLERANCE = 1e-3


class _Numbering:
    """Numbers the exercises in order and remembers which computation each one asks for."""

    def __init__(self, digits: int) -> None:
        self.digits = digits
        self.by_target: dict[str, int] = {}
        self.records: list[Computation] = []

    def given(self, c: Computation) -> str:
        """The right-hand side with given numbers filled in and earlier answers as ⟨k⟩."""
        vals = []
        for name, v in c.operands:
            k = self.by_target.get(name)
            if k is not None:
                vals.append(f"{REF_OPEN}{k}{REF_CLOSE}")
            else:
                s = format_number(v, self.digits)
                vals.append(f"({s})" if v < 0 else s)
        return c.template.format(*vals)

    def exercise(self, c: Computation) -> Equation:
        sides = [c.expansion]
        given = self.given(c)
        if given != c.expansion:
            sides.append(given)
        sides.append(BLANK)
        self.records.append(c)
        number = len(self.records)
        self.by_target[c.target] = number  # later exercises refer to this answer
        return Equation(c.target, sides, number, f"{c.target} = {' = '.join(sides[:-1])} = ?")


def worksheet_documents(d: IterationData, *, digits: int = 9,
                        max_equations: int = MAX_EQUATIONS) -> tuple[Document, Document]:
    """``(worksheet, answer key)`` for the iteration in *d*."""
    sim = d.sim
    numbering = _Numbering(digits)
    sheet = Document(f"Practice worksheet: iteration {d.iteration}", sim.name)
    sheet.add(para("Work through the exercises in order: each asks for one number. The formula is given with "
                   "the known numbers (inputs, targets, weights, biases, learning rate) filled in; ",
                   Math(f"{REF_OPEN}k{REF_CLOSE}"), " stands for your answer to exercise k. Keep at least 6 "
                   f"significant digits while you work. The answer key gives the lab's values to {digits} decimal "
                   f"places; an answer within {TOLERANCE:.1%} of it (relative {TOLERANCE:g}) is right."))
    sheet.blocks += network_blocks(d, digits)
    sheet.blocks += data_blocks(d, digits)
    sheet.blocks += computation_blocks(d, digits, max_equations, numbering.exercise)
    key = Document(f"Answer key: iteration {d.iteration}", sim.name)
    key.add(para(f"The lab's own values, to {digits} decimal places. An answer within {TOLERANCE:.1%} "
                 f"(relative {TOLERANCE:g}) is right."))
    rows = [[cell(str(k)), cell(Math(c.target)), cell(Math(format_number(c.result, digits)))]
            for k, c in enumerate(numbering.records, 1)]
    key.add(Table([cell("exercise"), cell("quantity"), cell("answer")], rows, [False, False, True]),
            Heading(1, "Worked solutions"))
    for k, c in enumerate(numbering.records, 1):
        key.add(Equation(c.target, equation_sides(c, digits), k, c.text(digits)))
    kept, _, _ = select(list(d.trace), max_equations)
    if len(kept) < len(d.trace):
        key.add(para(f"The iteration has {len(d.trace):,} computations; the worksheet asks for {len(kept):,}.",
                     style="note"))
    return sheet, key
