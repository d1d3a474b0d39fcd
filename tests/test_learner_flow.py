"""Issue #12's learner's flow, in the window alone: New Network → run → add a neuron → undo → edit a sample → CSV."""
import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer

from backprop_lab.gui.structure_menu import find_action


@pytest.fixture
def win(open_window, warnings_shown):
    """The window with its warnings in ``win.shown`` as (title, text)."""
    w = open_window()
    w.shown = warnings_shown
    return w


def while_open(win, fill):
    """Run *fill(dialog)* once the dialog the next action opens runs its event loop."""
    def go():
        fill(win.data_features.dialog)
    QTimer.singleShot(0, go)


def tanh_mse(sim, x, t):
    """½·Σ(t − o)² averaged over the samples, with a forward pass written out here (every layer tanh)."""
    a = x
    for W, b in zip(sim.network.weights, sim.network.biases):
        a = np.tanh(a @ W.T + b)
    return float(np.mean(0.5 * np.sum((t - a) ** 2, axis=1)))


def new_spiral_network(d):
    d.set_dataset("spiral")
    assert d.set_sizes_text("2-4-4-1")
    d.test_fraction.set_text("0.2")
    d.data_seed.set_text("3")
    d._refresh()
    assert d.problems() == []
    d.create_button.click()


def test_a_learners_flow_in_the_window(win, qtbot, tmp_path):
    c, f = win.controller, win.data_features
    # -- File ▸ New Network…: 2-4-4-1 tanh on the spiral with a 20 % test split --------------------------
    while_open(win, new_spiral_network)
    f.act_new.trigger()
    sim = c.sim
    assert sim.network.sizes == (2, 4, 4, 1) and sim.network.activation_names == ["tanh"] * 3
    assert sim.inputs.shape == (160, 2) and sim.test_inputs.shape == (40, 2)
    assert c.dirty and c.path is None and win.windowTitle().startswith("2-4-4-1 tanh on spiral")  # unsaved work
    assert f.dock.isVisible() and f.panel.table.model.rowCount() == 160
    assert len(win.diagram.neurons) == 11

    # -- run three epochs --------------------------------------------------------------------------------
    c.set_epochs(3)
    with qtbot.waitSignal(c.run_finished, timeout=30_000):
        win.act_run.trigger()
    assert sim.epoch == 3
    test_curve = np.asarray(win.loss_plot.test_curve.getData()[1])
    assert np.array_equal(test_curve, sim.test_epoch_loss.view()) and len(test_curve) == 3
    # the last point is the test loss after the third epoch, at the weights now: checked by hand
    want = tanh_mse(sim, sim.test_inputs, sim.test_targets)
    assert test_curve[-1] == pytest.approx(want, rel=1e-12)
    assert c.state.test_loss == pytest.approx(want, rel=1e-12)
    assert c.state.fmt(c.state.test_loss) in win.equations.details.toPlainText()
    # the table's o1 column shows the outputs at the weights after the run (read from the model's cells)
    m = f.panel.table.model
    o_col = m.columnCount() - 1
    assert m.column_name(o_col).startswith("o1")
    a = sim.inputs
    for W, b in zip(sim.network.weights, sim.network.biases):
        a = np.tanh(a @ W.T + b)
    assert float(m.data(m.index(7, o_col), Qt.EditRole)) == pytest.approx(a[7, 0], abs=1e-6)

    # -- add a neuron to hidden layer 1 from the diagram's context menu, then undo ---------------------
    theta, it = sim.network.theta.copy(), sim.iteration
    W0, W1 = [w.copy() for w in sim.network.weights[:2]]
    find_action(f.structure.menu_for(1, 0), "Add a neuron").trigger()
    net = c.sim.network
    assert net.sizes == (2, 5, 4, 1) and len(win.diagram.neurons) == 12
    assert np.array_equal(net.weights[0][:4], W0) and np.array_equal(net.weights[1][:, :4], W1)
    assert len(f.structure.new_elements()) == 2 + 4 + 1 and f.structure.halo_shown()
    win.act_undo.trigger()
    assert c.sim.network.sizes == (2, 4, 4, 1) and c.sim.iteration == it
    assert c.sim.network.theta.tobytes() == theta.tobytes()
    assert len(win.diagram.neurons) == 11 and not f.structure.halo_shown()

    # -- edit a sample in the table ---------------------------------------------------------------------
    m = f.panel.table.model
    x_before = c.sim.inputs.copy()
    assert m.setData(m.index(5, 1), "0.25", Qt.EditRole)
    assert c.sim.inputs[5, 1] == 0.25 and m.inputs[5, 1] == 0.25
    x_before[5, 1] = 0.25
    assert np.array_equal(c.sim.inputs, x_before) and c.state.undo_label == "change data"

    # -- File ▸ Import CSV… -----------------------------------------------------------------------------
    rows = [(i / 10, (i % 3) / 3, 1.0 if i % 2 else -1.0) for i in range(20)]
    path = tmp_path / "mine.csv"
    path.write_text("a,b,label\n" + "".join(f"{a},{b},{y}\n" for a, b, y in rows))

    def import_it(d):
        assert d.set_path(path)
        d.set_columns([0, 1], [2])
        assert d.import_data()
    f.panel.test_fraction.set_text("0.25")
    while_open(win, import_it)
    assert f.act_import.isEnabled()
    f.act_import.trigger()
    sim = c.sim
    assert len(sim.inputs) == 15 and len(sim.test_inputs) == 5
    got = sorted(map(tuple, np.hstack([np.vstack([sim.inputs, sim.test_inputs]),
                                       np.vstack([sim.targets, sim.test_targets])]).tolist()))
    assert got == sorted(rows)
    assert m.rowCount() == 15 and win.shown == []
    # and the whole flow steps back: the imported data, then the edit, are undone
    win.act_undo.trigger()
    assert len(c.sim.inputs) == 160 and c.sim.inputs[5, 1] == 0.25 and m.rowCount() == 160


def test_a_csv_that_does_not_fit_is_refused_and_nothing_changes(win, tmp_path):
    c, f = win.controller, win.data_features
    data, theta = c.sim.data, c.sim.network.theta.copy()
    path = tmp_path / "three.csv"
    path.write_text("".join(f"{i},{i + 1},{i + 2},0.5\n" for i in range(6)))

    def import_it(d):
        assert d.set_path(path)
        d.set_columns([0, 1, 2], [3])
        assert d.import_data()
    while_open(win, import_it)
    assert f.act_import.trigger() is None
    assert c.sim.data is data and np.array_equal(c.sim.network.theta, theta)
    assert len(win.shown) == 1 and win.shown[0][0] == "CSV not imported"
    assert "3" in win.shown[0][1]  # the reason names the column counts


def test_the_data_dock_is_a_view_menu_toggle_and_follows_undo(win, qtbot):
    c, f = win.controller, win.data_features
    assert not f.dock.isVisible()
    f.act_data.trigger()
    assert f.dock.isVisible()
    x = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    t = np.array([[0.5, 0.5], [0.2, 0.8], [0.9, 0.1]])
    assert c.set_data(x, t, description="three points")
    assert f.panel.table.model.rowCount() == 3 and f.panel.current.text() == "three points"
    assert f.panel.table.model.columnCount() == 6  # i1 i2 t1 t2 o1 o2
    f.panel.table.sample_removed.emit(0)
    assert f.panel.table.model.rowCount() == 2 and np.array_equal(c.sim.inputs, x[1:])
    f.panel.table.sample_added.emit(np.array([0.3, 0.4]), np.array([0.1, 0.2]))
    assert np.array_equal(c.sim.inputs[-1], [0.3, 0.4]) and f.panel.table.model.rowCount() == 3
    for _ in range(3):
        c.undo()
    assert c.sim.inputs.tolist() == [[0.05, 0.1]] and f.panel.table.model.rowCount() == 1


def test_the_data_description_follows_undo_and_opening_a_file(win, tmp_path):
    c, f = win.controller, win.data_features
    f.show_dock()
    c.set_data([[0.0, 1.0]], [[0.5, 0.5]], description="one point")
    assert f.panel.current.text() == "one point"
    c.set_data([[1.0, 1.0], [0.0, 0.0]], [[0.5, 0.5], [0.1, 0.9]], description="two points")
    assert f.panel.current.text() == "two points"
    c.undo()
    assert f.panel.current.text() == "one point" and c.data_description == "one point"
    c.sim.save(tmp_path / "s.json")
    assert c.open(str(tmp_path / "s.json"))
    assert c.data_description == "" and f.panel.current.text() == "Current data"
