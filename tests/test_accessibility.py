"""Issue 10.14–10.15: the window follows a dark palette, and every control is named, explained and reachable."""
from collections import Counter

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QApplication,
    QComboBox,
    QLineEdit,
    QMessageBox,
    QWidget,
)

from backprop_lab.core import Element
from backprop_lab.gui import theme
from backprop_lab.gui.main_window import create_main_window


def dark_palette() -> QPalette:
    p = QPalette()
    for role, c in ((QPalette.Window, "#2b2b2b"), (QPalette.WindowText, "#e6e6e6"), (QPalette.Base, "#1e1e1e"),
                    (QPalette.AlternateBase, "#2b2b2b"), (QPalette.Text, "#e6e6e6"), (QPalette.Button, "#353535"),
                    (QPalette.ButtonText, "#e6e6e6"), (QPalette.ToolTipBase, "#2b2b2b"),
                    (QPalette.ToolTipText, "#e6e6e6"), (QPalette.Highlight, "#2a82da"),
                    (QPalette.HighlightedText, "#000000")):
        p.setColor(role, QColor(c))
    return p


@pytest.fixture
def dark(qapp):
    before = qapp.palette()
    qapp.setPalette(dark_palette())
    yield
    qapp.setPalette(before)


def make_window(qtbot, settings, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Discard)
    w = create_main_window(settings=settings)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def pixels(widget) -> np.ndarray:
    img = widget.grab().toImage().convertToFormat(QImage.Format_RGB32)
    arr = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes()).reshape(img.height(), img.bytesPerLine())
    return arr[:, :img.width() * 4].reshape(img.height(), img.width(), 4)[..., 2::-1].copy()  # R, G, B


def lightness(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(float).mean(axis=-1) / 255


def test_theme_colours_have_readable_contrast():
    for t in (theme.LIGHT, theme.DARK):
        assert theme.contrast(t.ink, t.background) >= 7
        for fill in t.fills.values():
            assert theme.contrast(t.ink, fill) >= 4.5
        assert theme.contrast(t.bias_ink, t.bias_fill) >= 4.5
        assert theme.contrast(t.loss_ink, t.loss_fill) >= 4.5
        for ink in (t.heading, t.result, t.number, t.muted):
            assert theme.contrast(ink, t.background) >= 4.5, ink
    # the contrast formula itself: black on white is 21:1, a colour on itself 1:1
    assert theme.contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert theme.contrast("#777777", "#777777") == pytest.approx(1.0)


def test_dark_palette_gives_a_dark_readable_window(qtbot, settings, monkeypatch, dark):
    assert theme.is_dark()
    win = make_window(qtbot, settings, monkeypatch)
    qtbot.wait(100)
    px = pixels(win.diagram)
    common = Counter(map(tuple, px.reshape(-1, 3))).most_common(1)[0][0]
    assert lightness(np.array(common)) < 0.25, common  # the canvas is dark
    light = lightness(px) > 0.8
    assert light.sum() > 200, "the diagram's text is drawn light on the dark canvas"
    # the text really contrasts with the canvas
    ink = px[light].mean(axis=0)
    assert theme.contrast(QColor(*map(int, ink)), QColor(*common)) >= 7
    # the equations: dark base, light text, no dark-blue headings on it
    eq = pixels(win.equations)
    assert lightness(np.array(Counter(map(tuple, eq.reshape(-1, 3))).most_common(1)[0][0])) < 0.3
    assert (lightness(eq) > 0.75).sum() > 200
    # the loss plot's canvas is dark too
    plot = pixels(win.loss_plot.plot)
    assert lightness(np.array(Counter(map(tuple, plot.reshape(-1, 3))).most_common(1)[0][0])) < 0.3
    win.grab().save("/tmp/dark.png")


def test_light_palette_keeps_the_light_colours(qtbot, settings, monkeypatch):
    if theme.is_dark():
        pytest.skip("the test platform's palette is dark")
    win = make_window(qtbot, settings, monkeypatch)
    px = pixels(win.diagram)
    common = Counter(map(tuple, px.reshape(-1, 3))).most_common(1)[0][0]
    assert common == (255, 255, 255)


# -- 10.15: names, tooltips, the keyboard ---------------------------------------------------------------------
@pytest.fixture
def win(qtbot, settings, monkeypatch):
    w = make_window(qtbot, settings, monkeypatch)
    w.activateWindow()
    w.diagram.setFocus()
    qtbot.wait(10)  # the late naming pass
    yield w
    w.controller.pause()


def test_every_control_has_an_accessible_name_and_a_tooltip(win):
    from backprop_lab.gui.accessibility import is_control
    controls = [w for w in win.findChildren(QWidget) if is_control(w) and w.isVisibleTo(win)]
    assert len(controls) >= 20
    missing = [(type(w).__name__, w.objectName(), getattr(w, "text", lambda: "")())
               for w in controls if not w.accessibleName().strip() or not w.toolTip().strip()]
    assert not missing, missing
    kinds = {type(w) for w in controls}
    assert any(issubclass(k, QAbstractButton) for k in kinds) and any(issubclass(k, QLineEdit) for k in kinds)
    assert any(issubclass(k, QComboBox) for k in kinds) and any(issubclass(k, QAbstractSlider) for k in kinds)


def key(qtbot, win, k):
    qtbot.keyClick(win.diagram, k)


def test_arrow_keys_walk_the_diagram_and_enter_edits(qtbot, win):
    c = win.controller
    assert c.selection is None
    key(qtbot, win, Qt.Key_Right)  # no cursor yet: it starts on the first input
    assert c.selection == Element("neuron", 0, 0)
    key(qtbot, win, Qt.Key_Down)
    assert c.selection == Element("neuron", 0, 1)  # i2
    key(qtbot, win, Qt.Key_Up)
    key(qtbot, win, Qt.Key_Right)  # i1 → its first outgoing weight, w1 (i1 → h1)
    assert c.selection == Element("weight", 0, 0, 0)
    assert c.state.network.element_name(c.selection) == "w1"
    key(qtbot, win, Qt.Key_Right)  # along the edge to h1
    assert c.selection == Element("neuron", 1, 0)
    key(qtbot, win, Qt.Key_Right)  # h1 → w5 (h1 → o1)
    assert c.state.network.element_name(c.selection) == "w5"
    key(qtbot, win, Qt.Key_Down)  # the next weight of that layer
    assert c.selection.kind in ("weight", "bias") and c.selection != Element("weight", 1, 0, 0)
    key(qtbot, win, Qt.Key_Up)
    assert c.state.network.element_name(c.selection) == "w5"
    assert "w5" in win.statusBar().currentMessage()
    # Enter opens the inline editor on w5; typing and Enter set it, exactly
    key(qtbot, win, Qt.Key_Return)
    ed = win.diagram.editor
    assert ed is not None
    ed.selectAll()
    qtbot.keyClicks(ed, "0.25")
    qtbot.keyClick(ed, Qt.Key_Return)
    assert c.state.parameter(Element("weight", 1, 0, 0)) == 0.25
    assert win.diagram.editor is None
    # Enter again, type, Esc: nothing changes
    win.diagram.setFocus()
    key(qtbot, win, Qt.Key_Return)
    ed = win.diagram.editor
    ed.selectAll()
    qtbot.keyClicks(ed, "7")
    qtbot.keyClick(ed, Qt.Key_Escape)
    assert win.diagram.editor is None
    assert c.state.parameter(Element("weight", 1, 0, 0)) == 0.25
    # Esc on the diagram clears the cursor
    win.diagram.setFocus()
    key(qtbot, win, Qt.Key_Escape)
    assert c.selection is None


def test_enter_on_a_neuron_edits_its_bias(qtbot, win):
    c = win.controller
    c.select(Element("neuron", 1, 1))  # h2
    key(qtbot, win, Qt.Key_Return)
    assert win.diagram.editor is not None
    assert c.selection == Element("bias", 0, 1)
    qtbot.keyClick(win.diagram.editor, Qt.Key_Escape)


def test_tab_reaches_every_dock(qtbot, win):
    win.diagram.setFocus()
    seen = []
    for _ in range(60):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Tab)
        seen.append(QApplication.focusWidget())
    docks = {d: any(w is not None and d.isAncestorOf(w) for w in seen)
             for d in (win.training_dock, win.equations_dock, win.plot_dock)}
    assert all(docks.values()), {d.windowTitle(): v for d, v in docks.items()}
    assert win.diagram in seen  # and round again to the diagram


def test_a_shrunk_window_gives_the_training_fields_back(qtbot, win):
    """Found in a new-user pass: after a resize to 900×600 and back the Training dock stayed 115 px wide."""
    win.resize(900, 600)
    qtbot.wait(20)
    win.resize(1400, 880)
    qtbot.wait(20)
    assert not win.training_dock.widget().horizontalScrollBar().isVisible()
    field = win.training.learning_rate
    assert field.visibleRegion().boundingRect().width() >= field.width() - 1
