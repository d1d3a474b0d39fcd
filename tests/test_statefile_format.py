"""State-file additions (issue #12, CONTRACT.md; display keys of #10.12): init instead of weights, training options,
optimizer state, a test set, display keys — read, written only when not default, and refused when wrong."""
import copy
import inspect
import json
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pytest

from backprop_lab.core import Simulation, StateFileError, TrainingSettings, load_example
from backprop_lab.core import simulation as simulation_module
from backprop_lab.core.statefile import (
    dumps,
    parse_json,
    schema,
    settings_kwargs,
    simulation_from_dict,
    training_section,
)

GOOD = json.loads((resources.files("backprop_lab.resources") / "examples" / "mazur.json").read_text())
ENGINE_HAS_OPTIONS = "optimizer" in TrainingSettings.__dataclass_fields__
ENGINE_HAS_TEST_SET = "test_inputs" in inspect.signature(Simulation).parameters


def refused(d) -> str:
    with pytest.raises(StateFileError) as ei:
        simulation_from_dict(parse_json(json.dumps(d).encode()))
    return str(ei.value)


def mazur(**training):
    d = copy.deepcopy(GOOD)
    d["training"].update(training)
    return d


# -- network.init: a network written by hand in ten lines ----------------------------------------------------
HAND_WRITTEN = """\
{"format": "backprop-lab-state", "version": 1,
 "name": "XOR by hand",
 "network": {"layers": [{"size": 2},
                        {"size": 3, "activation": "tanh"},
                        {"size": 1, "activation": "sigmoid"}],
             "init": {"scheme": "xavier", "seed": 42}},
 "training": {"loss": "mse", "learning_rate": 0.5},
 "data": {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]],
          "targets": [[0], [1], [1], [0]]}}
"""


def test_a_ten_line_hand_written_file_loads_with_the_seeded_weights(tmp_path):
    assert len(HAND_WRITTEN.splitlines()) <= 10
    p = tmp_path / "xor.json"
    p.write_text(HAND_WRITTEN)
    sim = Simulation.load(p)
    # Glorot uniform drawn straight from numpy, layer by layer: U(−a, a), a = √(6 / (n_in + n_out)); zero biases
    rng = np.random.default_rng(42)
    w0 = rng.uniform(-np.sqrt(6 / 5), np.sqrt(6 / 5), (3, 2))
    w1 = rng.uniform(-np.sqrt(6 / 4), np.sqrt(6 / 4), (1, 3))
    assert sim.network.weights[0].tolist() == w0.tolist() and sim.network.weights[1].tolist() == w1.tolist()
    assert not sim.network.biases[0].any() and not sim.network.biases[1].any()
    assert Simulation.load(p).network.theta.tobytes() == sim.network.theta.tobytes()  # every time the same
    sim.run(10)
    sim.save(tmp_path / "trained.json")  # saved with explicit weights: training changed them
    saved = json.loads((tmp_path / "trained.json").read_text())
    assert "init" not in saved["network"] and "weights" in saved["network"]
    assert Simulation.load(tmp_path / "trained.json").network.theta.tobytes() == sim.network.theta.tobytes()


@pytest.mark.parametrize("init,first_weights", [
    ({"scheme": "constant", "seed": 0, "value": 0.25}, lambda rng: np.full(4, 0.25)),
    ({"scheme": "uniform", "seed": 7, "scale": 2.0}, lambda rng: rng.uniform(-2.0, 2.0, 4)),
    ({"scheme": "normal", "seed": 7, "scale": 0.1}, lambda rng: rng.normal(0.0, 0.1, 4)),
    ({"scheme": "he", "seed": 3}, lambda rng: rng.normal(0.0, np.sqrt(2 / 2), 4)),
])
def test_init_schemes_draw_from_the_seeded_generator(init, first_weights):
    d = copy.deepcopy(GOOD)
    del d["network"]["weights"], d["network"]["biases"]
    d["network"]["init"] = init
    sim = simulation_from_dict(d)
    assert sim.network.weights[0].ravel().tolist() == first_weights(np.random.default_rng(init["seed"])).tolist()


def test_init_biases_options():
    d = copy.deepcopy(GOOD)
    del d["network"]["weights"], d["network"]["biases"]
    d["network"]["init"] = {"scheme": "zeros", "seed": 0, "biases": 0.35}
    assert simulation_from_dict(d).network.biases[1].tolist() == [0.35, 0.35]
    d["network"]["init"] = {"scheme": "uniform", "seed": 5, "scale": 1.0, "biases": "same"}
    rng = np.random.default_rng(5)
    w0, b0 = rng.uniform(-1, 1, (2, 2)), rng.uniform(-1, 1, 2)
    net = simulation_from_dict(d).network
    assert net.weights[0].tolist() == w0.tolist() and net.biases[0].tolist() == b0.tolist()


@pytest.mark.parametrize("change,expected", [
    (lambda n: n.update(init={"scheme": "he", "seed": 1}), "network.weights: network.init gives the weights"),
    (lambda n: (n.pop("weights"), n.pop("biases")), "network: missing required key 'weights'"),
    (lambda n: (n.pop("weights"), n.pop("biases"), n.update(init={"scheme": "he"})),
     "network.init: missing required key 'seed'"),
    (lambda n: (n.pop("weights"), n.pop("biases"), n.update(init={"scheme": "orthogonal", "seed": 1})),
     "network.init.scheme: unknown value 'orthogonal'"),
    (lambda n: (n.pop("weights"), n.pop("biases"), n.update(init={"scheme": "normal", "seed": 1, "scale": -1})),
     "network.init.scale: must be ≥ 0"),
    (lambda n: (n.pop("weights"), n.pop("biases"), n.update(init={"scheme": "he", "seed": -1})),
     "network.init.seed: must be ≥ 0"),
    (lambda n: (n.pop("weights"), n.pop("biases"), n.update(init={"scheme": "he", "seed": 1, "biases": "ones"})),
     "network.init.biases"),
])
def test_bad_init_is_refused(change, expected):
    d = copy.deepcopy(GOOD)
    change(d["network"])
    assert expected in refused(d)


# -- training options: mapped onto TrainingSettings, written only when not default --------------------------------
def test_training_section_maps_onto_settings_keywords():
    base = dict(loss="mse", learning_rate=0.5, batch_size=1, momentum=0.0, update_biases=False, shuffle=False, seed=0)
    assert settings_kwargs(GOOD["training"]) == base
    tr = dict(GOOD["training"], optimizer={"name": "adam", "beta1": 0.8, "beta2": 0.999, "epsilon": 1e-7}, l2=0.01,
              l1=0.0, schedule={"name": "step", "rate": 0.5, "every": 100}, hidden_delta_weights="updated")
    assert settings_kwargs(tr) == dict(base, optimizer="adam", beta1=0.8, epsilon=1e-7, l2=0.01, schedule="step",
                                       decay_every=100, hidden_delta_weights="updated")
    defaults = dict(GOOD["training"], optimizer={"name": "sgd"}, l2=0, l1=0.0, schedule={"name": "constant"},
                    hidden_delta_weights="original")
    assert settings_kwargs(defaults) == base  # the defaults are not passed: older engines accept the file


@dataclass(frozen=True)
class FullSettings(TrainingSettings):
    """TrainingSettings with the fields CONTRACT.md adds (for engines that predate them)."""

    optimizer: str = "sgd"
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8
    l2: float = 0.0
    l1: float = 0.0
    schedule: str = "constant"
    decay_rate: float = 0.5
    decay_every: int = 1000
    hidden_delta_weights: str = "original"


def test_settings_are_written_only_when_not_default():
    original = training_section(TrainingSettings(learning_rate=0.5))
    assert list(original) == ["loss", "learning_rate", "batch_size", "momentum", "update_biases", "shuffle", "seed"]
    assert training_section(FullSettings(learning_rate=0.5)) == original
    full = training_section(FullSettings(optimizer="adam", beta2=0.99, l1=0.001, schedule="exponential",
                                         decay_rate=0.9, decay_every=50, hidden_delta_weights="updated"))
    assert {k: full[k] for k in list(full)[7:]} == {
        "optimizer": {"name": "adam", "beta1": 0.9, "beta2": 0.99, "epsilon": 1e-8}, "l1": 0.001,
        "schedule": {"name": "exponential", "rate": 0.9, "every": 50}, "hidden_delta_weights": "updated"}


OPTIONS = {"optimizer": {"name": "adam", "beta1": 0.85, "beta2": 0.99, "epsilon": 1e-7}, "l2": 0.001, "l1": 0.002,
           "schedule": {"name": "step", "rate": 0.5, "every": 10}, "hidden_delta_weights": "updated"}


def test_training_options_round_trip_byte_identically(tmp_path, monkeypatch):
    if not ENGINE_HAS_OPTIONS:  # the plumbing, with the fields CONTRACT.md gives TrainingSettings
        monkeypatch.setattr(simulation_module, "TrainingSettings", FullSettings)
    p = tmp_path / "a.json"
    p.write_text(dumps(mazur(**OPTIONS)))
    sim = Simulation.load(p)
    s = sim.settings
    assert (s.optimizer, s.beta1, s.beta2, s.epsilon, s.l2, s.l1, s.schedule, s.decay_rate, s.decay_every,
            s.hidden_delta_weights) == ("adam", 0.85, 0.99, 1e-7, 0.001, 0.002, "step", 0.5, 10, "updated")
    sim.save(tmp_path / "b.json")
    assert (tmp_path / "b.json").read_bytes() == p.read_bytes()


def test_training_options_on_this_engine():
    """Until the core refactor lands the options are refused by name; afterwards they load."""
    if not ENGINE_HAS_OPTIONS:
        assert "training.optimizer: 'adam' is not supported by this engine" in refused(mazur(**OPTIONS))
        assert "training.l2: 0.5 is not supported by this engine" in refused(mazur(l2=0.5))
        simulation_from_dict(mazur(optimizer={"name": "sgd"}, l2=0.0, schedule={"name": "constant"}))
        return
    assert simulation_from_dict(mazur(**OPTIONS)).settings.optimizer == "adam"


@pytest.mark.parametrize("training,expected", [
    ({"optimizer": {"name": "rmsprop"}}, "training.optimizer.name: unknown value 'rmsprop'"),
    ({"optimizer": {"name": "sgd", "beta1": 0.9}}, "training.optimizer.beta1: only the 'adam' optimizer has beta1"),
    ({"optimizer": {"name": "adam", "beta1": 1.0}}, "training.optimizer.beta1: must be < 1"),
    ({"optimizer": {"name": "adam", "epsilon": 0}}, "training.optimizer.epsilon: must be > 0"),
    ({"optimizer": {"beta1": 0.9}}, "training.optimizer: missing required key 'name'"),
    ({"l2": -0.1}, "training.l2: must be ≥ 0"),
    ({"l1": "0.1"}, "training.l1: expected number, got a string '0.1'"),
    ({"schedule": {"name": "constant", "rate": 0.5}}, "training.schedule.rate: a constant learning rate has no rate"),
    ({"schedule": {"name": "step", "rate": 0}}, "training.schedule.rate: must be > 0"),
    ({"schedule": {"name": "step", "every": 0}}, "training.schedule.every: must be ≥ 1"),
    ({"schedule": {"name": "cosine"}}, "training.schedule.name: unknown value 'cosine'"),
    ({"hidden_delta_weights": "new"}, "training.hidden_delta_weights: unknown value 'new'"),
])
def test_bad_training_options_are_refused(training, expected):
    assert expected in refused(mazur(**training))


# -- optimizer state -----------------------------------------------------------------------------------------------
def test_adam_state_is_passed_to_the_engine_and_written_back(tmp_path, monkeypatch):
    """The loader hands optimizer.m/v/t to restore_progress; the saver writes optimizer_state()."""
    if not ENGINE_HAS_OPTIONS:
        monkeypatch.setattr(simulation_module, "TrainingSettings", FullSettings)
        real_restore = Simulation.restore_progress

        def restore(self, *args, optimizer_state=None, test_loss=None):
            self.adam = optimizer_state
            real_restore(self, *args)
        monkeypatch.setattr(Simulation, "restore_progress", restore)
        monkeypatch.setattr(Simulation, "optimizer_state", lambda self: self.adam)
    rng = np.random.default_rng(2)
    m, v = rng.normal(size=12), rng.uniform(0, 1e-3, 12)
    d = mazur(optimizer={"name": "adam", "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8})
    d["optimizer"] = {"m": m.tolist(), "v": v.tolist(), "t": 7}
    p = tmp_path / "adam.json"
    p.write_text(dumps(d))
    sim = Simulation.load(p)
    state = sim.optimizer_state()
    assert state["m"].tobytes() == m.tobytes() and state["v"].tobytes() == v.tobytes() and state["t"] == 7
    sim.save(tmp_path / "b.json")
    assert (tmp_path / "b.json").read_bytes() == p.read_bytes()


@pytest.mark.parametrize("opt,expected", [
    ({"m": [0.0] * 12, "v": [0.0] * 12}, "optimizer: 'm' needs 't' as well"),
    ({"m": [0.0] * 11, "v": [0.0] * 12, "t": 1}, "optimizer.m: expected 12 numbers (one per parameter), got 11"),
    ({"m": [0.0] * 12, "v": [0.0] * 11 + [-1e-9], "t": 1}, "optimizer.v[11]: must be ≥ 0"),
    ({"m": [0.0] * 12, "v": [0.0] * 12, "t": -1}, "optimizer.t: must be ≥ 0"),
    ({"m": [0.0] * 12, "v": [0.0] * 12, "t": 1.5}, "optimizer.t: expected integer"),
])
def test_bad_adam_state_is_refused(opt, expected):
    d = mazur(optimizer={"name": "adam"})
    d["optimizer"] = opt
    assert expected in refused(d)


def test_adam_state_needs_the_adam_optimizer():
    d = mazur()
    d["optimizer"] = {"m": [0.0] * 12, "v": [0.0] * 12, "t": 0}
    assert "optimizer.m: Adam's state (m, v, t) needs training.optimizer" in refused(d)


def test_momentum_velocity_round_trips(tmp_path):
    sim = load_example("moons")
    sim.set_training(momentum=0.9)
    sim.run(17)
    sim.save(tmp_path / "m.json")
    back = Simulation.load(tmp_path / "m.json")
    assert back.optimizer_state()["velocity"].tobytes() == sim.optimizer_state()["velocity"].tobytes()


# -- a test set ------------------------------------------------------------------------------------------------------
def with_test_set(d, inputs, targets, test_loss=None):
    d = copy.deepcopy(d)
    d["data"]["test_inputs"], d["data"]["test_targets"] = inputs, targets
    if test_loss is not None:
        d["history"]["test_loss"] = test_loss
    return d


def test_test_set_on_this_engine(tmp_path):
    d = with_test_set(GOOD, [[0.1, 0.2], [0.3, 0.4]], [[0.0, 1.0], [1.0, 0.0]], test_loss=[])
    if not ENGINE_HAS_TEST_SET:
        assert "data.test_inputs: a test set is not supported by this engine" in refused(d)
        return
    sim = simulation_from_dict(d)
    assert sim.test_inputs.tolist() == [[0.1, 0.2], [0.3, 0.4]]
    sim.save(tmp_path / "t.json")
    assert json.loads((tmp_path / "t.json").read_text())["data"]["test_targets"] == [[0.0, 1.0], [1.0, 0.0]]


@pytest.mark.parametrize("d,expected", [
    (with_test_set(GOOD, [[0.1, 0.2]], [[0.0, 1.0], [1.0, 0.0]]), "data.test_targets: expected 1 rows"),
    (with_test_set(GOOD, [[0.1]], [[0.0, 1.0]]), "data.test_inputs[0]: expected 2 numbers, got 1"),
    (with_test_set(GOOD, [[0.1, 0.2]], [[0.0, 1.0]], test_loss=[0.5]), "history.test_loss: expected 0 entries"),
    (with_test_set(GOOD, [], []), "data.test_inputs: needs at least 1 entries"),
])
def test_bad_test_sets_are_refused(d, expected):
    assert expected in refused(d)


def test_test_loss_without_a_test_set_is_refused():
    d = copy.deepcopy(GOOD)
    d["history"]["test_loss"] = []
    assert "history.test_loss: there is no test set" in refused(d)


# -- display keys (#10.12) --------------------------------------------------------------------------------------
def test_display_keys_round_trip_and_unknown_keys_are_kept(tmp_path):
    d = copy.deepcopy(GOOD)
    d["display"] = {"precision": 6, "edge_view": "gradient", "log_scale": True, "epochs": 250, "speed": 4,
                    "from_a_newer_version": {"panels": ["plot", "table"]}}
    p = tmp_path / "d.json"
    p.write_text(dumps(d))
    sim = Simulation.load(p)
    assert sim.display == d["display"]
    sim.save(tmp_path / "e.json")
    assert (tmp_path / "e.json").read_bytes() == p.read_bytes()


@pytest.mark.parametrize("display,expected", [
    ({"log_scale": "yes"}, "display.log_scale: expected boolean, got a string 'yes'"),
    ({"epochs": 0}, "display.epochs: must be ≥ 1"),
    ({"epochs": 2.5}, "display.epochs: expected integer"),
    ({"speed": "fast"}, "display.speed: expected integer"),
    ({"precision": 40}, "display.precision: must be ≤ 17"),
    ({"edge_view": 3}, "display.edge_view: expected string"),
    ([1, 2], "display: expected object, got an array"),
])
def test_bad_display_values_are_refused(display, expected):
    d = copy.deepcopy(GOOD)
    d["display"] = display
    assert expected in refused(d)


def test_every_addition_is_in_the_schema():
    p = schema()["properties"]
    assert {"optimizer", "l2", "l1", "schedule", "hidden_delta_weights"} <= set(p["training"]["properties"])
    assert {"test_inputs", "test_targets"} <= set(p["data"]["properties"])
    assert {"velocity", "m", "v", "t"} == set(p["optimizer"]["properties"])
    assert "test_loss" in p["history"]["properties"] and "init" in p["network"]["properties"]
    assert {"precision", "edge_view", "log_scale", "epochs", "speed"} == set(p["display"]["properties"])
    assert "weights" not in p["network"]["required"]
