"""A test set added part-way through training: the epochs before it have no test loss (NaN in the engine,
null in the file), and the state still saves, autosaves and loads back exactly."""
import json

import numpy as np
import pytest

from backprop_lab.core import Simulation, StateFileError, load_example


def _with_late_test_set(epochs_before: int = 2, epochs_after: int = 3) -> Simulation:
    sim = load_example("moons")
    sim.run_epochs(epochs_before)
    x, t = sim.inputs, sim.targets
    sim.set_data(x[:240], t[:240], test_inputs=x[240:], test_targets=t[240:])
    sim.run_epochs(epochs_after)
    return sim


def test_a_test_set_added_part_way_saves_and_loads_back_exactly(tmp_path):
    sim = _with_late_test_set()
    test = sim.test_epoch_loss.view()
    assert np.isnan(test[:2]).all() and np.isfinite(test[2:]).all()
    path = tmp_path / "late.json"
    sim.save(path)
    doc = json.loads(path.read_text())
    assert doc["history"]["test_loss"][:2] == [None, None]  # null: there was no test set yet
    assert doc["history"]["test_loss"][2:] == test[2:].tolist()
    back = Simulation.load(path)
    assert np.array_equal(back.test_epoch_loss.view(), test, equal_nan=True)
    assert back.network.theta.tobytes() == sim.network.theta.tobytes()


def test_reduced_test_loss_buckets_without_a_test_loss_round_trip(tmp_path):
    sim = load_example("moons")
    sim.history.set_budget(keep=4, max_buckets=4)
    sim.run_epochs(40)  # the first bucket of epochs has no test loss at all
    x, t = sim.inputs, sim.targets
    sim.set_data(x[:240], t[:240], test_inputs=x[240:], test_targets=t[240:])
    sim.run_epochs(100)
    red = sim.history.reduced()
    assert "test_loss" in red and np.isnan(red["test_loss"].min).any()
    path = tmp_path / "reduced.json"
    sim.save(path)
    back = Simulation.load(path)
    got = back.history.reduced()["test_loss"]
    for part in ("start", "end", "min", "max"):
        assert np.array_equal(getattr(got, part), getattr(red["test_loss"], part), equal_nan=True), part
    assert np.array_equal(back.test_epoch_loss.view(), sim.test_epoch_loss.view(), equal_nan=True)


@pytest.mark.parametrize("key,value,where", [
    ("batch_loss", None, "history.batch_loss[0]"),     # only the test loss may be missing
    ("test_loss", "abc", "history.test_loss[0]"),
])
def test_only_the_test_loss_may_be_null_and_nothing_else_takes_its_place(tmp_path, key, value, where):
    sim = _with_late_test_set()
    path = tmp_path / "s.json"
    sim.save(path)
    doc = json.loads(path.read_text())
    doc["history"][key][0] = value
    path.write_text(json.dumps(doc))
    with pytest.raises(StateFileError) as e:
        Simulation.load(path)
    assert where in str(e.value)
