"""Compared runs: earlier loss curves, faint and labelled, beside the current one; hide, rename, remove.

:class:`QtComparedRuns` is a plot of the current run with the earlier ones and a small
list to manage them.  :class:`RunsOverlay` draws the same faint curves on any other
pyqtgraph plot (e.g. the main loss plot).  The runs themselves are a Qt-free
:class:`~backprop_lab.core.runs.RunsModel`.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import PySide6  # noqa: F401  (import before pyqtgraph so it picks this binding)
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from backprop_lab.core.run_marks import SettingMark, SettingsLog
from backprop_lab.core.runs import MAX_LABEL, RunRecord, RunsModel, decimate

from .paced import on_screen
from .plot_style import legend_above, plain_axes, style_plot

#: Colours of earlier runs (drawn translucent), in order of capture: none is a colour the loss plots' own
#: curves use (batch loss #5d8aa8, training loss #c0392b, test loss #8e44ad, the marker #27ae60, settings marks).
RUN_COLORS = [(204, 153, 0), (214, 51, 132), (0, 160, 190), (52, 73, 94), (128, 128, 0), (120, 72, 0)]
RUN_ALPHA = 120
CURRENT_BATCH, CURRENT_EPOCH = (93, 138, 168, 70), "#c0392b"
#: Where the settings changed mid-run: a dashed line with what changed.
MARK_COLOR = "#6c3483"


def run_color(k: int, alpha: int = RUN_ALPHA) -> tuple[int, int, int, int]:
    return RUN_COLORS[k % len(RUN_COLORS)] + (alpha,)


def runs_extent(model: RunsModel, epochs: bool = True) -> tuple[float, float, float] | None:
    """The last iteration and the lowest and highest loss drawn of *model*'s visible runs (batch loss, and
    the per-epoch loss when *epochs*), or None when no run is shown: what a plot's axes must hold."""
    xs, ys = [], []
    for run in model:
        if not run.visible:
            continue
        for x, y in ((run.iterations, run.batch_loss),) + (((run.epoch_end, run.epoch_loss),) if epochs else ()):
            ok = np.isfinite(y)
            if ok.any():
                xs.append(float(np.max(x[ok])))
                ys += [float(np.min(y[ok])), float(np.max(y[ok]))]
    return (max(xs), min(ys), max(ys)) if xs else None


class RunsOverlay:
    """Faint curves of earlier runs on a PlotItem, each labelled at its end; and the current run's setting
    changes as labelled vertical lines.

    Each run is drawn as its batch loss over its whole length (faint; min/max-reduced when long), and, when
    *epochs*, its per-epoch training loss on top.
    """

    def __init__(self, plot_item: pg.PlotItem, *, epochs: bool = True) -> None:
        self.plot_item = plot_item
        self.epochs = epochs
        self._items: list[tuple[pg.PlotDataItem, pg.PlotDataItem, pg.TextItem]] = []
        self._marks: list[pg.InfiniteLine] = []
        self.marks: tuple[SettingMark, ...] = ()

    def set_marks(self, marks) -> None:
        """Draw a dashed vertical line between iteration m and m + 1 for each :class:`SettingMark`, labelled
        with what changed (lines are created once and reused)."""
        marks = tuple(marks)
        if marks == self.marks:
            return
        self.marks = marks
        while len(self._marks) < len(marks):
            line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(MARK_COLOR, width=1.5, style=Qt.DashLine),
                                   label="", labelOpts={"position": 0.9, "color": MARK_COLOR, "movable": False,
                                                        "anchors": [(0, 0.5), (0, 0.5)]})
            line.setZValue(-1)
            self.plot_item.addItem(line, ignoreBounds=True)
            self._marks.append(line)
        for k, line in enumerate(self._marks):
            if k < len(marks):
                m = marks[k]
                line.setValue(m.iteration + 0.5)
                # the label is a format string: braces in a value must stay braces
                line.show()
                line.label.setFormat(m.label.replace("{", "{{").replace("}", "}}"))
            else:
                line.hide()

    def set_runs(self, model: RunsModel, log: bool = False) -> None:
        """Draw the visible runs of *model* (curves are created once and reused)."""
        while len(self._items) < len(model):
            k = len(self._items)
            batch = pg.PlotDataItem(pen=pg.mkPen(run_color(k, 110), width=1))
            epoch = pg.PlotDataItem(pen=pg.mkPen(run_color(k, 160), width=2))
            # Anchored at its right end, above the curve's last point: stays inside the data's x range.
            label = pg.TextItem(color=run_color(k, 255), anchor=(1, 1))
            for item in (batch, epoch, label):
                item.setZValue(-2)
                # the label's size is in pixels: it must not widen the data bounds an auto range fits
                self.plot_item.addItem(item, ignoreBounds=item is label)
            self._items.append((batch, epoch, label))
        for k, (batch, epoch, label) in enumerate(self._items):
            run = model[k] if k < len(model) else None
            if run is None or not run.visible:
                for item in (batch, epoch, label):
                    item.hide()
                continue
            by = np.where(run.batch_loss > 0, run.batch_loss, np.nan) if log else run.batch_loss
            ey = np.where(run.epoch_loss > 0, run.epoch_loss, np.nan) if log else run.epoch_loss
            # The batch loss over the whole run, from its first iteration (the per-epoch points start only
            # after an epoch); the per-epoch training loss on top where asked for.
            batch.setData(run.iterations.astype(np.float64), by, connect="finite")
            if self.epochs:
                epoch.setData(run.epoch_end.astype(np.float64), ey, connect="finite")
            else:
                epoch.setData([], [])
            label.setText(run.label)
            # At the run's end, above the curve there: the axes hold the whole run, so the label is in view.
            x, y = (run.epoch_end, ey) if self.epochs and len(run.epoch_end) else (run.iterations, by)
            ok = np.isfinite(y)
            if ok.any():
                yv = float(y[ok][-1])
                label.setPos(float(x[ok][-1]), np.log10(yv) if log and yv > 0 else yv)
            for item in (batch, epoch, label):
                item.show()

    def remove(self) -> None:
        for items in self._items:
            for item in items:
                self.plot_item.removeItem(item)
        for line in self._marks:
            self.plot_item.removeItem(line)
        self._items.clear()
        self._marks.clear()
        self.marks = ()


class QtRunsList(QWidget):
    """The runs as a list: tick to show, double-click to rename, Remove / Remove all."""

    changed = Signal()

    def __init__(self, model: RunsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget()
        self.list.setAccessibleName("Compared runs")
        self.list.setToolTip("Tick to show a run; double-click to rename it")
        self.list.itemChanged.connect(self._on_item_changed)
        lay.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        self.clear_button = QPushButton("Remove all")
        self.clear_button.clicked.connect(self.remove_all)
        row.addWidget(self.remove_button)
        row.addWidget(self.clear_button)
        lay.addLayout(row)
        self._filling = False

    def refresh(self) -> None:
        """Rebuild the list from the model."""
        self._filling = True
        self.list.clear()
        for k, run in enumerate(self.model):
            item = QListWidgetItem(run.label)
            item.setFlags(item.flags() | Qt.ItemIsEditable | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Checked if run.visible else Qt.Unchecked)
            item.setForeground(pg.mkColor(run_color(k, 255)))
            final = run.final_loss
            item.setToolTip(f"{len(run.iterations)} points" + ("" if final is None else f", final loss {final:.4g}"))
            self.list.addItem(item)
        self._filling = False
        enabled = len(self.model) > 0
        self.remove_button.setEnabled(enabled)
        self.clear_button.setEnabled(enabled)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        if self._filling:
            return
        k = self.list.row(item)
        if not 0 <= k < len(self.model):
            return
        text = item.text().strip()[:MAX_LABEL] or self.model[k].label
        self.model.rename(k, text)
        self.model.set_visible(k, item.checkState() == Qt.Checked)
        if item.text() != text:
            self._filling = True
            item.setText(text)
            self._filling = False
        self.changed.emit()

    def remove_selected(self) -> None:
        k = self.list.currentRow()
        if 0 <= k < len(self.model):
            self.model.remove(k)
            self.refresh()
            self.changed.emit()

    def remove_all(self) -> None:
        if len(self.model):
            self.model.clear()
            self.refresh()
            self.changed.emit()


class QtComparedRuns(QWidget):
    """The current run's loss beside earlier runs, with the list that manages them.

    Signals
    -------
    changed : the runs changed (added, hidden, renamed, removed, or loaded with a file).
    edited : the learner's runs changed — kept, hidden, renamed or removed, not loaded — so the state differs
        from its file (the window marks it unsaved).
    """

    changed = Signal()
    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = RunsModel()
        self._overlays: list[tuple[RunsOverlay, bool]] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        split = QSplitter(Qt.Horizontal)
        lay.addWidget(split)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.plot = pg.PlotWidget(background="w", axisItems=plain_axes(x_integer=True))
        self.plot.setAccessibleName("Compared runs plot")
        pi = self.plot.getPlotItem()
        style_plot(pi, x_min=0, y_min=0)
        pi.setLabel("bottom", "iteration")
        pi.setLabel("left", "loss")
        self.batch_curve = self.plot.plot([], [], pen=pg.mkPen(CURRENT_BATCH, width=1))
        self.epoch_curve = self.plot.plot([], [], pen=pg.mkPen(CURRENT_EPOCH, width=2))
        self.batch_curve.setZValue(-5)  # under the earlier runs (-2); the current training loss on top
        self.legend = lg = legend_above(pi, columns=3)
        lg.addItem(self.batch_curve, "batch loss")
        lg.addItem(self.epoch_curve, "training loss (per epoch)")
        self.earlier_sample = pg.PlotDataItem(pen=pg.mkPen(run_color(0, 160), width=2))
        lg.addItem(self.earlier_sample, "earlier runs")
        self.log_box = QCheckBox("Log scale")
        self.log_box.toggled.connect(self._on_log_toggled)
        ll.addWidget(self.plot, 1)
        ll.addWidget(self.log_box)
        split.addWidget(left)
        self.list = QtRunsList(self.model)
        self.list.changed.connect(self._on_list_changed)
        split.addWidget(self.list)
        split.setSizes([480, 180])
        self.log = SettingsLog()  # the current run's settings and where they changed
        self.overlay = self.attach(pi, own=True)
        self._sim = None
        self._dirty = False  # the current run changed while this view was hidden
        # The axes fit the current run and every shown run, set here rather than by pyqtgraph's auto range
        # (which ignored a run being hidden); a zoom or pan by hand stops that until "A" is clicked.
        self._follow = True
        pi.vb.disableAutoRange()
        pi.vb.sigRangeChangedManually.connect(self._on_range_changed_manually)
        pi.vb.sigStateChanged.connect(self._on_view_state_changed)
        self.list.refresh()

    def attach(self, plot_item: pg.PlotItem, *, own: bool = False, epochs: bool = True) -> RunsOverlay:
        """Also draw the earlier runs on *plot_item* (e.g. the main loss plot; *epochs*: with their per-epoch
        training loss)."""
        ov = RunsOverlay(plot_item, epochs=epochs)
        self._overlays.append((ov, own))
        ov.set_runs(self.model, self.log_box.isChecked() if own else False)
        ov.set_marks(self.log.marks)
        return ov

    # -- the current run's setting changes -----------------------------------------------------------
    def note_settings(self, iteration: int, settings) -> SettingMark | None:
        """The settings are now *settings* after *iteration* iterations (any change: an edit, its undo, a step
        back across it): the marks follow, and a new mark is returned (see :class:`SettingsLog`)."""
        mark = self.log.note(iteration, settings)
        self._redraw_marks()
        return mark

    def restart_log(self, settings) -> None:
        """A new run starts with *settings* (after a re-initialise, a reset or opening a file): no marks."""
        self.log.restart(settings)
        self._redraw_marks()

    def _redraw_marks(self) -> None:
        for ov, _own in self._overlays:
            ov.set_marks(self.log.marks)

    # -- runs ----------------------------------------------------------------------------------------
    def add_run(self, record: RunRecord) -> None:
        self.model.add(record)
        self._runs_changed()
        self.edited.emit()

    def capture(self, sim, settings_now, init_then: dict | None = None, init_now: dict | None = None) -> None:
        """Keep *sim*'s history as an earlier run (call just before re-initialise, reset or a settings change)."""
        if self.model.capture(sim, settings_now, init_then, init_now) is not None:
            self._runs_changed()
            self.edited.emit()

    def to_list(self) -> list[dict]:
        """The runs for the state file (``history.runs``)."""
        return self.model.to_list()

    def load_list(self, items) -> None:
        """Replace the runs with those of a state file; ConfigError (nothing changes) if invalid."""
        model = RunsModel.from_list(items)
        self.model.runs[:] = model.runs
        self._runs_changed()

    def _runs_changed(self) -> None:
        self.list.refresh()
        self._redraw_overlays()
        self.changed.emit()

    def _on_list_changed(self) -> None:
        self._redraw_overlays()
        self.changed.emit()
        self.edited.emit()

    def _redraw_overlays(self) -> None:
        for ov, own in self._overlays:
            ov.set_runs(self.model, self.log_box.isChecked() if own else False)
        self.fit()

    def _on_log_toggled(self, on: bool) -> None:
        self.plot.setLogMode(y=on)
        self._redraw_overlays()
        if self._sim is not None:
            self.update_from(self._sim)

    # -- the axes -------------------------------------------------------------------------------------------
    def fit(self) -> None:
        """Fit the axes to the current run's curves and the shown runs (unless zoomed or panned by hand)."""
        if not self._follow:
            return
        log = self.log_box.isChecked()
        ext = runs_extent(self.model)
        x1, ys = (ext[0], list(ext[1:])) if ext else (0.0, [])
        if log:  # the curves' shown data below are log10 already
            ys = [float(np.log10(v)) for v in ys if v > 0]
        for curve in (self.batch_curve, self.epoch_curve):
            x, y = curve.getData()
            if x is not None and len(x):
                x1 = max(x1, float(np.nanmax(x)))
                ys += [float(np.nanmin(y)), float(np.nanmax(y))] if np.isfinite(y).any() else []
        vb = self.plot.getPlotItem().vb
        ys = [v for v in ys if np.isfinite(v)]
        if log:  # the view's y is log10 of the loss
            lo, hi = (min(ys), max(ys)) if ys else (-1.0, 0.0)
            y_range = (lo - 0.1, hi + 0.1)
        else:
            hi = max(ys) if ys else 1.0
            y_range = (0.0, hi * 1.08 if hi > 0 else 1.0)
        vb.setRange(xRange=(0, max(x1, 10.0)), yRange=y_range, padding=0.02)

    def _on_range_changed_manually(self, *args) -> None:
        self._follow = False

    def _on_view_state_changed(self, *args) -> None:
        vb = self.plot.getPlotItem().vb
        if any(vb.autoRangeEnabled()):  # pyqtgraph's "A" button: follow the data again
            vb.disableAutoRange()
            self._follow = True
            self.fit()

    # -- the current run -------------------------------------------------------------------------------
    def request_update(self, sim) -> None:
        """Redraw the current run from *sim* now if this view is shown, else when it is next shown."""
        self._sim = sim
        if on_screen(self):
            self.update_from(sim)
        else:
            self._dirty = True

    def catch_up(self) -> None:
        """Redraw what was skipped while this view could not be seen (its tab was brought to the front)."""
        if self._dirty and self._sim is not None:
            self._dirty = False
            self.update_from(self._sim)

    def showEvent(self, ev) -> None:
        super().showEvent(ev)
        self.catch_up()

    def update_from(self, sim) -> None:
        """Redraw the current run's curves from *sim*'s history."""
        self._sim = sim
        self._dirty = False
        log = self.log_box.isChecked()
        x, y = sim.batch_loss.points()  # a long history's reduced part as its min/max polyline
        xd, yd = decimate(x, y, 3000)
        ex, ey = decimate(*sim.history.epoch_points(sim.epoch_loss), 3000)
        if log:
            yd, ey = np.where(yd > 0, yd, np.nan), np.where(ey > 0, ey, np.nan)
        self.batch_curve.setData(xd, yd, connect="finite")
        self.epoch_curve.setData(ex, ey, connect="finite")
        self.fit()
