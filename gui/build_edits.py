"""The controller's building edits (a mixin): data, samples, structure and a new network, each one timeline entry.

:class:`BuildEdits` is mixed into :class:`~backprop_lab.gui.controller.SimulationController`.  Every method
pauses a run, changes the engine through its public API (``set_data``, ``add_neuron``, ``insert_layer``, ...),
publishes (a changed structure or dataset is published as ``simulation_replaced``, so every view rebuilds) and
says what it did in the status bar.  A refusal changes nothing: its reason goes out through ``error`` and the
status bar, and the method returns False.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

import numpy as np

from backprop_lab.core import BackpropLabError, Simulation

from . import view_state as vs

__all__ = ["BuildEdits", "ACTIVATION_CHOICES", "LOSS_CHOICES"]

ACTIVATION_CHOICES = ("sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax")
LOSS_CHOICES = (("mse", "Mean squared error"), ("cross_entropy", "Cross-entropy"))
#: Descriptions of this many datasets are remembered (the ones undo can bring back).
MAX_DESCRIPTIONS = 64


class BuildEdits:
    """Data, sample and structure edits of the controller (see the module docstring)."""

    _sim: Simulation
    _descriptions: dict | None = None
    mark_unsaved: Callable[[], None]

    @property
    def data_description(self) -> str:
        """Where the current data came from ("" when unknown, e.g. data from a file); undo keeps it right."""
        data = self._sim.data
        entry = (self._descriptions or {}).get(id(data))
        return entry[1] if entry is not None and entry[0] is data else ""

    @data_description.setter
    def data_description(self, text: str) -> None:
        self._describe(self._sim.data, text)

    def _describe(self, data: object, text: str) -> None:
        if self._descriptions is None:
            self._descriptions = {}
        d = self._descriptions
        d[id(data)] = (data, text)  # the reference keeps the id from being reused
        while len(d) > MAX_DESCRIPTIONS:
            del d[next(iter(d))]

    # -- helpers -----------------------------------------------------------------------------------
    def _apply(self, title: str, call, done: str) -> bool:
        """Run *call* on the engine as one edit; on a refusal show *title* and the reason (nothing changed)."""
        self.pause()
        try:
            call()
        except BackpropLabError as e:
            self.message.emit(f"{title}: {e}")
            self._fail(title, e)
            return False
        # A structure or data edit renumbers parameters and samples: the second parameter and the traced
        # sample may name something else now.
        display = replace(self._display, second=None, traced_sample=None)
        changed = display != self._display
        self._display = display
        self._sync(*((vs.SELECTION_CHANGED, vs.CURSOR_MOVED) if changed else ()))
        self.message.emit(done)
        return True

    def _init_kwargs(self) -> dict[str, Any]:
        """Scheme and seed for new parameters: the Training panel's initialisation fields."""
        scheme, seed = self._init_choice
        opts: dict[str, Any] = {"scheme": scheme, "seed": seed}
        if scheme == "constant":
            opts["value"] = 0.5
        elif scheme in ("uniform", "normal"):
            opts["scale"] = 0.5
        return opts

    def _data(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
        s = self._sim
        return s.inputs, s.targets, s.test_inputs, s.data.test_targets

    # -- data -----------------------------------------------------------------------------------------
    def set_data(self, inputs: Any, targets: Any, test_inputs: Any = None, test_targets: Any = None,
                 description: str = "") -> bool:
        """Train on new data (one undoable entry); False, with the reason, when it does not fit."""
        n_test = 0 if test_inputs is None else len(test_inputs)

        def call():
            self._sim.set_data(inputs, targets, test_inputs, test_targets)
            self.data_description = description
        return self._apply("Data refused", call,
                           f"New data: {len(inputs):,} training and {n_test:,} test samples "
                           "(Ctrl+Z goes back to the previous data).")

    def edit_sample(self, row: int, column: int, value: float) -> bool:
        """Set one input (column < number of inputs) or target of training sample *row*."""
        x, t, tx, tt = self._data()
        x, t = x.copy(), t.copy()
        n_in = x.shape[1]
        if not (0 <= row < len(x) and 0 <= column < n_in + t.shape[1]):
            self._fail("Cannot edit the sample", f"there is no sample {row + 1}, column {column + 1}")
            return False
        name = f"x{column + 1}" if column < n_in else f"t{column - n_in + 1}"
        (x if column < n_in else t)[row, column if column < n_in else column - n_in] = value
        return self._apply("Edit refused", lambda: self._sim.set_data(x, t, tx, tt),
                           f"Sample {row + 1}: {name} = {value:g}; the forward pass and equations use it now.")

    def add_sample(self, x_row: Any, t_row: Any) -> bool:
        """Append a training sample (inputs *x_row*, targets *t_row*)."""
        x, t, tx, tt = self._data()
        try:
            x2 = np.vstack([x, np.asarray(x_row, dtype=np.float64).reshape(1, -1)])
            t2 = np.vstack([t, np.asarray(t_row, dtype=np.float64).reshape(1, -1)])
        except ValueError as e:
            self._fail("Cannot add the sample", f"the sample does not have the data's columns ({e})")
            return False
        return self._apply("Sample refused", lambda: self._sim.set_data(x2, t2, tx, tt),
                           f"Sample {len(x2)} added.")

    def remove_sample(self, row: int) -> bool:
        """Remove training sample *row* (the last one cannot be removed)."""
        x, t, tx, tt = self._data()
        if not 0 <= row < len(x):
            self._fail("Cannot remove the sample", f"there is no sample {row + 1}")
            return False
        if len(x) == 1:
            self._fail("Cannot remove the sample", "the training set needs at least one sample")
            return False
        x2, t2 = np.delete(x, row, axis=0), np.delete(t, row, axis=0)
        return self._apply("Cannot remove the sample", lambda: self._sim.set_data(x2, t2, tx, tt),
                           f"Sample {row + 1} removed.")

    # -- structure ------------------------------------------------------------------------------------
    def _layer_name(self, layer: int) -> str:
        L = len(self._sim.network.sizes) - 1
        return "the input layer" if layer == 0 else "the output layer" if layer == L else f"hidden layer {layer}"

    def _with_data(self, call, data, description: str):
        """*call* with adapted data (``inputs=…`` etc.) when given; the description follows the data."""
        if data is None:
            return call
        x, t, tx, tt = data

        def go():
            call(inputs=x, targets=t, test_inputs=tx, test_targets=tt)
            self.data_description = description
        return go

    def add_neuron(self, layer: int, data: tuple | None = None, description: str = "") -> bool:
        """Add a neuron to *layer* (0 = inputs); new weights from the Training panel's scheme and seed.

        In the input or output layer the data must change too: *data* = (inputs, targets, test inputs, test
        targets) that fit the new network (generated data adapted by the Data panel), else it is refused.
        """
        call = self._with_data(lambda **d: self._sim.add_neuron(layer, **self._init_kwargs(), **d), data,
                               description)
        return self._apply("Cannot add a neuron", call,
                           f"Added a neuron to {self._layer_name(layer)}; its new weights are highlighted "
                           "until the next step (Ctrl+Z undoes)." + (" The data was made again to fit it."
                                                                      if data is not None else ""))

    def remove_neuron(self, layer: int, j: int, data: tuple | None = None, description: str = "") -> bool:
        """Remove neuron *j* of *layer* with its weights in and out (*data*: as for :meth:`add_neuron`)."""
        name = self._sim.network.neuron_name(layer, j) if 0 <= layer < len(self._sim.network.sizes) else "?"
        call = self._with_data(lambda **d: self._sim.remove_neuron(layer, j, **d), data, description)
        return self._apply("Cannot remove the neuron", call,
                           f"Removed neuron {name} from {self._layer_name(layer)} (Ctrl+Z undoes)."
                           + (" The data was made again to fit it." if data is not None else ""))

    def insert_layer(self, index: int, size: int, activation: str) -> bool:
        """Insert a hidden layer of *size* neurons at position *index* (1 = a new first hidden layer)."""
        return self._apply("Cannot insert the layer",
                           lambda: self._sim.insert_layer(index, size, activation, **self._init_kwargs()),
                           f"Inserted a {activation} hidden layer of {size} at position {index}; its new weights "
                           "are highlighted until the next step.")

    def remove_layer(self, index: int) -> bool:
        """Remove hidden layer *index*; its neighbours are joined by new weights."""
        return self._apply("Cannot remove the layer",
                           lambda: self._sim.remove_layer(index, **self._init_kwargs()),
                           f"Removed hidden layer {index}; the new weights joining its neighbours are highlighted.")

    def set_activation(self, layer: int, name: str) -> bool:
        """Give *layer* the activation *name* (every parameter kept)."""
        return self._apply("Cannot change the activation", lambda: self._sim.set_activation(layer, name),
                           f"{self._layer_name(layer).capitalize()} now uses {name}.")

    def set_loss(self, name: str) -> bool:
        """Change the loss (``"mse"`` or ``"cross_entropy"``)."""
        return self._apply("Cannot change the loss", lambda: self._sim.set_loss(name), f"The loss is now {name}.")

    def new_simulation(self, sim: Simulation, description: str = "") -> None:
        """Show a network built in the window (File ▸ New Network…): unsaved, titled, like an example."""
        self._describe(sim.data, description)  # before publishing: the Data panel shows it at once
        self.set_simulation(sim, None)
        # unsaved work, unlike an example one can open again: closing asks to save it (it quit without a word)
        self.mark_unsaved()
        self.message.emit(f"New network: {sim.name or 'untitled'}; save it to keep it.")
