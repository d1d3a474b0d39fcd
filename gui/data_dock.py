"""The window's building features: the Data dock, File ▸ New Network…, File ▸ Import CSV… and diagram editing.

:func:`install_data_features` is called once from :class:`~backprop_lab.gui.main_window.MainWindow`.  The
Data panel (:class:`~backprop_lab.gui.data_panel.QtDataPanel`) and the dialogs never touch the simulation: their
signals go to the controller (``set_data``, ``edit_sample``, ``add_sample``, ``remove_sample``,
``new_simulation``), and after every published change the panel is shown the data, the network's shape and —
when that is cheap and no fast run is going — the network's outputs per sample.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDockWidget, QMenu, QScrollArea

from backprop_lab.core import Simulation
from backprop_lab.core import datasets as ds

from .csv_import_dialog import CsvImportDialog
from .data_panel import QtDataPanel
from .data_request import DataRequest
from .identity import Same
from .new_network_dialog import NewNetworkDialog
from .structure_menu import StructureEditing
from .view_state import ViewState

__all__ = ["DataFeatures", "install_data_features", "MAX_OUTPUT_WORK"]

#: The table's output columns are recomputed only when samples × parameters is at most this (about 2 ms).
MAX_OUTPUT_WORK = 2_000_000
#: The Data dock's least width: the form's labels and fields whole, beside each other.
DATA_MIN_WIDTH = 270


class DataFeatures:
    """What :func:`install_data_features` adds to a window (kept as ``window.data_features``)."""

    def __init__(self, window) -> None:
        self.window = window
        self.controller = c = window.controller
        self.panel = QtDataPanel()
        self.dock = QDockWidget("Data", window)
        self.dock.setObjectName("data_dock")
        scroll = QScrollArea()  # the panel is tall: scrolled, it does not set the window's minimum size
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setMinimumWidth(DATA_MIN_WIDTH)  # a small window scrolls the panel rather than cutting its labels
        self.dock.setWidget(scroll)
        window.addDockWidget(Qt.RightDockWidgetArea, self.dock)
        window.tabifyDockWidget(window.equations_dock, self.dock)  # a tab beside the equations when shown
        # Hidden until asked for (View ▸ Data, New Network…, Import CSV…): a second tab would raise the
        # window's minimum size, and the worked example needs no data editing to start.
        self.dock.hide()
        self.structure = StructureEditing(window.diagram, c)
        self.structure.adapt = self.adapted_data
        self._shown_serial = -1
        self._data_key: tuple = ()
        self._sim = Same(c.sim)
        self._applying = False

        self.panel.data_requested.connect(self._on_data_requested)
        self.panel.network_requested.connect(lambda req: self.new_network_dialog(req))
        self.panel.sample_edited.connect(c.edit_sample)
        self.panel.sample_added.connect(c.add_sample)
        self.panel.sample_removed.connect(c.remove_sample)
        c.simulation_replaced.connect(self._on_simulation_replaced)
        for sig in (c.parameters_changed, c.settings_changed):
            sig.connect(self.refresh)
        c.run_finished.connect(lambda _end: self.refresh(c.state, force=True))
        self.dock.visibilityChanged.connect(lambda shown: shown and self.refresh(c.state, force=True))
        self._make_actions()
        self.refresh(c.state)

    # -- menus -------------------------------------------------------------------------------------
    def _make_actions(self) -> None:
        w = self.window
        self.act_new = w._action("&New Network…", self.new_network_dialog, QKeySequence.New,
                                 "Build a network: layer sizes, activations, loss, initialisation and a dataset")
        self.act_import = w._action("&Import CSV…", self.import_csv_dialog, "Ctrl+Shift+I",
                                    "Train on data from a CSV file (choose the input and target columns)")
        self.act_data = self.dock.toggleViewAction()
        self.act_data.setShortcut(QKeySequence("Ctrl+Shift+D"))
        self.act_data.setShortcutContext(Qt.ApplicationShortcut)
        self.act_data.setToolTip("Show or hide the Data panel (Ctrl+Shift+D)")
        menus = {m.title(): m for m in (a.menu() for a in w.menuBar().actions()) if isinstance(m, QMenu)}
        file_menu, view_menu = menus.get("&File"), menus.get("&View")
        if file_menu is not None:
            first = file_menu.actions()[0] if file_menu.actions() else None
            file_menu.insertAction(first, self.act_new)
            file_menu.insertAction(w.act_open, self.act_import)
            file_menu.insertSeparator(w.act_open)
        if view_menu is not None:
            view_menu.addAction(self.act_data)

    def show_dock(self) -> None:
        """Show the Data panel (its tab in front)."""
        self.dock.show()
        self.dock.raise_()

    # -- the panel follows the controller --------------------------------------------------------------
    def _on_simulation_replaced(self, state: ViewState) -> None:
        if Same(self.controller.sim) != self._sim:  # another file or network (not a structure edit)
            self._sim = Same(self.controller.sim)
            self.panel.start_over()
        self.refresh(state)

    def refresh(self, state: ViewState, force: bool = False) -> None:
        """Show the data, the shape and the outputs of *state* (once per publication)."""
        if state.serial == self._shown_serial and not force:
            return
        self._shown_serial = state.serial
        sim = self.controller.sim  # the arrays the engine trains on (read only)
        net = state.network
        key = (Same(sim.data), tuple(net.sizes), tuple(net.activation_names), state.settings.loss)
        if key != self._data_key:
            if self._data_key and not self._applying:
                self.panel.forget_status()  # ("Applied: 150 + 50 samples" stayed after Ctrl+Z brought 160 + 40)
            self._data_key = key
            self.panel.set_network_shape(net.sizes[0], net.sizes[-1], net.activation_names[-1],
                                         state.settings.loss)
            self.panel.set_data(sim.inputs, sim.targets, sim.test_inputs, sim.test_targets,
                                getattr(self.controller, "data_description", "") or "Current data")
        if (self.controller.running or not self.dock.isVisible()) and not force:
            return  # outputs follow when the run ends, or when the dock is shown
        if sim.n_samples * max(net.n_params, 1) <= MAX_OUTPUT_WORK:
            self.panel.set_outputs(sim.outputs())
        else:
            self.panel.set_outputs(None)

    def adapted_data(self, sizes: tuple) -> DataRequest | None:
        """The Data panel's generator made again for a network of *sizes* (e.g. blobs with one class per
        output), with its split and scaling; None when the source cannot fit it (the edit then says why)."""
        net, loss = self.controller.state.network, self.controller.state.settings.loss
        gen = self.panel._generator()
        if gen is None:
            return None
        switched = None
        if sizes[0] != net.sizes[0] and not ds.takes_any_inputs(gen) and ds.input_size(gen) != sizes[0]:
            # The set cannot have this many inputs: the set of its kind that takes any number makes the data
            # (the panel then shows it as the source, and Ctrl+Z brings the old data back with the old network).
            switched = gen
            self.panel.choose_generator(ds.any_inputs_set(ds.info(gen).kind), keep_fields=True)
        self.panel.set_network_shape(sizes[0], sizes[-1], net.activation_names[-1], loss)
        req = None
        try:
            if not self.panel.fit_problem():
                req = self.panel.request()
            return req
        finally:  # the panel shows the real network's shape again (refresh does, after a change)
            if req is None and switched is not None:
                self.panel.choose_generator(switched, keep_fields=True)
            self.panel.set_network_shape(net.sizes[0], net.sizes[-1], net.activation_names[-1], loss)

    def _on_data_requested(self, req: DataRequest) -> None:
        self._applying = True  # (the panel says what it applied)
        try:
            self.controller.set_data(req.inputs, req.targets, req.test_inputs, req.test_targets, req.description)
        finally:
            self._applying = False

    # -- dialogs ----------------------------------------------------------------------------------------
    def new_network_dialog(self, data: DataRequest | None = None) -> Simulation | None:
        """File ▸ New Network…: build a network and its data; it opens unsaved, like an example.

        With *data* (data that does not fit the open network, from the Data panel) the dialog offers to keep
        that data instead of the current one, with the input and output layers sized for it.
        """
        if not isinstance(data, DataRequest):
            data = None  # a menu action passes its checked flag
        if not self.window.maybe_save():
            return None
        sim = self.controller.sim
        dialog = NewNetworkDialog(self.window)
        if data is None:
            dialog.set_current_data(sim.inputs, sim.targets, sim.test_inputs, sim.test_targets,
                                    getattr(self.controller, "data_description", ""))
        else:
            dialog.set_current_data(data.inputs, data.targets, data.test_inputs, data.test_targets,
                                    data.description, label="Keep the new data (from the Data panel)")
            dialog.set_dataset("")
        self.dialog = dialog  # tests drive the open dialog
        accepted = dialog.exec() == QDialog.Accepted
        self.window.activateWindow()  # keys (shortcuts) go back to the window, even with no window manager
        if not accepted or dialog.simulation() is None:
            return None
        return self.open_new(dialog.simulation())

    def open_new(self, sim: Simulation) -> Simulation:
        self.controller.new_simulation(sim, sim.notes)
        self.show_dock()
        return sim

    def import_csv_dialog(self) -> bool:
        """File ▸ Import CSV…: the CSV dialog, then the Data panel's split and scaling, then the controller."""
        dialog = CsvImportDialog(self.window)
        self.dialog = dialog
        accepted = dialog.exec() == QDialog.Accepted
        self.window.activateWindow()
        if not accepted or dialog.result_data() is None:
            return False
        return self.use_csv(dialog.result_data(), dialog.path())

    def use_csv(self, data, path: str) -> bool:
        """Train on imported CSV data; a refusal (it does not fit the network) is shown and nothing changes."""
        self.show_dock()
        before = id(self.controller.sim.data)
        req = self.panel.use_imported(data, path)
        if req is None:
            why = self.panel.fit_problem()
            reason = why or self.panel.status.text() or "the data does not fit the network"
            details = "Nothing was changed."
            if why:
                details += (" To train on this file, press “" + self.panel.network_button.text() + "” in the Data "
                            "panel: it opens File ▸ New Network… with a network of the file's shape.")
            self.controller.error.emit("CSV not imported", reason, details)
            return False
        return id(self.controller.sim.data) != before


def install_data_features(window) -> DataFeatures:
    """Add the Data dock, File ▸ New Network… / Import CSV… and diagram structure editing to *window*."""
    window.data_features = DataFeatures(window)
    return window.data_features
