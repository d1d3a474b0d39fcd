"""The main window's actions, menus and toolbar: each QAction calls one controller method (or a view's own)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMenu

from backprop_lab.core import EXAMPLES

from . import long_work

if TYPE_CHECKING:  # the views' modules are the window's to import; here they only name types
    from .controller import SimulationController
    from .diagram import QtNetworkDiagram
    from .equations import QtEquationsPanel


class WindowActions:
    """The actions of :class:`~backprop_lab.gui.main_window.MainWindow` and where they show (a mixin of it).

    Every action's tooltip names its shortcuts, and every shortcut works wherever the focus is in the window
    (``Qt.ApplicationShortcut``); the insight, data, teaching and export features add theirs through
    :meth:`_action` too.
    """

    controller: SimulationController
    diagram: QtNetworkDiagram
    equations: QtEquationsPanel
    training_dock: QDockWidget
    equations_dock: QDockWidget
    plot_dock: QDockWidget
    recent_menu: QMenu
    open_dialog: Callable[[], None]
    open_example: Callable[[str], None]
    save: Callable[[], bool]
    save_as: Callable[[], bool]
    step_back_to_dialog: Callable[[], None]
    show_shortcuts: Callable[[], None]
    show_about: Callable[[], None]
    _update_recent_menu: Callable[[], None]

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
        self.act_undo = self._action("&Undo", c.undo, QKeySequence.Undo,
                                     "Undo the last iteration or edit (same as Step back)")
        self.act_redo = self._action("&Redo", c.redo, ["Ctrl+Shift+Z", "Ctrl+Y"], "Redo what was undone")
        self.act_copy_text = self._action("Copy Equations as &Text", self.equations.copy_plain, "Ctrl+Shift+C",
                                          "Copy this iteration's equations (or the selection's) as text")
        self.act_copy_latex = self._action("Copy Equations as &LaTeX", self.equations.copy_as_latex, "Ctrl+Shift+L",
                                           "Copy this iteration's equations (or the selection's) as LaTeX")
        self.act_step_into = self._action("Step &Into", c.step_into, "F11", "Perform the next single computation")
        self.act_step = self._action("&Step", c.step, "F10", "Finish this iteration, or perform one full iteration")
        self.act_back = self._action("Step &Back", c.step_back, "Shift+F10",
                                     "Undo the last full iteration or edit, exactly")
        self.act_back_into = self._action("Step Back I&nto", c.step_back_into, "Shift+F11", "Undo one computation")
        self.act_back_to = self._action("Step Back &to Iteration…", self.step_back_to_dialog, "Ctrl+B",
                                        "Go back to an earlier iteration exactly (or double-click the loss plot)")
        self.act_run = self._action("&Run / Pause", c.toggle_run, "F5", "Run the chosen number of epochs, or pause")
        self.act_reset = self._action("Rese&t", c.reset, "Ctrl+R", "Back to the state the file was opened with")
        self.act_reinit = self._action("Re-&initialise Weights", lambda: c.reinitialize(), "Ctrl+I",
                                       "Draw new weights with the scheme and seed in the Training panel")
        self.act_fit = self._action("&Fit to Window", self.diagram.fit, "Ctrl+0", "Show the whole network")
        self.act_zoom_in = self._action("Zoom &In", lambda: self.diagram.zoom(1.25), QKeySequence.ZoomIn, "Zoom in")
        self.act_zoom_out = self._action("Zoom &Out", lambda: self.diagram.zoom(0.8), QKeySequence.ZoomOut, "Zoom out")
        self.act_log = self._action("&Log Scale", c.set_log_scale, "L", "Logarithmic loss axis", checkable=True)
        self.act_names = self._action("Edge &Names", c.set_edge_names, "N",
                                      "Edge labels show the weight's name (w5) before its value", checkable=True)
        self.act_grad_check = self._action("&Gradient Check", lambda: long_work.gradient_check(self), "Ctrl+G",
                                           "Compare backpropagation with finite differences on the next batch")
        self.edge_group = QActionGroup(self)
        self.edge_actions = {}
        for key, text, sc in (("weight", "Show &Weights", "Ctrl+1"), ("gradient", "Show &Gradients ∂E/∂w", "Ctrl+2"),
                              ("delta", "Show Last &Updates Δw", "Ctrl+3")):
            a = self._action(text, lambda _=False, k=key: c.set_edge_view(k), sc, f"Edges show {text.split()[-1]}",
                             checkable=True)
            self.edge_group.addAction(a)
            self.edge_actions[key] = a
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
        v.addAction(self.act_names)
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
