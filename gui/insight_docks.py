"""Wires the insight views into the main window: input space, loss landscape, compared runs, neuron pictures.

:func:`install_insight_features` adds three docks (tabified with the loss plot, so the first view of the
worked example is unchanged), their View-menu toggles, the neuron pictures in the diagram, and the accuracy
line in the status bar and the loss plot's header.  Everything listens to the controller's fine signals and
draws from the engine read-only; costly views are paced by their own redraw timers and skip work while hidden.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QByteArray, QEvent, QObject, QPointF, Qt, QTimer
from PySide6.QtGui import QAction, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QGraphicsPixmapItem,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from backprop_lab.core import BackpropLabError
from backprop_lab.core.runs import RunRecord

from .identity import Same
from .input_space import QtInputSpace
from .input_table import status_text
from .landscape import QtLossLandscape, parameter_place
from .neuron_pictures import captioned, neuron_image, neuron_images
from .paced import Paced, on_screen
from .runs import QtComparedRuns, runs_extent
from .text_widgets import QtTextLine
from .view_state import PARAMETERS_CHANGED, SETTINGS_CHANGED, SIMULATION_REPLACED, ViewState

#: Neuron pictures are on by default for 2-input networks with at most this many hidden neurons.
#: What the accuracy line and the neuron pictures depend on (the network, its parameters, its data and loss).
NETWORK_CHANGES = frozenset({SIMULATION_REPLACED, PARAMETERS_CHANGED, SETTINGS_CHANGED})
PICTURES_UP_TO = 64
#: ... and at least this many training samples (XOR has 4).
PICTURES_MIN_SAMPLES = 4
#: Grid edge of the small neuron pictures, and of the large one shown on hover.
PICTURE_RESOLUTION, LARGE_RESOLUTION, LARGE_SIZE = 24, 64, 220
#: During runs the neuron pictures and the accuracy line are recomputed at most this often (s), and never
#: closer than PACE (backprop_lab.gui.paced) times their last cost.
LIVE_INTERVAL = 0.1
#: The accuracy line is recomputed at most this often (s) during fast runs, and with each action while it costs
#: less than SUMMARY_AT_ONCE (s; about 1 ms on moons); costlier, it is paced and says so until it catches up.
SUMMARY_INTERVAL = 0.25
SUMMARY_AT_ONCE = 0.008
#: What the accuracy line says while a newer one is being computed (an older value would contradict the diagram).
SUMMARY_PENDING = "training: accuracy and loss …"
#: Largest network whose parameters are all listed in the "Second parameter" combo.
COMBO_PARAMS = 400
SECOND_TIP = ("A second weight or bias, besides the one selected in the diagram: the loss over both, with the "
              "path training took (or Ctrl+click it in the diagram)")


class _PictureItem(QGraphicsPixmapItem):
    """A neuron's small picture beside its circle; hovering shows it large in a floating label."""

    def __init__(self, owner: "InsightDocks", key: tuple[int, int], parent) -> None:
        super().__init__(parent)
        self.owner, self.key = owner, key
        self.setAcceptHoverEvents(True)
        self.setTransformationMode(Qt.SmoothTransformation)
        self.setZValue(3)

    def hoverEnterEvent(self, ev) -> None:
        self.owner.show_large_picture(self.key, ev.scenePos())

    def hoverLeaveEvent(self, ev) -> None:
        self.owner.hide_large_picture()


class InsightDocks(QObject):
    """The insight features of one main window (see the module docstring)."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = w = window
        self.controller = c = window.controller
        self.input_space = QtInputSpace()
        self.input_space.sample_clicked.connect(self._on_sample_clicked)
        self.landscape = QtLossLandscape()
        self.runs = QtComparedRuns()
        self.runs.changed.connect(self._on_runs_changed)
        # saved with the state but outside the engine: the controller marks the window unsaved
        self.runs.edited.connect(c.mark_unsaved)
        # the main loss plot shows earlier runs as their batch loss, and keeps them in view
        self.main_overlay = self.runs.attach(w.loss_plot.plot.getPlotItem(), epochs=False)
        self.second_combo = QComboBox()
        self.second_combo.setAccessibleName("Second parameter")
        # the rows say where each parameter is ("w37 (h1_3 → h2_5)"): the popup widens to them, the dock need not
        self.second_combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.second_combo.setMinimumContentsLength(10)  # the dock shares its column with narrower views
        # The combo shows the controller's second parameter and asks the controller to change it (the keyboard's
        # way to what Ctrl+click does); it never decides by itself.
        self.second_combo.activated.connect(self._on_combo_chosen)
        land = QWidget()
        lay = QVBoxLayout(land)
        lay.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.setContentsMargins(6, 2, 6, 0)
        label = QLabel("Second parameter:")
        label.setTextFormat(Qt.PlainText)
        row.addWidget(label)
        row.addWidget(self.second_combo, 1)
        lay.addLayout(row)
        lay.addWidget(self.landscape, 1)
        self._combo_key: tuple = ()
        self._combo_rows: dict = {}  # element → its row in the combo
        self._combo_disabled = None  # the selected parameter, whose row is disabled
        self._beside: dict[QDockWidget, QDockWidget] = {}
        # The plane and the landscape want a squarish area: tabs beside the equations (which stay in front);
        # the compared runs are a loss plot: a tab beside the loss plot.
        self.input_dock = self._dock("Input space", "input_space", self.input_space, w.equations_dock)
        self.landscape_dock = self._dock("Loss landscape", "landscape", land, w.equations_dock)
        self.runs_dock = self._dock("Compared runs", "runs", self.runs, w.plot_dock)
        saved = w.settings.value("window_state")
        if not (isinstance(saved, QByteArray) and b"input_space_dock" in bytes(saved)):
            # Tabified once the window is shown: tabifying two areas before the first layout leaves a stray
            # copy of a tab bar on screen (Qt 6).  Until then the docks wait hidden.
            for d in self._beside:
                d.hide()
            w.installEventFilter(self)
        self.status_summary = QtTextLine("training: accuracy 100.0 % (60000/60000) · loss 0.0000    "
                                         "test: accuracy 100.0 % (10000/10000) · loss 0.0000")
        self.status_summary.setAccessibleName("Accuracy and loss")
        self.status_summary.setFixedWidth(self.status_summary.sizeHint().width())
        self.status_summary.setText("")
        # Not permanent: a message takes its place while shown (the loss plot's header says the same). As a
        # permanent widget it filled the bar with the counters at 1,400 px, and every message was hidden.
        w.statusBar().addWidget(self.status_summary)
        self.summary = ""
        self._summary_for: tuple = ()  # (state serial, live) the last summary was asked for
        self._summary_hides = False  # the summary's training loss is hidden (practice: not performed yet)
        self._summary_paced = Paced(self, self._update_summary, SUMMARY_INTERVAL, at_once_below=SUMMARY_AT_ONCE)
        self._pictures_paced = Paced(self, self._update_pictures, LIVE_INTERVAL)
        self._pictures: dict[tuple[int, int], tuple[object, _PictureItem]] = {}
        self.picture_images: dict = {}
        # A child of the diagram's viewport, not a tool-tip window: drawn over the diagram near the pointer.
        self._large = QLabel(w.diagram.viewport())
        self._large.hide()
        self._large.setTextFormat(Qt.PlainText)
        self._large.setStyleSheet("QLabel { background: white; border: 1px solid #888; padding: 4px; }")
        self._pictures_user: bool | None = None  # None: automatic (2 inputs, ≤ PICTURES_UP_TO hidden neurons)
        self.act_pictures = QAction("Neuron &Pictures", w)
        self.act_pictures.setCheckable(True)
        self.act_pictures.setToolTip("A small picture of what each neuron computes over the input plane "
                                     "(2-input networks); hover one to see it large")
        self.act_pictures.toggled.connect(self._on_pictures_toggled)
        self._init: dict | None = None  # how the current weights were drawn (None: from the file)
        self._pending: tuple[RunRecord, dict | None, int] | None = None  # a run kept once the restart happened
        self._sim_id = None  # the simulation shown (a structure edit replaces the views, not the simulation)
        self._init_before: dict | None | bool = False  # False: no restart under way
        self._add_menu()
        c.simulation_replaced.connect(self._on_simulation_replaced)
        c.parameters_changed.connect(self._on_parameters_changed)
        c.history_changed.connect(self._on_history_changed)
        c.cursor_moved.connect(self._on_cursor_moved)
        c.settings_changed.connect(self._on_settings_changed)
        c.selection_changed.connect(self._on_selection_changed)
        c.display_changed.connect(self._on_display_changed)
        window.diagram.rebuilt.connect(self._on_diagram_rebuilt)
        c.run_finished.connect(lambda _end: self._refresh(c.state, urgent=True))
        c.restarting.connect(self._on_restarting)
        c.error.connect(self._on_error)
        self._on_simulation_replaced(c.state)

    # -- construction ------------------------------------------------------------------------------
    def _dock(self, title: str, name: str, widget: QWidget, beside: QDockWidget) -> QDockWidget:
        d = QDockWidget(title, self.window)
        d.setObjectName(f"{name}_dock")
        d.setWidget(widget)
        self.window.addDockWidget(self.window.dockWidgetArea(beside), d)
        self._beside[d] = beside
        # A dock brought to the front redraws at once (its view skipped work while it was hidden).
        d.visibilityChanged.connect(lambda on: on and self._on_dock_shown())
        return d

    def _on_dock_shown(self) -> None:
        self._refresh(self.controller.state, urgent=True)
        self.runs.catch_up()

    def eventFilter(self, obj, ev) -> bool:
        if obj is self.window and ev.type() == QEvent.Show:
            self.window.removeEventFilter(self)
            QTimer.singleShot(0, self._tabify)
        return False

    def _tabify(self) -> None:
        for d, beside in self._beside.items():
            self.window.tabifyDockWidget(beside, d)
            d.show()
        self.window.equations_dock.raise_()
        self.window.plot_dock.raise_()

    def _add_menu(self) -> None:
        view = next((a.menu() for a in self.window.menuBar().actions() if a.text() == "&View"), None)
        if view is None:
            return
        view.addSeparator()
        for d in (self.input_dock, self.landscape_dock, self.runs_dock):
            view.addAction(d.toggleViewAction())
        view.addAction(self.act_pictures)

    # -- slots -------------------------------------------------------------------------------------
    def _on_simulation_replaced(self, state: ViewState) -> None:
        sim = self.controller.sim
        self.landscape.clear_history()
        self._pending = None
        if Same(sim) != self._sim_id:  # another file: another run (a structure edit goes on with this one)
            self._sim_id, self._init = Same(sim), None
            self.runs.restart_log(sim.settings)
        try:
            self.runs.load_list(getattr(sim, "runs", None) or [])
        except BackpropLabError as e:  # checked when the file was read; a bad list only loses the runs
            self.runs.load_list([])
            self.controller.message.emit(f"Compared runs not shown: {e}")
        self._sync_pictures_action(state)
        self._fill_combo(state)
        self._refresh(state, urgent=True)

    def _on_parameters_changed(self, state: ViewState) -> None:
        self._init_before = False  # a restart (if any) went through
        self._fill_combo(state)
        self._refresh(state)

    def _on_settings_changed(self, state: ViewState) -> None:
        mark = self.runs.note_settings(state.iteration, state.settings)
        if mark is not None:
            self.controller.say(
                f"{mark.label} from iteration {mark.iteration + 1:,} on: marked on the loss plot. To compare from "
                "the same start, Reset (Ctrl+R) or Re-initialise (Ctrl+I): this run then stays on the plot, "
                "faint and labelled.")
        self._on_parameters_changed(state)

    def _on_cursor_moved(self, state: ViewState) -> None:
        self._refresh(state)

    def _on_selection_changed(self, state: ViewState) -> None:
        self._sync_combo(state)
        self._update_landscape(state)

    def _on_combo_chosen(self, row: int) -> None:
        self.controller.set_second(self.second_combo.itemData(row))
        self._sync_combo(self.controller.state)  # refused (no first parameter): show the controller's choice

    def _on_diagram_rebuilt(self) -> None:
        # (switching to the Δw view and back rebuilds the diagram, and the pictures went with its old items)
        if self._pictures:
            self._pictures.clear()
            self._pictures_paced.request()  # drawn again beside the new neurons, just after this action

    def _on_display_changed(self, state: ViewState) -> None:
        self._draw_main_overlay(state)
        if self._sync_summary_hiding(state):  # practice mode turned on or off
            self._summary_paced.request(urgent=True)

    def _draw_main_overlay(self, state: ViewState) -> None:
        """The earlier runs on the main loss plot, whose axes then hold them too."""
        self.main_overlay.set_runs(self.runs.model, state.display.log_scale)
        self.window.loss_plot.set_runs_extent(runs_extent(self.runs.model, epochs=False))

    def _on_history_changed(self, state: ViewState) -> None:
        sim = self.controller.sim
        self._init_before = False  # the restart (if any) went through
        if self._pending is not None:
            rec, init_then, n = self._pending
            self._pending = None
            # labelled with what differs from the run replacing it, and the changes it trained through
            rec.label = self.runs.log.describe_run(n, sim.settings, init_then, self._init)
            if rec.label == "same settings":
                rec.label = f"run {len(self.runs.model) + 1}"
            self.runs.add_run(rec)
            self.runs.restart_log(sim.settings)
        self.runs.request_update(sim)  # drawn now if shown, else when its tab is raised
        if state.fast_running:
            # Fast runs publish parameters only twice a second; these views read the live network instead.
            self._refresh(state, live=True)
        else:
            self._refresh(state)

    def _on_restarting(self, what: str, init: object) -> None:
        """Before a re-initialise or reset: keep the history that is about to be replaced as a run."""
        sim = self.controller.sim
        rec = RunRecord.from_simulation(sim, init=self._init)
        n = len(sim.batch_loss.view())
        rec.settings = dict(self.runs.log.settings_at(n - 1))  # what its last iteration trained with
        if len(rec.batch_loss) or len(rec.epoch_loss):
            self._pending = (rec, self._init, n)
        self._init_before = self._init
        self._init = dict(init) if isinstance(init, dict) else None

    def _on_error(self, *_args) -> None:
        """A refused re-initialise changed nothing: forget the run it would have replaced."""
        if self._init_before is not False:
            self._init, self._init_before = self._init_before, False
            self._pending = None

    def _on_runs_changed(self) -> None:
        self.controller.sim.runs = self.runs.to_list()
        self._draw_main_overlay(self.controller.state)

    def _on_sample_clicked(self, index: int) -> None:
        c = self.controller
        c.trace_sample(index)
        st = c.state
        if st.trace is not None and st.sample_index == index:
            # The equations' list of the whole iteration opens at this sample's forward pass (its inputs).
            first = st.trace.first_index(st.sample)
            lst = self.window.equations.iteration_list
            row = lst.model_.row_of.get(first) if first is not None else None
            if row is not None:
                lst.scrollTo(lst.model_.index(row), QAbstractItemView.PositionAtTop)

    # -- redraws -----------------------------------------------------------------------------------
    def _refresh(self, state: ViewState, *, live: bool = False, urgent: bool = False) -> None:
        sim = self.controller.sim
        # The parameters the diagram shows (mid-iteration: before the update), or live during fast runs.
        theta = None if live else np.asarray(state.theta)
        self._theta = theta
        self.input_space.set_traced(state.sample_index if state.trace is not None else None,
                                    state.display.traced_sample)
        if on_screen(self.input_dock.widget()):
            if urgent:
                self.input_space.update_from(sim, theta=theta)
            else:
                self.input_space.request_update(sim, theta=theta)
        # Stepping into an iteration changes no parameter until an update: the accuracy line and the neuron
        # pictures, which depend only on the network and its data, stay as they are.
        unchanged = not (urgent or live or state.changes & NETWORK_CHANGES)
        if self._sync_summary_hiding(state):
            urgent = True  # the loss appears (or hides) now, with the E_total it would give away
        if urgent or (not unchanged and (state.serial, live) != self._summary_for):
            # (one action sends two or three signals with the same state: computed once)
            self._summary_for = (state.serial, live)
            self._summary_paced.request(urgent=urgent, live=live or state.fast_running)
        if self._summary_paced.pending and not (live or state.fast_running) and self.summary:
            self._show_summary(SUMMARY_PENDING)  # never a number older than the diagram's
        # The pictures change the diagram, which repaints at its own pace during fast runs (twice a second).
        if self.act_pictures.isChecked() and not live and not unchanged:
            self._pictures_paced.request(urgent=urgent)
        self._update_landscape(state, live=live)

    def _sync_summary_hiding(self, state: ViewState) -> bool:
        """Whether the accuracy line's training loss must now hide or show again (practice mode hides it until
        the iteration's loss is performed, as the diagram's E_total box)."""
        hide = state.display.hide_future and state.shown_training_loss is None
        if hide == self._summary_hides:
            return False
        self._summary_hides = hide
        return True

    def _update_summary(self) -> None:
        try:
            text = status_text(self.controller.sim, theta=self._theta, hide_loss=self._summary_hides)
        except (BackpropLabError, ValueError, FloatingPointError):
            text = ""
        self._show_summary(text)

    def _show_summary(self, text: str) -> None:
        self.summary = text
        self.status_summary.setText(text)
        self.window.loss_plot.set_summary(text)

    def _update_landscape(self, state: ViewState, *, live: bool = False) -> None:
        sel, second = state.selection, state.second
        trace = state.trace if state.mode == "ready" else None
        live = live or state.fast_running
        if on_screen(self.landscape_dock.widget()):
            self.landscape.request_update(self.controller.sim, sel, second, trace=trace, live=live)
        else:
            self.landscape.observe(self.controller.sim)  # the path of training, even while not shown

    def _sync_combo(self, state: ViewState) -> None:
        """Show the controller's second parameter (none when there is none); the selected parameter's own row
        is disabled (the arrow keys skip it), and the whole list until a weight or bias is selected."""
        combo = self.second_combo
        sel = state.selection if state.selection is not None and state.selection.kind in ("weight", "bias") \
            else None
        combo.setEnabled(sel is not None and bool(self._combo_rows))
        if sel != self._combo_disabled:
            model = combo.model()
            for el, on in ((self._combo_disabled, True), (sel, False)):
                row = self._combo_rows.get(el)
                if row is not None:
                    model.item(row).setEnabled(on)
            self._combo_disabled = sel
        # (findData compares Python objects by identity: look the element up by value)
        row = 0 if state.second is None else self._combo_rows.get(state.second, -1)
        if row >= 0 and row != combo.currentIndex():
            combo.blockSignals(True)
            combo.setCurrentIndex(row)
            combo.blockSignals(False)

    def _fill_combo(self, state: ViewState) -> None:
        net = state.network
        key = (Same(net), net.sizes)
        if key == self._combo_key:
            self._sync_combo(state)
            return
        self._combo_key = key
        combo = self.second_combo
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("none (the loss along the selected one)", None)
        self._combo_rows, self._combo_disabled = {}, None
        combo.setToolTip(SECOND_TIP)
        if net.n_params <= COMBO_PARAMS:
            for k in range(net.n_params):
                e = net.element_of_index(k)
                self._combo_rows[e] = combo.count()
                combo.addItem(parameter_place(net, e), e)
        else:
            combo.setToolTip(f"{net.n_params:,} parameters: too many to list; Ctrl+click one in the diagram")
        combo.blockSignals(False)
        self._sync_combo(state)

    # -- neuron pictures -----------------------------------------------------------------------------
    def _sync_pictures_action(self, state: ViewState) -> None:
        sizes = state.network.sizes
        possible = sizes[0] == 2
        self.act_pictures.setEnabled(possible)
        # By default only where a picture says something: a few samples to spread the plane over (the worked
        # example's single sample gives flat squares) and not too many neurons to draw.
        auto = sum(sizes[1:-1]) <= PICTURES_UP_TO and state.n_samples >= PICTURES_MIN_SAMPLES
        on = possible and (self._pictures_user if self._pictures_user is not None else auto)
        self.act_pictures.blockSignals(True)
        self.act_pictures.setChecked(on)
        self.act_pictures.blockSignals(False)
        if not on:
            self._clear_pictures()

    def _on_pictures_toggled(self, on: bool) -> None:
        self._pictures_user = on
        if on:
            self._pictures_paced.request(urgent=True)
        else:
            self._clear_pictures()

    def _clear_pictures(self) -> None:
        for neuron, item in self._pictures.values():
            try:
                if item.scene() is not None:
                    item.scene().removeItem(item)
            except RuntimeError:
                pass  # the diagram cleared its scene (and this item) already
        self._pictures.clear()
        self.picture_images = {}

    def _update_pictures(self) -> None:
        sim = self.controller.sim
        if not self.act_pictures.isChecked() or sim.network.sizes[0] != 2:
            return
        neurons = self.window.diagram.neurons
        if not neurons:
            return
        r = next(iter(neurons.values())).r
        size = max(12, int(round(1.1 * r)))
        theta = getattr(self, "_theta", None)
        images = neuron_images(sim, size=2 * size, resolution=PICTURE_RESOLUTION, theta=theta)
        self.picture_images = images
        spots = None
        for key, img in images.items():
            neuron = neurons.get(key)
            if neuron is None:
                continue
            have = self._pictures.get(key)
            if have is None or have[0] is not neuron:
                if spots is None:  # (a new layout: where its labels leave room, computed once)
                    spots = self.window.diagram.layout_.picture_spots(size)
                item = _PictureItem(self, key, neuron)
                item.setScale(0.5)  # drawn at twice the resolution: sharp when zoomed in
                # Beside a shoulder of the neuron, clear of its name and value and of the edge labels.
                spot = spots[key]
                item.setPos(QPointF(spot.x - neuron.pos().x(), spot.y - neuron.pos().y()))
                self._pictures[key] = (neuron, item)
            self._pictures[key][1].setPixmap(QPixmap.fromImage(img))

    def show_large_picture(self, key: tuple[int, int], pos=None) -> None:
        """Show neuron *key*'s picture large over the diagram (near scene point *pos*)."""
        sim = self.controller.sim
        img = neuron_image(sim, key[0], key[1], size=LARGE_SIZE, resolution=LARGE_RESOLUTION,
                           theta=getattr(self, "_theta", None))
        name = sim.network.neuron_name(*key)
        self._large.setPixmap(captioned(QPixmap.fromImage(img), f"{name} over the input plane",
                                        self._large.font()))
        self._large.setToolTip(name)  # (a generated name: i1, h2_3, o1)
        self._large.adjustSize()
        vp = self.window.diagram.viewport()
        p = self.window.diagram.mapFromScene(pos) if pos is not None else vp.rect().center()
        # Beside the pointer, kept inside the viewport.
        x = min(max(0, p.x() + 16), max(0, vp.width() - self._large.width()))
        y = min(max(0, p.y() + 16), max(0, vp.height() - self._large.height()))
        self._large.move(x, y)
        self._large.show()
        self._large.raise_()

    def hide_large_picture(self) -> None:
        self._large.hide()


def install_insight_features(window) -> InsightDocks:
    """Add the insight docks, the neuron pictures and the accuracy line to *window* (a MainWindow)."""
    window.insight = InsightDocks(window)
    return window.insight
