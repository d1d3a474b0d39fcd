"""The Input space's table of samples (any number of inputs) and its accuracy-and-loss line.

:class:`SampleTableModel` shows training then test samples with inputs, target, predicted class, right/wrong,
loss and outputs, making strings on demand so that 100,000 rows stay cheap; :func:`summary_text` and
:func:`status_text` give the line shown in the status bar and above the views.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import PySide6  # noqa: F401  (import before pyqtgraph so it picks this binding)
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

from backprop_lab.core import format_number
from backprop_lab.core.insight import SampleTable, sample_table, task_of

__all__ = ["SampleTableModel", "summary_text", "status_text", "fmt", "MAX_INPUT_COLUMNS"]

#: Up to this many inputs the table has one column per input; beyond, one summary column.
MAX_INPUT_COLUMNS = 6


def fmt(v: float) -> str:
    """A number as the table and the summary line show it (4 significant digits)."""
    return format_number(v, 4)


def _values_text(row: np.ndarray) -> str:
    if len(row) <= 4:
        return ", ".join(fmt(v) for v in row)
    return f"{len(row)} values: " + ", ".join(fmt(v) for v in row[:3]) + ", …"


def _outputs_text(row: np.ndarray) -> str:
    if len(row) <= 4:
        return ", ".join(fmt(v) for v in row)
    k = int(np.argmax(row))
    return f"largest o{k + 1} = {fmt(row[k])} (of {len(row)})"


class SampleTableModel(QAbstractTableModel):
    """Rows are training samples, then test samples; strings are made on demand (100,000 rows stay cheap)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.train: SampleTable | None = None
        self.test: SampleTable | None = None
        self.columns: list[str] = []

    def set_tables(self, train: SampleTable, test: SampleTable | None) -> None:
        n_in = train.inputs.shape[1]
        cols = ["#", "set"]
        cols += [f"i{k + 1}" for k in range(n_in)] if n_in <= MAX_INPUT_COLUMNS else ["inputs"]
        cols += ["target"]
        if train.task.is_classification:
            cols += ["predicted", "right"]
        cols += ["loss", "output"]
        shape = (len(train), 0 if test is None else len(test))
        same = cols == self.columns and self.train is not None and \
            (len(self.train), 0 if self.test is None else len(self.test)) == shape
        if same:  # values only: the view keeps its selection and scroll position
            self.train, self.test = train, test
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, len(cols) - 1))
            return
        self.beginResetModel()
        self.train, self.test, self.columns = train, test, cols
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        if parent.isValid() or self.train is None:
            return 0
        return len(self.train) + (0 if self.test is None else len(self.test))

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role == Qt.DisplayRole and orientation == Qt.Horizontal and 0 <= section < len(self.columns):
            return self.columns[section]
        return None

    def locate(self, row: int) -> tuple[SampleTable, int, str]:
        """The table, the sample's index in its set, and the set's name, for a model row."""
        n = len(self.train)
        return (self.train, row, "train") if row < n else (self.test, row - n, "test")

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid() or self.train is None:
            return None
        table, k, which = self.locate(index.row())
        col = self.columns[index.column()]
        if role == Qt.TextAlignmentRole:
            if col == "right":
                return int(Qt.AlignCenter)
            numeric = col in ("#", "loss") or (col.startswith("i") and col[1:].isdigit())
            return int((Qt.AlignRight if numeric else Qt.AlignLeft) | Qt.AlignVCenter)
        if role == Qt.ForegroundRole and col == "right" and table.correct is not None:
            return pg.mkColor("#2e7d32" if table.correct[k] else "#c62828")
        if role != Qt.DisplayRole:
            return None
        if col == "#":
            return str(k + 1)
        if col == "set":
            return which
        if col == "inputs":
            return _values_text(table.inputs[k])
        if col.startswith("i") and col[1:].isdigit():
            return fmt(table.inputs[k, int(col[1:]) - 1])
        if col == "target":
            if table.target_class is not None and table.targets.shape[1] > 1:
                return f"class {table.target_class[k] + 1}"
            return _values_text(table.targets[k])
        if col == "output":
            return _outputs_text(table.outputs[k])
        if col == "predicted":
            return f"class {table.predicted[k] + 1}" if table.targets.shape[1] > 1 else \
                fmt(table.task.high if table.predicted[k] else table.task.low)
        if col == "right":
            return "✓" if table.correct[k] else "✗"
        if col == "loss":
            return fmt(table.loss[k])
        return None


def summary_text(train: SampleTable, test: SampleTable | None, hide_loss: bool = False,
                 penalty: bool = False) -> str:
    """``training: accuracy 97.3 % (292/300) · loss 0.0412    test: …`` (accuracy only for classification);
    with *hide_loss* the training loss reads "?" (practice mode, before the learner computed it).  The loss is
    the samples' mean: with a *penalty* (L2, L1) it reads "data loss", as it leaves the penalty out (the
    diagram's E_total box and the plot's training loss include it)."""
    parts = []
    word = "data loss" if penalty else "loss"
    for name, t in (("training", train), ("test", test)):
        if t is None:
            continue
        loss = "?" if hide_loss and name == "training" else fmt(float(np.mean(t.loss)))
        if t.accuracy is None:
            parts.append(f"{name}: {word} {loss}")
        else:
            parts.append(f"{name}: accuracy {100 * t.accuracy:.1f} % ({int(t.correct.sum())}/{len(t)}) · "
                         f"{word} {loss}")
    return "    ".join(parts)


def penalised(settings) -> bool:
    """Whether the training loss has a penalty (L2 or L1) beside the samples' mean."""
    return settings.l2 > 0 or settings.l1 > 0


def status_text(sim, *, theta: np.ndarray | None = None, hide_loss: bool = False) -> str:
    """The accuracy and loss line for a status bar or plot header (computes the tables)."""
    task = task_of(sim)
    return summary_text(sample_table(sim, "train", theta=theta, task=task),
                        sample_table(sim, "test", theta=theta, task=task), hide_loss, penalised(sim.settings))
