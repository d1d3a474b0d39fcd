"""The main window: diagram in the middle, equations, loss plot and training docks around it.

All actions are QActions (menu, toolbar, shortcut, tooltip showing the
shortcut).  The window asks before discarding unsaved changes, remembers its
geometry, dock layout, recent files and precision (QSettings), and shows a
clear dialog instead of a traceback when something goes wrong.
"""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QIcon, QKeySequence, QPixmap
from PySide6.QtWidgets import (QApplication, QDialog, QDialogButtonBox, QDockWidget, QFileDialog, QInputDialog, QLabel,
                               QMainWindow, QMessageBox, QProgressBar, QScrollArea, QTextBrowser, QVBoxLayout, QWidget)

from backprop_lab.core import Simulation, StateFileError, load_example
from backprop_lab.core.statefile import EXAMPLES

from .app import version
from .controller import SimulationController
from .diagram import QtNetworkDiagram
from .equations import QtEquationsPanel
from .loss_plot import QtLossPlot
from .training_panel import QtTrainingPanel

FILE_FILTER = "Backprop Lab states (*.json);;All files (*)"
MAX_RECENT = 8


def app_icon() -> QIcon:
    # The 256 px PNG is enough for a window icon; decoding the SVG would load the SVG
    # image plugin at start-up (the SVG is for the desktop menu).
    pm = QPixmap()
    pm.loadFromData((resources.files("backprop_lab.resources") / "icons" / "backprop-lab.png").read_bytes())
    return QIcon(pm)


class MainWindow(QMainWindow):
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
        self.setCentralWidget(self.diagram)
        self.equations = QtEquationsPanel(c)
        self.loss_plot = QtLossPlot(c)
        self.training = QtTrainingPanel(c)
        self.equations_dock = self._dock("Equations", "equations", self.equations, Qt.RightDockWidgetArea)
        self.plot_dock = self._dock("Loss", "loss", self.loss_plot, Qt.BottomDockWidgetArea)
        scroll = QScrollArea()
        scroll.setWidget(self.training)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        self.training_dock = self._dock("Training", "training", scroll, Qt.LeftDockWidgetArea)

        self._make_actions()
        self._make_menus()
        self._make_toolbar()
        self._make_statusbar()

        c.error.connect(self._on_error)
        c.message.connect(self._on_message)
        c.state_changed.connect(self._on_state_changed)
        c.computation_stepped.connect(self._on_state_changed)
        c.dirty_changed.connect(self._on_dirty_changed)
        c.file_changed.connect(self._on_file_changed)
        c.run_started.connect(self._on_run_started)
        c.run_progress.connect(self._on_run_progress)
        c.run_finished.connect(self._on_run_finished)
        c.display_changed.connect(self._on_display_changed)

        self.resize(1400, 880)
        self.resizeDocks([self.training_dock, self.equations_dock], [270, 520], Qt.Horizontal)
        self.resizeDocks([self.plot_dock], [220], Qt.Vertical)
        self._restore_settings()
        self._on_file_changed(c.path or "")
        self._on_state_changed()

    # -- construction ----------------------------------------------------------------------------
    def _dock(self, title: str, name: str, widget: QWidget, area) -> QDockWidget:
        d = QDockWidget(title, self)
        d.setObjectName(f"{name}_dock")
        d.setWidget(widget)
        self.addDockWidget(area, d)
        return d

    def _action(self, text: str, slot, shortcut=None, tip: str = "", checkable: bool = False) -> QAction:
        a = QAction(text, self)
        if shortcut:
            seqs = shortcut if isinstance(shortcut, list) else [shortcut]
            a.setShortcuts([QKeySequence(s) for s in seqs])
            a.setShortcutContext(Qt.ApplicationShortcut)
        name = text.replace("&", "").replace("…", "")
        keys = ", ".join(s.toString(QKeySequence.NativeText) for s in a.shortcuts())
        a.setToolTip(f"{tip or name} ({keys})" if keys else (tip or name))
        a.setStatusTip(tip or name)
        a.setCheckable(checkable)
        a.triggered.connect(slot)
        self.addAction(a)
        return a

    def _make_actions(self) -> None:
        c = self.controller
        self.act_open = self._action("&Open…", self.open_dialog, QKeySequence.Open, "Open a state file")
        self.act_save = self._action("&Save", self.save, QKeySequence.Save, "Save the current state")
        self.act_save_as = self._action("Save &As…", self.save_as, "Ctrl+Shift+S", "Save to a new file")
        self.act_quit = self._action("&Quit", self.close, "Ctrl+Q", "Quit Backprop Lab")
        self.act_undo = self._action("&Undo", c.undo, QKeySequence.Undo, "Undo the last iteration or edit (same as Step back)")
        self.act_redo = self._action("&Redo", c.redo, ["Ctrl+Shift+Z", "Ctrl+Y"], "Redo what was undone")
        self.act_copy_text = self._action("Copy Equations as &Text", self.equations.copy_plain, "Ctrl+Shift+C",
                                          "Copy this iteration's equations (or the selection's) as text")
        self.act_copy_latex = self._action("Copy Equations as &LaTeX", self.equations.copy_as_latex, "Ctrl+Shift+L",
                                           "Copy this iteration's equations (or the selection's) as LaTeX")
        self.act_step_into = self._action("Step &Into", c.step_into, "F11", "Perform the next single computation")
        self.act_step = self._action("&Step", c.step, "F10", "Finish this iteration, or perform one full iteration")
        self.act_back = self._action("Step &Back", c.step_back, "Shift+F10", "Undo the last full iteration or edit, exactly")
        self.act_back_into = self._action("Step Back I&nto", c.step_back_into, "Shift+F11", "Undo one computation")
        self.act_back_to = self._action("Step Back &to Iteration…", self.step_back_to_dialog, "Ctrl+B",
                                        "Go back to an earlier iteration exactly (or double-click the loss plot)")
        self.act_run = self._action("&Run / Pause", self.toggle_run, "F5", "Run the chosen number of epochs, or pause")
        self.act_reset = self._action("Rese&t", c.reset, "Ctrl+R", "Back to the state the file was opened with")
        self.act_reinit = self._action("Re-&initialise Weights", self.training._on_reinit_clicked, "Ctrl+I",
                                       "Draw new weights with the scheme and seed in the Training panel")
        self.act_fit = self._action("&Fit to Window", self.diagram.fit, "Ctrl+0", "Show the whole network")
        self.act_zoom_in = self._action("Zoom &In", lambda: self.diagram.zoom(1.25), QKeySequence.ZoomIn, "Zoom in")
        self.act_zoom_out = self._action("Zoom &Out", lambda: self.diagram.zoom(0.8), QKeySequence.ZoomOut, "Zoom out")
        self.act_log = self._action("&Log Scale", lambda on: self.loss_plot.log_box.setChecked(on), "L",
                                    "Logarithmic loss axis", checkable=True)
        self.loss_plot.log_box.toggled.connect(self.act_log.setChecked)
        self.act_grad_check = self._action("&Gradient Check", self.gradient_check, "Ctrl+G",
                                           "Compare backpropagation with finite differences on the next batch")
        self.edge_group = QActionGroup(self)
        self.edge_actions = {}
        for key, text, sc in (("weight", "Show &Weights", "Ctrl+1"), ("gradient", "Show &Gradients ∂E/∂w", "Ctrl+2"),
                              ("delta", "Show Last &Updates Δw", "Ctrl+3")):
            a = self._action(text, lambda _=False, k=key: c.set_edge_view(k), sc, f"Edges show {text.split()[-1]}",
                             checkable=True)
            self.edge_group.addAction(a)
            self.edge_actions[key] = a
        self.edge_actions[c.edge_view].setChecked(True)
        self.act_shortcuts = self._action("&Keyboard Shortcuts", self.show_shortcuts, QKeySequence.HelpContents,
                                          "List every keyboard shortcut")
        self.act_about = self._action("&About Backprop Lab", self.show_about, None, "Version and credits")

    def _make_menus(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        new = m.addMenu("&New from Example")
        new.setToolTipsVisible(True)
        for key, (_, title) in EXAMPLES.items():
            a = new.addAction(title)
            a.triggered.connect(lambda _=False, k=key: self.open_example(k))
        m.addAction(self.act_open)
        self.recent_menu = m.addMenu("Open &Recent")
        m.addSeparator()
        m.addAction(self.act_save)
        m.addAction(self.act_save_as)
        m.addSeparator()
        m.addAction(self.act_quit)
        e = mb.addMenu("&Edit")
        e.addAction(self.act_undo)
        e.addAction(self.act_redo)
        e.addSeparator()
        e.addAction(self.act_copy_text)
        e.addAction(self.act_copy_latex)
        s = mb.addMenu("&Iteration")
        for a in (self.act_step_into, self.act_step, self.act_back_into, self.act_back, self.act_back_to, self.act_run):
            s.addAction(a)
        n = mb.addMenu("&Network")
        n.addAction(self.act_reset)
        n.addAction(self.act_reinit)
        n.addAction(self.act_grad_check)
        v = mb.addMenu("&View")
        for a in self.edge_actions.values():
            v.addAction(a)
        v.addSeparator()
        for a in (self.act_fit, self.act_zoom_in, self.act_zoom_out, self.act_log):
            v.addAction(a)
        v.addSeparator()
        for d in (self.training_dock, self.equations_dock, self.plot_dock):
            v.addAction(d.toggleViewAction())
        h = mb.addMenu("&Help")
        h.addAction(self.act_shortcuts)
        h.addAction(self.act_about)
        self._update_recent_menu()

    def _make_toolbar(self) -> None:
        tb = self.addToolBar("Controls")
        tb.setObjectName("controls_toolbar")
        tb.setToolButtonStyle(Qt.ToolButtonTextOnly)
        for a in (self.act_step_into, self.act_step, self.act_back_into, self.act_back):
            tb.addAction(a)
        tb.addSeparator()
        tb.addAction(self.act_run)
        tb.addAction(self.act_reset)
        tb.addSeparator()
        for a in self.edge_actions.values():
            tb.addAction(a)
        tb.addSeparator()
        tb.addAction(self.act_fit)

    def _make_statusbar(self) -> None:
        sb = self.statusBar()
        self.status_iter = QLabel()
        self.status_iter.setAccessibleName("Iteration and epoch")
        self.status_sample = QLabel()
        self.status_loss = QLabel()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.eta = QLabel()
        for w in (self.status_iter, self.status_sample, self.status_loss):
            w.setStyleSheet("padding: 0 8px;")
            sb.addPermanentWidget(w)
        sb.addPermanentWidget(self.progress)
        sb.addPermanentWidget(self.eta)

    # -- status -----------------------------------------------------------------------------------
    def _on_state_changed(self, *args) -> None:
        c = self.controller
        sim = c.sim
        self.status_iter.setText(f"Iteration {sim.iteration:,} · Epoch {sim.epoch:,}")
        B = min(sim.settings.batch_size, sim.n_samples - sim.position)
        tr = c.trace
        if tr is not None and len(tr.batch):
            first = int(tr.batch[0])
            self.status_sample.setText(f"Sample {c.sample + 1} of {len(tr.batch)} in batch (#{first + 1}…)"
                                       if len(tr.batch) > 1 else f"Sample #{first + 1} of {sim.n_samples}")
        else:
            self.status_sample.setText(f"Batch of {B} from sample #{sim.position + 1}")
        n = sim.batch_loss.n
        last = c._fmt(sim.batch_loss.view()[-1]) if n else "–"
        self.status_loss.setText(f"Loss {last}")
        if not c.fast_running:  # during a fast run the actions keep the state set when it started
            self._update_actions()

    def _update_actions(self) -> None:
        c = self.controller
        sim = c.sim
        self.act_undo.setEnabled(sim.can_step_back() and not c.running)
        self.act_back.setEnabled(sim.can_step_back() and not c.running)
        self.act_back_into.setEnabled(sim.can_step_back() and not c.running and c.traceable)
        self.act_back_to.setEnabled(sim.iteration > 0 and not c.running)
        self.act_redo.setEnabled(sim.can_redo() and not c.running)
        self.act_undo.setText(f"&Undo {sim.undo_label}" if sim.undo_label else "&Undo")
        self.act_redo.setText(f"&Redo {sim.redo_label}" if sim.redo_label else "&Redo")
        for a in (self.act_step, self.act_step_into, self.act_reset, self.act_reinit, self.act_grad_check):
            a.setEnabled(not c.running)
        self.act_step_into.setEnabled(not c.running and c.traceable)

    def _on_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 15000)

    def _on_error(self, title: str, text: str) -> None:
        self.statusBar().showMessage(f"{title}: {text.splitlines()[0]}", 15000)
        QMessageBox.warning(self, title, text)

    def _on_dirty_changed(self, dirty: bool) -> None:
        self.setWindowModified(dirty)

    def _on_file_changed(self, path: str) -> None:
        name = Path(path).name if path else (self.controller.sim.name or "Untitled")
        self.setWindowTitle(f"{name}[*] — Backprop Lab")
        self.setWindowModified(self.controller.dirty)
        if path:
            self._add_recent(path)

    def _on_run_started(self) -> None:
        self.progress.setValue(0)
        self.progress.show()
        self._on_state_changed()
        self._update_actions()

    def _on_run_progress(self, done: int, total: int) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)
        eta = self.controller.eta()
        self.eta.setText(f"ETA {eta:,.1f} s" if eta is not None else "")

    def _on_run_finished(self, info) -> None:
        self.progress.hide()
        self.eta.setText("")
        self._on_state_changed()
        self._update_actions()

    def _on_display_changed(self) -> None:
        self.edge_actions[self.controller.edge_view].setChecked(True)
        self.settings.setValue("precision", self.controller.precision)

    # -- actions ----------------------------------------------------------------------------------
    def toggle_run(self) -> None:
        if self.controller.running:
            self.controller.pause()
        else:
            self.controller.run(self.training.epochs.value())

    def step_back_to_dialog(self) -> None:
        it = self.controller.sim.iteration
        if it == 0:
            self.controller.message.emit("Already at iteration 0.")
            return
        value, ok = QInputDialog.getInt(self, "Step back to iteration", f"Iteration (0 to {it - 1}):",
                                        max(0, it // 2), 0, it - 1)
        if ok:
            self.controller.step_back_to(value)

    def gradient_check(self) -> None:
        gc = self.controller.sim.gradient_check()
        lines = [f"Layer {l + 1}: max relative error {e:.2e}" for l, e in enumerate(gc.per_layer)]
        verdict = "Backpropagation agrees with finite differences." if gc.max_error < 1e-5 else \
            "Some gradients differ from finite differences (kinks of ReLU or saturated units can cause this)."
        QMessageBox.information(self, "Gradient check", verdict + "\n\n" + "\n".join(lines))

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
        return self.controller.open(path)

    def open_example(self, key: str) -> None:
        if self.maybe_save():
            self.controller.open_example(key)

    def save(self) -> bool:
        if not self.controller.path:
            return self.save_as()
        return self.controller.save()

    def save_as(self) -> bool:
        c = self.controller
        suggested = c.path or str(Path.home() / ((c.sim.name or "network").split(" (")[0].replace(" ", "-").lower() + ".json"))
        path, _ = QFileDialog.getSaveFileName(self, "Save state as", suggested, FILE_FILTER)
        if not path:
            return False
        if not Path(path).suffix:
            path += ".json"
        return c.save(path)

    def show_shortcuts(self) -> None:
        rows = []
        for a in self.findChildren(QAction):
            keys = ", ".join(s.toString(QKeySequence.NativeText) for s in a.shortcuts())
            if keys and a.text():
                rows.append(f"<tr><td><b>{keys}</b></td><td>{a.text().replace('&', '')}</td>"
                            f"<td style='color:#566573'>{a.statusTip()}</td></tr>")
        rows.append("<tr><td><b>Double-click</b></td><td>Edit a weight or bias</td><td></td></tr>")
        rows.append("<tr><td><b>Wheel / drag</b></td><td>On the selected weight: scrub it</td>"
                    "<td style='color:#566573'>Ctrl+wheel for steps of 0.1, Shift+drag for fine steps</td></tr>")
        rows.append("<tr><td><b>Wheel / drag</b></td><td>Elsewhere: zoom / pan the diagram</td><td></td></tr>")
        dlg = QDialog(self)
        dlg.setWindowTitle("Keyboard shortcuts")
        lay = QVBoxLayout(dlg)
        b = QTextBrowser()
        b.setHtml("<table cellspacing=4>" + "".join(sorted(set(rows), key=rows.index)) + "</table>")
        lay.addWidget(b)
        bb = QDialogButtonBox(QDialogButtonBox.Close)
        bb.rejected.connect(dlg.reject)
        lay.addWidget(bb)
        dlg.resize(640, 520)
        self.shortcuts_dialog = dlg
        dlg.open()

    def show_about(self) -> None:
        QMessageBox.about(self, "About Backprop Lab",
                          f"<h3>Backprop Lab {version()}</h3><p>Learn backpropagation by doing it: edit the "
                          "weights, step through every forward and backward computation with your own numbers, "
                          "and step back out of any update.</p><p>The worked example follows Matt Mazur's "
                          "“A Step by Step Backpropagation Example”.</p>")

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
            a = self.recent_menu.addAction(Path(p).name)
            a.setToolTip(p)
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

    def closeEvent(self, event) -> None:
        if not self.maybe_save():
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
