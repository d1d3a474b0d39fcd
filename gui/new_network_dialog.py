"""File ▸ New Network…: layer sizes, activations, loss, initialisation and a dataset in one dialog.

:class:`~backprop_lab.gui.network_spec.NetworkSpec` is what the dialog
describes and :func:`~backprop_lab.gui.network_spec.build_simulation` turns one
into a :class:`~backprop_lab.core.Simulation`. The dialog only offers valid
choices where it can (softmax only on the output, cross-entropy only with a
sigmoid or softmax output) and says why anything else is refused.
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from backprop_lab.core import INIT_SCHEMES, ConfigError, Simulation
from backprop_lab.core import datasets as ds
from backprop_lab.core.errors import DataError
from backprop_lab.core.numbers import parse_int

from .data_request import generator_options
from .layer_rows import LayerRows
from .network_spec import (
    CE_OUTPUTS,
    KEEP,
    LOSS_CHOICES,
    MAX_DENSE_LAYERS,
    MAX_LAYER_SIZE,
    MAX_SEED,
    NetworkSpec,
    build_simulation,
    parse_sizes,
    spec_problems,
)
from .number_field import NumberField, dataset_fields
from .plain_text import MUTED_COLOR, error_label, plain_label, plain_tooltip, show_error

__all__ = ["NetworkSpec", "NewNetworkDialog", "build_simulation", "parse_sizes", "spec_problems"]


# -- the dialog ---------------------------------------------------------------------------------------
class NewNetworkDialog(LayerRows, QDialog):
    """File ▸ New Network…

    After ``exec()`` returns ``Accepted``, :meth:`simulation` is the new
    simulation (already built and checked) and :meth:`spec` what it was made
    from. :meth:`set_current_data` offers "Keep current data".
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New Network")
        self._sizes: list[int] = [2, 4, 4, 1]
        self._acts: list[str] = ["tanh", "tanh", "tanh"]
        self._current: tuple | None = None
        self._sim: Simulation | None = None
        self._layer_widgets: list[QWidget] = []
        self._current_description = ""
        self._ready = False  # combo boxes announce their first item while the dialog is being built
        self._build()
        self._ready = True
        self._rebuild_layers()
        self.set_dataset("spiral")

    # -- widgets ------------------------------------------------------------------------------
    def _build(self) -> None:
        lay = QVBoxLayout(self)
        cols = QHBoxLayout()
        cols.setSpacing(10)
        lay.addLayout(cols)
        cols.addWidget(self._build_network_box(), 3)
        cols.addWidget(self._build_data_box(), 2)
        self._build_footer(lay)

    def _build_network_box(self) -> QGroupBox:
        """Sizes (typed, or one row per layer), loss and initialisation."""
        net_box = QGroupBox("Network")
        net = QVBoxLayout(net_box)
        sizes_form = QFormLayout()
        self.sizes_edit = QLineEdit()
        self.sizes_edit.setAccessibleName("Layer sizes")
        self.sizes_edit.setToolTip("Neurons per layer, inputs first, e.g. 2-4-4-1 (Enter applies); or use the "
                                   f"rows below. 1 to {MAX_LAYER_SIZE:,} per layer, at most {MAX_DENSE_LAYERS} "
                                   "layers after the inputs")
        self.sizes_edit.editingFinished.connect(self._on_sizes_typed)
        self.sizes_edit.textEdited.connect(self._refresh)  # Create waits for sizes it can use
        self.sizes_error = error_label()
        sizes_col = QVBoxLayout()
        sizes_col.setSpacing(1)
        sizes_col.addWidget(self.sizes_edit)
        sizes_col.addWidget(self.sizes_error)
        sizes_form.addRow("Sizes", sizes_col)
        net.addLayout(sizes_form)
        self.layers_grid = QGridLayout()
        self.layers_grid.setHorizontalSpacing(6)
        self.layers_grid.setVerticalSpacing(3)
        net.addLayout(self.layers_grid)
        self.add_layer = QPushButton("+ Add hidden layer")
        self.add_layer.setAccessibleName("Add a hidden layer")
        self.add_layer.setToolTip("Insert a hidden layer before the output (a copy of the last hidden layer)")
        self.add_layer.clicked.connect(self._on_add_layer)
        add_row = QHBoxLayout()
        add_row.addWidget(self.add_layer)
        add_row.addStretch(1)
        net.addLayout(add_row)
        form = QFormLayout()
        self.loss = QComboBox()
        for key, label in LOSS_CHOICES:
            self.loss.addItem(label, key)
        self.loss.setAccessibleName("Loss")
        self.loss.setToolTip("½·squared error works with any output; cross-entropy needs a sigmoid or softmax "
                             "output")
        self.loss.currentIndexChanged.connect(self._refresh)
        form.addRow("Loss", self.loss)
        init_row = QHBoxLayout()
        self.scheme = QComboBox()
        self.scheme.addItems(list(INIT_SCHEMES))
        self.scheme.setCurrentText("xavier")
        self.scheme.setAccessibleName("Initialisation scheme")
        self.scheme.setToolTip("How the first weights are drawn; zeros and constant show the symmetry problem")
        self.init_seed = NumberField(lambda s: parse_int(s, "Seed", 0, MAX_SEED), "0", "Initialisation seed",
                                     "Seed of the weights: the same seed gives the same weights")
        self.init_seed.edit.setMaximumWidth(70)
        self.init_seed.edited.connect(self._refresh)
        init_row.addWidget(self.scheme, 1)
        seed_label = QLabel("seed")
        seed_label.setBuddy(self.init_seed.edit)
        init_row.addWidget(seed_label)
        init_row.addWidget(self.init_seed)
        form.addRow("Weights", init_row)
        net.addLayout(form)
        net.addStretch(1)
        return net_box

    def _build_data_box(self) -> QGroupBox:
        """The dataset and its fields."""
        data_box = QGroupBox("Data")
        dform = QFormLayout(data_box)
        dform.setLabelAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.dataset = QComboBox()
        self.dataset.setAccessibleName("Dataset")
        self.dataset.setToolTip("The samples the network trains on")
        for name in ds.names():
            self.dataset.addItem(ds.info(name).title, name)
            self.dataset.setItemData(self.dataset.count() - 1, plain_tooltip(ds.describe(name)), Qt.ToolTipRole)
        self.dataset.currentIndexChanged.connect(self._on_dataset_changed)
        dform.addRow("Dataset", self.dataset)
        self.dataset_help = plain_label("", "About the dataset", small=True)
        self.dataset_help.setMinimumWidth(230)
        dform.addRow(self.dataset_help)
        fields = dataset_fields()
        self.samples, self.noise, self.degree = fields["samples"], fields["noise"], fields["degree"]
        self.data_seed, self.test_fraction = fields["seed"], fields["test"]
        self._data_rows: dict[str, QLabel] = {}
        for key, label, fld in (("samples", "Samples", self.samples), ("noise", "Noise", self.noise),
                                ("degree", "Degree", self.degree), ("seed", "Seed", self.data_seed),
                                ("test", "Test fraction", self.test_fraction)):
            lab = QLabel(label)
            lab.setBuddy(fld.edit)
            self._data_rows[key] = lab
            dform.addRow(lab, fld)
            fld.edited.connect(self._refresh)
        return data_box

    def _build_footer(self, lay: QVBoxLayout) -> None:
        """The problems, the summary and Create / Cancel."""
        self.problems_label = error_label()
        self.problems_label.setAccessibleName("Why the network cannot be created")
        lay.addWidget(self.problems_label)
        self.summary = plain_label("", "Summary of the new network")
        self.summary.setStyleSheet(f"color: {MUTED_COLOR};")
        lay.addWidget(self.summary)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Cancel)
        self.create_button = self.buttons.addButton("Create", QDialogButtonBox.AcceptRole)
        self.create_button.setDefault(True)
        self.create_button.setAccessibleName("Create the network")
        self.create_button.setToolTip("Open the new network (unsaved, like an example)")
        cancel = self.buttons.button(QDialogButtonBox.Cancel)
        cancel.setAccessibleName("Cancel")
        cancel.setToolTip("Close without creating a network")
        self.buttons.accepted.connect(self.create)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)

    def _fix_tab_order(self) -> None:
        """The rows are made after the rest, so put them back where they are on screen."""
        chain = [self.sizes_edit, *[w for w in self._layer_widgets if not isinstance(w, QLabel)], self.add_layer,
                 self.loss, self.scheme, self.init_seed.edit, self.dataset, self.samples.edit, self.noise.edit,
                 self.degree.edit, self.data_seed.edit, self.test_fraction.edit]
        for a, b in zip(chain, chain[1:]):
            self.setTabOrder(a, b)

    # -- edits --------------------------------------------------------------------------------
    def _follow_inputs(self) -> bool:
        """Switch to a set made for any number of inputs when the chosen one cannot have this many.

        The last thing a person changed wins, as choosing a dataset sets the input size: a classification
        set gives way to Gaussian clusters, a regression curve to Linear regression. True if it switched.
        """
        name = self._dataset()
        if name == KEEP:
            return False
        info = ds.info(name)
        if info.any_inputs or info.n_inputs == self._sizes[0]:
            return False
        spin = self.size_spins[0] if self.size_spins and self.size_spins[0].hasFocus() else None
        self.set_dataset(ds.any_inputs_set(info.kind))
        if spin is not None and self.size_spins[0] is not spin:  # the rows were rebuilt under the cursor
            self.size_spins[0].setFocus()
        return True

    def set_loss(self, loss: str) -> str:
        """Choose the loss; "" or the reason it is refused (cross-entropy needs a sigmoid/softmax output)."""
        idx = self.loss.findData(loss)
        if idx < 0:
            return f"unknown loss {loss!r}"
        if loss == "cross_entropy" and self._acts[-1] not in CE_OUTPUTS:
            return f"cross-entropy needs a sigmoid or softmax output layer; the output is {self._acts[-1]}"
        self.loss.setCurrentIndex(idx)
        return ""

    # -- data ---------------------------------------------------------------------------------
    def set_current_data(self, inputs, targets, test_inputs=None, test_targets=None, description: str = "",
                         label: str = "Keep the current data") -> None:
        """Offer "Keep current data" (first in the list, named *label*) for this data."""
        self._current = (np.asarray(inputs, dtype=np.float64), np.asarray(targets, dtype=np.float64),
                         None if test_inputs is None else np.asarray(test_inputs, dtype=np.float64),
                         None if test_targets is None else np.asarray(test_targets, dtype=np.float64))
        self._current_description = description
        if self.dataset.findData(KEEP) < 0:
            self.dataset.insertItem(0, label, KEEP)
        self.dataset.setItemText(0, label)
        self.dataset.setItemData(0, plain_tooltip(description or "The data of the open network"), Qt.ToolTipRole)

    def set_dataset(self, name: str) -> None:
        """Choose a dataset by name (``""`` keeps the current data)."""
        idx = self.dataset.findData(name)
        if idx < 0:
            raise ValueError(f"no dataset {name!r} in the list")
        if idx == self.dataset.currentIndex():
            self._on_dataset_changed()
        else:
            self.dataset.setCurrentIndex(idx)

    def _dataset(self) -> str:
        return self.dataset.currentData() or KEEP

    def _on_dataset_changed(self, *_: object) -> None:
        if not self._ready:
            return
        name = self._dataset()
        gen = name != KEEP
        for key in ("samples", "noise", "degree", "seed"):
            visible = gen and (key != "degree" or name == "polynomial")
            getattr(self, {"seed": "data_seed"}.get(key, key)).setVisible(visible)
            self._data_rows[key].setVisible(visible)
        self.test_fraction.setEnabled(gen)
        if gen:
            info = ds.info(name)
            self.samples.set_text(str(info.default_samples))
            self.samples.setEnabled(not info.fixed_samples)
            self.noise.set_text(f"{info.default_noise:g}")
            self.noise.setEnabled(name != "worked_example")
            self.test_fraction.hold_zero(info.default_samples < 10)
            self.dataset_help.setText(f"{info.description}\nSuggested: a {info.suggested_output} output with "
                                      f"{dict(LOSS_CHOICES)[info.suggested_loss]}.")
            n_in, n_out = info.n_inputs, ds.output_size(name)
            if info.any_inputs:  # made for the input layer as it is
                n_in = self._sizes[0]
            if name == "blobs":  # one class per output: the data adapts when it can
                n_out = self._sizes[-1] if 3 <= self._sizes[-1] <= ds.MAX_CLASSES else 3
        else:
            x, t = self._current[0], self._current[1]  # type: ignore[index]
            n_in, n_out = x.shape[1], t.shape[1]
            self.dataset_help.setText((self._current_description or "The data of the open network")
                                      + "\nIts own train/test split is kept.")
        if (self._sizes[0], self._sizes[-1]) != (n_in, n_out):
            self._sizes[0], self._sizes[-1] = n_in, n_out
            self._rebuild_layers()
        else:
            self._refresh()

    # -- state --------------------------------------------------------------------------------
    def _field_values(self) -> tuple[dict[str, Any], list[str]]:
        values, problems = {}, []
        fields = [("init_seed", self.init_seed)]
        if self._dataset() != KEEP:
            fields += [("samples", self.samples), ("noise", self.noise), ("seed", self.data_seed),
                       ("test", self.test_fraction)]
            if self._dataset() == "polynomial":
                fields.append(("degree", self.degree))
        for key, fld in fields:
            why = fld.reason()
            if why:
                problems.append(why + ".")
            else:
                values[key] = fld.parser(fld.text())
        return values, problems

    def spec(self) -> NetworkSpec:
        """The :class:`NetworkSpec` the dialog shows; ``ConfigError`` naming every refused field."""
        values, problems = self._field_values()
        if problems:
            raise ConfigError(" ".join(problems))
        return self._spec(values)

    def _spec(self, values: dict[str, Any]) -> NetworkSpec:
        name = self._dataset()
        opts: dict[str, Any] = {}
        fraction = 0.0
        if name != KEEP:
            classes = self._sizes[-1] if name == "blobs" else None
            opts = {"n_samples": 1 if ds.info(name).fixed_samples else values.get("samples", 1),
                    "noise": values.get("noise", 0.0), "seed": values.get("seed", 0),
                    **generator_options(name, self._acts[-1], classes, values.get("degree"), self._sizes[0])}
            fraction = values.get("test", 0.0)
        return NetworkSpec(tuple(self._sizes), tuple(self._acts), self.loss.currentData(), self.scheme.currentText(),
                           values.get("init_seed", 0), name, MappingProxyType(opts), fraction)

    def problems(self) -> list[str]:
        """Every reason the network cannot be created now (empty when it can)."""
        values, problems = self._field_values()
        # the sizes as typed: refused ones must not create the last accepted sizes (2-2000-1 created 2-4-4-1)
        try:
            typed = list(parse_sizes(self.sizes_edit.text()))
        except ValueError as e:
            problems.insert(0, f"{e}.")
        else:
            if typed != list(self._sizes):
                problems.insert(0, "Sizes: press Enter (or Tab) to use the sizes typed.")
        spec = self._spec(values)
        shape = None if self._current is None else (self._current[0].shape[1], self._current[1].shape[1])
        problems += spec_problems(spec, shape)
        if spec.dataset_name != KEEP and values.get("samples", 1) < ds.min_samples(spec.dataset_name):
            problems.append(f"{ds.info(spec.dataset_name).title} needs at least {ds.min_samples(spec.dataset_name)} "
                            f"samples (its truth table).")
        if spec.dataset_name != KEEP and "test" in values and "samples" in values:
            n = spec.dataset_options.get("n_samples", 1)
            why = ds.split_problem(n, values["test"])
            if why:
                problems.append(why[0].upper() + why[1:] + ".")
        return problems

    def _refresh(self, *_: object) -> None:
        """Show the problems (Create is disabled while there are any) and a one-line summary."""
        if not self._ready:
            return
        out_act = self._acts[-1]
        ce_ok = out_act in CE_OUTPUTS
        item = self.loss.model().item(self.loss.findData("cross_entropy"))
        item.setEnabled(ce_ok or self.loss.currentData() == "cross_entropy")
        item.setToolTip("" if ce_ok else f"Needs a sigmoid or softmax output; the output is {out_act}")
        problems = self.problems()
        show_error(self.problems_label, "\n".join(problems))
        self.create_button.setEnabled(not problems)
        values, _ = self._field_values()
        spec = self._spec(values)
        n = spec.dataset_options.get("n_samples")
        if spec.dataset_name == KEEP and self._current is not None:
            n_tr = len(self._current[0])
            n_te = 0 if self._current[2] is None else len(self._current[2])
        elif isinstance(n, int):
            n_te = ds.n_test_samples(n, spec.test_fraction) if spec.test_fraction < 1 else 0
            n_tr = n - n_te
        else:
            n_tr = n_te = 0
        self.summary.setText(f"{spec.title()} · {spec.n_params:,} parameters · {n_tr:,} training + {n_te:,} "
                             f"test samples")

    def create(self) -> Simulation | None:
        """Build the simulation and accept; None (the reasons shown, the dialog open) when refused."""
        self._sim = None
        for f in (self.init_seed, self.samples, self.noise, self.degree, self.data_seed, self.test_fraction):
            if not f.isHidden():
                f.check()
        problems = self.problems()
        if problems:
            show_error(self.problems_label, "\n".join(problems))
            return None
        try:
            sim = build_simulation(self.spec(), self._current)
        except (ConfigError, DataError) as e:
            show_error(self.problems_label, f"Not created: {e}")
            return None
        self._sim = sim
        self.accept()
        return sim

    def simulation(self) -> Simulation | None:
        """The simulation made by the last successful :meth:`create`."""
        return self._sim
