"""The loss plot stops following the data after a zoom by hand, and View All makes it follow again."""
import numpy as np
from PySide6.QtWidgets import QApplication


def test_view_all_after_a_zoom_follows_the_data_again(qtbot, open_window, no_dialogs):
    w = open_window((1400, 880))
    assert w.controller.open_example("moons")
    c, lp = w.controller, w.loss_plot
    vb = lp.plot.getPlotItem().vb
    for _ in range(12):
        c.step()
    QApplication.processEvents()
    vb.setRange(xRange=(2, 6), padding=0)  # as a wheel zoom does, then says it was the person's
    vb.sigRangeChangedManually.emit([True, True])
    for _ in range(3):
        c.step_back()
    for _ in range(10):
        c.step()
    QApplication.processEvents()
    assert vb.viewRange()[0][1] < 10  # zoomed by hand: the view stays where the person put it
    vb.menu.viewAll.trigger()  # the plot's context menu ▸ View All
    QApplication.processEvents()
    assert vb.viewRange()[0][1] >= 19
    for _ in range(30):
        c.step()
    QApplication.processEvents()
    x0, x1 = vb.viewRange()[0]
    assert x0 <= 1 and x1 >= 49 and x1 >= lp.marker.value()  # following again: the newest point and the marker


def test_epoch_points_are_marked_while_few_and_drawn_on_the_log_axis_as_logarithms(qtbot, open_window, no_dialogs):
    w = open_window((1400, 880))
    c, lp = w.controller, w.loss_plot  # the worked example: one sample, so every iteration ends an epoch
    for _ in range(3):
        c.step()
    QApplication.processEvents()
    loss = np.asarray(c.state.epoch_loss, dtype=float)
    x, y = lp.epoch_curve.getData()
    assert list(x) == [1.0, 2.0, 3.0] and np.array_equal(y, loss)
    assert np.array_equal(lp.epoch_dots.getData()[1], loss)  # three epochs: each has its marker
    c.set_log_scale(True)
    QApplication.processEvents()
    assert np.allclose(lp.epoch_curve.getData()[1], np.log10(loss), rtol=0, atol=1e-15)
    assert np.allclose(lp.epoch_dots.getData()[1], np.log10(loss), rtol=0, atol=1e-15)
    c.set_log_scale(False)
    for _ in range(300):
        c.step()
    QApplication.processEvents()
    assert len(lp.epoch_curve.getData()[0]) == 303 and not len(lp.epoch_dots.getData()[0])  # a line is enough
    lp.grab()  # the dots and the curves paint without error


def test_axis_labels_stay_two_text_lines_apart_on_a_short_plot(qtbot):
    # (a new-user tester: a short log-scale loss plot over several decades had touching labels)
    from PySide6.QtGui import QFont, QFontMetrics

    from backprop_lab.gui.plot_style import PlainAxis
    axis = PlainAxis("left")
    line = QFontMetrics(QFont()).height()
    for log in (True, False):
        axis.setLogMode(log)
        for lo, hi, size in ((-6.0, 0.0, 70.0), (-9.0, 0.5, 90.0), (0.0, 0.35, 60.0), (-3.0, 0.0, 400.0)):
            levels = axis.tickSpacing(lo, hi, size)
            major = levels[0][0]
            assert size * major / (hi - lo) >= 2 * line, (log, lo, hi, size, major)
            assert all(s < major for s, _ in levels[1:])  # finer levels: ticks without labels
            if log and major >= 1:
                assert float(major).is_integer()  # whole decades
    # on a tall axis pyqtgraph's own spacing stands
    plain = __import__("pyqtgraph").AxisItem("left")
    assert axis.tickSpacing(0.0, 1.0, 600.0) == plain.tickSpacing(0.0, 1.0, 600.0)


def test_the_plot_repainted_with_the_window_shows_what_a_fresh_painting_shows(qtbot, open_window, no_dialogs):
    # The plot's view ignores its scene during a key press and marks its changed part by hand, so that it is
    # painted in the window's one repaint pass: what the window shows must equal a fresh painting, with the
    # ranges changing (new iterations, steps back), after a switch to log scale, and on a hover afterwards.
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QGraphicsView

    w = open_window((1400, 880))
    plot = w.loss_plot.plot
    vp = plot.viewport()

    def shown():
        for _ in range(4):  # (a new axis width is laid out, and then painted, on the next turns of the loop)
            QApplication.processEvents()
        at = vp.mapTo(w, vp.rect().topLeft())
        return QGuiApplication.primaryScreen().grabWindow(w.winId(), at.x(), at.y(), vp.width(),
                                                          vp.height()).toImage()

    def differs(a, b) -> int:
        def rgb(im):
            im = im.convertToFormat(QImage.Format_RGB32)
            rows = np.frombuffer(im.constBits(), np.uint8, im.sizeInBytes()).reshape(im.height(), im.bytesPerLine())
            return rows[:, :4 * im.width()].reshape(im.height(), im.width(), 4)[..., :3]
        assert a.size() == b.size(), k
        return int(np.abs(rgb(a).astype(int) - rgb(b).astype(int)).max())

    qtbot.wait(300)  # the docks settle (the plot's scroll area decides on its scroll bar)
    back = [False] * 25 + [True] * 6 + [False] * 12  # F10, then Shift+F10, then F10 again
    for k, shift in enumerate(back):
        if k == 31:
            w.controller.set_log_scale(True)
        if k == 37:  # a zoom by hand, as a wheel zoom does (the plot stops following the data)
            vb = plot.getPlotItem().vb
            vb.setRange(xRange=(3, 20), padding=0)
            vb.sigRangeChangedManually.emit([True, True])
        QTest.keyClick(w.diagram, Qt.Key_F10, Qt.ShiftModifier if shift else Qt.NoModifier)
        before = shown()
        assert plot.viewportUpdateMode() == QGraphicsView.MinimalViewportUpdate  # restored after the press
        vp.update()  # everything painted afresh
        assert differs(shown(), before) <= 8, k
