"""NumberField: a line edit for one number with the reason its text is refused beside it; the dataset fields.

The parsing rules (plain numbers only) are :mod:`backprop_lab.core.numbers`'.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

from backprop_lab.core import datasets as ds
from backprop_lab.core.data_prep import MAX_SAMPLES
from backprop_lab.core.numbers import parse_int, parse_number

from .network_spec import MAX_SEED
from .plain_text import error_label, show_error


class NumberField(QWidget):
    """A line edit for one number and, under it, the reason its text is refused.

    Parameters
    ----------
    parser : callable
        ``parser(text) -> value``, raising ``ValueError(reason)``
        (e.g. ``lambda s: parse_int(s, "Samples", 1, 100_000)``).
    text : str
        The initial text.
    name, tooltip : str
        Accessible name and tooltip of the line edit.

    Signals
    -------
    edited
        The text was changed by the person (not by :meth:`set_text`).
    """

    edited = Signal()

    def __init__(self, parser: Callable[[str], object], text: str, name: str, tooltip: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.parser = parser
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)
        self.edit = QLineEdit(text)
        self.edit.setAccessibleName(name)
        self.edit.setToolTip(tooltip)
        self.edit.setMaximumWidth(110)
        self.error = error_label()
        self.error.setAccessibleName(f"{name}: problem")
        lay.addWidget(self.edit)
        lay.addWidget(self.error)
        self.setFocusProxy(self.edit)
        # Check when the person leaves the field; while typing, only clear a reason that no longer holds
        # (a reason popping up after every half-typed keystroke is noise).
        self.edit.editingFinished.connect(self.check)
        self.edit.textEdited.connect(self._on_edited)

    def _on_edited(self, _text: str) -> None:
        if self.error.isVisible() and self.reason() == "":
            show_error(self.error, "")
        self.edited.emit()

    def text(self) -> str:
        """The text in the field, as typed."""
        return self.edit.text()

    def set_text(self, text: str) -> None:
        """Replace the text (no :attr:`edited`) and clear a shown reason."""
        self.edit.setText(text)
        show_error(self.error, "")

    def reason(self) -> str:
        """Why the current text is refused, or "" when it is acceptable."""
        try:
            self.parser(self.edit.text())
        except ValueError as e:
            return str(e)
        return ""

    def check(self) -> bool:
        """Show the reason the text is refused (or clear it); True when acceptable."""
        why = self.reason() if self.isEnabled() else ""
        show_error(self.error, why)
        self.edit.setAccessibleDescription(why)
        return not why

    def value(self):
        """The parsed value; ``ValueError`` with the reason when refused (shown as well)."""
        if not self.check():
            raise ValueError(self.error.text())
        return self.parser(self.edit.text())

    def hold_zero(self, on: bool) -> None:
        """Show 0 while *on* and give the earlier text back afterwards (unless the person changed it meanwhile).

        Used by the test fraction: a split of a tiny set (the worked example, a truth table of 4 rows) leaves
        too little to learn from, so such a set gets 0, and the fraction comes back for a larger set.
        """
        if on and self.text() != "0":
            self._held = self.text()
            self.set_text("0")
        elif not on and getattr(self, "_held", None) is not None:
            if self.text() == "0":
                self.set_text(self._held)
            self._held = None

    def set_error(self, text: str) -> None:
        """Show a reason found elsewhere (e.g. a fraction that leaves no training samples)."""
        show_error(self.error, text)


def dataset_fields() -> dict[str, NumberField]:
    """The number fields of a generated dataset, as the Data panel and File ▸ New Network… show them.

    Keys: ``samples``, ``noise``, ``classes``, ``degree``, ``seed``, ``test`` (the test fraction);
    the ranges are the generators' (:func:`backprop_lab.core.datasets.make`).
    """
    return {
        "samples": NumberField(lambda s: parse_int(s, "Samples", 1, MAX_SAMPLES), "200", "Number of samples",
                               f"How many samples to draw (1 to {MAX_SAMPLES:,}; logic gates at least 4)"),
        "noise": NumberField(lambda s: parse_number(s, "Noise", 0.0, 1.0), "0", "Noise",
                             "Noise in [0, 1]; what it does depends on the set (see the dataset's tooltip)"),
        "classes": NumberField(lambda s: parse_int(s, "Classes", 3, ds.MAX_CLASSES), "3", "Number of classes",
                               f"Clusters (3 to {ds.MAX_CLASSES}); one output neuron per class"),
        "degree": NumberField(lambda s: parse_int(s, "Degree", 1, ds.MAX_DEGREE), "3", "Polynomial degree",
                              f"Degree d of the Chebyshev polynomial T_d (1 to {ds.MAX_DEGREE})"),
        "seed": NumberField(lambda s: parse_int(s, "Seed", 0, MAX_SEED), "0", "Data seed",
                            "Seed of the random draws and of the test split: the same seed gives the same data"),
        "test": NumberField(lambda s: parse_number(s, "Test fraction", 0.0, 1.0, hi_open=True), "0.2",
                            "Test fraction", "Part of the samples held out as a test set, in [0, 1) (0.2 = 20 %); "
                            "the test loss is computed after every epoch"),
    }
