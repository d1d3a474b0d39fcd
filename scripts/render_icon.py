"""Render resources/icons/backprop-lab.png (256 px) from the SVG. Run from the repository root."""
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

app = QGuiApplication(sys.argv[:1])
r = QSvgRenderer("resources/icons/backprop-lab.svg")
img = QImage(256, 256, QImage.Format_ARGB32)
img.fill(Qt.transparent)
p = QPainter(img)
r.render(p)
p.end()
img.save("resources/icons/backprop-lab.png")
print("wrote resources/icons/backprop-lab.png")
