"""The main window: diagram in the middle, equations, loss plot and training docks around it.

All actions are QActions (menu, toolbar, shortcut, tooltip showing the shortcut), made in
:mod:`.window_actions`, and each calls one controller method (or a view's own zoom/copy).  The window asks before
discarding unsaved changes, remembers its geometry, dock layout, recent files and precision (QSettings), shows the
controller's errors as dialogs and its messages in the status bar, and tells the controller when a held key repeats
so that redraws coalesce.
"""
from __future__ import annotations

import os
import time
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QIcon, QPixmap
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QScrollArea,
    QStyle,
    QWidget,
)

from backprop_lab.core import load_example

from . import accessibility, dialogs, gc_guard, long_work
from .controller import SimulationController
from .data_dock import install_data_features
from .diagram import QtNetworkDiagram
from .dialogs import shortcuts_dialog, show_about, show_gradient_check
from .dock_sizes import DockSizes
from .equations import QtEquationsPanel
from .export_menu import install_export_menu
from .insight_docks import install_insight_features
from .loss_plot import TEXT_INTERVAL, QtLossPlot
from .plain_text import plain_tooltip
from .teach_features import install_teach_features
from .text_widgets import QtStatusBar, QtTextLine
from .training_panel import QtTrainingPanel
from .view_state import RedrawOnce, ViewState
from .window_actions import WindowActions

#: After a simulation is opened (or the window shown), this long before the long-lived objects are frozen.
SETTLE_MS = 500

FILE_FILTER = "Backprop Lab states (*.json);;All files (*)"
MAX_RECENT = 8
#: The least width of the Training and Data docks: narrower, their labels and fields are cut to a few letters.
DOCK_MIN_WIDTH = 180
#: The diagram's least width (its own minimum, 420, left the Training dock 55 px in an 800 px window).
DIAGRAM_MIN_WIDTH = 300
#: The least width of each of the first status-bar fields (they elide below their full text).
STATUS_MIN_WIDTH = 110


def app_icon() -> QIcon:
    # The 256 px PNG is enough for a window icon; decoding the SVG would load the SVG
    # image plugin at start-up (the SVG is for the desktop menu).
    pm = QPixmap()
    pm.loadFromData((resources.files("backprop_lab.resources") / "icons" / "backprop-lab.png").read_bytes())
    return QIcon(pm)


class MainWindow(WindowActions, QMainWindow):
    def __init__(self, controller: SimulationController | None = None, settings: QSettings | None = None) -> None:
        super().__init__()
        self.controller = c = controller or SimulationController(parent=self)
        if c.parent() is None:
            c.setParent(self)
        self.settings = settings or QSettings()
        self.setWindowIcon(app_icon())
        self.setObjectName("MainWindow")
        self.setDockNestingEnabled(True)

        self.diagram = QtNetworkDiagram(c)
        # The diagram scales itself to any size; 300 px leaves a small window (800 px) room for usable docks.
        self.diagram.setMinimumWidth(DIAGRAM_MIN_WIDTH)
        self.setCentralWidget(self.diagram)
        self.equations = QtEquationsPanel(c)
        self.loss_plot = QtLossPlot(c)
        self.training = QtTrainingPanel(c)
        self.equations_dock = self._dock("Equations", "equations", self.equations, Qt.RightDockWidgetArea)
        # The plot keeps a readable height (MIN_PLOT_HEIGHT); a squeezed dock scrolls rather than flattening it.
        loss_scroll = QScrollArea()
        loss_scroll.setWidget(self.loss_plot)
        loss_scroll.setWidgetResizable(True)
        loss_scroll.setFrameShape(QScrollArea.NoFrame)
        self.plot_dock = self._dock("Loss", "loss", loss_scroll, Qt.BottomDockWidgetArea)
        scroll = QScrollArea()
        scroll.setWidget(self.training)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        # A short window scrolls the panel up and down; it is never narrower than the panel and its scroll bar
        # (narrower, it scrolled sideways too and cut every line of the description at the right).
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        bar = self.style().pixelMetric(QStyle.PM_ScrollBarExtent)
        scroll.setMinimumWidth(max(DOCK_MIN_WIDTH, self.training.minimumSizeHint().width() + bar + 2))
        self.training_dock = self._dock("Training", "training", scroll, Qt.LeftDockWidgetArea)

        self._make_actions()
        self._make_menus()
        self._make_toolbar()
        self._make_statusbar()
        install_data_features(self)  # the Data dock, New Network…, Import CSV…, structure editing
        install_insight_features(self)  # input space, loss landscape, compared runs (issue #13)
        self._let_status_fields_give_way()

        self._redraw = RedrawOnce(self)
        self._status_time = self._progress_time = 0.0
        self._settle_timer = QTimer(self)
        self._settle_timer.setSingleShot(True)
        self._settle_timer.setInterval(SETTLE_MS)
        self._settle_timer.timeout.connect(gc_guard.settle)
        self._connect_controller(c)

        self.dock_sizes = DockSizes(self)
        self.resize(1400, 880)
        self.resizeDocks([self.training_dock, self.equations_dock], [260, 470], Qt.Horizontal)
        self.resizeDocks([self.plot_dock], [220], Qt.Vertical)
        self._restore_settings()
        install_teach_features(self)  # practice mode, Compare, Getting Started (issue #14)
        install_export_menu(self)     # File ▸ Export
        self._on_file_changed(c.path or "")
        self._redraw.redraw(c.state, "status", "actions", "display")
        accessibility.install(self)  # names and tooltips for every control; the diagram's keyboard cursor

    # -- construction ----------------------------------------------------------------------------
    def _connect_controller(self, c: SimulationController) -> None:
        c.error.connect(self._on_error)
        c.message.connect(self._on_message)
        c.message_ended.connect(self._on_message_ended)
        for sig in (c.parameters_changed, c.history_changed, c.cursor_moved, c.settings_changed):
            sig.connect(self._on_engine_changed)
        c.simulation_replaced.connect(self._on_simulation_replaced)
        c.display_changed.connect(self._on_display_changed)
        c.dirty_changed.connect(self._on_dirty_changed)
        c.file_changed.connect(self._on_file_changed)
        c.run_started.connect(self._on_run_started)
        c.run_progress.connect(self._on_run_progress)
        c.run_finished.connect(self._on_run_finished)
        c.gradient_checked.connect(self._on_gradient_checked)

    def _dock(self, title: str, name: str, widget: QWidget, area) -> QDockWidget:
        d = QDockWidget(title, self)
        d.setObjectName(f"{name}_dock")
        d.setWidget(widget)
        self.addDockWidget(area, d)
        return d

    def _make_statusbar(self) -> None:
        sb = QtStatusBar(self)
        self.setStatusBar(sb)
        # Fixed-size text widgets: these change on every step, and a QLabel would re-lay out the window.
        self.status_iter = QtTextLine("Iteration 10,000,000 · Epoch 1,000,000")
        self.status_iter.setAccessibleName("Iteration and epoch")
        self.status_sample = QtTextLine("Sample #100,000 (10 of 10 in this batch)")
        self.status_loss = QtTextLine("Loss −0.000000000000e−100")
        for w in (self.status_iter, self.status_sample, self.status_loss):
            # As wide as their longest text, but they may give way in a small window: then they elide ("…")
            # instead of being drawn over each other at fixed widths.
            w.setMaximumWidth(w.sizeHint().width())
            sb.addPermanentWidget(w)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.eta = QtTextLine("ETA 100,000.0 s")
        self.eta.setFixedWidth(self.eta.sizeHint().width())
        sb.addPermanentWidget(self.progress)
        sb.addPermanentWidget(self.eta)

    def _let_status_fields_give_way(self) -> None:
        """In a narrow window every status field shrinks and elides ("Iteration 40 · Ep…"), none is drawn over
        another; the accuracy summary (it repeats the Loss dock's line) gives way first."""
        for w in (self.status_iter, self.status_sample, self.status_loss):
            w.setMinimumWidth(min(w.sizeHint().width(), STATUS_MIN_WIDTH))
        summary = getattr(getattr(self, "insight", None), "status_summary", None)
        if summary is not None:
            width = summary.sizeHint().width()
            summary.setMinimumWidth(20)
            summary.setMaximumWidth(width)

    # -- slots -------------------------------------------------------------------------------------
    def _on_engine_changed(self, state: ViewState) -> None:
        self._redraw.redraw(state, "status", "actions")


    def _on_simulation_replaced(self, state: ViewState) -> None:
        self._redraw.redraw(state, "status", "actions", "display")
        self.settle_soon()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.dock_sizes.wanted == {}:  # the first show: the docks' sizes once laid out are the wanted ones
            QTimer.singleShot(0, self.dock_sizes.remember)

    def settle_soon(self) -> None:
        """Once the views are drawn, keep the long-lived objects out of garbage collections (see gc_guard)."""
        self._settle_timer.start()

    def _on_display_changed(self, state: ViewState) -> None:
        self._redraw.redraw(state, "display")
        self.settings.setValue("precision", state.display.precision)

    def _on_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 15000)

    def _on_message_ended(self) -> None:
        if self.statusBar().currentMessage():
            self.statusBar().clearMessage()

    def _on_error(self, title: str, message: str, details: str) -> None:
        self.statusBar().showMessage(f"{title}: {message.splitlines()[0] if message else ''}", 15000)
        # plain text, cut short: the message may quote a file (a key named <img src=...>)
        self.error_box = dialogs.show_plain_warning(self, title, message + (f"\n\n{details}" if details else ""))
        if hasattr(self.error_box, "finished"):
            # Keys go back to this window when the box closes: without a window manager (or with some)
            # nothing is active then, and shortcuts such as Ctrl+N did nothing until a click.
            self.error_box.finished.connect(lambda *_: self.activateWindow())

    def _on_dirty_changed(self, dirty: bool) -> None:
        self.setWindowModified(dirty)

    def _on_file_changed(self, path: str) -> None:
        name = Path(path).name if path else (self.controller.state.name or "Untitled")
        self.setWindowTitle(f"{name}[*] — Backprop Lab")
        self.setWindowModified(self.controller.dirty)
        if path:
            self._add_recent(path)

    def _on_run_started(self) -> None:
        self.statusBar().showMessage("Running…")  # not the last run's "Run finished" any more
        self.progress.setValue(0)
        self.progress.show()
        self._update_actions(self.controller.state)

    def _on_run_progress(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if done < total and now - self._progress_time < TEXT_INTERVAL:
            return
        self._progress_time = now
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)
        eta = self.controller.eta()
        self.eta.setText(f"ETA {eta:,.1f} s" if eta is not None else "")

    def _on_run_finished(self, end) -> None:
        self.progress.hide()
        self.eta.setText("")
        self._update_actions(self.controller.state)

    def _on_gradient_checked(self, result) -> None:
        show_gradient_check(self, result)

    # -- redraw parts ------------------------------------------------------------------------------
    def _update_status(self, state: ViewState) -> None:
        now = time.perf_counter()
        if state.fast_running and now - self._status_time < TEXT_INTERVAL:
            return  # during a fast run, counters a person can read (the run's end is always shown)
        self._status_time = now
        # room for ten times the counters, this many samples and a loss at this precision: a message on the
        # left keeps the rest (room for 10,000,000 iterations and 100,000 samples cut it short at 1000 px)
        it, ep = 10 * max(state.iteration, 99), 10 * max(state.epoch, 99)
        self.status_iter.set_sample(f"Iteration {it:,} · Epoch {ep:,}")
        n, b = f"{state.n_samples:,}", max(state.settings.batch_size, len(state.trace.batch) if state.trace else 0)
        shown = f"Sample #{n} ({b} of {b} in this batch)" if b > 1 else f"Sample #{n} of {n}"
        self.status_sample.set_sample(max(shown, f"Batch of {b} from sample #{n}", key=len))
        self.status_loss.set_sample(f"Loss −8.{'8' * (state.display.precision - 1)}e−100")
        self.status_iter.setText(f"Iteration {state.iteration:,} · Epoch {state.epoch:,}")
        tr = state.trace
        if tr is not None and len(tr.batch):
            # The traced sample's number first, so that cutting the text short never hides it.
            k = state.sample_index
            self.status_sample.setText(f"Sample #{k + 1:,} ({state.sample + 1} of {len(tr.batch)} in this batch)"
                                       if len(tr.batch) > 1 else f"Sample #{k + 1:,} of {state.n_samples:,}")
        else:
            B = min(state.settings.batch_size, state.n_samples - state.position)
            self.status_sample.setText(f"Batch of {B} from sample #{state.position + 1:,}")
        last = state.last_batch_loss
        self.status_loss.setText(f"Loss {state.fmt(last) if last is not None else '–'}")

    def _update_actions(self, state: ViewState) -> None:
        if state.fast_running and not self.act_step.isEnabled():
            return  # during a fast run the actions keep the state set when it started
        idle = not self.controller.running
        self.act_undo.setEnabled(state.can_step_back and idle)
        self.act_back.setEnabled(state.can_step_back and idle)
        self.act_back_into.setEnabled(state.can_step_back and idle and state.traceable)
        self.act_back_to.setEnabled(state.iteration > 0 and idle)
        self.act_redo.setEnabled(state.can_redo and idle)
        self.act_undo.setText(f"&Undo {state.undo_label}" if state.undo_label else "&Undo")
        self.act_redo.setText(f"&Redo {state.redo_label}" if state.redo_label else "&Redo")
        for a in (self.act_step, self.act_reset, self.act_reinit, self.act_grad_check):
            a.setEnabled(idle)
        self.act_step_into.setEnabled(idle and state.traceable)

    def _update_display(self, state: ViewState) -> None:
        d = state.display
        self.edge_actions[d.edge_view].setChecked(True)
        for action, on in ((self.act_log, d.log_scale), (self.act_names, state.edge_names)):
            action.blockSignals(True)  # showing the setting must not write it back
            action.setChecked(on)
            action.blockSignals(False)

    # -- actions ----------------------------------------------------------------------------------
    def step_back_to_dialog(self) -> None:
        it = self.controller.state.iteration
        if it == 0:
            self.controller.say("Already at iteration 0.")
            return
        value, ok = QInputDialog.getInt(self, "Step back to iteration", f"Iteration (0 to {it - 1}):",
                                        max(0, it // 2), 0, it - 1)
        if ok:
            self.controller.step_back_to(value)

    def maybe_save(self) -> bool:
        """Ask Save / Discard / Cancel when there are unsaved changes. True to go on."""
        if not self.controller.dirty:
            return True
        self.controller.pause()
        ans = QMessageBox.question(self, "Unsaved changes",
                                   "The network has changes that are not saved. Save them first?",
                                   QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)
        if ans == QMessageBox.Save:
            return self.save()
        return ans == QMessageBox.Discard

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        start = str(Path(self.controller.path).parent) if self.controller.path else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open state", start, FILE_FILTER)
        if path:
            self.open_file(path)

    def open_file(self, path: str) -> bool:
        return long_work.open_file(self, path)  # a large file off the GUI thread

    def open_example(self, key: str) -> None:
        if self.maybe_save():
            self.controller.open_example(key)

    def save(self) -> bool:
        if not self.controller.path:
            return self.save_as()
        return long_work.save(self)

    def save_as(self) -> bool:
        c = self.controller
        stem = (c.state.name or "network").split(" (")[0].replace(" ", "-").lower()
        suggested = c.path or str(Path.home() / (stem + ".json"))
        path, _ = QFileDialog.getSaveFileName(self, "Save state as", suggested, FILE_FILTER)
        if not path:
            return False
        if not Path(path).suffix:
            path += ".json"
        return long_work.save(self, path)

    def show_shortcuts(self) -> None:
        self.shortcuts_dialog = shortcuts_dialog(self, self.findChildren(QAction))
        self.shortcuts_dialog.open()

    def show_about(self) -> None:
        show_about(self)

    # -- recent files and settings -------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        v = self.settings.value("recent_files", [])
        if isinstance(v, str):
            v = [v]
        return [p for p in (v or []) if isinstance(p, str)]

    def _add_recent(self, path: str) -> None:
        path = os.path.abspath(path)
        files = [path] + [p for p in self.recent_files() if p != path]
        self.settings.setValue("recent_files", files[:MAX_RECENT])
        self._update_recent_menu()

    def _update_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        for p in files:
            a = self.recent_menu.addAction(Path(p).name.replace("&", "&&"))  # a name's & is not a mnemonic
            a.setToolTip(plain_tooltip(p))
            a.triggered.connect(lambda _=False, path=p: self.maybe_save() and self.open_file(path))
        self.recent_menu.setEnabled(bool(files))

    def _restore_settings(self) -> None:
        geo = self.settings.value("geometry")
        if isinstance(geo, QByteArray):
            self.restoreGeometry(geo)
        state = self.settings.value("window_state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        prec = self.settings.value("precision")
        try:
            if prec is not None:
                self.controller.set_precision(int(prec))
        except (TypeError, ValueError):
            pass

    def event(self, event) -> bool:
        # Before Qt triggers a shortcut it offers the key to the focus widget as a ShortcutOverride, which
        # travels up to the window when nobody takes it; a held key says there that it repeats.  While it
        # does, the controller coalesces redraws instead of queueing one per press.
        if event.type() == QEvent.ShortcutOverride and event.isAutoRepeat():
            self.controller.set_coalescing(True)
        return super().event(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.dock_sizes.window_resized(event.oldSize(), event.size())  # squeezed docks get their sizes back
        # A shrunk window squeezes the Training dock; once there is room again, give it back the width of its
        # panel (Qt otherwise keeps the squeezed width and the fields stay cut off).
        scroll = self.training_dock.widget()
        need = max(self.training.minimumWidth(), self.training.minimumSizeHint().width()) + \
            scroll.verticalScrollBar().sizeHint().width() + 4
        if not self.training_dock.isFloating() and self.training_dock.isVisible() and scroll.width() < need \
                and event.size().width() > event.oldSize().width() > 0:
            self.resizeDocks([self.training_dock], [need], Qt.Horizontal)

    def closeEvent(self, event) -> None:
        try:
            go_on = self.maybe_save()
        except BaseException:
            event.ignore()  # whatever failed, closing never proceeds after a failed save
            raise
        if not go_on:
            event.ignore()
            return
        self.controller.pause()
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState())
        self.settings.setValue("precision", self.controller.precision)
        self.settings.sync()
        event.accept()


def create_main_window(path: str | None = None, settings: QSettings | None = None) -> MainWindow:
    """The window on *path*, or on the worked example; a bad file is reported and the example opened."""
    win = MainWindow(SimulationController(load_example("mazur")), settings=settings)
    if path:
        if not win.controller.open(path):
            win.controller.message.emit(f"Could not open {path}; showing the worked example instead.")
    return win
