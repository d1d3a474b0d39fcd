"""The network diagram's graphics items: neurons, bias boxes, edges with labels, the loss box.

Each item draws one piece of a :class:`~backprop_lab.gui.diagram_layout.DiagramLayout` and holds a small
"look" (texts, colours, flags); ``set_look`` repaints the item only when its look changed.  Lines are drawn
opaque with flat caps: translucent round-capped antialiased lines cost ten times more to rasterise.  Text is
fitted into its shape (the font shrinks, down to a legible minimum) so it never spills over.
"""
from __future__ import annotations

import math

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from backprop_lab.core import Element

from .diagram_layout import LABEL_PX, LOSS_PX, NAME_PX, TITLE_PX, VALUE_PX, Circle, EdgeGeometry, Rect
from .theme import colors, qcolor

POS = QColor("#d0562c")
NEG = QColor("#2f6fb5")
HIGHLIGHT = QColor(255, 196, 0, 150)
SELECT = QColor("#2ca02c")
#: The second parameter (Ctrl+click): another hue, and dashed, so the two differ without colour too.
SELECT2 = QColor("#8e24aa")
SYMMETRY = QColor("#8e44ad")
INK = QColor("#1b2631")
MUTED = QColor("#566573")
FILLS = {"input": QColor("#dbe9f7"), "hidden": QColor("#f4f6f8"), "output": QColor("#fbe3cf")}
MIN_PX = 8.0  # text is never drawn smaller than this (scene pixels)

_fonts: dict[tuple[float, bool], QFont] = {}


def font(px: float, bold: bool = False) -> QFont:
    """A cached font of *px* scene pixels."""
    key = (round(px, 1), bold)
    f = _fonts.get(key)
    if f is None:
        f = QFont()
        f.setPixelSize(max(1, round(px)))
        f.setBold(bold)
        _fonts[key] = f
    return f


_metrics: dict[tuple[int, bool], QFontMetricsF] = {}
_widths: dict[tuple[str, int, bool], float] = {}


#: Characters of a number as the diagram writes it (format_number: digits, point, signs, exponent).
_NUMBER_CHARS = frozenset("0123456789.−-+e")
_NO_ADVANCES: dict = {}
_advances: dict[tuple[int, bool], dict[str, float]] = {}


def measure(text: str, px: float, bold: bool = False) -> float:
    """Width of *text* in scene pixels (what the layout is given); remembered, as the same texts recur.

    Numbers are not remembered (each step brings new ones): their width is the sum of their characters'
    advances, exactly what Qt measures when the font has no kerning between them (checked once per font;
    otherwise they are measured as any text).
    """
    key = (text, max(1, round(px)), bold)
    w = _widths.get(key)
    if w is None:
        fm = _metrics.get(key[1:])
        if fm is None:
            fm = _metrics[key[1:]] = QFontMetricsF(font(px, bold))
        if _NUMBER_CHARS.issuperset(text):
            adv = _advances.get(key[1:])
            if adv is None:
                adv = _advances[key[1:]] = _number_advances(fm)
            if adv is not _NO_ADVANCES:
                return sum([adv[c] for c in text])
        if len(_widths) > 20_000:
            _widths.clear()
        w = _widths[key] = fm.horizontalAdvance(text)
    return w


def _number_advances(fm: QFontMetricsF) -> dict[str, float]:
    """Each number character's advance in *fm*'s font, or ``_NO_ADVANCES`` if their sum is not the width Qt
    measures for numbers (kerning between digits, signs or the point)."""
    adv = {c: fm.horizontalAdvance(c) for c in _NUMBER_CHARS}
    for sample in ("0.123456789", "−98.7654321e−05", "-1.0e+12", "11.11", "7.4", "−0.5"):
        if sum(adv[c] for c in sample) != fm.horizontalAdvance(sample):
            return _NO_ADVANCES
    return adv


_HCENTER, _RIGHT, _TOP, _BOTTOM = (Qt.AlignHCenter.value, Qt.AlignRight.value, Qt.AlignTop.value,
                                   Qt.AlignBottom.value)
#: Alignments combined once (combining Qt's flags costs ~5 µs a time, and the diagram draws dozens of texts).
TOP_CENTER = Qt.AlignHCenter | Qt.AlignTop
BOTTOM_CENTER = Qt.AlignHCenter | Qt.AlignBottom
MIDDLE_LEFT = Qt.AlignVCenter | Qt.AlignLeft


def draw_text(p: QPainter, rect: QRectF, align: Qt.AlignmentFlag, text: str) -> None:
    """One line of *text* in *rect*, aligned as ``drawText(rect, align, text)`` would, in the painter's font
    (one made by :func:`font`): placed here from cached widths and metrics and drawn at a point, which costs a
    third of the rectangle form (that one lays the text out each time: ~20 µs against ~7 µs a call, and a
    diagram repaint draws dozens)."""
    f = p.font()
    px, bold = f.pixelSize(), f.bold()
    fm = _metrics.get((px, bold))
    if fm is None:
        fm = _metrics[(px, bold)] = QFontMetricsF(f)
    a = align.value  # tested as an int: each & on Qt's enum flags costs ~4 µs in Python
    if a & _HCENTER:
        x = rect.center().x() - measure(text, px, bold) / 2
    elif a & _RIGHT:
        x = rect.right() - measure(text, px, bold)
    else:
        x = rect.left()
    if a & _TOP:
        y = rect.top() + fm.ascent()
    elif a & _BOTTOM:
        y = rect.bottom() - fm.descent()
    else:  # vertically centred, as Qt centres a line: its ascent plus descent in the middle
        y = rect.center().y() + (fm.ascent() - fm.descent()) / 2
    p.drawText(QPointF(x, y), text)


def fitted_font(text: str, px: float, width: float, bold: bool = False, measured: float | None = None) -> QFont:
    """The largest font up to *px* (not below MIN_PX) in which *text* fits *width* (*measured*: its width at
    *px*, when the caller knows it)."""
    w = measure(text, px, bold) if measured is None else measured
    if w <= width or not text:
        return font(px, bold)
    return font(max(MIN_PX, px * width / w - 0.25), bold)


def blend(c: QColor, alpha: float, bg: QColor = QColor("#ffffff")) -> QColor:
    """*c* at *alpha* over *bg*, as an opaque colour (opaque lines draw much faster)."""
    return QColor(round(c.red() * alpha + bg.red() * (1 - alpha)), round(c.green() * alpha + bg.green() * (1 - alpha)),
                  round(c.blue() * alpha + bg.blue() * (1 - alpha)))


def edge_color(positive: bool, dashed: bool) -> QColor:
    """The opaque colour of an edge on this theme's canvas (blended once per theme and kind)."""
    t = colors()
    key = (t.dark, positive, dashed)
    c = _EDGE_COLORS.get(key)
    if c is None:
        c = _EDGE_COLORS[key] = blend(qcolor(t.pos if positive else t.neg), 0.45 if dashed else 0.8,
                                      qcolor(t.background))
    return c


_EDGE_COLORS: dict[tuple[bool, bool, bool], QColor] = {}


def qrect(r: Rect) -> QRectF:
    return QRectF(r.x, r.y, r.w, r.h)


class _Item(QGraphicsItem):
    """Base item: knows its Element (None for decorations) and repaints only when its look changes.

    Small items keep a pixmap of themselves (device-coordinate cache): a repaint of the diagram then blits
    them instead of laying out their text again; ``update()`` after a change of look refreshes the pixmap.
    """

    def __init__(self, element: Element | None, cached: bool = True) -> None:
        super().__init__()
        self.element = element
        self.look: tuple = ()
        if cached:
            self.setCacheMode(QGraphicsItem.DeviceCoordinateCache)

    def set_look(self, *look) -> None:
        if look != self.look:
            self.look = look
            self.update()


class NeuronItem(_Item):
    """look = (value_text, symmetric, highlighted, selected)

    The value is a child item of its own (:class:`_NeuronValue`): a new iteration changes every neuron's value
    but not its circle, name or rings, so only the small value pixmap is drawn again (a whole neuron cost about
    0.2 ms to draw, and moons has 19 of them).
    """

    def __init__(self, element: Element, circle: Circle, name: str, kind: str) -> None:
        super().__init__(element)
        self.r = circle.r
        self.name = name
        self.kind = kind
        self.look = ("", False, False, False)
        self.setPos(circle.x, circle.y)
        self.setZValue(2)
        self.chord = 2 * math.sqrt(self.r * self.r - (NAME_PX + 2) ** 2) - 8  # the text's room inside the circle
        self.value_item = _NeuronValue(self)

    def set_look(self, *look) -> None:
        old = self.look
        if look == old:
            return
        self.look = look
        if look[1:] != old[1:]:
            self.update()
        if look[0] != old[0]:
            self.value_item.update()

    @property
    def value_text(self) -> str:
        return self.look[0]

    @property
    def symmetric(self) -> bool:
        return self.look[1]

    def boundingRect(self) -> QRectF:
        r = self.r + 10
        return QRectF(-r, -r - 6, 2 * r + 8, 2 * r + 6)

    def shape(self) -> QPainterPath:
        p = QPainterPath()
        p.addEllipse(QPointF(0, 0), self.r, self.r)
        return p

    def paint(self, p: QPainter, opt: QStyleOptionGraphicsItem, w: QWidget | None = None) -> None:
        _, symmetric, highlighted, selected = self.look
        r = self.r
        if highlighted:
            p.setPen(Qt.NoPen)
            p.setBrush(HIGHLIGHT)
            p.drawEllipse(QPointF(0, 0), r + 8, r + 8)
        t = colors()
        pen = QPen(SELECT if selected else qcolor(t.neuron_pen), 3.5 if selected else 1.6)
        if symmetric:
            pen = QPen(SYMMETRY, 3, Qt.DashLine)
        p.setPen(pen)
        p.setBrush(qcolor(t.fills[self.kind]))
        p.drawEllipse(QPointF(0, 0), r, r)
        p.setPen(qcolor(t.ink))
        p.setFont(fitted_font(self.name, NAME_PX, self.chord, True))
        draw_text(p, QRectF(-r, -NAME_PX - 4, 2 * r, NAME_PX + 4), BOTTOM_CENTER, self.name)
        if symmetric:
            p.setFont(font(18))
            p.setPen(SYMMETRY)
            p.drawText(QRectF(r - 12, -r - 6, 22, 22), Qt.AlignCenter, "≡")


class _NeuronValue(QGraphicsItem):
    """A neuron's value, drawn over its circle (a child item: see :class:`NeuronItem`)."""

    def __init__(self, neuron: NeuronItem) -> None:
        super().__init__(neuron)
        self.neuron = neuron
        r = neuron.r
        self._rect = QRectF(-r, 2, 2 * r, VALUE_PX + 6)
        self.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        self.setAcceptedMouseButtons(Qt.NoButton)

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, p: QPainter, opt: QStyleOptionGraphicsItem, w: QWidget | None = None) -> None:
        value = self.neuron.look[0]
        if value:
            p.setPen(qcolor(colors().ink))
            p.setFont(fitted_font(value, VALUE_PX, self.neuron.chord))
            draw_text(p, self._rect, TOP_CENTER, value)


class BiasItem(_Item):
    def __init__(self, rect: Rect, name: str) -> None:
        super().__init__(None)
        self.rect = qrect(rect)
        self.name = name
        self.setZValue(2)

    def boundingRect(self) -> QRectF:
        return self.rect.adjusted(-2, -2, 2, 2)

    def paint(self, p: QPainter, opt, w=None) -> None:
        t = colors()
        p.setPen(QPen(qcolor(t.bias_pen), 1.4))
        p.setBrush(qcolor(t.bias_fill))
        p.drawRoundedRect(self.rect, 6, 6)
        p.setFont(fitted_font(self.name, 14, self.rect.width() - 6, True))
        p.setPen(qcolor(t.bias_ink))
        draw_text(p, self.rect, Qt.AlignCenter, self.name)


class TextItem(_Item):
    """A layer title or the "⋮ n more" of a collapsed layer."""

    def __init__(self, rect: Rect, text: str, boxed: bool = False) -> None:
        super().__init__(None)
        self.rect = qrect(rect)
        self.text = text
        self.boxed = boxed

    def boundingRect(self) -> QRectF:
        return self.rect.adjusted(-2, -2, 2, 2)

    def paint(self, p: QPainter, opt, w=None) -> None:
        t = colors()
        if self.boxed:
            p.setPen(QPen(qcolor(t.box_pen), 1, Qt.DashLine))
            p.setBrush(qcolor(t.box_fill))
            p.drawRoundedRect(self.rect, 10, 10)
        p.setPen(qcolor(t.muted))
        p.setFont(font(TITLE_PX))
        p.drawText(self.rect, Qt.AlignCenter, self.text)


class LossItem(_Item):
    """look = (lines, highlighted, selected); the first line is drawn bold."""

    def __init__(self, rect: Rect) -> None:
        super().__init__(Element("loss"))
        self.rect = qrect(rect)
        self.look = (("E_total",), False, False)
        self.setZValue(2)

    def boundingRect(self) -> QRectF:
        return self.rect.adjusted(-6, -6, 6, 6)

    def paint(self, p: QPainter, opt, w=None) -> None:
        lines, highlighted, selected = self.look
        if highlighted:
            p.setPen(Qt.NoPen)
            p.setBrush(HIGHLIGHT)
            p.drawRoundedRect(self.rect.adjusted(-6, -6, 6, 6), 14, 14)
        t = colors()
        p.setPen(QPen(SELECT if selected else qcolor(t.loss_pen), 3 if selected else 1.6))
        p.setBrush(qcolor(t.loss_fill))
        p.drawRoundedRect(self.rect, 10, 10)
        p.setPen(qcolor(t.loss_ink))
        inner = self.rect.adjusted(8, 8, -8, -8)
        h = inner.height() / max(1, len(lines))
        for k, line in enumerate(lines):
            p.setFont(fitted_font(line, LOSS_PX, inner.width(), bold=k == 0))
            draw_text(p, QRectF(inner.x(), inner.y() + k * h, inner.width(), h), Qt.AlignCenter, line)


class EdgeItem:
    """A weight or bias connection: look = (positive, width, highlighted, selected); the sign sets the colour.
    *selected* is 0, 1 (the selection: a green band) or 2 (the second parameter: a dashed violet band).
    Drawn by its :class:`EdgesLayer` (one scene item for all edges); its label is a separate
    :class:`LabelItem`, drawn above every line."""

    __slots__ = ("element", "line", "dashed", "look", "_pens", "bounds", "_layer")

    def __init__(self, geometry: EdgeGeometry, layer: "EdgesLayer") -> None:
        self.element = geometry.element
        s = geometry.segment
        self.line = QLineF(s.x1, s.y1, s.x2, s.y2)
        self.dashed = geometry.dashed
        self.look = (True, 1.0, False, False)
        self._pens: tuple = ()
        self._set_pens()
        # fixed: wide enough for the widest line and the highlight band, so the geometry never changes
        self.bounds = QRectF(self.line.p1(), self.line.p2()).normalized().adjusted(-10, -10, 10, 10)
        self._layer = layer
        layer.add(self)

    def set_look(self, *look) -> None:
        if look != self.look:
            self.look = look
            self._set_pens()
            self._layer.update(self.bounds)  # only this edge's part of the layer is painted again

    def _set_pens(self) -> None:
        """The pens of this look, made once per change rather than on every paint (bands, then the line)."""
        _, width, highlighted, selected = self.look
        pens = []
        if highlighted:
            pens.append(QPen(HIGHLIGHT, width + 10, Qt.SolidLine, Qt.FlatCap))
        if selected == 2:
            pens.append(QPen(SELECT2, width + 6, Qt.DashLine, Qt.FlatCap))
        elif selected:
            pens.append(QPen(SELECT, width + 6, Qt.SolidLine, Qt.FlatCap))
        pens.append(QPen(self.color(), width, Qt.DashLine if self.dashed else Qt.SolidLine, Qt.FlatCap))
        self._pens = tuple(pens)

    def color(self) -> QColor:
        return edge_color(self.look[0], self.dashed)

    def refresh_pens(self) -> None:
        """Make the pens again in the theme's colours (the theme changed; the caller repaints the layer)."""
        self._set_pens()

    def paint(self, p: QPainter) -> None:
        for pen in self._pens:
            p.setPen(pen)
            p.drawLine(self.line)


class EdgesLayer(QGraphicsItem):
    """Every edge of the diagram as one scene item under the neurons and labels.

    A hundred edges as a hundred items cost the view a hundred paint calls and as many item transforms per
    repaint; one item paints the edges that cross the part being repainted, in one call.  An edge's change
    repaints only its own rectangle (``update(rect)``; the exposed rectangle comes with the paint call).
    """

    def __init__(self) -> None:
        super().__init__()
        self.edges: list[EdgeItem] = []
        self._bounds = QRectF()
        self.setZValue(0)
        self.setFlag(QGraphicsItem.ItemUsesExtendedStyleOption)  # the exposed rectangle, to skip the others

    def add(self, edge: EdgeItem) -> None:
        self.prepareGeometryChange()
        self.edges.append(edge)
        self._bounds = self._bounds.united(edge.bounds)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, p: QPainter, opt: QStyleOptionGraphicsItem, w: QWidget | None = None) -> None:
        exposed = opt.exposedRect
        for edge in self.edges:
            if exposed.intersects(edge.bounds):
                edge.paint(p)


class LabelItem(_Item):
    """An edge's label in its reserved spot: look = (name, text, colour rgb, selected: 0, 1 or 2 as an edge's).

    The spot is sized for the widest value at the current precision; the box drawn hugs the actual text.
    """

    def __init__(self, element: Element, size: tuple[float, float]) -> None:
        super().__init__(element)
        self.w, self.h = size
        self.look = ("", "", 0, False)
        self.setZValue(1)
        self.setVisible(False)

    def boundingRect(self) -> QRectF:
        return QRectF(-2, -2, self.w + 4, self.h + 4)

    def place(self, rect: Rect | None) -> None:
        """Show the label at *rect* (a spot of the layout), or hide it."""
        if rect is None:
            if self.isVisible():
                self.setVisible(False)
            return
        if self.pos().x() != rect.x or self.pos().y() != rect.y:
            self.setPos(rect.x, rect.y)
        if not self.isVisible():
            self.setVisible(True)

    def paint(self, p: QPainter, opt, w=None) -> None:
        name, text, rgb, selected = self.look
        whole = f"{name} {text}" if name else text
        # measured in parts: the name (remembered) and the number (summed from its characters); the whole
        # string is new with every value and would be laid out each time
        wide = measure(name + " ", LABEL_PX) + measure(text, LABEL_PX) if name else None
        f = fitted_font(whole, LABEL_PX, self.w - 10, measured=wide)
        bold = font(f.pixelSize(), True)
        nw = measure(name + " ", f.pixelSize(), True) if name else 0.0
        tw = measure(text, f.pixelSize())
        box_w = min(self.w, nw + tw + 12)
        box = QRectF((self.w - box_w) / 2, 0, box_w, self.h)
        t = colors()
        ring = SELECT2 if selected == 2 else SELECT if selected else QColor(rgb)
        p.setPen(QPen(ring, 2 if selected else 1, Qt.DashLine if selected == 2 else Qt.SolidLine))
        p.setBrush(qcolor(t.label_fill))
        p.drawRoundedRect(box, 5, 5)
        x = box.x() + 6
        p.setPen(qcolor(t.ink))
        if name:
            p.setFont(bold)
            draw_text(p, QRectF(x, 0, nw, self.h), MIDDLE_LEFT, name)
        p.setFont(f)
        draw_text(p, QRectF(x + nw, 0, box.right() - x - nw, self.h), MIDDLE_LEFT, text)
