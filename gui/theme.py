"""The diagram's and equations' colours for the system's light or dark palette (hard-coded ink on white was
unreadable in a dark desktop theme).

:func:`colors` picks the set that matches ``QApplication.palette()``: the light set keeps the colours the app
always had; the dark set keeps their hues with light ink on dark fills, each text colour at a contrast of at
least 4.5:1 on what it is drawn on (WCAG AA; :func:`contrast` measures it and the tests check it).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtGui import QColor, QGuiApplication, QPalette


@dataclass(frozen=True)
class Colors:
    """Named colours (``#rrggbb``) of one theme."""

    dark: bool
    background: str       # the diagram's canvas
    ink: str              # neuron names and values, label text
    muted: str            # layer titles, secondary text
    neuron_pen: str
    fills: dict = field(default_factory=dict)  # neuron fill by kind: input, hidden, output
    bias_pen: str = ""
    bias_fill: str = ""
    bias_ink: str = ""
    box_pen: str = ""     # the "⋮ n more" box
    box_fill: str = ""
    loss_pen: str = ""
    loss_fill: str = ""
    loss_ink: str = ""
    label_fill: str = ""  # edge-label boxes
    pos: str = ""         # positive weights
    neg: str = ""         # negative weights
    card_fill: str = ""   # the "Current step" card
    card_border: str = ""
    heading: str = ""     # equation headings, phase titles
    todo: str = ""        # computations still to come
    number: str = ""      # the numbers of an equation
    result: str = ""      # an equation's result
    current_row: str = ""
    selected_row: str = ""
    plot_background: str = ""
    plot_grid: str = ""
    plot_axis: str = ""


LIGHT = Colors(dark=False, background="#ffffff", ink="#1b2631", muted="#566573", neuron_pen="#34495e",
               fills={"input": "#dbe9f7", "hidden": "#f4f6f8", "output": "#fbe3cf"},
               bias_pen="#7f8c8d", bias_fill="#fdf6d8", bias_ink="#5d4e0b", box_pen="#95a5a6", box_fill="#fafafa",
               loss_pen="#922b21", loss_fill="#fdecea", loss_ink="#641e16", label_fill="#ffffff",
               pos="#d0562c", neg="#2f6fb5", card_fill="#fff8dc", card_border="#f1d98a", heading="#1b4f72",
               todo="#98a5a6", number="#555555", result="#0b5394", current_row="#fff3c4", selected_row="#e8f6e8",
               plot_background="#ffffff", plot_grid="#ececec", plot_axis="#3a3a3a")

DARK = Colors(dark=True, background="#1e2227", ink="#e8ecef", muted="#aab4bd", neuron_pen="#9fb3c8",
              fills={"input": "#1f3a56", "hidden": "#2c3238", "output": "#54331f"},
              bias_pen="#8c9aa5", bias_fill="#3d3717", bias_ink="#f3e3a0", box_pen="#6c7a86", box_fill="#262b31",
              loss_pen="#e07a6e", loss_fill="#4a2320", loss_ink="#ffd9d4", label_fill="#1e2227",
              pos="#f08a5d", neg="#6fa8e8", card_fill="#3a3320", card_border="#8a7530", heading="#9cc9f0",
              todo="#7d8a94", number="#c3c9cf", result="#8cc4ff", current_row="#4a4020", selected_row="#1f4028",
              plot_background="#1e2227", plot_grid="#343a40", plot_axis="#c8cdd2")


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether *palette* (default: the application's) is dark: its window colour is darker than mid-grey."""
    if palette is None:
        if QGuiApplication.instance() is None:  # e.g. exporting from the command line: the light set
            return False
        palette = QGuiApplication.palette()
    return palette.color(QPalette.Window).lightnessF() < 0.5


def colors(palette: QPalette | None = None) -> Colors:
    """The colour set for *palette* (default: the application's palette now)."""
    global _app_colors
    if palette is not None:
        return DARK if is_dark(palette) else LIGHT
    # Painting asks for the application's colours hundreds of times a frame, and copying its palette each
    # time costs more than the drawing they are asked for: the answer is kept until the palette changes.
    if _app_colors is None:
        app = QGuiApplication.instance()
        if app is None:  # e.g. exporting from the command line: the light set
            return LIGHT
        _app_colors = DARK if is_dark() else LIGHT
        if not _watching or _watching[-1] is not app:
            _watching[:] = [app]
            app.paletteChanged.connect(_forget_colors)
    return _app_colors


def _forget_colors(*_args) -> None:
    global _app_colors
    _app_colors = None


_app_colors: Colors | None = None
_watching: list = []  # the application whose palette changes are watched (connected once)


def qcolor(name: str) -> QColor:
    """A cached QColor of ``#rrggbb`` (painting asks for the same few colours thousands of times)."""
    c = _cache.get(name)
    if c is None:
        c = _cache[name] = QColor(name)
    return c


_cache: dict[str, QColor] = {}


def _luminance(c: QColor) -> float:
    def lin(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * lin(c.redF()) + 0.7152 * lin(c.greenF()) + 0.0722 * lin(c.blueF())


def contrast(a: str | QColor, b: str | QColor) -> float:
    """The WCAG contrast ratio of two colours (1 … 21)."""
    la, lb = _luminance(QColor(a)), _luminance(QColor(b))
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)
