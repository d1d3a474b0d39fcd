"""QtInputSpace: what the network computes over its inputs, with the data on top.

Two inputs: the output over the input plane as a heatmap (orange–white–blue around
the decision level for one output; for several, the winning class's colour with its
probability as intensity), the class boundary, training points (circles) and test
points (diamonds) coloured by target, misclassified points ringed.  One input: the
function as a curve over the data points.  Any other number: a table of samples.
The header gives accuracy and loss for the training and test sets.

Clicking a training point (plane or curve) or a training sample's row (mouse, or Enter on the
row) emits ``sample_clicked``; the window asks the controller to trace that sample, and
:meth:`QtInputSpace.set_traced` marks the sample the diagram traces (a ring, or the
selected row).  ``InsightDocks`` wires the controller's signals to
:meth:`QtInputSpace.request_update`; the rules for ranges, classes and the decision
level are those of :mod:`backprop_lab.core.insight`.
"""
from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
import PySide6  # noqa: F401  (import before pyqtgraph so it picks this binding)
from PySide6.QtCore import QItemSelectionModel, QModelIndex, QRectF, Qt, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QStackedWidget, QTableView, QVBoxLayout, QWidget

from backprop_lab.core.insight import (
    PlaneGrid,
    SampleTable,
    Task,
    boundary_segments,
    choose_resolution,
    curve_1d,
    data_range,
    plane_grid,
    redraw_cost_ms,
    sample_table,
    task_of,
)

from .identity import Same
from .input_table import SampleTableModel, fmt, penalised, summary_text
from .neuron_pictures import BACKGROUND_STRENGTH, PALETTE, classes_rgb, values_rgb
from .plot_style import heatmap_plot, legend_above, plain_axes, style_plot

#: Redraws requested closer together than this are coalesced (at most about 13 a second) …
MIN_INTERVAL = 0.075
#: … and never closer than this many times the last redraw's duration (a slow view, e.g. a table of
#: 100,000 samples, takes at most a fifth of the time).
PACE = 5.0
#: Time a plane redraw may take (ms): within a 60 Hz frame with room for the rest of the window.
BUDGET_MS = 8.0
CURVE_POINTS = 400
#: A click this close to a training point (screen pixels) chooses it.
CLICK_PX = 10.0
#: The ring around the sample the diagram traces.
TRACED_COLOR = "#f0a500"


def _class_name(task: Task, c: int) -> str:
    if task.kind == "binary":
        return f"target {fmt(task.high if c else task.low)}"
    return f"class {c + 1}"


class QtInputSpace(QWidget):
    """The input plane / curve / sample table of the current network.

    Signals
    -------
    sample_clicked(int) : a training sample's row or point was clicked (its index in ``sim.inputs``).
    """

    #: emitted after each redraw (lets owners pace or count redraws)
    redrawn = Signal()

    sample_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None, *, budget_ms: float = BUDGET_MS) -> None:
        super().__init__(parent)
        self.budget_ms = budget_ms
        self.fixed_resolution: int | None = None  # set to bypass the cost model (benchmarks)
        self._cost_scale = 1.0  # measured ÷ predicted redraw time, smoothed
        self.mode = ""
        self.last_grid: PlaneGrid | None = None
        self.resolution = 0
        self._data_key: tuple | None = None
        self._legend_key: tuple | None = None
        self._sim = None
        self._theta = None
        self.traced: int | None = None  # the training sample the diagram traces (marked)
        self.chosen: int | None = None  # a sample picked for tracing that the shown batch does not hold
        self._traced_drawn: tuple | None = None
        self._last_draw = 0.0
        self._draw_seconds = 0.0  # CPU time of the last redraw
        self._dirty = False
        self._drawing = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._draw_requested)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        self.header = QLabel("")
        self.header.setTextFormat(Qt.PlainText)
        self.header.setStyleSheet("QLabel { padding: 3px 6px; font-weight: 600; color: #333; }")
        self.header.setAccessibleName("Accuracy and loss")
        lay.addWidget(self.header)
        self.stack = QStackedWidget()
        lay.addWidget(self.stack, 1)
        self._build_plane()
        self._build_curve()
        self._build_table()

    # -- construction ------------------------------------------------------------------------------
    def _build_plane(self) -> None:
        self.plane, self.image = heatmap_plot("Input plane")
        pi = self.plane.getPlotItem()
        self.boundary = pg.PlotCurveItem(pen=pg.mkPen("#3a3a3a", width=2), connect="pairs", antialias=True)
        self.plane.addItem(self.boundary)
        self.train_pts = pg.ScatterPlotItem(size=8, pen=pg.mkPen("w", width=1.2), symbol="o", antialias=True)
        self.test_pts = pg.ScatterPlotItem(size=10, pen=pg.mkPen("#222", width=1.2), symbol="d", antialias=True)
        self.wrong_pts = pg.ScatterPlotItem(size=15, pen=pg.mkPen("#111", width=1.6), brush=None, symbol="o",
                                            antialias=True)
        # The sample the diagram traces: a square ring in the highlight colour of the diagram's current step.
        self.traced_pt = pg.ScatterPlotItem(size=22, pen=pg.mkPen(TRACED_COLOR, width=2.5), brush=None, symbol="s",
                                            antialias=True)
        # A chosen sample the shown batch does not hold (traced once a batch holds it): a dashed ring.
        self.chosen_pt = pg.ScatterPlotItem(size=22, pen=pg.mkPen(TRACED_COLOR, width=2, style=Qt.DashLine),
                                            brush=None, symbol="o", antialias=True)
        self.plane.scene().sigMouseClicked.connect(lambda ev: self._on_plot_clicked(ev, self.plane))
        for item in (self.train_pts, self.test_pts, self.wrong_pts, self.traced_pt, self.chosen_pt):
            self.plane.addItem(item)
        self.plane_legend = legend_above(pi, columns=5)
        pi.vb.sigRangeChanged.connect(self._on_view_changed)
        self.stack.addWidget(self.plane)

    def _build_curve(self) -> None:
        self.curve_plot = pg.PlotWidget(background="w", axisItems=plain_axes())
        self.curve_plot.setAccessibleName("Network function")
        pi = self.curve_plot.getPlotItem()
        style_plot(pi)
        pi.hideButtons()
        grid = pg.GridItem()
        grid.setPen(pg.mkPen("#ececec"))
        grid.setTextPen(None)
        self.curve_plot.addItem(grid)
        self.curves: list[pg.PlotDataItem] = []
        self.curve_train = pg.ScatterPlotItem(size=7, pen=pg.mkPen("w", width=1), symbol="o", antialias=True)
        self.curve_test = pg.ScatterPlotItem(size=9, pen=pg.mkPen("#222", width=1), symbol="d", antialias=True)
        self.curve_traced = pg.ScatterPlotItem(size=18, pen=pg.mkPen(TRACED_COLOR, width=2.5), brush=None,
                                               symbol="s", antialias=True)
        self.curve_plot.scene().sigMouseClicked.connect(lambda ev: self._on_plot_clicked(ev, self.curve_plot))
        self.curve_plot.addItem(self.curve_train)
        self.curve_plot.addItem(self.curve_test)
        self.curve_plot.addItem(self.curve_traced)
        self.level_line = pg.InfiniteLine(angle=0, pen=pg.mkPen("#888", width=1, style=Qt.DashLine))
        self.curve_plot.addItem(self.level_line)
        self.curve_legend = legend_above(pi, columns=4)
        self.stack.addWidget(self.curve_plot)

    def _build_table(self) -> None:
        self.model = SampleTableModel(self)
        self.table = QTableView()
        self.table.setAccessibleName("Samples")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
        self.table.horizontalHeader().setDefaultSectionSize(90)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.clicked.connect(self._on_row_clicked)
        self.table.activated.connect(self._on_row_clicked)  # Enter on a row: the keyboard's click
        self.stack.addWidget(self.table)

    # -- updates ---------------------------------------------------------------------------------------
    def request_update(self, sim, *, theta: np.ndarray | None = None) -> None:
        """Redraw soon: at once if the last redraw started long enough ago (MIN_INTERVAL, or PACE times
        its duration), else once when it is due.

        While the widget is hidden nothing is computed; it redraws when shown.
        """
        self._sim, self._theta = sim, theta
        if not self.isVisible():
            self._dirty = True
            return
        if self._timer.isActive():
            return
        wait = max(MIN_INTERVAL, PACE * self._draw_seconds) - (time.perf_counter() - self._last_draw)
        if wait <= 0:
            self.update_from(sim, theta=theta)
        else:
            self._timer.start(max(1, int(wait * 1000)))

    def _draw_requested(self) -> None:
        if self._sim is not None:
            self.update_from(self._sim, theta=self._theta)

    def showEvent(self, ev) -> None:
        super().showEvent(ev)
        if self._dirty and self._sim is not None:
            self._dirty = False
            self.update_from(self._sim, theta=self._theta)

    def update_from(self, sim, *, theta: np.ndarray | None = None) -> None:
        """Redraw from *sim* now (at parameters *theta* when given, else the network's current ones)."""
        self._sim, self._theta = sim, theta
        self._last_draw = time.perf_counter()  # redraws are paced from start to start
        cpu0 = time.process_time()
        task = task_of(sim)
        train = sample_table(sim, "train", theta=theta, task=task)
        test = sample_table(sim, "test", theta=theta, task=task)
        n_in = sim.network.sizes[0]
        if n_in == 2:
            self._set_mode("plane")
            self._draw_plane(sim, theta, task, train, test)
        elif n_in == 1:
            self._set_mode("curve")
            self._draw_curve(sim, theta, task, train, test)
        else:
            self._set_mode("table")
            before = list(self.model.columns)
            self.model.set_tables(train, test)
            if self.model.columns != before:
                self._size_columns()
        self.header.setText(summary_text(train, test, penalty=penalised(sim.settings)))
        self._draw_traced()
        self.redrawn.emit()
        # CPU time: a machine busy with other programs slows the clock, not the view's share of the CPU
        self._draw_seconds = time.process_time() - cpu0

    def _set_mode(self, mode: str) -> None:
        if mode != self.mode:
            self.mode = mode
            self.stack.setCurrentWidget({"plane": self.plane, "curve": self.curve_plot, "table": self.table}[mode])
            self._data_key = self._legend_key = None

    # -- the plane --------------------------------------------------------------------------------------
    def _draw_plane(self, sim, theta, task: Task, train: SampleTable, test: SampleTable | None) -> None:
        self._drawing = True
        try:
            self._draw_points(sim, task, train, test)
            vb = self.plane.getPlotItem().vb
            (x0, x1), (y0, y1) = vb.viewRange()
        finally:
            self._drawing = False
        # The grid covers exactly what is visible (after zooming or panning too), with square pixels.
        t0 = time.process_time()
        r = self._resolution(sim.network.n_params)
        aspect = max(vb.width(), 1.0) / max(vb.height(), 1.0)
        nx, ny = max(2, round(r * np.sqrt(aspect))), max(2, round(r / np.sqrt(aspect)))
        g = plane_grid(sim, nx, ny=ny, theta=theta, ranges=((x0, x1), (y0, y1)))
        self.last_grid = g
        if task.kind == "multiclass":
            K = g.outputs.shape[-1]
            conf = g.confidence
            if sim.network.activations[-1].name == "softmax":
                conf = (conf - 1.0 / K) / (1.0 - 1.0 / K)  # 1/K (a tie of all classes) is white
            rgb = classes_rgb(g.winner, conf, BACKGROUND_STRENGTH)
        else:
            rgb = values_rgb(g.value, task.centre, task.half, BACKGROUND_STRENGTH)
        self.image.setImage(rgb, autoLevels=False, levels=(0, 255))
        dx, dy = g.xs[1] - g.xs[0], g.ys[1] - g.ys[0]
        self.image.setRect(QRectF(x0 - dx / 2, y0 - dy / 2, x1 - x0 + dx, y1 - y0 + dy))
        segs = boundary_segments(g)
        if len(segs):
            pts = segs.reshape(-1, 2)
            self.boundary.setData(pts[:, 0], pts[:, 1], connect="pairs")
        else:
            self.boundary.setData([], [])
        wrong = [t.inputs[~t.correct] for t in (train, test) if t is not None and t.correct is not None]
        w = np.concatenate(wrong) if wrong else np.empty((0, 2))
        self.wrong_pts.setData(w[:, 0], w[:, 1])
        self._measured(sim.network.n_params, nx * ny, 1000 * (time.process_time() - t0))

    def _resolution(self, n_params: int) -> int:
        """The grid edge for this redraw: the cost model's, corrected by what redraws here really cost.

        It only changes when the new value differs by more than 15 %, so the picture's
        grain does not flicker from frame to frame.
        """
        if self.fixed_resolution:
            self.resolution = self.fixed_resolution
            return self.resolution
        r = choose_resolution(n_params, self.budget_ms / self._cost_scale)
        if not self.resolution or abs(r - self.resolution) > 0.15 * self.resolution:
            self.resolution = r
        return self.resolution

    def _measured(self, n_params: int, pixels: int, ms: float) -> None:
        """Fold one redraw's CPU time (the process's: waiting for a CPU that other programs use is not
        the view's cost) into the measured ÷ predicted ratio; one odd redraw moves it by at most 1.5×."""
        ratio = ms / redraw_cost_ms(n_params, pixels)
        ratio = float(np.clip(ratio, self._cost_scale / 1.5, self._cost_scale * 1.5))
        self._cost_scale = float(np.clip(0.7 * self._cost_scale + 0.3 * ratio, 0.2, 50.0))

    def _on_view_changed(self, *args) -> None:
        """Zoom, pan or resize: the heatmap is recomputed for the new visible rectangle."""
        if not self._drawing and self._sim is not None and self.mode == "plane":
            self.request_update(self._sim, theta=self._theta)

    def _point_brushes(self, task: Task, table: SampleTable) -> list:
        if table.target_class is not None:
            cols = [PALETTE[c % len(PALETTE)] for c in table.target_class]
        else:
            cols = [tuple(c) for c in values_rgb(table.targets[:, 0], task.centre, task.half)]
        cache: dict = {}
        return [cache.setdefault(c, pg.mkBrush(*c)) for c in cols]

    def _draw_points(self, sim, task: Task, train: SampleTable, test: SampleTable | None) -> None:
        """Data points change only with the data: brushes and the view range are set once per data set."""
        key = (Same(sim.inputs), Same(sim.targets), None if test is None else (Same(test.inputs), len(test)),
               task, tuple(sim.network.sizes))
        if key == self._data_key:
            return
        self._data_key = key
        n = len(train) + (0 if test is None else len(test))
        size = 14 if n <= 20 else 10 if n <= 100 else 8  # a handful of points (XOR) drawn large
        self.wrong_pts.setSize(size + 7)
        self.train_pts.setData(train.inputs[:, 0], train.inputs[:, 1], brush=self._point_brushes(task, train),
                               size=size)
        if test is not None:
            self.test_pts.setData(test.inputs[:, 0], test.inputs[:, 1], brush=self._point_brushes(task, test),
                                  size=size + 2)
        else:
            self.test_pts.setData([], [])
        vb = self.plane.getPlotItem().vb
        (x0, x1), (y0, y1) = data_range(sim, 0), data_range(sim, 1)
        ratio = (x1 - x0) / (y1 - y0)
        vb.setAspectLocked(1 / 3 < ratio < 3)  # same units on both axes unless that makes a sliver
        vb.setRange(QRectF(x0, y0, x1 - x0, y1 - y0), padding=0)
        pi = self.plane.getPlotItem()
        pi.setLabel("bottom", sim.network.neuron_name(0, 0))
        pi.setLabel("left", sim.network.neuron_name(0, 1))
        self._plane_legend(task, test is not None)

    def _plane_legend(self, task: Task, has_test: bool) -> None:
        key = (task, has_test)
        if key == self._legend_key:
            return
        self._legend_key = key
        lg = self.plane_legend
        lg.clear()
        if task.is_classification:
            for c in range(task.n_classes):
                lg.addItem(pg.ScatterPlotItem(symbol="o", size=8, pen=pg.mkPen("w"),
                                              brush=pg.mkBrush(*PALETTE[c % len(PALETTE)])), _class_name(task, c))
        else:
            lg.addItem(pg.ScatterPlotItem(symbol="o", size=8, brush=pg.mkBrush(*PALETTE[1])), "training")
        if has_test:
            lg.addItem(pg.ScatterPlotItem(symbol="d", size=9, pen=pg.mkPen("#222"), brush=pg.mkBrush("#bbb")), "test")
        if task.is_classification:
            lg.addItem(pg.ScatterPlotItem(symbol="o", size=12, pen=pg.mkPen("#111", width=1.6), brush=None),
                       "misclassified")
            lg.addItem(pg.PlotDataItem(pen=pg.mkPen("#3a3a3a", width=2)), "boundary")

    # -- the curve --------------------------------------------------------------------------------------
    def _draw_curve(self, sim, theta, task: Task, train: SampleTable, test: SampleTable | None) -> None:
        xs, outs = curve_1d(sim, CURVE_POINTS, theta=theta)
        n_out = outs.shape[1]
        colors = [PALETTE[1], PALETTE[0]] + PALETTE[2:]
        while len(self.curves) < n_out:
            c = colors[len(self.curves) % len(colors)]
            self.curves.append(self.curve_plot.plot([], [], pen=pg.mkPen(c, width=2.5), antialias=True))
        for k, curve in enumerate(self.curves):
            curve.setData(xs, outs[:, k]) if k < n_out else curve.setData([], [])
        key = (Same(sim.inputs), Same(sim.targets), None if test is None else Same(test.inputs), task, n_out)
        if key != self._data_key:
            self._data_key = key
            brush = pg.mkBrush(60, 60, 60, 200)
            self.curve_train.setData(np.repeat(train.inputs[:, 0], n_out), train.targets.ravel(), brush=brush)
            if test is not None:
                self.curve_test.setData(np.repeat(test.inputs[:, 0], n_out), test.targets.ravel(),
                                        brush=pg.mkBrush("#ddd"))
            else:
                self.curve_test.setData([], [])
            self.curve_plot.getPlotItem().setLabel("bottom", sim.network.neuron_name(0, 0))
            lg = self.curve_legend
            lg.clear()
            for k in range(n_out):
                lg.addItem(self.curves[k], f"network output {sim.network.neuron_name(len(sim.network.sizes) - 1, k)}")
            lg.addItem(self.curve_train, "training data")
            if test is not None:
                lg.addItem(self.curve_test, "test data")
            self.curve_plot.getPlotItem().vb.enableAutoRange()
        if task.kind == "binary":
            self.level_line.setValue(task.level)
            self.level_line.show()
        else:
            self.level_line.hide()

    # -- the table ---------------------------------------------------------------------------------------
    def _size_columns(self) -> None:
        widths = {"#": 48, "set": 48, "right": 48, "inputs": 190}
        for c, name in enumerate(self.model.columns):
            self.table.setColumnWidth(c, widths.get(name, 84))

    def _on_row_clicked(self, index: QModelIndex) -> None:
        if self.model.train is not None and index.isValid() and index.row() < len(self.model.train):
            self.sample_clicked.emit(index.row())

    def _on_plot_clicked(self, ev, plot: pg.PlotWidget) -> None:
        """A click on the plane or the curve: the training point nearest to it (within CLICK_PX) is chosen.

        Found by distance rather than by the points' own click handling: the rings drawn over the points
        (misclassified, traced) would otherwise catch the click.
        """
        sim = self._sim
        if sim is None or ev.button() != Qt.LeftButton or ev.double() or self.mode not in ("plane", "curve"):
            return
        vb = plot.getPlotItem().vb
        if not vb.sceneBoundingRect().contains(ev.scenePos()):
            return
        p = vb.mapSceneToView(ev.scenePos())
        pw, ph = vb.viewPixelSize()
        if self.mode == "plane":
            xs, ys = sim.inputs[:, 0], sim.inputs[:, 1]
            d = np.hypot((xs - p.x()) / pw, (ys - p.y()) / ph)
        else:  # one point per sample and output
            d = np.hypot((sim.inputs[:, :1] - p.x()) / pw, (sim.targets - p.y()) / ph).min(axis=1)
        k = int(np.argmin(d)) if len(d) else -1
        if k >= 0 and d[k] <= CLICK_PX:
            self.sample_clicked.emit(k)

    # -- the traced sample -----------------------------------------------------------------------------
    def set_traced(self, index: int | None, chosen: int | None = None) -> None:
        """Mark training sample *index* as the one the diagram traces (None: no mark), and *chosen* (the
        sample the learner picked, when it differs: the shown batch does not hold it) with a dashed ring."""
        self.traced = None if index is None else int(index)
        self.chosen = None if chosen is None or chosen == index else int(chosen)
        self._draw_traced()

    def _draw_traced(self) -> None:
        sim, k, kc = self._sim, self.traced, self.chosen
        key = (self.mode, k, kc, None if sim is None else Same(sim.inputs))
        if key == self._traced_drawn or sim is None:
            return  # cheap to ask on every step: only a change is drawn
        self._traced_drawn = key
        ok = k is not None and 0 <= k < sim.n_samples
        if self.mode == "plane":
            self.traced_pt.setData(*(([sim.inputs[k, 0]], [sim.inputs[k, 1]]) if ok else ([], [])))
            okc = kc is not None and 0 <= kc < sim.n_samples
            self.chosen_pt.setData(*(([sim.inputs[kc, 0]], [sim.inputs[kc, 1]]) if okc else ([], [])))
        elif self.mode == "curve":
            t = sim.targets[k] if ok else []
            self.curve_traced.setData(*(([sim.inputs[k, 0]] * len(t), list(t)) if ok else ([], [])))
        elif self.mode == "table" and ok and k < self.model.rowCount():
            idx = self.model.index(k, 0)
            flags = QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows
            self.table.selectionModel().select(idx, flags)
            self.table.scrollTo(idx)
