"""draw_text places one line exactly where QPainter.drawText(rect, flags, text) does (it is a faster path)."""
import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from backprop_lab.gui.diagram_items import draw_text, font

ALIGNS = [Qt.AlignHCenter | Qt.AlignBottom, Qt.AlignHCenter | Qt.AlignTop, Qt.AlignCenter,
          Qt.AlignVCenter | Qt.AlignLeft, Qt.AlignVCenter | Qt.AlignRight]


def picture(paint) -> QImage:
    img = QImage(160, 60, QImage.Format_ARGB32_Premultiplied)
    img.fill(QColor("white"))
    p = QPainter(img)
    p.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
    p.setPen(QColor("black"))
    paint(p)
    p.end()
    return img


@pytest.mark.parametrize("align", ALIGNS, ids=lambda a: str(int(a)))
@pytest.mark.parametrize("px,bold", [(11, False), (13, True), (9.4, False)])
@pytest.mark.parametrize("text", ["−0.00386156", "h1_8", "E_total", "w5 0.35"])
def test_draw_text_is_pixel_identical_to_drawtext_in_a_rectangle(qapp, align, px, bold, text):
    rect = QRectF(12.25, 7.5, 120.5, 31.0)

    def ours(p):
        p.setFont(font(px, bold))
        draw_text(p, rect, align, text)

    def qts(p):
        p.setFont(font(px, bold))
        p.drawText(rect, align, text)
    a, b = picture(ours), picture(qts)
    assert a == b
    assert a != picture(lambda p: None)  # something was drawn


@pytest.mark.parametrize("px,bold", [(9, False), (11, False), (13, True), (15, False), (18, True)])
def test_the_width_of_a_number_is_the_width_qt_measures(qapp, px, bold):
    import numpy as np
    from PySide6.QtGui import QFontMetricsF

    from backprop_lab.core import format_number
    from backprop_lab.gui.diagram_items import measure
    rng = np.random.default_rng(7)
    fm = QFontMetricsF(font(px, bold))
    values = np.concatenate([rng.normal(0, 3, 300), 10.0 ** rng.uniform(-12, 12, 200) * rng.choice([-1, 1], 200)])
    texts = {format_number(float(v), d) for v in values for d in (3, 6, 9)} | {"-1.0e+12", "0", "−0.5"}
    assert len(texts) > 1000
    for t in texts:  # numbers are summed from their characters' advances, other texts measured by Qt
        assert measure(t, px, bold) == fm.horizontalAdvance(t), t
