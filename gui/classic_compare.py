"""Compare with the classic mistake: the same iterations trained both ways on copies, both loss curves in a dialog.

The classic mistake (``training.hidden_delta_weights = "updated"``) computes the hidden deltas from output
weights that were already updated.  :func:`compare_runs` trains two independent copies of the simulation — one
with the original weights, one with the mistake — and records the training-set loss before and after every
update; :class:`CompareDialog` plots both and states the numbers.  The simulation shown is never changed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from backprop_lab.core import BackpropLabError, Simulation, format_number
from backprop_lab.core.export.iteration import independent_copy

from .plot_style import plain_axes, style_plot

#: Most iterations a comparison trains (two copies, one training-set loss per iteration each).
MAX_COMPARE = 20_000


@dataclass(frozen=True)
class Comparison:
    """Training-set losses of both runs: index k is the loss after k updates (k = 0 is the start)."""

    start_iteration: int
    correct: np.ndarray
    mistake: np.ndarray
    diverged: str = ""

    @property
    def iterations(self) -> int:
        return len(self.correct) - 1


def compare_runs(sim: Simulation, iterations: int) -> Comparison:
    """Train *iterations* iterations from *sim*'s committed state twice — hidden deltas from the original
    weights and from the already-updated ones — on independent copies; *sim* is not changed.

    Raises ``ValueError`` for a count outside 1..MAX_COMPARE.  A run that diverges stops there (both curves are
    cut to the same length and ``diverged`` says why).
    """
    if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) or not (
            1 <= iterations <= MAX_COMPARE):
        raise ValueError(f"iterations to compare must be a whole number from 1 to {MAX_COMPARE:,}, not {iterations!r}")
    curves, reason = [], ""
    for how in ("original", "updated"):
        c = independent_copy(sim)
        c.set_training(hidden_delta_weights=how)
        losses = [c.loss()]
        for _ in range(int(iterations)):
            try:
                c.step(trace=False)
            except BackpropLabError as e:
                reason = reason or f"{how}: {e}"
                break
            losses.append(c.loss())
        curves.append(np.asarray(losses, dtype=np.float64))
    n = min(len(curves[0]), len(curves[1]))
    return Comparison(sim.iteration, curves[0][:n], curves[1][:n], reason)


def summary(cmp: Comparison, digits: int = 9) -> str:
    """The numbers in words: the loss after the first and after the last update, both ways."""
    def line(k: int) -> str:
        a, b = cmp.correct[k], cmp.mistake[k]
        diff = format_number(b - a, digits) if abs(b - a) >= 1e-4 else f"{b - a:.3e}"
        return (f"After iteration {cmp.start_iteration + k:,}: correct {format_number(a, digits)} · classic mistake "
                f"{format_number(b, digits)} (difference {diff})")
    lines = [f"Training-set loss at the start (iteration {cmp.start_iteration:,}): "
             f"{format_number(cmp.correct[0], digits)}"]
    if cmp.iterations >= 1:
        lines.append(line(1))
    if cmp.iterations > 1:
        lines.append(line(cmp.iterations))
    if cmp.diverged:
        lines.append(f"Stopped early: training diverged ({cmp.diverged}).")
    return "\n".join(lines)


class CompareDialog(QDialog):
    """Both loss curves (correct and the classic mistake) and their numbers."""

    def __init__(self, cmp: Comparison, digits: int = 9, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare with the classic mistake")
        self.comparison = cmp
        lay = QVBoxLayout(self)
        intro = QLabel("The same iterations trained twice from the current weights: hidden deltas from the "
                       "weights the forward pass used (correct), and from the output weights already updated "
                       "(the classic mistake). The loss is the training-set loss after each update.")
        intro.setTextFormat(Qt.PlainText)
        intro.setWordWrap(True)
        lay.addWidget(intro)
        self.plot = pg.PlotWidget(background="w", axisItems=plain_axes(x_integer=True))
        self.plot.setAccessibleName("Loss curves: correct and classic mistake")
        style_plot(self.plot.getPlotItem())
        self.plot.setLabel("bottom", "iteration")
        self.plot.setLabel("left", "training-set loss")
        self.plot.addLegend(offset=(-10, 10))
        x = np.arange(cmp.start_iteration, cmp.start_iteration + len(cmp.correct), dtype=np.float64)
        self.correct_curve = self.plot.plot(x, cmp.correct, pen=pg.mkPen("#1f618d", width=2), name="correct")
        self.mistake_curve = self.plot.plot(x, cmp.mistake, pen=pg.mkPen("#d35400", width=2, style=Qt.DashLine),
                                            name="classic mistake")
        lay.addWidget(self.plot, 1)
        self.numbers = QLabel(summary(cmp, digits))
        self.numbers.setTextFormat(Qt.PlainText)
        self.numbers.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.numbers.setAccessibleName("The losses of both runs")
        lay.addWidget(self.numbers)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        lay.addWidget(buttons)
        self.resize(720, 480)
