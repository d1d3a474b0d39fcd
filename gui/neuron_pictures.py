"""A picture in every neuron: each neuron's activation over the input plane as a small image.

Also the colour maps the insight views share (TensorFlow Playground's orange–white–blue
for values, a class palette for classes), as pure numpy → RGB arrays.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QObject, QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from backprop_lab.core import format_number
from backprop_lab.core.insight import PlaneGrid, activation_scale, neuron_pictures, plane_grid

NEGATIVE = (245, 147, 34)   # orange: low values / the lower target class
NEUTRAL = (250, 250, 250)
POSITIVE = (8, 119, 189)    # blue: high values / the higher target class
#: Class colours: binary uses the first two (lower target orange, higher blue, as the value map).
PALETTE = [NEGATIVE, POSITIVE, (44, 160, 44), (148, 103, 189), (214, 39, 40), (140, 86, 75),
           (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]
#: Heatmaps are drawn this much toward the full colour, so the data points stand out on top.
BACKGROUND_STRENGTH = 0.62
#: Largest number of neurons per layer shown by QtNeuronPictures.
MAX_SHOWN = 16


def diverging_lut(strength: float = 1.0) -> np.ndarray:
    """256 RGB entries from orange (−1) through near-white (0) to blue (+1), faded by *strength*."""
    t = np.linspace(-1.0, 1.0, 256)[:, None]
    neutral, neg, pos = (np.array(c, dtype=np.float64) for c in (NEUTRAL, NEGATIVE, POSITIVE))
    end = np.where(t < 0, neg, pos)
    rgb = neutral + (end - neutral) * np.abs(t) * strength
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


_LUTS: dict[float, np.ndarray] = {}


def values_rgb(values: np.ndarray, centre: float, half: float, strength: float = 1.0) -> np.ndarray:
    """``(…, 3)`` uint8 colours of *values*, ``centre ± half`` spanning orange…blue (beyond: saturated)."""
    lut = _LUTS.get(strength)
    if lut is None:
        lut = _LUTS[strength] = diverging_lut(strength)
    with np.errstate(all="ignore"):
        idx = (np.asarray(values, dtype=np.float64) - centre) * (127.5 / half) + 127.5
    idx[np.isnan(idx)] = 127.5  # (±inf are clipped to the ends below)
    return lut[np.clip(idx, 0, 255, out=idx).astype(np.uint8)]


def classes_rgb(winner: np.ndarray, intensity: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """Each point in its class colour, blended toward white as *intensity* (0…1) falls."""
    pal = np.array(PALETTE, dtype=np.float64)[np.asarray(winner) % len(PALETTE)]
    a = (np.clip(np.nan_to_num(intensity), 0.0, 1.0) * strength)[..., None]
    rgb = np.array(NEUTRAL, dtype=np.float64) + (pal - np.array(NEUTRAL, dtype=np.float64)) * a
    return np.rint(rgb).astype(np.uint8)


def rgb_image(rgb: np.ndarray) -> QImage:
    """A QImage (owning its pixels) from an ``(h, w, 3)`` uint8 array whose row 0 is the top."""
    rgb = np.ascontiguousarray(rgb)
    h, w, _ = rgb.shape
    return QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888).copy()


def picture_image(array: np.ndarray, size: int, *, centre: float = 0.0, half: float = 1.0) -> QImage:
    """A square *size*-pixel image of a neuron picture (rows follow input 2 upwards, as on the plane).

    The orange–white–blue map spans ``centre ± half`` (see ``activation_scale``).
    """
    rgb = values_rgb(np.asarray(array)[::-1], centre, half)  # row 0 of the array is the lowest y
    return rgb_image(rgb).scaled(size, size, Qt.IgnoreAspectRatio, Qt.SmoothTransformation)


def neuron_images(sim, size: int = 40, resolution: int = 32, *, theta: np.ndarray | None = None,
                  grid: PlaneGrid | None = None) -> dict[tuple[int, int], QImage]:
    """``{(layer, j): QImage}`` for every hidden and output neuron of a 2-input network (the diagram draws these)."""
    g = grid if grid is not None else plane_grid(sim, resolution, theta=theta)
    acts = sim.network.activation_names
    out = {}
    for l, values in enumerate(g.layers):  # a layer's neurons coloured at once (one colour scale per layer)
        centre, half = activation_scale(acts[l], values)
        rgb = values_rgb(np.asarray(values)[::-1], centre, half)  # (ny, nx, neurons, 3); row 0: the lowest y
        for j in range(rgb.shape[2]):
            out[(l + 1, j)] = rgb_image(rgb[:, :, j]).scaled(size, size, Qt.IgnoreAspectRatio,
                                                              Qt.SmoothTransformation)
    return out


def neuron_image(sim, layer: int, j: int, size: int = 200, resolution: int = 64, *,
                 theta: np.ndarray | None = None) -> QImage:
    """One neuron's picture, e.g. large while the pointer is over it in the diagram."""
    g = plane_grid(sim, resolution, theta=theta)
    values = g.layers[layer - 1][:, :, j]
    centre, half = activation_scale(sim.network.activation_names[layer - 1], g.layers[layer - 1])
    return picture_image(values, size, centre=centre, half=half)


class _Hover(QObject):
    """Shows a small picture's neuron large while the pointer is over it."""

    def __init__(self, owner: "QtNeuronPictures") -> None:
        super().__init__(owner)
        self.owner = owner

    def eventFilter(self, obj, ev) -> bool:
        if ev.type() == QEvent.Enter:
            self.owner.show_large(obj.property("neuron"))
        return False


class QtNeuronPictures(QWidget):
    """Every hidden and output neuron's picture, one column per layer, and the hovered one large."""

    #: emitted after each redraw (lets owners pace or count redraws)
    redrawn = Signal()

    def __init__(self, parent: QWidget | None = None, *, size: int = 44, large: int = 200,
                 resolution: int = 40) -> None:
        super().__init__(parent)
        self.size, self.large_size, self.resolution = size, large, resolution
        self._hover = _Hover(self)
        self._cells: dict[tuple[int, int], QLabel] = {}
        self._arrays: dict[tuple[int, int], tuple[np.ndarray, float, float]] = {}
        self._names: dict[tuple[int, int], str] = {}
        self._sizes: tuple[int, ...] | None = None
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        self.columns = QWidget()
        self.grid = QGridLayout(self.columns)
        self.grid.setSpacing(4)
        self.grid.setContentsMargins(0, 0, 0, 0)
        left = QVBoxLayout()
        left.addWidget(self.columns)
        left.addStretch(1)  # pictures stay together at the top
        lay.addLayout(left)
        right = QVBoxLayout()
        self.large = QLabel()
        self.large.setFixedSize(large, large)
        self.caption = QLabel("")
        self.caption.setTextFormat(Qt.PlainText)
        self.caption.setWordWrap(True)
        right.addWidget(self.large)
        right.addWidget(self.caption)
        right.addStretch(1)
        lay.addLayout(right)
        self.message = QLabel("")
        self.message.setTextFormat(Qt.PlainText)
        self.grid.addWidget(self.message, 0, 0)
        self._shown: tuple[int, int] | None = None

    def _rebuild(self, sim) -> None:
        for cell in self._cells.values():
            self.grid.removeWidget(cell)
            cell.deleteLater()
        self._cells.clear()
        net = sim.network
        for layer in range(1, len(net.sizes)):
            title = QLabel("output" if layer == len(net.sizes) - 1 else f"hidden {layer}")
            title.setTextFormat(Qt.PlainText)
            title.setStyleSheet("QLabel { color: #555; padding: 0 4px; }")
            self._cells[(layer, -1)] = title
            self.grid.addWidget(title, 0, layer - 1, Qt.AlignHCenter)
            for j in range(min(net.sizes[layer], MAX_SHOWN)):
                cell = QLabel()
                cell.setFixedSize(self.size, self.size)
                cell.setProperty("neuron", (layer, j))
                cell.installEventFilter(self._hover)
                name = net.neuron_name(layer, j)
                cell.setToolTip(name)
                self._names[(layer, j)] = name
                self._cells[(layer, j)] = cell
                self.grid.addWidget(cell, j + 1, layer - 1, Qt.AlignHCenter)
        self._sizes = net.sizes

    def update_from(self, sim, *, theta: np.ndarray | None = None) -> None:
        """Redraw every picture from *sim* (at *theta* when given)."""
        net = sim.network
        if net.sizes[0] != 2:
            self.message.setText(f"Neuron pictures need 2 inputs; this network has {net.sizes[0]}.")
            self.message.show()
            self.columns.setEnabled(False)
            return
        self.message.hide()
        self.columns.setEnabled(True)
        if net.sizes != self._sizes:
            self._rebuild(sim)
        g = plane_grid(sim, self.resolution, theta=theta)
        acts = net.activation_names
        for (layer, j), arr in neuron_pictures(sim, self.resolution, grid=g).items():
            cell = self._cells.get((layer, j))
            if cell is None:
                continue
            centre, half = activation_scale(acts[layer - 1], g.layers[layer - 1])
            self._arrays[(layer, j)] = (arr, centre, half)
            cell.setPixmap(QPixmap.fromImage(picture_image(arr, self.size, centre=centre, half=half)))
        self.show_large(self._shown or (len(net.sizes) - 1, 0))
        self.redrawn.emit()

    def show_large(self, key) -> None:
        """Show neuron *key* = ``(layer, j)`` in the large picture."""
        if key is None or tuple(key) not in self._arrays:
            return
        key = tuple(key)
        self._shown = key
        arr, centre, half = self._arrays[key]
        self.large.setPixmap(QPixmap.fromImage(picture_image(arr, self.large_size, centre=centre, half=half)))
        lo, hi = (format_number(v, 3) for v in (centre - half, centre + half))
        self.caption.setText(f"{self._names[key]}: orange {lo} … blue {hi}")

def captioned(pixmap: QPixmap, caption: str, font: QFont) -> QPixmap:
    """*pixmap* with *caption* (plain text, elided to its width) on a line of its own below it: the large picture
    shown on hovering a small one names its neuron."""
    fm = QFontMetrics(font)
    w, h = pixmap.width(), pixmap.height()
    out = QPixmap(w, h + fm.height() + 4)
    out.fill(Qt.white)
    p = QPainter(out)
    p.drawPixmap(0, 0, pixmap)
    p.setFont(font)
    p.setPen(QColor("#222222"))
    p.drawText(QRect(0, h + 2, w, fm.height()), Qt.AlignHCenter | Qt.AlignVCenter | Qt.TextSingleLine,
               fm.elidedText(caption, Qt.ElideRight, w))
    p.end()
    return out
