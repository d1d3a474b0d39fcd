"""The loss plot stops following the data after a zoom by hand, and View All makes it follow again."""
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
