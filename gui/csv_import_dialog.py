"""CsvImportDialog: choose a CSV file, preview its first rows, pick input, target and class columns, import.

Importing is all or nothing: ``read_csv_data`` either returns the whole
dataset or raises a ``CSVError`` naming the line and column, which the dialog
shows as plain text while it stays open with nothing imported.
"""
from __future__ import annotations

import os

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from backprop_lab.core import datasets as ds
from backprop_lab.core.errors import CSVError
from backprop_lab.core.numbers import is_number_text

from .background import BackgroundJob
from .plain_text import ERROR_COLOR, MUTED_COLOR, plain_label

PREVIEW_ROWS = 10
#: Files larger than this (bytes) are imported off the GUI thread (about 0.1 s of reading on these machines).
BACKGROUND_BYTES = 2**20
HEADER_CHOICES = (("Detect", None), ("First row is a header", True), ("No header: every row is data", False))
_CHECKED, _UNCHECKED = Qt.Checked, Qt.Unchecked


class CsvImportDialog(QDialog):
    """Import a dataset from a CSV file.

    After ``exec()`` returns ``Accepted``, :meth:`result_data` holds the
    :class:`~backprop_lab.core.datasets.CSVData` and :meth:`path` the file.
    Tests drive it with :meth:`set_path`, :meth:`set_header`,
    :meth:`set_columns` and :meth:`import_data`.

    Signals
    -------
    import_finished(bool) : an import ended: accepted (True) or refused with the reason shown (False).
    """

    import_finished = Signal(bool)

    def __init__(self, parent: QWidget | None = None, path: str | os.PathLike | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import CSV")
        self.setMinimumWidth(560)
        self._path = ""
        self._result: ds.CSVData | None = None
        self._names: list[str] = []
        self._job: BackgroundJob | None = None
        lay = QVBoxLayout(self)
        lay.addLayout(self._build_file_row())
        self.preview = QTableWidget(0, 0)
        self.preview.setAccessibleName("Preview of the first rows")
        self.preview.setToolTip(f"The first {PREVIEW_ROWS} data rows as they are in the file")
        self.preview.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.preview.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.preview.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
        self.preview.horizontalHeader().setStretchLastSection(True)
        self.preview.setMinimumHeight(150)
        lay.addWidget(self.preview, 1)
        lay.addLayout(self._build_columns())
        self._build_footer(lay)
        for a, b in zip(self._tab_chain(), self._tab_chain()[1:]):
            self.setTabOrder(a, b)
        self._set_ready(False)
        if path is not None:
            self.set_path(path)

    def _tab_chain(self) -> list[QWidget]:
        return [self.path_edit, self.browse, self.header, self.preview, self.inputs, self.targets, self.one_hot]

    def _build_file_row(self) -> QFormLayout:
        """The file (typed or chosen) and the header mode."""
        top = QFormLayout()
        path_row = QHBoxLayout()
        self.path_edit = QLineEdit()
        self.path_edit.setAccessibleName("CSV file")
        self.path_edit.setToolTip("The file to import (type a path and press Enter, or choose one)")
        self.path_edit.setPlaceholderText("Choose a .csv file…")
        # Enter and Tab (leaving the field) both preview a typed path; Enter does not import as well (the
        # dialog's default button would take it): the person sees the preview and the columns first.
        self.path_edit.editingFinished.connect(self._on_path_typed)
        self.path_edit.installEventFilter(self)
        self.browse = QPushButton("Choose…")
        self.browse.setAccessibleName("Choose a CSV file")
        self.browse.setToolTip("Open a file chooser")
        self.browse.clicked.connect(self._on_browse)
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse)
        top.addRow("File", path_row)
        self.header = QComboBox()
        for label, value in HEADER_CHOICES:
            self.header.addItem(label, value)
        self.header.setAccessibleName("Header row")
        self.header.setToolTip("Detect: a header when no field of the first row is a number and the second row "
                               "has one")
        self.header.currentIndexChanged.connect(lambda _: self._load_preview(keep_columns=False))
        top.addRow("Header", self.header)
        return top

    def _build_columns(self) -> QGridLayout:
        """Input and target columns to tick, and the one-hot class column."""
        cols = QGridLayout()
        cols.addWidget(QLabel("Inputs"), 0, 0)
        cols.addWidget(QLabel("Targets"), 0, 1)
        self.inputs = QListWidget()
        self.inputs.setAccessibleName("Input columns")
        self.inputs.setToolTip("Tick the columns the network receives as inputs")
        self.targets = QListWidget()
        self.targets.setAccessibleName("Target columns")
        self.targets.setToolTip("Tick the columns the outputs should learn (numbers)")
        for w in (self.inputs, self.targets):
            w.setMaximumHeight(120)
            w.itemChanged.connect(self._on_choice_changed)
        cols.addWidget(self.inputs, 1, 0)
        cols.addWidget(self.targets, 1, 1)
        oh_row = QHBoxLayout()
        oh_label = QLabel("One-hot class column")
        self.one_hot = QComboBox()
        self.one_hot.setAccessibleName("One-hot class column")
        self.one_hot.setToolTip("A column of class labels (text or numbers) to turn into one target column per "
                                "class, in sorted order; then it makes the targets")
        self.one_hot.currentIndexChanged.connect(self._on_one_hot_changed)
        oh_label.setBuddy(self.one_hot)
        oh_row.addWidget(oh_label)
        oh_row.addWidget(self.one_hot, 1)
        cols.addLayout(oh_row, 2, 0, 1, 2)
        return cols

    def _build_footer(self, lay: QVBoxLayout) -> None:
        """Why the file cannot be imported, what will be, and Import / Cancel."""
        self.error = plain_label("", "Why the file cannot be imported")
        self.error.setStyleSheet(f"color: {ERROR_COLOR};")
        self.error.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.error.hide()
        lay.addWidget(self.error)
        self.summary = plain_label("", "What will be imported")
        self.summary.setStyleSheet(f"color: {MUTED_COLOR};")
        lay.addWidget(self.summary)

        self.buttons = QDialogButtonBox(QDialogButtonBox.Cancel)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.AcceptRole)
        self.import_button.setAccessibleName("Import the chosen columns")
        self.import_button.setToolTip("Read every row; nothing is imported if any row is bad")
        cancel = self.buttons.button(QDialogButtonBox.Cancel)
        cancel.setAccessibleName("Cancel the import")
        cancel.setToolTip("Close without importing")
        self.buttons.accepted.connect(self.import_data)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)

    def _on_path_typed(self) -> None:
        text = self.path_edit.text().strip()
        if text and text != self._path:
            self.set_path(text)

    def eventFilter(self, obj, event) -> bool:
        if obj is self.path_edit and event.type() == QEvent.KeyPress and event.key() in (Qt.Key_Return,
                                                                                          Qt.Key_Enter):
            self._on_path_typed()
            return True  # previewed only: Import is a separate, deliberate press
        return super().eventFilter(obj, event)

    # -- public --------------------------------------------------------------------------------
    def path(self) -> str:
        """The file chosen ('' before one is)."""
        return self._path

    def result_data(self) -> ds.CSVData | None:
        """The imported data after a successful :meth:`import_data` (None before or after a refusal)."""
        return self._result

    def set_path(self, path: str | os.PathLike) -> bool:
        """Preview *path* (choose default columns); False with the reason shown when it cannot be read."""
        self._drop_job()  # an import of the previous file must not be accepted for this one
        self._path = str(path)
        self.path_edit.setText(self._path)
        return self._load_preview(keep_columns=False)

    def set_header(self, header: bool | None) -> None:
        """Detect (None), first row is a header (True), or no header (False)."""
        self.header.setCurrentIndex([v for _, v in HEADER_CHOICES].index(header))

    def set_columns(self, inputs: list[int], targets: list[int] | None = None, one_hot: int | None = None) -> None:
        """Tick these 0-based columns (targets are ignored when *one_hot* is given)."""
        self.one_hot.setCurrentIndex(0 if one_hot is None else one_hot + 1)
        self._tick(self.inputs, inputs)
        if one_hot is None:
            self._tick(self.targets, targets or [])
        self._on_choice_changed()

    def chosen(self) -> tuple[list[int], list[int], int | None]:
        """The ticked input columns, target columns and the one-hot column (0-based)."""
        oh = self.one_hot.currentIndex() - 1
        return self._ticked(self.inputs), ([] if oh >= 0 else self._ticked(self.targets)), (oh if oh >= 0 else None)

    def import_data(self) -> bool | None:
        """Read the whole file with the chosen columns; accept, or show why not and import nothing.

        Returns True (imported, accepted) or False (refused, reason shown) at once for a file of up to
        :data:`BACKGROUND_BYTES`; a larger file is read off the GUI thread and None is returned:
        :attr:`import_finished` then tells the outcome, while the window stays responsive.
        """
        self._result = None
        ins, tgs, oh = self.chosen()
        why = self._choice_problem(ins, tgs, oh)
        if why:
            self._show_error(why)
            return False
        if self._job is not None and self._job.running:
            return None

        path, header = self._path, self.header.currentData()  # read here: the worker must not touch widgets

        def read() -> ds.CSVData:
            return ds.read_csv_data(path, inputs=ins, targets=tgs if oh is None else None, header=header,
                                    one_hot=oh)

        try:
            size = os.stat(self._path).st_size
        except OSError:
            size = 0  # read_csv_data says why
        if size <= BACKGROUND_BYTES:
            try:
                data = read()
            except CSVError as e:
                return self._imported(e)
            return self._imported(data)
        self._job = BackgroundJob(read, (CSVError,), self)
        self._job.succeeded.connect(self._imported)
        self._job.failed.connect(self._imported)
        self._set_busy(True, f"Importing {size / 2**20:.1f} MB…")
        self._job.start()
        return None

    def _imported(self, outcome: ds.CSVData | CSVError) -> bool:
        self._job = None
        self._set_busy(False)
        ok = not isinstance(outcome, CSVError)
        if ok:
            self._result = outcome  # type: ignore[assignment]
            self._show_error("")
        else:
            self._show_error(f"Nothing was imported. {outcome}")
        self.import_finished.emit(ok)
        if ok:
            self.accept()
        return ok

    def reject(self) -> None:
        """Cancel: a file still being read is let go (its outcome is dropped)."""
        self._drop_job()
        super().reject()

    def _drop_job(self) -> None:
        if self._job is not None:
            self._job.succeeded.disconnect()
            self._job.failed.disconnect()
            self._job = None
            self._set_busy(False)

    def _set_busy(self, busy: bool, text: str = "") -> None:
        """While a large file is read: only Cancel works, and the summary says what is going on."""
        for w in (self.path_edit, self.browse, self.header):
            w.setEnabled(not busy)
        self._set_ready(not busy and bool(self._names))
        if busy:
            self.summary.setText(text)
        else:
            self._on_choice_changed()

    # -- preview -------------------------------------------------------------------------------
    def _on_browse(self) -> None:
        start = os.path.dirname(self._path) if self._path else ""
        path, _ = QFileDialog.getOpenFileName(self, "Import CSV", start, "CSV files (*.csv *.tsv *.txt);;All files (*)")
        if path:
            self.set_path(path)

    def _load_preview(self, keep_columns: bool) -> bool:
        self._result = None
        if not self._path:
            return False
        try:
            head, rows = ds.preview_csv(self._path, rows=PREVIEW_ROWS, header=self.header.currentData())
        except CSVError as e:
            self._clear()
            self._show_error(f"Cannot preview: {e}")
            return False
        if self.header.currentData() is None:  # say what "Detect" found
            self.header.setItemText(0, "Detect (found a header row)" if head is not None
                                    else "Detect (found no header row)")
        n_cols = len(head) if head is not None else max(len(r) for r in rows)
        names = [(head[j].strip() if head is not None else "") or f"column {j + 1}" for j in range(n_cols)]
        self._fill_preview(names, rows)
        old = self.chosen() if keep_columns and names == self._names else None
        self._names = names
        self._fill_lists(names)
        if old is not None:
            self.set_columns(*old)
        else:
            self._default_columns(rows)
        self._show_error("")
        self._set_ready(True)
        self._on_choice_changed()
        return True

    def _clear(self) -> None:
        self._names = []
        self.preview.clear()
        self.preview.setRowCount(0)
        self.preview.setColumnCount(0)
        self._fill_lists([])
        self._set_ready(False)

    def _fill_preview(self, names: list[str], rows: list[list[str]]) -> None:
        self.preview.clear()
        self.preview.setColumnCount(len(names))
        self.preview.setRowCount(len(rows))
        self.preview.setHorizontalHeaderLabels(names)  # QTableWidgetItem text is plain
        for r, fields in enumerate(rows):
            ragged = len(fields) != len(names)  # shown as it is, marked; the import will name its line
            for c in range(len(names)):
                text = fields[c] if c < len(fields) else ""
                item = QTableWidgetItem(text)
                if not is_number_text(text):
                    item.setForeground(Qt.darkGray)
                if ragged:
                    item.setBackground(QColor("#fcf3cf"))
                    item.setToolTip(f"This row has {len(fields)} field(s); the first row has {len(names)}")
                self.preview.setItem(r, c, item)
        self.preview.resizeColumnsToContents()

    def _fill_lists(self, names: list[str]) -> None:
        self.one_hot.blockSignals(True)
        self.one_hot.clear()
        self.one_hot.addItem("none: the targets are the ticked columns", None)
        for w in (self.inputs, self.targets):
            w.blockSignals(True)
            w.clear()
        for j, name in enumerate(names):
            label = f"{j + 1}: {name}"
            for w in (self.inputs, self.targets):
                item = QListWidgetItem(label)
                item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsUserCheckable | Qt.ItemIsSelectable)
                item.setCheckState(_UNCHECKED)
                w.addItem(item)
            self.one_hot.addItem(label, j)
        for w in (self.inputs, self.targets):
            w.blockSignals(False)
        self.one_hot.blockSignals(False)

    def _default_columns(self, rows: list[list[str]]) -> None:
        """As read_csv does: the last column is the target; one-hot when it holds text (class labels)."""
        n = len(self._names)
        if n < 2:
            self.set_columns([0] if n else [], [0] if n else [])
            return
        last = [r[n - 1] for r in rows if len(r) >= n]
        text_labels = any(not is_number_text(v) for v in last)
        self.set_columns(list(range(n - 1)), None if text_labels else [n - 1], n - 1 if text_labels else None)

    # -- choices -------------------------------------------------------------------------------
    @staticmethod
    def _ticked(w: QListWidget) -> list[int]:
        return [j for j in range(w.count()) if w.item(j).checkState() == _CHECKED]

    @staticmethod
    def _tick(w: QListWidget, columns: list[int]) -> None:
        w.blockSignals(True)
        for j in range(w.count()):
            w.item(j).setCheckState(_CHECKED if j in columns else _UNCHECKED)
        w.blockSignals(False)

    def _on_one_hot_changed(self, _index: int) -> None:
        oh = self.one_hot.currentIndex() - 1
        self.targets.setEnabled(oh < 0)
        if oh >= 0:
            self.inputs.blockSignals(True)
            self.inputs.item(oh).setCheckState(_UNCHECKED)  # a label column is not an input
            self.inputs.blockSignals(False)
        self._on_choice_changed()

    def _choice_problem(self, ins: list[int], tgs: list[int], oh: int | None) -> str:
        if not self._names:
            return "Choose a CSV file first."
        if not ins:
            return "Tick at least one input column."
        if oh is None and not tgs:
            return "Tick at least one target column, or choose a one-hot class column."
        if oh is not None and oh in ins:
            return f"Column {oh + 1} is the class column; it cannot also be an input."
        return ""

    def _on_choice_changed(self, *_: object) -> None:
        ins, tgs, oh = self.chosen()
        why = self._choice_problem(ins, tgs, oh)
        self.import_button.setEnabled(bool(self._names))
        if why:
            self.summary.setText(why)
            return
        names = self._names
        tg_text = (f"one-hot classes of '{names[oh]}'" if oh is not None
                   else ", ".join(names[j] for j in tgs[:8]) + (" …" if len(tgs) > 8 else ""))
        in_text = ", ".join(names[j] for j in ins[:8]) + (" …" if len(ins) > 8 else "")
        self.summary.setText(f"{len(ins)} input(s): {in_text}  →  targets: {tg_text}")

    def _set_ready(self, ready: bool) -> None:
        for w in (self.inputs, self.targets, self.one_hot, self.import_button):
            w.setEnabled(ready)
        if ready:
            self.targets.setEnabled(self.one_hot.currentIndex() <= 0)

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
