"""The diagram's note: why the gradient or update view shows no number (no update yet, a run, too large)."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtWidgets import QGraphicsView, QLabel

from .theme import colors
from .view_state import RUNNING, STEPPING, ViewState

#: The note's width in pixels (as wide as the room left of the first hidden layer, within these).
MIN_WIDTH, MAX_WIDTH = 120, 400
PAD_V, PAD_H = 3, 6


def edge_view_note(state: ViewState, values: dict, previous: bool = False) -> str:
    """Why the gradient or update view shows no number at all, or (*previous*) that its *values* are the previous
    iteration's updates ('' when it shows this iteration's numbers, or shows weights)."""
    view = state.display.edge_view
    it = state.trace.iteration if state.trace is not None else 0
    if previous and any(v is not None for v in values.values()):
        return (f"Δw of iteration {state.previous_trace.iteration:,}, the last updates performed: iteration {it:,} "
                f"has not updated any weight yet (F10 finishes it).")
    if view == "weight":
        return ""
    if any(v is not None for v in values.values()):
        if state.mode != STEPPING:
            return ""
        # part of the way through: say the blank ones are still to come (fixed biases never get a Δw)
        expected = [v for el, v in values.items()
                    if view == "gradient" or el.kind == "weight" or state.settings.update_biases]
        done = sum(v is not None for v in expected)
        if done == len(expected):
            return ""
        if view == "gradient":
            return (f"∂E/∂w of iteration {it:,} so far: the backward pass has reached {done:,} of {len(expected):,} "
                    f"parameters; the others follow (F11), or all at once with F10.")
        return (f"Δw of iteration {it:,} so far: {done:,} of {len(expected):,} parameters updated; the others are "
                f"updated in the next computations (F11), or all at once with F10.")
    what = "gradients ∂E/∂w" if view == "gradient" else "updates Δw"
    if state.mode == RUNNING:
        return f"The {what} are shown when the run pauses."
    if state.trace is None:
        return f"The {what} are not shown: this network is too large to trace every computation."
    if view == "gradient":  # (a preview shows its gradients: this is a stepped-into iteration, or practice)
        return f"No gradients yet: iteration {it:,}'s backward pass has not reached a weight (F10 finishes it)."
    return f"Iteration {it:,} has not updated any weight yet: its updates come at its end (F10 finishes it)."


class QtEdgeNote(QLabel):
    """The note, plain text, in a corner of *view*'s visible part where it covers nothing (a child of the view,
    not of its viewport: it stays put when the diagram is panned); when every corner is taken (a small window)
    the diagram makes room for it in a strip of its own below.  *refit* fits the diagram into its viewport
    again unless the person zoomed it (after the strip came or went)."""

    def __init__(self, view: QGraphicsView, refit: Callable[[], None]) -> None:
        super().__init__(view)
        self._view, self._refit = view, refit
        self._strip = 0  # the height kept free below the viewport for the note
        self._placing = False
        self.setTextFormat(Qt.PlainText)
        self.setWordWrap(True)
        self.setAccessibleName("Why no values are shown")
        f = self.font()
        f.setPointSizeF(f.pointSizeF() * 0.9)  # a remark beside the diagram, not a label of it
        self.setFont(f)
        self.hide()

    def show_text(self, text: str) -> None:
        """Show *text* ('' hides the note)."""
        if text != self.text():
            self.setText(text)
            self.place()
        self.setVisible(bool(text))

    def place(self) -> None:
        """Fit the note to the view's size and zoom, in the theme's colours (after a resize, zoom or theme)."""
        if self._placing:  # (making room refits the diagram, which places the note)
            return
        self._placing = True
        try:
            self._place()
        finally:
            self._placing = False

    def _place(self) -> None:
        if not self.text():
            self._make_room(0)
            return
        t = colors()
        style = (f"background:{t.box_fill}; color:{t.muted}; border:1px solid {t.box_pen}; border-radius:4px;"
                 f"padding:{PAD_V}px {PAD_H}px;")
        if style != self.styleSheet():
            self.setStyleSheet(style)
        self._make_room(0)  # judged on the diagram as it is without a strip (else it would come and go)
        vp = self._view.viewport().geometry()
        size = self._size(max(MIN_WIDTH, min(MAX_WIDTH, vp.width() // 3)))
        corner, covered = self._free_corner(size)
        if not covered:
            self.move(corner)
            return
        size = self._size(vp.width() - 16)
        self._make_room(size.height() + 8)
        vp = self._view.viewport().geometry()
        self.move(vp.left() + 8, vp.bottom() + 5)

    def _size(self, width: int) -> QSize:
        """The note's size at *width*: the height of its wrapped text, worked out here (the label's own answer
        can lag a resize by one layout: a box three lines tall around two)."""
        inner = width - 2 * (PAD_H + 1)
        text = self.fontMetrics().boundingRect(QRect(0, 0, inner, 10_000), Qt.TextWordWrap, self.text())
        size = QSize(width, text.height() + 2 * (PAD_V + 1))
        self.setFixedSize(size)
        return size

    def _make_room(self, height: int) -> None:
        if height != self._strip:
            self._strip = height
            self._view.setViewportMargins(0, 0, 0, height)
            self._refit()

    def _free_corner(self, size: QSize) -> tuple[QPoint, int]:
        """The first corner of the visible diagram (bottom left, bottom right, top right, top left) where the
        note covers no neuron, bias box, title or the loss box, else the one where it covers fewest; and how
        many it covers there."""
        view = self._view
        vp = view.viewport().geometry()
        m = 8
        corners = [QPoint(vp.left() + m, vp.bottom() - size.height() - m),
                   QPoint(vp.right() - size.width() - m, vp.bottom() - size.height() - m),
                   QPoint(vp.right() - size.width() - m, vp.top() + m),
                   QPoint(vp.left() + m, vp.top() + m)]
        layout = getattr(view, "layout_", None)
        if layout is None:
            return corners[0], 0
        at = vp.topLeft()
        things = [view.mapFromScene(QRectF(r.x, r.y, r.w, r.h)).boundingRect().translated(at)
                  for r in layout.obstacles()]
        covered = [sum(QRect(c, size).adjusted(-4, -4, 4, 4).intersects(t) for t in things) for c in corners]
        k = covered.index(min(covered))  # (the first of the fewest: bottom left when all are free)
        return corners[k], covered[k]
