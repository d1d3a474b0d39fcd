"""QtDataPanel: the current dataset, new data from a generator or a CSV file, a test split, input scaling, the table.

The panel never writes to a simulation. It announces new data with
:attr:`QtDataPanel.data_requested` (a :class:`DataRequest`) and table edits
with its ``sample_*`` signals; the window's owner applies them (``sim.set_data``)
and answers with :meth:`QtDataPanel.set_data`, so the panel always shows the
data the network trains on.  Which source is chosen and whether it fits the
network is :class:`~backprop_lab.gui.data_fit.DataFit`'s part.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from backprop_lab.core import datasets as ds
from backprop_lab.core.errors import DataError

from .background import BackgroundJob
from .csv_import_dialog import CsvImportDialog
from .data_fit import DataFit
from .data_request import (
    DataRequest,
    generator_options,
    make_request,
    split_and_scale,
)
from .number_field import dataset_fields
from .plain_text import ERROR_COLOR, plain_label, plain_tooltip, set_status, show_error
from .sample_table import SampleTable
from .wheel_guard import guard_wheel

__all__ = ["QtDataPanel", "DataRequest", "make_request"]

Array = np.ndarray
#: Datasets with more numbers than this are exported off the GUI thread (about 0.1 s of writing).
BACKGROUND_NUMBERS = 200_000
#: The sample table's least height: the header, about four rows and the Add row / Remove row line.
TABLE_MIN_HEIGHT = 170
SCALING_CHOICES = (("none", "none"), ("minmax", "min–max to [0, 1]"), ("standardise", "standardise (mean 0, sd 1)"))


# -- the panel --------------------------------------------------------------------------------------
class QtDataPanel(DataFit, QWidget):
    """The Data panel.

    Signals
    -------
    data_requested(DataRequest)
        Apply was pressed (or a CSV file imported) and the data fits the
        network: the owner calls ``sim.set_data(...)`` and then :meth:`set_data`.
    network_requested(DataRequest)
        "New network for this data…" was pressed: the data does not fit the
        network, and the owner offers File ▸ New Network… made for it.
    sample_edited(int row, int column, float value), sample_added(object, object), sample_removed(int)
        From the table (:class:`~backprop_lab.gui.sample_table.SampleTable`).
    export_finished(bool)
        An export ended: written (True) or refused with the reason shown (False).
    """

    data_requested = Signal(object)
    network_requested = Signal(object)
    export_finished = Signal(bool)
    sample_edited = Signal(int, int, float)
    sample_added = Signal(object, object)
    sample_removed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data: tuple[Array, Array, Array | None, Array | None] | None = None
        self._description = ""
        self._shape: tuple[int, int, str, str] | None = None
        self._imported: tuple[ds.CSVData, str] | None = None
        self.last_request: DataRequest | None = None
        self._export_job: BackgroundJob | None = None
        self._build()
        guard_wheel(self)  # scrolling the panel does not change the data source or the scaling
        self._on_source_changed()

    # -- widgets ------------------------------------------------------------------------------
    def _build(self) -> None:
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.setSpacing(6)

        self.current = plain_label("No data yet.", "Current data")
        self.current.setStyleSheet("font-weight: bold;")
        self.current_details = plain_label("", "Current data details", small=True)
        lay.addWidget(self.current)
        lay.addWidget(self.current_details)

        lay.addWidget(self._build_new_data_box())
        self.table = SampleTable()
        self.table.sample_edited.connect(self.sample_edited)
        self.table.sample_added.connect(self.sample_added)
        self.table.sample_removed.connect(self.sample_removed)
        # The table takes the height that is left, down to a few rows: its size hint (many rows) would make the
        # panel taller than the dock, and the scroll area would cut off its Add row / Remove row line.
        self.table.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Ignored)
        self.table.setMinimumHeight(TABLE_MIN_HEIGHT)
        lay.addWidget(self.table, 1)
        self.scaling.currentIndexChanged.connect(self._update_fit)

    def _build_new_data_box(self) -> QGroupBox:
        """Source, its fields, split and scaling, whether it fits, and Import / Export / Apply."""
        box = QGroupBox("New data")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignRight | Qt.AlignVCenter)
        form.setVerticalSpacing(4)
        self.source = QComboBox()
        self.source.setAccessibleName("Data source")
        self.source.setToolTip("Where the new data comes from: a generator, an imported CSV file, or the "
                               "current data (to split or scale it again)")
        self.source.addItem("Current data (split / scale again)", "current")
        for name in ds.names():
            self.source.addItem(ds.info(name).title, f"gen:{name}")
            self.source.setItemData(self.source.count() - 1, plain_tooltip(ds.describe(name)), Qt.ToolTipRole)
        self.source.setCurrentIndex(self.source.findData("gen:spiral"))
        self.source.currentIndexChanged.connect(self._on_source_changed)
        form.addRow("Source", self.source)
        self.source_help = plain_label("", "About the data source", small=True)
        form.addRow(self.source_help)

        fields = dataset_fields()
        self.samples, self.noise, self.classes = fields["samples"], fields["noise"], fields["classes"]
        self.degree, self.seed, self.test_fraction = fields["degree"], fields["seed"], fields["test"]
        self.scaling = QComboBox()
        for key, label in SCALING_CHOICES:
            self.scaling.addItem(label, key)
        self.scaling.setAccessibleName("Input scaling")
        self.scaling.setToolTip("Transform the input columns before training, with the training set's statistics; "
                                "the network and the equations then see the scaled numbers")
        self._rows: dict[str, QLabel] = {}
        for key, field in (("samples", self.samples), ("noise", self.noise), ("classes", self.classes),
                           ("degree", self.degree), ("seed", self.seed), ("test", self.test_fraction)):
            label = QLabel({"test": "Test fraction"}.get(key, key.capitalize()))
            label.setBuddy(field.edit)
            self._rows[key] = label
            form.addRow(label, field)
            field.edited.connect(self._update_fit)
        form.addRow("Scaling", self.scaling)
        self.fit = plain_label("", "Does the data fit the network")
        form.addRow(self.fit)
        self.adapt_button = QPushButton()
        self.adapt_button.setAccessibleName("Adapt the data to the network")
        self.adapt_button.setToolTip("Change the generator's option so that its targets fit the network's outputs")
        self.adapt_button.clicked.connect(self._adapt)
        self.adapt_button.hide()
        form.addRow(self.adapt_button)
        self.network_button = QPushButton()
        self.network_button.setAccessibleName("Make a network for this data")
        self.network_button.setToolTip("Open File ▸ New Network… with this data and a network of its shape")
        self.network_button.clicked.connect(self.request_network)
        self.network_button.hide()
        form.addRow(self.network_button)
        form.addRow(self._build_buttons())
        self.status = plain_label("", "Result of the last action")
        form.addRow(self.status)
        return box

    def _build_buttons(self) -> QHBoxLayout:
        buttons = QHBoxLayout()
        self.import_button = QPushButton("Import CSV…")
        self.import_button.setAccessibleName("Import a CSV file")
        self.import_button.setToolTip("Read samples from a CSV file: choose the input and target columns, "
                                      "with a preview")
        self.import_button.clicked.connect(self._on_import_clicked)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setAccessibleName("Export the data as CSV")
        self.export_button.setToolTip("Write the current samples (training, then test) to a CSV file")
        self.export_button.clicked.connect(self._on_export_clicked)
        self.apply_button = QPushButton("Apply")
        self.apply_button.setAccessibleName("Apply the new data")
        self.apply_button.setToolTip("Make the data and train on it from now on (one undoable step)")
        self.apply_button.setDefault(True)
        self.apply_button.clicked.connect(self.apply)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        buttons.addWidget(self.apply_button)
        return buttons

    # -- the owner's API ---------------------------------------------------------------------
    def set_data(self, inputs: Array, targets: Array, test_inputs: Array | None = None,
                 test_targets: Array | None = None, description: str = "") -> None:
        """Show the data the network trains on now (the table follows; no stale rows)."""
        x, t = np.asarray(inputs, dtype=np.float64), np.asarray(targets, dtype=np.float64)
        te_x = None if test_inputs is None else np.asarray(test_inputs, dtype=np.float64)
        te_t = None if test_targets is None else np.asarray(test_targets, dtype=np.float64)
        if te_x is not None and len(te_x) == 0:
            te_x = te_t = None
        self._data = (x, t, te_x, te_t)
        self._description = description
        self.table.set_data(x, t)
        n_test = 0 if te_x is None else len(te_x)
        first, _, rest = description.partition("\n")
        self.current.setText(first or "Current data")
        ins, outs = x.shape[1], t.shape[1]
        shape = (f"{len(x):,} training + {n_test:,} test samples" if n_test else f"{len(x):,} samples, no test set"
                 ) + f"; {ins} input{'s' * (ins != 1)} → {outs} target{'s' * (outs != 1)}"
        self.current_details.setText(shape + (f"\n{rest}" if rest else ""))
        self._update_fit()

    def set_outputs(self, outputs: Array | None) -> None:
        """The network's outputs per training sample for the table's read-only o… columns (None hides them)."""
        self.table.set_outputs(outputs)

    def set_network_shape(self, n_inputs: int, n_outputs: int, output_activation: str, loss: str) -> None:
        """What the data must fit; a generator adapts where it can (blobs: one class per output)."""
        self._shape = (int(n_inputs), int(n_outputs), output_activation, loss)
        self.table.set_target_rule(loss, output_activation)
        if self._generator() == "blobs" and 3 <= n_outputs <= ds.MAX_CLASSES:
            self.classes.set_text(str(n_outputs))
        self._update_fit()

    def start_over(self) -> None:
        """Another file or network: the source is its data (split or scaled again as the fields say; a
        generator left chosen made other data on Apply — a tester changed the test fraction of circle data and
        got a spiral), and what the last action said is gone."""
        self.source.setCurrentIndex(self.source.findData("current"))
        self.forget_status()

    def forget_status(self) -> None:
        """What the last action said no longer holds (the data changed since, by undo or another file)."""
        show_error(self.status, "")

    @property
    def data(self) -> tuple[Array, Array, Array | None, Array | None] | None:
        """The data last given to :meth:`set_data` (inputs, targets, test inputs, test targets)."""
        return self._data

    # -- requests ----------------------------------------------------------------------------
    def request_network(self) -> DataRequest | None:
        """The chosen data (split and scaled) for a new network of its shape: emits :attr:`network_requested`."""
        req = self.request(fit=False)
        if req is not None:
            set_status(self.status, "Make the network in the New Network window (Keep the data).", ok=True)
            self.network_requested.emit(req)
        return req

    # -- apply -------------------------------------------------------------------------------
    def _fields(self) -> dict[str, Any] | None:
        """The parsed visible fields; None (reasons shown beside the fields) when one is refused."""
        fields = {"seed": self.seed, "test": self.test_fraction}
        gen = self._generator()
        if gen:
            fields.update(samples=self.samples, noise=self.noise)
            if gen == "blobs":
                fields["classes"] = self.classes
            if gen == "polynomial":
                fields["degree"] = self.degree
        ok = [f.check() for f in fields.values()]  # check every field, so every reason shows at once
        if not all(ok):
            return None
        return {k: f.value() for k, f in fields.items()}

    def _raw_data(self, v: dict[str, Any]) -> tuple[Array, Array, str]:
        """The chosen source's samples before split and scaling, and the description's first line."""
        kind, name = self._source()
        if kind == "generator":
            info = ds.info(name)
            out_act = self._shape[2] if self._shape else None
            opts = generator_options(name, out_act, v.get("classes"), v.get("degree"), self._any_inputs(name))
            n = 1 if info.fixed_samples else v["samples"]
            if n < ds.min_samples(name):
                self.samples.set_error(f"Samples: {info.title} needs at least {ds.min_samples(name)}")
                raise _Refused()
            x, t = ds.make(name, n_samples=n, noise=v["noise"], seed=v["seed"], **opts)
            extra = "".join(f", {k} {opts[k]}" for k in ("inputs", "classes", "degree") if k in opts)
            enc = {"01": ", targets 0/1", "pm1": ", targets ±1"}.get(opts.get("targets", ""), "")
            return x, t, f"{info.title}: {n:,} samples, noise {v['noise']:g}, seed {v['seed']}{extra}{enc}"
        if kind == "csv" and self._imported:
            data, path = self._imported
            return data.inputs, data.targets, f"{Path(path).name}: {len(data.inputs):,} rows"
        if self._data is None:
            show_error(self.status, "There is no current data to split or scale.")
            raise _Refused()
        x, t, te_x, te_t = self._data
        if te_x is not None:
            x, t = np.vstack([x, te_x]), np.vstack([t, te_t])
        first = self._description.partition("\n")[0] or "Current data"
        return x, t, first

    def request(self, fit: bool = True) -> DataRequest | None:
        """The :class:`DataRequest` the fields describe, or None with the reasons shown (nothing emitted).

        *fit* False makes the data even when it does not fit the network (for a new network made for it).
        """
        self.status.setStyleSheet(f"color: {ERROR_COLOR};")
        show_error(self.status, "")
        v = self._fields()
        if v is None:
            show_error(self.status, "Not applied: correct the field(s) marked in red.")
            return None
        if fit and self.fit_problem():
            # The reason is already shown in red just above (the fit line); saying it twice only adds noise.
            show_error(self.status, "Not applied: the data does not fit the network (see above).")
            return None
        try:
            x, t, first = self._raw_data(v)
        except _Refused:
            if not self.status.text():
                show_error(self.status, "Not applied: correct the field(s) marked in red.")
            return None
        except DataError as e:
            show_error(self.status, f"Not applied: {e}")
            return None
        frac_why = ds.split_problem(len(x), v["test"])
        if frac_why:
            self.test_fraction.set_error(f"Test fraction: {frac_why}")
            show_error(self.status, "Not applied: correct the field(s) marked in red.")
            return None
        try:
            x_tr, t_tr, x_te, t_te, lines = split_and_scale(x, t, v["test"], v["seed"], self.scaling.currentData())
            if self._shape is not None and fit:
                for arr in (t_tr, t_te):
                    if arr is not None:
                        ds.check_targets(arr, self._shape[3], self._shape[2])
        except DataError as e:
            show_error(self.status, f"Not applied: {e}")
            return None
        return make_request(x_tr, t_tr, x_te, t_te, "\n".join([first] + lines))

    def apply(self) -> DataRequest | None:
        """Make the data the fields describe and emit :attr:`data_requested`; None when refused."""
        req = self.request()
        if req is None:
            return None
        self.last_request = req
        n_test = 0 if req.test_inputs is None else len(req.test_inputs)
        set_status(self.status, f"Applied: {len(req.inputs):,} training + {n_test:,} test samples.", ok=True)
        self.data_requested.emit(req)
        return req

    # -- CSV ---------------------------------------------------------------------------------
    def _on_import_clicked(self) -> None:
        dialog = CsvImportDialog(self)
        if dialog.exec() == QDialog.Accepted and dialog.result_data() is not None:
            self.use_imported(dialog.result_data(), dialog.path())

    def use_imported(self, data: ds.CSVData, path: str) -> DataRequest | None:
        """Make imported CSV data the source and apply it (with the split and scaling fields)."""
        self._imported = (data, str(path))
        label = f"CSV: {Path(path).name}"
        idx = self.source.findData("csv")
        if idx < 0:
            self.source.insertItem(1, label, "csv")
            idx = 1
        else:
            self.source.setItemText(idx, label)
        if self.source.currentIndex() == idx:
            self._on_source_changed()
        else:
            self.source.setCurrentIndex(idx)
        return self.apply()

    def _on_export_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export data as CSV", "data.csv", "CSV files (*.csv)")
        if path:
            self.export_csv(path)

    def export_csv(self, path: str | os.PathLike) -> bool | None:
        """Write the current samples (training rows, then test rows) to *path*; the outcome is shown.

        Returns True (written) or False (refused, reason shown) at once for up to
        :data:`BACKGROUND_NUMBERS` numbers; more are written off the GUI thread and None is
        returned: :attr:`export_finished` then tells the outcome.
        """
        if self._data is None:
            set_status(self.status, "Nothing to export: there is no data yet.", ok=False)
            return False
        if self._export_job is not None and self._export_job.running:
            set_status(self.status, "Not exported: the last export is still being written.", ok=False)
            return False
        x, t, te_x, te_t = self._data
        if te_x is not None:
            x, t = np.vstack([x, te_x]), np.vstack([t, te_t])
        n_test = 0 if te_x is None else len(te_x)
        path = str(path)

        def write() -> tuple[str, int, int]:
            ds.write_csv(path, x, t)
            return path, len(x), n_test

        if x.size + t.size <= BACKGROUND_NUMBERS:
            try:
                return self._exported(write())
            except DataError as e:
                return self._exported(e)
        self._export_job = BackgroundJob(write, (DataError,), self)
        self._export_job.succeeded.connect(self._exported)
        self._export_job.failed.connect(self._exported)
        set_status(self.status, f"Exporting {len(x):,} samples to {Path(path).name}…", ok=True)
        self._export_job.start()
        return None

    def _exported(self, outcome: tuple[str, int, int] | DataError) -> bool:
        self._export_job = None
        if isinstance(outcome, DataError):
            set_status(self.status, f"Not exported: {outcome}", ok=False)
            self.export_finished.emit(False)
            return False
        path, n, n_test = outcome
        tail = f" ({n - n_test:,} training, then {n_test:,} test)" if n_test else ""
        try:
            size = os.stat(path).st_size
        except OSError:
            size = 0
        big = (f" It is {size / 2**20:.1f} MB: more than the {ds.MAX_CSV_BYTES / 2**20:g} MB that Import CSV "
               f"reads back." if size > ds.MAX_CSV_BYTES else "")
        set_status(self.status, f"Exported {n:,} samples{tail} to {Path(path).name}.{big}", ok=True)
        self.export_finished.emit(True)
        return True


class _Refused(Exception):
    """A field was refused while making the data; its reason is already shown."""
