"""Colours for the teaching widgets, derived from the palette so light and dark themes both read well."""
from __future__ import annotations

from PySide6.QtGui import QColor, QPalette


def mix(a: QColor, b: QColor, t: float) -> QColor:
    """The colour *t* of the way from *a* to *b* (0 → a, 1 → b)."""
    return QColor.fromRgbF(a.redF() + (b.redF() - a.redF()) * t, a.greenF() + (b.greenF() - a.greenF()) * t,
                           a.blueF() + (b.blueF() - a.blueF()) * t)


def muted(palette: QPalette) -> str:
    """Secondary text: the text colour 40 % of the way towards the background (readable in both themes)."""
    return mix(palette.color(QPalette.WindowText), palette.color(QPalette.Window), 0.4).name()


def is_dark(palette: QPalette) -> bool:
    """Whether *palette* is a dark theme (its window colour is darker than mid-grey)."""
    return palette.color(QPalette.Window).lightnessF() < 0.5


def tint(palette: QPalette, kind: str) -> tuple[str, str]:
    """(background, border) for a ``good``, ``bad``, ``note`` or ``card`` box on this palette."""
    base = palette.color(QPalette.Base)
    hue = {"good": QColor(46, 160, 67), "bad": QColor(207, 34, 46), "note": QColor(191, 135, 0),
           "card": palette.color(QPalette.Highlight)}[kind]
    strength = 0.22 if is_dark(palette) else 0.12
    return mix(base, hue, strength).name(), mix(base, hue, 0.6).name()
