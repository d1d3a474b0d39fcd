"""Teaching in the main window (issue #14): practice mode, the classic-mistake comparison and Getting Started.

:func:`install_teach_features` adds to a :class:`~backprop_lab.gui.main_window.MainWindow`:

* **Practice mode** (Iteration ▸ Practice Mode, Ctrl+P, on the toolbar): a Practice dock with
  :class:`~backprop_lab.gui.practice_panel.QtPracticePanel`; while it is on, the controller's display hides every
  result not yet performed (``Display.hide_future``), the panel's Next/Skip step into the iteration through
  ``controller.step_into_many``, and its mode and tolerance are remembered in the window's QSettings.
* **Iteration ▸ Compare with the Classic Mistake…**: the same iterations trained both ways on copies
  (:mod:`.classic_compare`), both loss curves in a dialog.
* **Help ▸ Getting Started…** and **Help ▸ Glossary…**: the tour (its "Try it" buttons call the controller) and
  the glossary.

The explanation of the current step lives in the equations panel itself (``QtEquationsPanel.explanation``).
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QInputDialog, QMenu, QToolBar

from .classic_compare import MAX_COMPARE, CompareDialog, compare_runs
from .practice_panel import QtPracticePanel
from .tour import GettingStartedDialog, show_getting_started
from .view_state import COMPLETE, READY, STEPPING, ViewState

#: QSettings keys of the practice options.
SETTING_FADED = "practice/faded"
SETTING_TOLERANCE = "practice/rel_tol"
#: Width the right dock area is given while practising (pixels; at most half the window).
PRACTICE_WIDTH = 620


def find_menu(window, title: str) -> QMenu:
    """The window's top-level menu whose title, without "&", is *title*."""
    for a in window.menuBar().actions():
        m = a.menu()
        if m is not None and m.title().replace("&", "") == title:
            return m
    raise LookupError(f"the window has no {title!r} menu")


class TeachFeatures(QObject):
    """The practice dock and actions of one window (see the module docstring); ``window.teach`` holds it."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = w = window
        self.controller = c = window.controller
        self.panel = QtPracticePanel()
        self.dock = QDockWidget("Practice", w)
        self.dock.setObjectName("practice_dock")
        self.dock.setWidget(self.panel)
        w.addDockWidget(Qt.RightDockWidgetArea, self.dock)
        self.dock.hide()
        self.dock.installEventFilter(self)  # closing the dock ends practice mode
        self._restore_options()
        self.panel.mode.currentIndexChanged.connect(self._save_options)
        self.panel.tolerance.currentIndexChanged.connect(self._save_options)
        self.panel.advance_requested.connect(c.step_into_many)
        self.panel.jump_to.connect(self._jump)

        self.act_practice = w._action("&Practice Mode", self.set_practice, "Ctrl+P",
                                      "Work out each next result yourself; it is checked against the engine",
                                      checkable=True)
        self.act_compare = w._action("&Compare with the Classic Mistake…", lambda: self.compare_dialog(), None,
                                     "Train the same iterations with hidden deltas from the original and from the "
                                     "already-updated weights, and plot both losses")
        self.act_tour = w._action("&Getting Started…", lambda: self.show_tour(), None,
                                  "A short tour: the worked example, stepping, δ, symmetry, practice mode")
        self.act_glossary = w._action("G&lossary…", lambda: self.show_glossary(), None, "What every symbol means")
        it = find_menu(w, "Iteration")
        it.addSeparator()
        it.addAction(self.act_practice)
        it.addAction(self.act_compare)
        help_menu = find_menu(w, "Help")
        first = help_menu.actions()[0] if help_menu.actions() else None
        help_menu.insertAction(first, self.act_tour)
        help_menu.insertAction(first, self.act_glossary)
        help_menu.insertSeparator(first)
        tb = w.findChild(QToolBar, "controls_toolbar")
        if tb is not None:
            tb.addSeparator()
            tb.addAction(self.act_practice)

        for sig in (c.cursor_moved, c.simulation_replaced, c.parameters_changed, c.settings_changed,
                    c.display_changed):
            sig.connect(self._on_changed)
        c.run_started.connect(lambda: self._on_changed(c.state))
        c.run_finished.connect(lambda _end: self._on_changed(c.state))
        self.compare = None  # the last Compare dialog
        self.tour: GettingStartedDialog | None = None

    # -- practice ------------------------------------------------------------------------------------
    @property
    def practising(self) -> bool:
        return self.act_practice.isChecked()

    def set_practice(self, on: bool) -> None:
        """Turn practice mode on or off (Ctrl+P)."""
        on = bool(on)
        if self.act_practice.isChecked() != on:
            self.act_practice.setChecked(on)
        self.dock.setVisible(on)
        self.controller.set_hide_future(on)
        if on:
            self.dock.raise_()
            # room for the question, the feedback and its "Why?" chain under the equations (once laid out)
            QTimer.singleShot(0, self._make_room)
            self._show(self.controller.state)
            self.controller.say("Practice mode: work out the next result in the Practice panel; results not yet "
                                "performed are hidden everywhere (Ctrl+P ends practice).")
        else:
            self.controller.say("Practice mode off: every value is shown again.")

    def _make_room(self) -> None:
        w = self.window
        if self.dock.isVisible() and not self.dock.isFloating():
            total = w.equations_dock.height() + self.dock.height()
            # (Next, Skip and the score stay in view below the panel's scrolling part: it can be the smaller)
            w.resizeDocks([w.equations_dock, self.dock], [total * 9 // 20, total * 11 // 20], Qt.Vertical)
            # the answer row and the chain of factors need about 600 px side by side
            want = min(PRACTICE_WIDTH, w.width() // 2)
            if self.dock.width() < want:
                w.resizeDocks([self.dock], [want], Qt.Horizontal)

    def _on_changed(self, state: ViewState) -> None:
        if self.practising:
            self._show(state)

    def _show(self, state: ViewState) -> None:
        c, p = self.controller, self.panel
        digits = state.display.precision
        if c.running or not state.traceable:
            p.show_state(None, 0, None, digits)
        elif state.mode == READY and state.trace is not None:
            p.show_state(state.trace, 0, state.network, digits)
        elif state.mode == STEPPING and state.trace is not None:
            p.show_state(state.trace, state.revealed, state.network, digits)
        elif state.mode == COMPLETE:
            p.show_simulation(c.sim, digits, state.traceable)  # the next iteration's first computation
        else:
            p.show_state(None, 0, None, digits)

    def _jump(self, index: int) -> None:
        # the practice explanation's factors belong to the panel's trace: jump only when the window shows it
        if self.panel.session.trace is self.controller.state.trace:
            self.window.equations.show_record(index)

    def eventFilter(self, obj, event) -> bool:
        if obj is self.dock and event.type() == QEvent.Close and self.practising:
            self.set_practice(False)
        return False

    def _restore_options(self) -> None:
        s, p = self.window.settings, self.panel
        faded = s.value(SETTING_FADED)
        if faded is not None:
            p.mode.setCurrentIndex(1 if str(faded).lower() in ("true", "1") else 0)
        try:
            rel = float(s.value(SETTING_TOLERANCE)) if s.value(SETTING_TOLERANCE) is not None else None
        except (TypeError, ValueError):
            rel = None
        k = p.tolerance.findData(rel) if rel is not None else -1
        if k >= 0:
            p.tolerance.setCurrentIndex(k)
        p._on_options()

    def _save_options(self, *_) -> None:
        s, p = self.window.settings, self.panel
        s.setValue(SETTING_FADED, bool(p.mode.currentData()))
        s.setValue(SETTING_TOLERANCE, float(p.tolerance.currentData()))

    # -- the classic mistake ----------------------------------------------------------------------------
    def compare_dialog(self, iterations: int | None = None) -> CompareDialog | None:
        """Ask how many iterations (unless given), train both ways on copies and show both loss curves."""
        c = self.controller
        if iterations is None or isinstance(iterations, bool):
            n, ok = QInputDialog.getInt(self.window, "Compare with the classic mistake",
                                        "Iterations to train both ways, from the current weights:", 100, 1,
                                        MAX_COMPARE)
            if not ok:
                return None
            iterations = n
        try:
            cmp = compare_runs(c.sim, int(iterations))
        except ValueError as e:
            c.error.emit("Cannot compare", str(e), "")
            return None
        self.compare = CompareDialog(cmp, c.precision, self.window)
        self.compare.show()
        c.say(f"Compared {cmp.iterations} iterations: after the last, correct "
              f"{c.state.fmt(cmp.correct[-1])}, classic mistake {c.state.fmt(cmp.mistake[-1])}.")
        return self.compare

    # -- help -------------------------------------------------------------------------------------------
    def show_tour(self) -> GettingStartedDialog:
        """Help ▸ Getting Started…: the tour, its "Try it" buttons wired to the window."""
        fresh = self.tour is None
        self.tour = show_getting_started(self.window, with_actions=True)
        if fresh:
            self.tour.action_requested.connect(self.tour_action)
        self.tour.tabs.setCurrentIndex(0)
        return self.tour

    def show_glossary(self) -> GettingStartedDialog:
        """Help ▸ Glossary…: the same window on its glossary tab."""
        dlg = self.show_tour()
        dlg.tabs.setCurrentIndex(1)
        return dlg

    def tour_action(self, key: str) -> None:
        """Do what a tour page's "Try it" button names (a key of ``tour.TOUR_ACTIONS``)."""
        c = self.controller
        if key.startswith("open_example:"):
            self.window.open_example(key.split(":", 1)[1])
        elif key == "step_into":
            c.step_into()
        elif key == "step":
            c.step()
        elif key == "practice":
            self.set_practice(True)


def install_teach_features(window) -> TeachFeatures:
    """Add practice mode, Compare with the Classic Mistake and Getting Started to *window* (``window.teach``)."""
    window.teach = TeachFeatures(window)
    return window.teach
