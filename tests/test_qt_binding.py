"""Guard against a Qt binding that corrupts the interpreter.

PySide6-Essentials 6.12.0 drops a reference to ``None`` on every call of a
method returning void.  From Python 3.12 on ``None`` is immortal and nothing
happens; on 3.11 the process aborts ("deallocating None") after a few thousand
redraws.  pyproject.toml pins a binding without the defect; this test fails if
an installed one has it.
"""
import sys

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QGraphicsObject, QGraphicsScene, QLabel


class _Item(QGraphicsObject):
    def boundingRect(self):
        return QRectF(0, 0, 1, 1)

    def paint(self, *a):
        pass


@pytest.mark.parametrize("call", ["update", "setText"])
def test_void_methods_keep_none_alive(qapp, call):
    scene = QGraphicsScene()
    item = _Item()
    scene.addItem(item)
    label = QLabel()
    f = item.update if call == "update" else (lambda: label.setText("x"))
    before = sys.getrefcount(None)
    for _ in range(200):
        f()
    lost = before - sys.getrefcount(None)
    assert lost < 100, f"{call}() dropped {lost} references to None in 200 calls: this PySide6 is broken on Python 3.11"
