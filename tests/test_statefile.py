"""State files: exact round trips, a corpus of bad files, fuzzing, atomic save."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from importlib import resources

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backprop_lab.core import EXAMPLES, Simulation, StateFileError, load_example
from backprop_lab.core.statefile import parse_json, schema

GOOD = json.loads((resources.files("backprop_lab.resources") / "examples" / "mazur.json").read_text())


def same(a: Simulation, b: Simulation) -> None:
    assert a.network.sizes == b.network.sizes
    assert a.network.activation_names == b.network.activation_names
    assert a.network.theta.tobytes() == b.network.theta.tobytes()
    assert a.velocity.tobytes() == b.velocity.tobytes()
    assert a.inputs.tobytes() == b.inputs.tobytes() and a.targets.tobytes() == b.targets.tobytes()
    assert (a.iteration, a.epoch, a.position, a.settings) == (b.iteration, b.epoch, b.position, b.settings)
    assert a.batch_loss.view().tobytes() == b.batch_loss.view().tobytes()
    assert a.epoch_loss.view().tobytes() == b.epoch_loss.view().tobytes()
    assert a.epoch_end.view().tobytes() == b.epoch_end.view().tobytes()


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_shipped_examples_pass_the_full_schema_validation(name):
    """load_example skips the schema at start-up because this test holds for every shipped file."""
    from backprop_lab.core.statefile import example_path, validate
    validate(json.loads(example_path(name).read_text("utf-8")))


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_examples_round_trip_exactly(name, tmp_path):
    sim = load_example(name)
    sim.save(tmp_path / "a.json")
    same(sim, Simulation.load(tmp_path / "a.json"))


@pytest.mark.parametrize("name", ["moons", "blobs", "xor"])
def test_round_trip_after_steps_and_edits(name, tmp_path):
    sim = load_example(name)
    sim.run(37)
    sim.set_weight(0, 0, 0, 0.1 + 0.2)  # 0.30000000000000004 must survive
    sim.step()
    sim.save(tmp_path / "s.json")
    back = Simulation.load(tmp_path / "s.json")
    same(sim, back)
    # and it continues exactly as the original would
    sim.run(5)
    back.run(5)
    same(sim, back)


def test_random_values_round_trip(rng, tmp_path):
    sim = load_example("moons")
    sim.network.theta[:] = rng.normal(0, 1e3, sim.network.n_params) * rng.choice([1e-300, 1, 1e300], sim.network.n_params)
    sim.save(tmp_path / "r.json")
    assert Simulation.load(tmp_path / "r.json").network.theta.tobytes() == sim.network.theta.tobytes()


def test_saved_file_is_readable_and_stable(tmp_path):
    sim = load_example("mazur")
    sim.save(tmp_path / "a.json")
    sim.save(tmp_path / "b.json")
    text = (tmp_path / "a.json").read_text()
    assert text == (tmp_path / "b.json").read_text()
    assert '\n    "weights": [' in text and "[0.15, 0.2]" in text
    assert list(json.loads(text))[:5] == ["format", "version", "name", "notes", "network"]


def test_schema_in_resources_is_the_one_used():
    s = schema()
    assert s["properties"]["format"]["const"] == "backprop-lab-state"
    import jsonschema
    jsonschema.validators.validator_for(s).check_schema(s)


def mutated(fn):
    d = json.loads(json.dumps(GOOD))
    fn(d)
    return json.dumps(d).encode()


def setp(path, value):
    def f(d):
        cur = d
        for p in path[:-1]:
            cur = cur[p]
        cur[path[-1]] = value
    return f


def delp(path):
    def f(d):
        cur = d
        for p in path[:-1]:
            cur = cur[p]
        del cur[path[-1]]
    return f


BAD = {
    "empty file": (b"", "empty"),
    "whitespace only": (b"   \n", "empty"),
    "truncated JSON": (json.dumps(GOOD).encode()[:-20], "invalid JSON at line 1"),
    "JSON array instead of object": (b"[1, 2, 3]", "must be a JSON object"),
    "JSON string": (b'"hello"', "must be a JSON object"),
    "non-UTF-8 bytes": (b'{"format": "\xff\xfe"}', "not UTF-8"),
    "NaN literal": (json.dumps(GOOD).replace("0.15", "NaN").encode(), "NaN is not allowed"),
    "Infinity literal": (json.dumps(GOOD).replace("0.15", "-Infinity").encode(), "Infinity is not allowed"),
    "number overflowing to inf": (json.dumps(GOOD).replace("0.15", "1e999").encode(), "too large"),
    "deeply nested arrays": (b"[" * 100000 + b"]" * 100000, "nested too deeply"),
    "wrong format tag": (mutated(setp(["format"], "something-else")), "format"),
    "newer version": (mutated(setp(["version"], 2)), "version: file format version 2 is newer"),
    "version is a string": (mutated(setp(["version"], "1")), "version: expected integer"),
    "missing network": (mutated(delp(["network"])), "missing required key 'network'"),
    "missing weights": (mutated(delp(["network", "weights"])), "network: missing required key 'weights'"),
    "layers not a list": (mutated(setp(["network", "layers"], {"size": 2})), "network.layers: expected array"),
    "size is a string": (mutated(setp(["network", "layers", 1, "size"], "2")), "network.layers[1].size: expected integer"),
    "zero size": (mutated(setp(["network", "layers", 1, "size"], 0)), "network.layers[1].size: must be ≥ 1"),
    "negative size": (mutated(setp(["network", "layers", 0, "size"], -3)), "network.layers[0].size: must be ≥ 1"),
    "huge declared size": (mutated(setp(["network", "layers", 1, "size"], 10**9)), "network.layers[1].size: must be ≤ 1024"),
    "enormous integer": (json.dumps(GOOD).replace('"size": 2', '"size": ' + "9" * 5000, 1).encode(), "too large"),
    "unknown activation": (mutated(setp(["network", "layers", 1, "activation"], "swish")), "network.layers[1].activation: unknown value 'swish'"),
    "missing activation": (mutated(delp(["network", "layers", 1, "activation"])), "network.layers[1]: missing required key 'activation'"),
    "softmax in hidden layer": (mutated(setp(["network", "layers", 1, "activation"], "softmax")), "only allowed on the output layer"),
    "unknown loss": (mutated(setp(["training", "loss"], "hinge")), "training.loss: unknown value 'hinge'"),
    "loss incompatible with output": (mutated(lambda d: (d["network"]["layers"][2].update(activation="tanh"), d["training"].update(loss="cross_entropy"))), "training.loss"),
    "weight is a string": (mutated(setp(["network", "weights", 0, 1, 0], "abc")), "network.weights[0][1][0]: expected number, got a string 'abc'"),
    "weight is null": (mutated(setp(["network", "weights", 1, 0, 1], None)), "network.weights[1][0][1]: expected number"),
    "weight is a boolean": (mutated(setp(["network", "weights", 1, 0, 1], True)), "network.weights[1][0][1]: expected number"),
    "row too long": (mutated(setp(["network", "weights", 1, 0], [0.4, 0.45, 0.5])), "network.weights[1][0]: expected 2 numbers, got 3"),
    "too few rows": (mutated(setp(["network", "weights", 0], [[0.1, 0.2]])), "network.weights[0]: expected 2 rows"),
    "too many matrices": (mutated(lambda d: d["network"]["weights"].append([[1.0, 2.0]])), "network.weights: expected 2 weight matrices"),
    "bias shape": (mutated(setp(["network", "biases", 1], [0.6])), "network.biases[1]: expected 2 numbers, got 1"),
    "negative learning rate": (mutated(setp(["training", "learning_rate"], -0.5)), "training.learning_rate: must be ≥ 0"),
    "momentum 1": (mutated(setp(["training", "momentum"], 1.0)), "training.momentum: must be < 1"),
    "batch size 0": (mutated(setp(["training", "batch_size"], 0)), "training.batch_size: must be ≥ 1"),
    "batch size float": (mutated(setp(["training", "batch_size"], 1.5)), "training.batch_size: expected integer"),
    "typo in training key": (mutated(setp(["training", "learning_rat"], 0.1)), "training: unknown key"),
    "input row wrong length": (mutated(setp(["data", "inputs", 0], [0.05])), "data.inputs[0]: expected 2 numbers, got 1"),
    "targets count differs": (mutated(setp(["data", "targets"], [[0.01, 0.99], [0.5, 0.5]])), "data.targets: expected 1 rows"),
    "no samples": (mutated(setp(["data", "inputs"], [])), "data.inputs: needs at least 1 entries"),
    "position beyond data": (mutated(setp(["progress", "position"], 5)), "progress.position: must be less than"),
    "history length mismatch": (mutated(setp(["progress", "iteration"], 3)), "history.batch_loss: expected 3 entries"),
    "velocity wrong length": (mutated(setp(["optimizer"], {"velocity": [0.0]})), "optimizer.velocity: expected 12 numbers"),
    "too many samples": (mutated(setp(["data", "inputs"], [[0.0, 0.0]] * 100001)), "data.inputs: too many entries"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_file_is_rejected_with_place(case, tmp_path):
    raw, expected = BAD[case]
    path = tmp_path / "bad.json"
    path.write_bytes(raw)
    with pytest.raises(StateFileError) as ei:
        Simulation.load(path)
    msg = str(ei.value)
    assert str(path) in msg, msg
    assert expected in msg, msg
    assert isinstance(ei.value, ValueError)


def test_the_corpus_base_file_loads_so_each_refusal_is_its_mutations_doing(tmp_path):
    """Every BAD case above but the byte-level ones changes one thing in GOOD: GOOD itself must load, exactly."""
    path = tmp_path / "good.json"
    path.write_bytes(mutated(lambda d: None))
    sim = Simulation.load(path)
    same(sim, load_example("mazur"))
    assert sim.network.weights[0].tolist() == [[0.15, 0.2], [0.25, 0.3]]


def test_shipped_examples_are_written_back_byte_identically(tmp_path):
    """Existing files round-trip byte for byte (what the format additions must not change)."""
    from backprop_lab.core.statefile import example_path
    for name in sorted(EXAMPLES):
        load_example(name).save(tmp_path / "x.json")
        assert (tmp_path / "x.json").read_bytes() == example_path(name).read_bytes(), name


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(StateFileError, match="cannot read"):
        Simulation.load(tmp_path / "nope.json")
    with pytest.raises(StateFileError, match="cannot read"):
        Simulation.load(tmp_path)


def test_oversized_file_is_refused_before_reading(tmp_path):
    from backprop_lab.core import statefile
    p = tmp_path / "big.json"
    with open(p, "wb") as f:
        f.truncate(statefile.MAX_FILE_BYTES + 1)
    with pytest.raises(StateFileError, match="limited to 64 MB"):
        Simulation.load(p)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda ch: st.lists(ch, max_size=4) | st.dictionaries(st.text(max_size=8), ch, max_size=4),
    max_leaves=20)


def _with_init(d):
    del d["network"]["weights"], d["network"]["biases"]
    d["network"]["init"] = {"scheme": "uniform", "seed": 3, "scale": 0.5, "biases": "same"}


def _with_progress(d):
    d["progress"] = {"iteration": 3, "epoch": 3, "position": 0}
    d["history"] = {"batch_loss": [0.3, 0.29, 0.28], "epoch_loss": [0.29, 0.28, 0.27], "epoch_end": [1, 2, 3]}


def _with_display(d):
    d["display"] = {"precision": 6, "edge_view": "gradient", "log_scale": True, "epochs": 20, "speed": 2,
                    "later": {"a": [1, 2.5, "x"]}}


def _with_options(d):
    d["training"].update(optimizer={"name": "sgd"}, l2=0.0, l1=0.0, schedule={"name": "constant"},
                         hidden_delta_weights="original", momentum=0.5)
    d["optimizer"] = {"velocity": [0.01] * 12}


#: Valid files the fuzzers start from: the worked example and variants using the optional parts of the format.
BASES = [json.loads(mutated(f)) for f in (lambda d: None, _with_init, _with_progress, _with_display, _with_options)]
FIELDS = ["network", "training", "data", "weights", "biases", "layers", 0, 1, 2, "size", "activation", "inputs",
          "targets", "loss", "learning_rate", "batch_size", "init", "scheme", "seed", "scale", "value", "optimizer",
          "name", "beta1", "epsilon", "l2", "l1", "schedule", "rate", "every", "hidden_delta_weights", "momentum",
          "velocity", "m", "v", "t", "test_inputs", "test_targets", "progress", "iteration", "epoch", "position",
          "history", "batch_loss", "epoch_loss", "epoch_end", "test_loss", "display", "precision", "log_scale",
          "epochs", "speed", "later", "a"]


def test_fuzz_bases_are_valid():
    for d in BASES:
        Simulation.from_dict(json.loads(json.dumps(d))).step()


@given(json_values)
def test_fuzz_from_dict_arbitrary_json(doc):
    try:
        Simulation.from_dict(doc)
    except StateFileError:
        pass


@given(st.sampled_from(range(len(BASES))), st.lists(st.sampled_from(FIELDS), min_size=1, max_size=4), json_values)
def test_fuzz_mutations_of_a_valid_file(base, path, value):
    d = json.loads(json.dumps(BASES[base]))
    cur = d
    for p in path[:-1]:
        if isinstance(cur, dict) and p in cur:
            cur = cur[p]
        elif isinstance(cur, list) and isinstance(p, int) and p < len(cur):
            cur = cur[p]
        else:
            break
    last = path[-1]
    if isinstance(cur, dict) and isinstance(last, str):
        cur[last] = value
    elif isinstance(cur, list) and isinstance(last, int) and last < len(cur):
        cur[last] = value
    try:
        sim = Simulation.from_dict(d)
    except StateFileError:
        return
    with tempfile.TemporaryDirectory() as folder:  # anything accepted saves, and opens again the same
        sim.save(os.path.join(folder, "s.json"))
        back = Simulation.load(os.path.join(folder, "s.json"))
        same(sim, back)
        assert back.display == getattr(sim, "display", {})
    sim.step()  # and is usable


@given(st.binary(max_size=300))
def test_fuzz_raw_bytes(raw):
    try:
        Simulation.from_dict(parse_json(raw))
    except StateFileError:
        pass


@given(st.integers(0, len(json.dumps(GOOD))), st.binary(min_size=1, max_size=3))
def test_fuzz_corrupted_bytes(pos, junk):
    raw = json.dumps(GOOD).encode()
    raw = raw[:pos] + junk + raw[pos + len(junk):]
    try:
        Simulation.from_dict(parse_json(raw))
    except StateFileError:
        pass


def test_save_into_read_only_folder_loses_nothing(tmp_path):
    if os.geteuid() == 0:
        # root ignores directory permissions; a path through a regular file fails for everyone
        target = tmp_path / "file.txt" / "x.json"
        (tmp_path / "file.txt").write_text("keep me")
    else:
        d = tmp_path / "ro"
        d.mkdir()
        target = d / "x.json"
        d.chmod(0o500)
    from backprop_lab.core.statefile import SaveError
    with pytest.raises(SaveError, match="cannot save"):
        load_example("mazur").save(target)
    if os.geteuid() == 0:
        assert (tmp_path / "file.txt").read_text() == "keep me"


def test_failed_save_keeps_old_file(tmp_path, monkeypatch):
    target = tmp_path / "x.json"
    load_example("mazur").save(target)
    old = target.read_bytes()

    def boom(*a):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "fsync", boom)
    from backprop_lab.core.statefile import SaveError
    with pytest.raises(SaveError, match="No space left"):
        load_example("moons").save(target)
    assert target.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]  # no temporary left behind


SAVER = r"""
import sys
from backprop_lab.core import load_example
a = load_example("moons"); a.run(3000)
b = load_example("blobs"); b.run(500)
print("ready", flush=True)
while True:
    a.save(sys.argv[1]); b.save(sys.argv[1])
"""


def test_atomic_save_survives_kill_at_random_moments(tmp_path):
    rounds = int(os.environ.get("BPL_KILL_ROUNDS", "6"))
    target = tmp_path / "state.json"
    load_example("mazur").save(target)
    rng = np.random.default_rng(0)
    names = set()
    for _ in range(rounds):
        p = subprocess.Popen([sys.executable, "-c", SAVER, str(target)], stdout=subprocess.PIPE)
        assert p.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.0, 0.3))
        p.send_signal(signal.SIGKILL)
        p.wait()
        p.stdout.close()
        names.add(Simulation.load(target).name)  # always a complete, valid file
    assert names  # loaded every time
    load_example("mazur").save(target)  # the next save removes what the killed ones left behind (#11.10)
    assert sorted(os.listdir(tmp_path)) == ["state.json"]


def test_saving_mid_iteration_saves_the_state_before_it(tmp_path):
    sim = load_example("mazur")
    tr = sim.begin_iteration()
    for _ in range(len(tr) - 2):  # several weights already updated
        sim.step_into()
    assert sim.network.weights[1][0, 0] != 0.40
    sim.save(tmp_path / "mid.json")
    back = Simulation.load(tmp_path / "mid.json")
    assert back.iteration == 0
    assert back.network.theta.tobytes() == load_example("mazur").network.theta.tobytes()


@pytest.mark.parametrize("bad,msg", [("abc", "expected number, got a string 'abc'"), (True, "expected number, got a boolean"),
                                     ([1.0], "expected number, got an array")])
def test_bad_value_deep_in_a_large_dataset_is_named(tmp_path, bad, msg):
    d = load_example("moons").to_dict()
    rows = [[0.1 * k, -0.2] for k in range(20_000)]
    rows[19_876][1] = bad
    d["data"]["inputs"] = rows
    d["data"]["targets"] = [[1.0]] * 20_000
    p = tmp_path / "big.json"
    p.write_text(json.dumps(d))
    with pytest.raises(StateFileError, match=r"data\.inputs\[19876\]\[1\]: " + msg.replace("[", r"\[")):
        Simulation.load(p)


def test_large_dataset_round_trips(tmp_path):
    sim = load_example("moons")
    d = sim.to_dict()
    rng = np.random.default_rng(3)
    d["data"]["inputs"] = rng.normal(size=(50_000, 2)).tolist()
    d["data"]["targets"] = np.sign(rng.normal(size=(50_000, 1))).tolist()
    big = Simulation.from_dict(d)
    big.save(tmp_path / "b.json")
    same(big, Simulation.load(tmp_path / "b.json"))
