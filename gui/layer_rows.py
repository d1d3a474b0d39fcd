"""The New Network dialog's layer rows: sizes typed or set per layer, activations, hidden layers added or removed."""
from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QToolButton, QWidget

from .network_spec import HIDDEN_ACTIVATIONS, MAX_DENSE_LAYERS, MAX_LAYER_SIZE, OUTPUT_ACTIVATIONS, parse_sizes
from .plain_text import show_error


class LayerRows:
    """The layers of :class:`~backprop_lab.gui.new_network_dialog.NewNetworkDialog` (a mixin of it).

    ``_sizes`` (inputs first) and ``_acts`` (one per dense layer) are the truth; the rows and the typed sizes
    are rebuilt from them after every change, then the dialog refreshes its problems and summary.
    """

    _sizes: list[int]
    _acts: list[str]
    _layer_widgets: list[QWidget]
    layers_grid: QGridLayout
    sizes_edit: QLineEdit
    sizes_error: QLabel
    add_layer: QPushButton
    _refresh: Callable[..., None]
    _fix_tab_order: Callable[[], None]
    _follow_inputs: Callable[[], bool]

    def _rebuild_layers(self) -> None:
        """Recreate the rows of the layer list from ``_sizes``/``_acts`` (after + / − or typed sizes)."""
        for w in self._layer_widgets:
            self.layers_grid.removeWidget(w)
            w.hide()  # deleteLater waits for the event loop; until then it would still be drawn
            w.deleteLater()
        self._layer_widgets = []
        self.size_spins: list[QSpinBox] = []
        self.act_combos: list[QComboBox] = []
        n = len(self._sizes)
        for k, size in enumerate(self._sizes):
            name = "Inputs" if k == 0 else "Output" if k == n - 1 else f"Hidden {k}"
            label = QLabel(name)
            spin = QSpinBox()
            spin.setRange(1, MAX_LAYER_SIZE)
            spin.setValue(size)
            spin.setAccessibleName(f"{name}: neurons")
            spin.setToolTip(f"Neurons in this layer (1 to {MAX_LAYER_SIZE:,})")
            spin.valueChanged.connect(lambda v, k=k: self._on_size_changed(k, v))
            label.setBuddy(spin)
            self.layers_grid.addWidget(label, k, 0)
            self.layers_grid.addWidget(spin, k, 1)
            self._layer_widgets += [label, spin]
            self.size_spins.append(spin)
            if k > 0:
                combo = QComboBox()
                choices = OUTPUT_ACTIVATIONS if k == n - 1 else HIDDEN_ACTIVATIONS
                combo.addItems(list(choices))
                combo.setCurrentText(self._acts[k - 1])
                combo.setAccessibleName(f"{name}: activation")
                combo.setToolTip("Activation of this layer" + (" (softmax is offered on the output only)"
                                                               if k < n - 1 else ""))
                combo.currentTextChanged.connect(lambda a, k=k: self._on_act_changed(k, a))
                self.layers_grid.addWidget(combo, k, 2)
                self._layer_widgets.append(combo)
                self.act_combos.append(combo)
            if 0 < k < n - 1:
                remove = QToolButton()
                remove.setText("−")
                remove.setAccessibleName(f"Remove hidden layer {k}")
                remove.setToolTip(f"Remove hidden layer {k}")
                remove.clicked.connect(lambda _=False, k=k: self._on_remove_layer(k))
                self.layers_grid.addWidget(remove, k, 3)
                self._layer_widgets.append(remove)
        self.layers_grid.setColumnStretch(2, 1)
        self.add_layer.setEnabled(n - 1 < MAX_DENSE_LAYERS)
        self.sizes_edit.setText("-".join(map(str, self._sizes)))
        self._fix_tab_order()
        self._refresh()

    # -- edits --------------------------------------------------------------------------------
    def _on_sizes_typed(self) -> None:
        self.set_sizes_text(self.sizes_edit.text())

    def set_sizes_text(self, text: str) -> bool:
        """Apply typed sizes (``"2-4-4-1"``); False with the reason beside the field when refused."""
        try:
            sizes = parse_sizes(text)
        except ValueError as e:
            show_error(self.sizes_error, str(e))
            self._refresh()  # (Create is disabled while the typed sizes are refused)
            return False
        show_error(self.sizes_error, "")
        self.set_sizes(sizes)
        return True

    def set_sizes(self, sizes: tuple[int, ...] | list[int]) -> None:
        """Set the layer sizes; activations are kept per position (new hidden layers copy the last one)."""
        sizes = list(sizes)
        hidden_old = self._acts[:-1]
        fill = hidden_old[-1] if hidden_old else "tanh"
        n_hidden = len(sizes) - 2
        hidden = (hidden_old + [fill] * n_hidden)[:n_hidden]
        self._sizes, self._acts = sizes, hidden + [self._acts[-1]]
        self._rebuild_layers()
        self._follow_inputs()

    def _on_size_changed(self, k: int, v: int) -> None:
        self._sizes[k] = v
        self.sizes_edit.setText("-".join(map(str, self._sizes)))
        show_error(self.sizes_error, "")
        if k == 0 and self._follow_inputs():
            return
        self._refresh()

    def _on_act_changed(self, k: int, a: str) -> None:
        self._acts[k - 1] = a
        self._refresh()

    def set_activation(self, layer: int, name: str) -> str:
        """Set dense layer *layer*'s activation (1 = first hidden); "" or the reason it is refused."""
        n = len(self._sizes)
        if not 1 <= layer < n:
            return f"There is no layer {layer}: the dense layers are 1 to {n - 1}."
        choices = OUTPUT_ACTIVATIONS if layer == n - 1 else HIDDEN_ACTIVATIONS
        if name not in choices:
            why = ("softmax is only offered on the output layer" if name == "softmax"
                   else f"unknown activation {name!r}")
            return why
        self.act_combos[layer - 1].setCurrentText(name)
        return ""

    def _on_add_layer(self) -> None:
        if len(self._sizes) - 1 >= MAX_DENSE_LAYERS:
            return
        size = self._sizes[-2] if len(self._sizes) > 2 else 4
        act = self._acts[-2] if len(self._acts) > 1 else "tanh"
        self._sizes.insert(len(self._sizes) - 1, size)
        self._acts.insert(len(self._acts) - 1, act)
        self._rebuild_layers()

    def _on_remove_layer(self, k: int) -> None:
        if 0 < k < len(self._sizes) - 1:
            del self._sizes[k]
            del self._acts[k - 1]
            self._rebuild_layers()
