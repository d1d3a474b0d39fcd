"""Docks get back the size a person gave them when the window grows again after it shrank.

Qt's main window squeezes its docks when the window gets smaller, and when it grows again gives all the new room
to the central widget: after 1400 → 900 → 1400 px the Training and Equations docks stayed squeezed and the
diagram took the rest.  :class:`DockSizes` remembers the width of each side's docks and the height of the docks
below — as the window first showed them, then as the person leaves them after dragging a dock's edge — and asks
the window for them back whenever the window grows.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow

_SIDES = (Qt.LeftDockWidgetArea, Qt.RightDockWidgetArea)
_ENDS = (Qt.TopDockWidgetArea, Qt.BottomDockWidgetArea)


class DockSizes(QObject):
    """See the module docstring.  :meth:`remember` once the window is laid out; :meth:`window_resized` from the
    window's ``resizeEvent``."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.wanted: dict = {}  # dock area -> the width (sides) or height (top, bottom) its docks should have
        self._size = None  # the window's size when it last settled (None until remembered)
        self._watching = False
        self._pressed: dict | None = None  # the docks' sizes when a button went down over the window

    def _docked(self) -> list[QDockWidget]:
        """The docks shown in the window (a dock behind another's tab says it is visible, but has no region)."""
        return [d for d in self.window.findChildren(QDockWidget) if d.parent() is self.window and d.isVisible()
                and not d.isFloating() and not d.visibleRegion().isEmpty()]

    def _size_of(self, d: QDockWidget) -> tuple[object, int] | None:
        """``(area, size)``: the width of a dock beside the diagram, the height of one above or below it."""
        area = self.window.dockWidgetArea(d)
        return (area, d.width()) if area in _SIDES else (area, d.height()) if area in _ENDS else None

    def remember(self) -> None:
        """Take the shown docks' sizes as the ones they should have (once the window is first laid out, and
        when the person lets go of a dock's edge)."""
        self._size = self.window.size()
        if not self._watching:
            self._watching = True
            self.window.installEventFilter(self)
        self.wanted.update(self._sizes())

    def _sizes(self) -> dict:
        return dict(got for got in map(self._size_of, self._docked()) if got is not None)

    def eventFilter(self, obj, event) -> bool:
        # The edges between docks belong to the window itself (they are no widgets): a press and a release over
        # the window that changed the docks' sizes are a drag of an edge, and the sizes it leaves are the
        # person's choice.  A mere click there, resizes by the window and by the program do not count (a
        # tester's clicks in a shrunk window made its squeezed sizes the wanted ones).
        if obj is self.window and event.type() == QEvent.MouseButtonPress:
            self._pressed = self._sizes()
        elif obj is self.window and event.type() == QEvent.MouseButtonRelease and self._pressed is not None:
            if self._sizes() != self._pressed:
                QTimer.singleShot(0, self.remember)
            self._pressed = None
        return False

    def window_resized(self, old, new) -> None:
        """After the window went from *old* to *new* (QSize): give back what the growth leaves room for."""
        if self._size is None:
            return
        self._size = new
        grew_w, grew_h = new.width() > old.width() > 0, new.height() > old.height() > 0
        if grew_w or grew_h:
            QTimer.singleShot(0, lambda: self._give_back(grew_w, grew_h))  # once the layout has the new size

    def _give_back(self, wide: bool, tall: bool, first: bool = True) -> None:
        short = False
        for orientation, areas, on in ((Qt.Horizontal, _SIDES, wide), (Qt.Vertical, _ENDS, tall)):
            if not on:
                continue
            docks, sizes, done = [], [], set()
            for d in self._docked():
                got = self._size_of(d)
                if got is None or got[0] not in areas or got[0] in done or got[0] not in self.wanted:
                    continue
                done.add(got[0])  # one dock per area sets the area's width (or height)
                want = self.wanted[got[0]]
                if got[1] < want:
                    docks.append(d)
                    # the second time, what the first fell short by (the area's tab bar, below tabbed docks)
                    sizes.append(want if first else want + (want - got[1]))
            if docks:
                self.window.resizeDocks(docks, sizes, orientation)
                short = True
        if short and first:
            QTimer.singleShot(0, lambda: self._give_back(wide, tall, first=False))
