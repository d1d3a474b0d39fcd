"""The Data panel's chosen source and whether its data fits the network: the fit line and the fixes it offers."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton

from backprop_lab.core import datasets as ds
from backprop_lab.core.numbers import parse_int

from .data_request import fit_problem, target_encoding
from .number_field import NumberField
from .plain_text import ERROR_COLOR, MUTED_COLOR, plain_tooltip


class DataFit:
    """The source choice of :class:`~backprop_lab.gui.data_panel.QtDataPanel` (a mixin).

    A generator's fields follow the chosen set; the fit line says whether the data's columns fit the network
    (``set_network_shape``), and when they do not it offers a button that adapts the data (another option
    of the set, or a set made for any number of inputs) or one that makes a network for it.
    """

    source: QComboBox
    source_help: QLabel
    samples: NumberField
    noise: NumberField
    classes: NumberField
    degree: NumberField
    test_fraction: NumberField
    fit: QLabel
    adapt_button: QPushButton
    network_button: QPushButton
    _rows: dict[str, QLabel]
    _shape: tuple[int, int, str, str] | None
    _imported: tuple[ds.CSVData, str] | None
    _data: tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None] | None

    def _source(self) -> tuple[str, str]:
        # Item data are plain strings ("current", "csv", "gen:spiral"): a Python tuple would not compare
        # equal after a round trip through QVariant, so findData could not find it.
        key = self.source.currentData() or "current"
        kind, _, name = key.partition(":")
        return ("generator", name) if kind == "gen" else (kind, "")

    def _generator(self) -> str | None:
        kind, name = self._source()
        return name if kind == "generator" else None

    def _on_source_changed(self, *_: object) -> None:
        kind, name = self._source()
        gen = name if kind == "generator" else None
        info = ds.info(gen) if gen else None
        for key, visible in (("samples", gen is not None), ("noise", gen is not None),
                             ("classes", gen == "blobs"), ("degree", gen == "polynomial")):
            field = getattr(self, key)
            field.setVisible(visible)
            self._rows[key].setVisible(visible)
        if info is not None:
            self.samples.set_text(str(info.default_samples))
            self.samples.setEnabled(not info.fixed_samples)
            self.noise.set_text(f"{info.default_noise:g}")
            self.noise.setEnabled(gen != "worked_example")
            self.test_fraction.hold_zero(info.default_samples < 10)
            if gen == "blobs":
                n_out = self._shape[1] if self._shape else 3
                self.classes.set_text(str(n_out if 3 <= n_out <= ds.MAX_CLASSES else 3))
            self.source_help.setText(f"{info.description}")
            self.source.setToolTip(plain_tooltip(ds.describe(gen)))
            self._update_fit()
            return
        self.test_fraction.hold_zero(False)
        if kind == "csv" and self._imported:
            data, path = self._imported
            self.source_help.setText(f"{Path(path).name}: {len(data.inputs):,} rows, "
                                     f"{', '.join(data.input_names[:6])} → {', '.join(data.target_names[:6])}")
            self.source.setToolTip(plain_tooltip(f"Imported from {path}"))
        else:
            self.source_help.setText("The data the network trains on now, with its test samples put back, "
                                     "split and scaled again.")
            self.source.setToolTip("Where the new data comes from: a generator, an imported CSV file, or the "
                                   "current data (to split or scale it again)")
        self._update_fit()

    def _columns(self) -> tuple[str, int, int] | None:
        """(what, input columns, target columns) of the chosen source, without making it; None if unknown."""
        kind, name = self._source()
        if kind == "generator":
            info = ds.info(name)
            try:
                classes = parse_int(self.classes.text(), "Classes", 3, ds.MAX_CLASSES) if name == "blobs" else None
            except ValueError:
                return None
            n_in = self._any_inputs(name) or info.n_inputs
            return info.title, n_in, ds.output_size(name, **({"classes": classes} if classes else {}))
        if kind == "csv" and self._imported:
            data, path = self._imported
            return Path(path).name, data.inputs.shape[1], data.targets.shape[1]
        if kind == "current" and self._data is not None:
            return "The current data", self._data[0].shape[1], self._data[1].shape[1]
        return None

    def _any_inputs(self, name: str) -> int | None:
        """The ``inputs`` option for a set that takes any number of inputs: the network's (within its limits)."""
        if not ds.takes_any_inputs(name):
            return None
        n_in = self._shape[0] if self._shape else ds.input_size(name)
        return n_in if 1 <= n_in <= ds.MAX_INPUTS else None

    def choose_generator(self, name: str, keep_fields: bool = False) -> None:
        """Make the generator *name* the source: its fields reset to its defaults, or kept (*keep_fields*)."""
        idx = self.source.findData(f"gen:{name}")
        if idx < 0:
            raise ValueError(f"no dataset {name!r} in the list")
        kept = [(f, f.text()) for f in (self.samples, self.noise)] if keep_fields else []
        self.source.setCurrentIndex(idx)
        for f, text in kept:
            f.set_text(text)
        self._update_fit()

    def fit_problem(self) -> str:
        """Why the chosen source's columns cannot fit the network ("" when they do or nothing is known)."""
        cols = self._columns()
        if cols is None or self._shape is None:
            return ""
        return fit_problem(*cols, *self._shape[:2], generator=self._generator())

    def _update_fit(self, *_: object) -> None:
        why = self.fit_problem()
        self.adapt_button.setVisible(False)
        self.network_button.setVisible(False)
        if why:
            self.fit.setStyleSheet(f"color: {ERROR_COLOR};")
            self.fit.setText(why)
            self._offer_fixes()
            return
        self.fit.setStyleSheet(f"color: {MUTED_COLOR};")
        gen = self._generator()
        if self._shape is None:
            self.fit.setText("")
        elif gen:
            enc = target_encoding(gen, self._shape[2])
            enc_text = {"01": "targets 0/1", "pm1": "targets ±1"}.get(enc or "", "fixed targets")
            self.fit.setText(f"Fits the network ({self._shape[0]} → {self._shape[1]}); {enc_text} for its "
                             f"{self._shape[2]} output.")
        else:
            self.fit.setText(f"Fits the network ({self._shape[0]} → {self._shape[1]}).")

    def _offer_fixes(self) -> None:
        """The buttons that make the data fit: an option of the set, a set of any inputs, or a new network."""
        net_in, net_out = self._shape[:2] if self._shape else (0, 0)
        gen, cols = self._generator(), self._columns()
        if gen == "blobs" and cols is not None and cols[1] == net_in and 3 <= net_out <= ds.MAX_CLASSES:
            self.adapt_button.setText(f"Use {net_out} classes")
            self.adapt_button.setVisible(True)
        elif gen and cols is not None and cols[1] != net_in and 1 <= net_in <= ds.MAX_INPUTS:
            other = ds.any_inputs_set(ds.info(gen).kind)
            if ds.output_size(other) == net_out:
                self.adapt_button.setText(f"Use {ds.info(other).title.split(' (')[0]} with {net_in} inputs")
                self.adapt_button.setVisible(True)
        if cols is not None and not gen:
            self.network_button.setText(f"New network for this data ({cols[1]} → {cols[2]})…")
            self.network_button.setVisible(True)

    def _adapt(self) -> None:
        gen = self._generator()
        if self._shape is None or not gen:
            return
        if gen == "blobs" and self._shape[1] != self._columns()[2]:  # type: ignore[index]
            self.classes.set_text(str(self._shape[1]))
        else:
            self.choose_generator(ds.any_inputs_set(ds.info(gen).kind), keep_fields=True)
        self._update_fit()
