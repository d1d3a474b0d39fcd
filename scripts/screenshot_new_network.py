"""Render docs/screenshot-new-network.png: the Data panel, File ▸ New Network… and Import CSV (offscreen).

Usage: ``python -m scripts.screenshot_new_network [out.png]`` from the repository root.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint  # noqa: E402
from PySide6.QtGui import QColor, QImage, QPainter  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from backprop_lab.gui.csv_import_dialog import CsvImportDialog  # noqa: E402
from backprop_lab.gui.data_panel import QtDataPanel  # noqa: E402
from backprop_lab.gui.new_network_dialog import NewNetworkDialog, build_simulation  # noqa: E402

FLOWERS = """sepal_length,sepal_width,petal_length,species
5.1,3.5,1.4,setosa
7.0,3.2,4.7,versicolor
6.3,3.3,6.0,virginica
4.9,3.0,1.4,setosa
6.4,3.2,4.5,versicolor
5.8,2.7,5.1,virginica
4.7,3.2,1.3,setosa
6.9,3.1,4.9,versicolor
"""


def render(out: str) -> None:
    QApplication.instance() or QApplication([])  # widgets need an application
    dialog = NewNetworkDialog()
    dialog.set_dataset("spiral")
    dialog.set_sizes_text("2-4-4-1")
    dialog.samples.set_text("200")
    dialog.noise.set_text("0.1")
    dialog.test_fraction.set_text("0.2")
    dialog._refresh()
    sim = build_simulation(dialog.spec())
    sim.set_training(learning_rate=0.05, batch_size=10, shuffle=True)
    sim.run(20_000)

    panel = QtDataPanel()
    panel.set_network_shape(2, 1, "tanh", "mse")
    panel.source.setCurrentIndex(panel.source.findData("gen:spiral"))
    panel.noise.set_text("0.1")
    req = panel.apply()
    panel.set_data(req.inputs, req.targets, req.test_inputs, req.test_targets, req.description)
    panel.set_outputs(sim.network.forward(req.inputs))
    panel.resize(380, 880)
    os.chdir(tempfile.mkdtemp())  # so the dialog shows a short relative path
    Path("flowers.csv").write_text(FLOWERS)
    csv_dialog = CsvImportDialog(path="flowers.csv")
    csv_dialog.resize(dialog.sizeHint().width() + 40, 470)
    dialog.resize(dialog.sizeHint().width() + 40, dialog.sizeHint().height())
    for w in (panel, dialog, csv_dialog):
        w.show()
    for _ in range(3):  # header stretching and scroll bars settle over a few layout passes
        QTest.qWait(30)
    left, right, below = panel.grab(), dialog.grab(), csv_dialog.grab()
    gap, caption = 16, 26
    x2 = 2 * gap + left.width()
    y2 = caption + right.height() + gap + caption
    img = QImage(x2 + max(right.width(), below.width()) + gap,
                 max(caption + left.height(), y2 + below.height()) + gap, QImage.Format_RGB32)
    img.fill(QColor("#d5d8dc"))
    p = QPainter(img)
    font = p.font()
    font.setBold(True)
    p.setFont(font)
    p.setPen(QColor("#1b2631"))
    for x, y, text, pm in ((gap, caption, "Data panel", left), (x2, caption, "File ▸ New Network…", right),
                           (x2, y2, "Data panel ▸ Import CSV…", below)):
        p.drawText(x + 2, y - 8, text)
        p.drawPixmap(QPoint(x, y), pm)
    p.end()
    img.save(out)
    print(f"wrote {out} ({img.width()}×{img.height()})")


if __name__ == "__main__":
    render(os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshot-new-network.png"))
