"""The diagram's note: why the gradient or update view shows no number (no update yet, a run, too large)."""
from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QGraphicsView, QLabel

from .theme import colors
from .view_state import RUNNING, ViewState


def edge_view_note(state: ViewState, values: dict) -> str:
    """Why the gradient or update view shows no number at all ('' when it shows some, or shows weights)."""
    view = state.display.edge_view
    if view == "weight" or any(v is not None for v in values.values()):
        return ""
    what = "gradients ∂E/∂w" if view == "gradient" else "updates Δw"
    if state.mode == RUNNING:
        return f"The {what} are shown when the run pauses."
    if state.trace is None:
        return f"The {what} are not shown: this network is too large to trace every computation."
    it = state.trace.iteration
    if view == "gradient":  # (a preview shows its gradients: this is a stepped-into iteration, or practice)
        return f"No gradients yet: iteration {it}'s backward pass has not reached a weight (F10 finishes it)."
    return f"No updates yet: iteration {it} updates the weights at its end (F10 finishes it)."


class QtEdgeNote(QLabel):
    """The note, plain text, at the bottom left of *view*'s visible part (a child of the view, not of its
    viewport: it stays put when the diagram is panned)."""

    def __init__(self, view: QGraphicsView) -> None:
        super().__init__(view)
        self._view = view
        self.setTextFormat(Qt.PlainText)
        self.setWordWrap(True)
        self.setAccessibleName("Why no values are shown")
        self.hide()

    def show_text(self, text: str) -> None:
        """Show *text* ('' hides the note)."""
        if text != self.text():
            self.setText(text)
            self.place()
        self.setVisible(bool(text))

    def place(self) -> None:
        """Fit the note to the view's size and zoom, in the theme's colours (after a resize, zoom or theme)."""
        if not self.text():
            return
        t = colors()
        self.setStyleSheet(f"background:{t.box_fill}; color:{t.muted}; border:1px solid {t.box_pen};"
                           "border-radius:4px; padding:4px 8px;")
        view = self._view
        vp = view.viewport().geometry()
        # below the inputs and left of the first hidden layer: the diagram's emptiest corner (the titles are at
        # the top, the loss box at the bottom right)
        width = 400
        layout = getattr(view, "layout_", None)
        if layout is not None:
            hidden = [c.x - c.r for (l, _), c in layout.neurons.items() if l == 1]
            if hidden:
                width = int(view.mapFromScene(QPointF(min(hidden), 0)).x()) - 16
        width = max(170, min(400, width, vp.width() - 16))
        self.setFixedWidth(width)
        height = self.heightForWidth(width)
        self.setFixedHeight(height)
        self.move(vp.left() + 8, vp.bottom() - height - 8)
