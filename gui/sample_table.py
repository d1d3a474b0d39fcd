"""The editable table of training samples: a model over the arrays (fast for 100,000 rows) and its view.

The table never changes the data by itself: an accepted edit, an added row or
a removed row is announced by a signal, and whoever owns the data (the window's
controller, through ``sim.set_data``) answers with :meth:`SampleTable.set_data`.
So what the table shows is always the data the network trains on.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from backprop_lab.core.data_prep import MAX_SAMPLES, target_problem
from backprop_lab.core.numbers import parse_number

from .plain_text import MUTED_COLOR, error_label, show_error

Array = np.ndarray
_OUTPUT_BG = QColor("#f2f4f4")
_OUTPUT_FG = QColor(MUTED_COLOR)
_RIGHT = int(Qt.AlignRight | Qt.AlignVCenter)
# Looking up an enum member on Qt costs about 15 µs in PySide6 6.11; data() runs for every visible cell
# and role on each repaint, so it compares plain ints looked up once.
_DISPLAY, _EDIT, _ALIGN, _TIP = (int(Qt.DisplayRole), int(Qt.EditRole), int(Qt.TextAlignmentRole),
                                 int(Qt.ToolTipRole))
_BACKGROUND, _FOREGROUND = int(Qt.BackgroundRole), int(Qt.ForegroundRole)
_EDITABLE = Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsEditable
_READ_ONLY = Qt.ItemIsEnabled | Qt.ItemIsSelectable
_VERTICAL = Qt.Vertical


class SampleTableModel(QAbstractTableModel):
    """Rows = samples; columns i1…, t1… (editable) and, when given, o1… (the network's outputs, read-only).

    Signals
    -------
    sample_edited(int row, int column, float value)
        An accepted edit: *column* counts the inputs first (0 … n_inputs − 1),
        then the targets. Nothing changes until :meth:`set_data` is called.
    edit_refused(str reason)
        The typed text was refused (not a plain number, or a target that the
        loss cannot take); nothing changes.
    """

    sample_edited = Signal(int, int, float)
    edit_refused = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._x = np.zeros((0, 0))
        self._t = np.zeros((0, 0))
        self._out: Array | None = None
        self._loss = "mse"
        self._out_act = "linear"

    # -- what the owner tells the model ---------------------------------------------------
    def set_data(self, inputs: Array, targets: Array) -> None:
        """Show these samples (copies are kept); outputs are dropped unless their shape still fits."""
        x = np.array(inputs, dtype=np.float64, ndmin=2)
        t = np.array(targets, dtype=np.float64, ndmin=2)
        if x.shape[0] != t.shape[0]:
            raise ValueError(f"{x.shape[0]} input rows but {t.shape[0]} target rows")
        same_shape = x.shape == self._x.shape and t.shape == self._t.shape
        if self._out is not None and self._out.shape[0] != x.shape[0]:
            self._out = None
        if same_shape:
            # An edit answered by the owner: same shape, so keep the view's current cell and scroll
            # position (a model reset would lose both after every edit).
            self._x, self._t = x, t
            if len(x):
                self.dataChanged.emit(self.index(0, 0), self.index(len(x) - 1, self.columnCount() - 1))
            return
        self.beginResetModel()
        self._x, self._t = x, t
        if self._out is not None and self._out.shape[0] != len(x):
            self._out = None
        self.endResetModel()

    def set_outputs(self, outputs: Array | None) -> None:
        """Show the network's outputs for the samples (one row per sample), or none."""
        if outputs is None:
            if self._out is not None:
                self.beginRemoveColumns(QModelIndex(), self._n_data_cols(), self.columnCount() - 1)
                self._out = None
                self.endRemoveColumns()
            return
        o = np.array(outputs, dtype=np.float64, ndmin=2)
        if o.shape[0] != self._x.shape[0]:
            raise ValueError(f"{o.shape[0]} output rows for {self._x.shape[0]} samples")
        if self._out is not None and self._out.shape == o.shape:
            self._out = o
            first = self._n_data_cols()
            if len(o):
                self.dataChanged.emit(self.index(0, first), self.index(len(o) - 1, self.columnCount() - 1),
                                      [Qt.DisplayRole])
            return
        self.beginResetModel()
        self._out = o
        self.endResetModel()

    def set_target_rule(self, loss: str, output_activation: str) -> None:
        """Refuse target edits that *loss* with this output activation cannot take (cross-entropy)."""
        self._loss, self._out_act = loss, output_activation

    # -- read access ------------------------------------------------------------------------
    @property
    def inputs(self) -> Array:
        """The input columns shown (a copy of what the owner gave)."""
        return self._x

    @property
    def targets(self) -> Array:
        """The target columns shown."""
        return self._t

    @property
    def n_inputs(self) -> int:
        """How many input columns come first."""
        return self._x.shape[1]

    def _n_data_cols(self) -> int:
        return self._x.shape[1] + self._t.shape[1]

    def is_output_column(self, column: int) -> bool:
        """Whether *column* shows the network's outputs (read-only)."""
        return column >= self._n_data_cols()

    def column_name(self, column: int) -> str:
        """``i1``…, ``t1``… or ``o1``… for *column*."""
        ni, nt = self._x.shape[1], self._t.shape[1]
        if column < ni:
            return f"i{column + 1}"
        if column < ni + nt:
            return f"t{column - ni + 1}"
        return f"o{column - ni - nt + 1}"

    # -- QAbstractTableModel --------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else self._x.shape[0]

    def columnCount(self, parent=QModelIndex()) -> int:
        if parent.isValid():
            return 0
        return self._n_data_cols() + (0 if self._out is None else self._out.shape[1])

    def _value(self, row: int, col: int) -> float:
        ni, nt = self._x.shape[1], self._t.shape[1]
        if col < ni:
            return float(self._x[row, col])
        if col < ni + nt:
            return float(self._t[row, col - ni])
        return float(self._out[row, col - ni - nt])  # type: ignore[index]

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY):
        role = int(role)
        if role == _DISPLAY:
            return f"{self._value(index.row(), index.column()):.6g}"
        if role == _ALIGN:
            return _RIGHT
        if role == _EDIT:
            return repr(self._value(index.row(), index.column()))  # the shortest text that reads back the same
        if role == _TIP:
            r, c = index.row(), index.column()
            return f"{self.column_name(c)} of sample {r + 1} = {self._value(r, c)!r}"
        if role in (_BACKGROUND, _FOREGROUND) and index.column() >= self._x.shape[1] + self._t.shape[1]:
            return _OUTPUT_BG if role == _BACKGROUND else _OUTPUT_FG
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY):
        role = int(role)
        if orientation == _VERTICAL:
            return str(section + 1) if role == _DISPLAY else None
        if role == _DISPLAY:
            return self.column_name(section)
        if role == _TIP:
            name = self.column_name(section)
            if name[0] == "i":
                return f"Input {name}: what the input neuron {name} receives (editable)"
            if name[0] == "t":
                return f"Target {name}: what output o{name[1:]} should be (editable)"
            return f"Output {name} of the network with the current weights (read-only)"
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        return _READ_ONLY if self.is_output_column(index.column()) else _EDITABLE

    def setData(self, index: QModelIndex | QPersistentModelIndex, value, role: int = Qt.EditRole) -> bool:
        if not index.isValid() or int(role) != _EDIT or self.is_output_column(index.column()):
            return False
        r, c = index.row(), index.column()
        where = f"{self.column_name(c)} of sample {r + 1}"
        try:
            v = parse_number(str(value), where)
        except ValueError as e:
            self.edit_refused.emit(f"{e}; unchanged.")
            return False
        why = self.target_problem(r, c, v)
        if why:
            self.edit_refused.emit(f"{where}: {why}; unchanged.")
            return False
        if v != self._value(r, c) or np.signbit(v) != np.signbit(self._value(r, c)):
            self.sample_edited.emit(r, c, v)
        return True

    def target_problem(self, row: int, column: int, value: float) -> str:
        """Why *value* cannot go into a target cell under the current loss ("" when it can)."""
        ni = self._x.shape[1]
        if column < ni:
            return ""
        t = self._t[row].copy()
        t[column - ni] = value
        problem = target_problem(t[None, :], self._loss, self._out_act)
        return "" if problem is None else problem[2]


class SampleTable(QWidget):
    """The sample table with Add row / Remove row buttons and a line for refusals.

    Signals
    -------
    sample_edited(int row, int column, float value)
        See :class:`SampleTableModel`.
    sample_added(object inputs_row, object targets_row)
        1-D float64 arrays: a copy of the current sample (the last one when no
        row is current), to be appended.
    sample_removed(int row)
        The current sample is to be removed.
    """

    sample_edited = Signal(int, int, float)
    sample_added = Signal(object, object)
    sample_removed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(3)
        self.model = SampleTableModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setAccessibleName("Training samples")
        self.view.setToolTip("One row per training sample: inputs i…, targets t… and, read-only, the network's "
                             "outputs o…. Double-click or F2 to edit a cell; Enter applies, Esc cancels.")
        self.view.setSelectionBehavior(QAbstractItemView.SelectItems)
        self.view.setSelectionMode(QAbstractItemView.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.DoubleClicked | QAbstractItemView.EditKeyPressed
                                  | QAbstractItemView.AnyKeyPressed)
        self.view.setAlternatingRowColors(True)
        vh = self.view.verticalHeader()
        # Fixed, uniform rows: the view never measures 100,000 rows one by one.
        vh.setSectionResizeMode(QHeaderView.Fixed)
        vh.setDefaultSectionSize(self.fontMetrics().height() + 6)
        hh = self.view.horizontalHeader()
        # Wide enough for the usual 6 significant digits ("-0.0123457"); rarer exponents are elided (the tooltip
        # and the editor show every digit). A few columns share the width; many scroll and can be dragged wider.
        width = self.fontMetrics().horizontalAdvance("-0.0123457") + 12
        hh.setDefaultSectionSize(width)
        hh.setMinimumSectionSize(width - 14)
        lay.addWidget(self.view, 1)

        row = QHBoxLayout()
        self.add_button = QPushButton("Add row")
        self.add_button.setAccessibleName("Add a sample")
        self.add_button.setToolTip("Append a copy of the current sample (then edit it); one undoable step")
        self.add_button.clicked.connect(self.add_row)
        self.remove_button = QPushButton("Remove row")
        self.remove_button.setAccessibleName("Remove the current sample")
        self.remove_button.setToolTip("Remove the sample of the current cell; one undoable step")
        self.remove_button.clicked.connect(self.remove_row)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        self.count_label = QLabel()
        self.count_label.setTextFormat(Qt.PlainText)
        self.count_label.setAccessibleName("Number of samples")
        row.addWidget(self.count_label)
        lay.addLayout(row)
        self.message = error_label()
        self.message.setAccessibleName("Why the last edit was refused")
        lay.addWidget(self.message)

        self.model.sample_edited.connect(self._on_edited)
        self.model.edit_refused.connect(self._on_edit_refused)
        self.model.modelReset.connect(self._update_count)
        for sig in (self.model.modelReset, self.model.columnsRemoved):
            sig.connect(self._update_column_mode)
        self._update_count()
        self._update_column_mode()

    def _on_edit_refused(self, why: str) -> None:
        show_error(self.message, why)
        # in a scrolled panel the reason may sit below what is in view: the cell just went back to its value,
        # which looked as if nothing had happened (a tester only found the reason by scrolling)
        w = self.parentWidget()
        while w is not None and not isinstance(w, QScrollArea):
            w = w.parentWidget()
        if w is not None:
            area = w
            QTimer.singleShot(0, lambda: area.ensureWidgetVisible(self.message, 0, 8))

    # -- owner's API --------------------------------------------------------------------------
    def set_data(self, inputs: Array, targets: Array) -> None:
        """Show these samples; the current row is kept when it still exists."""
        current = self.view.currentIndex()
        self.model.set_data(inputs, targets)
        if current.isValid() and not self.view.currentIndex().isValid() and self.model.rowCount():
            r = min(current.row(), self.model.rowCount() - 1)
            c = min(current.column(), self.model.columnCount() - 1)
            self.view.setCurrentIndex(self.model.index(r, c))
        self._update_count()

    def set_outputs(self, outputs: Array | None) -> None:
        """Show the network's outputs per sample (read-only columns), or hide them (None)."""
        self.model.set_outputs(outputs)

    def set_target_rule(self, loss: str, output_activation: str) -> None:
        """Refuse target edits that *loss* with this output activation cannot take."""
        self.model.set_target_rule(loss, output_activation)

    # -- buttons ------------------------------------------------------------------------------
    def _current_row(self) -> int:
        idx = self.view.currentIndex()
        return idx.row() if idx.isValid() else self.model.rowCount() - 1

    def add_row(self) -> None:
        """Ask for a copy of the current sample to be appended (refused at the sample limit)."""
        n = self.model.rowCount()
        if n == 0:
            show_error(self.message, "There are no samples to copy; generate or import data first.")
            return
        if n >= MAX_SAMPLES:
            show_error(self.message, f"Not added: {MAX_SAMPLES:,} samples is the limit.")
            return
        r = self._current_row()
        show_error(self.message, "")
        self.sample_added.emit(self.model.inputs[r].copy(), self.model.targets[r].copy())

    def remove_row(self) -> None:
        """Ask for the current sample to be removed (refused for the last one)."""
        n = self.model.rowCount()
        if n <= 1:
            show_error(self.message, "Not removed: the training set needs at least one sample.")
            return
        show_error(self.message, "")
        self.sample_removed.emit(self._current_row())

    def _on_edited(self, row: int, column: int, value: float) -> None:
        show_error(self.message, "")
        self.sample_edited.emit(row, column, value)

    def _update_column_mode(self, *_: object) -> None:
        few = self.model.columnCount() <= 6
        hh = self.view.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.Stretch if few else QHeaderView.Interactive)
        hh.setStretchLastSection(not few)  # with Stretch too, the last column grabs the width of a later resize

    def _update_count(self) -> None:
        n = self.model.rowCount()
        self.count_label.setText(f"{n:,} sample{'s' if n != 1 else ''}")
