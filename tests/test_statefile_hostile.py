"""Hostile state files (issue #11): short escaped messages, nothing invented, bounded memory, no hangs."""
import copy
import json
import os
import subprocess
import sys
import textwrap
from importlib import resources

import pytest

from backprop_lab.core import Simulation, StateFileError, load_example
from backprop_lab.core.statefile import (
    MAX_NEURON_VALUES,
    TARGET_SUM_TOLERANCE,
    SaveError,
    parse_json,
    simulation_from_dict,
)

GOOD = json.loads((resources.files("backprop_lab.resources") / "examples" / "mazur.json").read_text())
MARKUP = '<img src="/dev/zero">'


def doc(**changes):
    """A copy of the worked example with top-level *changes* (None deletes)."""
    d = copy.deepcopy(GOOD)
    for k, v in changes.items():
        if v is None:
            d.pop(k, None)
        else:
            d[k] = v
    return d


def refused(d_or_raw, tmp_path=None) -> str:
    """The message of the StateFileError loading *d_or_raw* (a dict or bytes) raises."""
    raw = d_or_raw if isinstance(d_or_raw, bytes) else json.dumps(d_or_raw).encode()
    with pytest.raises(StateFileError) as ei:
        if tmp_path is None:
            simulation_from_dict(parse_json(raw))
        else:
            (tmp_path / "f.json").write_bytes(raw)
            Simulation.load(tmp_path / "f.json")
    return str(ei.value)


def in_subprocess(code: str, *args: str, timeout: float = 120) -> str:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True, text=True,
                         timeout=timeout, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


# -- #11.1 / #11.9: messages are bounded and quote file content escaped ------------------------------------
def _training_key(key):
    d = doc()
    d["training"][key] = 1
    return d


def _activation(value):
    d = doc()
    d["network"]["layers"][1]["activation"] = value
    return d


HOSTILE = {
    "10 MB notes": (doc(notes="x" * 10_000_000), "notes: too long (10,000,000 characters"),
    "markup in an unknown key": (_training_key(MARKUP * 1000), "'" + MARKUP),
    "control characters in an unknown key": (_training_key("a\x00\x1b[31m\n" * 5000), r"a\x00\x1b[31m\n"),
    "10 MB unknown key": (_training_key("k" * 10_000_000), "training: unknown key(s) 'kkk"),
    "markup as an activation": (_activation(MARKUP * 50_000), "unknown value '" + MARKUP),
    "control characters as the format": (doc(format="\x07\r\n" * 100_000), r"'\x07\r\n"),
    "bidirectional override in the version": (doc(version="\u202e1"), r"\u202e"),
    "10 MB name": (doc(name="<b>\t</b>" * 1_000_000), "name: too long (8,000,000 characters"),
    "a million quotes": (doc(notes=MARKUP * 500_000), "the file has over 1,000,000 quote characters"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_messages_are_short_and_quote_file_content_escaped(case, tmp_path):
    d, expected = HOSTILE[case]
    msg = refused(d, tmp_path)  # (10 MB notes froze the window 34 s building its message: now bounded)
    body = msg.split(": ", 1)[1]  # after the file name
    assert len(body) <= 300, body
    assert body.isprintable(), body  # control characters escaped, as repr shows them
    assert expected in msg, msg


def test_duplicate_key_message_is_bounded_and_escaped():
    key = MARKUP + "\n" * 1000
    twice = f'"training": {{{json.dumps(key)}: 1, {json.dumps(key)}: 2, '
    raw = json.dumps(GOOD).replace('"training": {', twice).encode()
    msg = refused(raw)
    assert "duplicate key '<img src=\"/dev/zero\">\\n" in msg and msg.isprintable() and len(msg) < 300, msg


def test_file_name_with_control_characters_is_shown_escaped(tmp_path):
    p = tmp_path / "bad\nname\x1b.json"
    p.write_text("[1]")
    with pytest.raises(StateFileError) as ei:
        Simulation.load(p)
    assert "bad\\nname\\x1b.json" in str(ei.value) and str(ei.value).isprintable()


# -- #11.11: duplicate keys, inconsistent progress, display bounds, sizes first --------------------------------
@pytest.mark.parametrize("snippet,replacement,where", [
    ('"training": {', '"training": {"loss": "mse", ', "training.loss: duplicate key 'loss'"),
    ('{"size": 2}', '{"size": 2, "size": 3}', "network.layers[0].size: duplicate key 'size'"),
    ('"format": ', '"version": 1, "format": ', "version: duplicate key 'version'"),
    ('"progress": {', '"progress": {"epoch": 0, ', "progress.epoch: duplicate key 'epoch'"),
])
def test_duplicate_keys_are_refused_naming_key_and_place(snippet, replacement, where):
    text = json.dumps(GOOD)
    assert snippet in text
    assert where in refused(text.replace(snippet, replacement, 1).encode())


def test_duplicate_keys_in_display_are_refused():
    raw = json.dumps(doc(display={"precision": 5})).replace('"precision": 5', '"precision": 5, "precision": 9')
    assert "display.precision: duplicate key 'precision'" in refused(raw.encode())


def _progress(it, ep, pos, bl, el, ee):
    return doc(progress={"iteration": it, "epoch": ep, "position": pos},
               history={"batch_loss": bl, "epoch_loss": el, "epoch_end": ee})


@pytest.mark.parametrize("d,expected", [
    (_progress(2, 3, 0, [0.3, 0.2], [0.2, 0.1, 0.1], [1, 2, 2]), "progress.epoch: is 3 but only 2 iterations"),
    (_progress(3, 1, 0, [0.3, 0.2, 0.1], [0.2, 0.1], [1, 2]), "history.epoch_loss: expected 1 entries"),
    (_progress(3, 3, 0, [0.3, 0.2, 0.1], [0.2, 0.1], [1, 2]), "history.epoch_loss: expected 3 entries"),
    (_progress(3, 2, 0, [0.3, 0.2, 0.1], [0.2, 0.1], [2, 1]), "history.epoch_end[1]: epoch ends must increase"),
    (_progress(3, 2, 0, [0.3, 0.2, 0.1], [0.2, 0.1], [2, 2]), "history.epoch_end[1]: epoch ends must increase"),
    (_progress(3, 2, 0, [0.3, 0.2, 0.1], [0.2, 0.1], [1, 4]), "history.epoch_end[1]: an epoch ends at iteration 4"),
    (_progress(3, 1, 0, [0.3, 0.2, 0.1], [0.2], [0]), "history.epoch_end[0]: must be ≥ 1"),
])
def test_inconsistent_progress_is_refused(d, expected):
    assert expected in refused(d)


def test_consistent_progress_loads():
    sim = simulation_from_dict(_progress(3, 3, 0, [0.3, 0.2, 0.1], [0.2, 0.1, 0.05], [1, 2, 3]))
    assert (sim.iteration, sim.epoch) == (3, 3) and sim.epoch_end.view().tolist() == [1, 2, 3]


def _nested(depth):
    d = {}
    cur = d
    for _ in range(depth - 1):
        cur["a"] = {}
        cur = cur["a"]
    return d


def test_display_nesting_and_size_are_bounded(tmp_path):
    assert "display: nested more than 4 levels deep" in refused(doc(display=_nested(500)))
    assert "display: nested more than 4 levels deep" in refused(doc(display=_nested(5)))
    simulation_from_dict(doc(display=_nested(4)))
    assert "display: takes 20,0" in refused(doc(display={"text": "y" * 20_000}))
    # and a display set in memory that could not be written is a SaveError, never a RecursionError
    sim = load_example("mazur")
    sim.display = _nested(500)
    with pytest.raises(SaveError, match="nested more than 4 levels"):
        sim.save(tmp_path / "d.json")
    sim.display = {"widget": object()}
    with pytest.raises(SaveError, match="not a JSON value"):
        sim.save(tmp_path / "d.json")
    assert not list(tmp_path.iterdir())


def test_parameter_limit_is_checked_before_any_number_is_read():
    d = doc()
    d["network"]["layers"] = [{"size": 1024}] + [{"size": 1024, "activation": "tanh"}] * 3
    row = [0.0] * 1024
    d["network"]["weights"] = [[row] * 1024 for _ in range(3)]
    d["network"]["weights"][2][-1] = row[:-1] + ["not a number"]  # the last of 3.1 million numbers
    d["network"]["biases"] = [[0.0] * 1024] * 3
    assert "network.layers: the network has 3,148,800 parameters; the limit is 2,000,000" in refused_dict(d)


def refused_dict(d) -> str:
    with pytest.raises(StateFileError) as ei:
        simulation_from_dict(d)
    return str(ei.value)


def test_work_estimate_refuses_the_amplifying_file_before_reading_its_numbers():
    """Issue #11.5: layers 100-370×15-100 on many samples made one loss() take 9.2 GB."""
    sizes = [100] + [370] * 15 + [100]
    n = MAX_NEURON_VALUES // sum(sizes) + 1
    row = [0.5] * 100
    d = {"format": "backprop-lab-state", "version": 1,
         "network": {"layers": [{"size": sizes[0]}] + [{"size": s, "activation": "tanh"} for s in sizes[1:]],
                     "init": {"scheme": "he", "seed": 1}},
         "training": {"loss": "mse", "learning_rate": 0.1},
         "data": {"inputs": [row] * (n - 1) + [row[:-1] + ["x"]], "targets": [row] * n}}
    msg = refused_dict(d)
    assert f"data: {n:,} samples × 5,750 neurons = {n * 5750:,} values" in msg and "limit is 4,000,000" in msg
    d["data"]["inputs"] = [row] * (n - 2) + [row[:-1] + ["x"]]
    d["data"]["targets"] = [row] * (n - 1)
    # one sample fewer is within the estimate: now the numbers are read, and the bad one is named
    assert f"data.inputs[{n - 2}][99]: expected number, got a string 'x'" in refused_dict(d)


# -- #11.2 / #11.5: a history is never invented, and no counter allocates ------------------------------------
def test_iteration_without_history_is_refused(tmp_path):
    d = doc(progress={"iteration": 5, "epoch": 2, "position": 0}, history=None)
    msg = refused(d, tmp_path)
    assert "progress.iteration: is 5 but the file has no history" in msg
    # with no counters at all the file starts at iteration 0 with an empty history
    sim = simulation_from_dict(doc(progress=None, history=None))
    assert sim.iteration == 0 and sim.batch_loss.n == 0


AMPLIFY = r"""
import os, resource, sys
import numpy, jsonschema
from backprop_lab.core import Simulation, StateFileError, load_example
from backprop_lab.core.statefile import validate
validate(load_example("mazur").to_dict())  # warm every cache before measuring
vm = [int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmSize")][0]
resource.setrlimit(resource.RLIMIT_AS, (vm + 64 * 2**20, resource.RLIM_INFINITY))
try:
    Simulation.load(sys.argv[1])
    print("loaded")
except StateFileError as e:
    print("refused", e)
except MemoryError:
    print("MemoryError")
"""


def test_a_tiny_file_with_a_huge_iteration_count_allocates_nothing(tmp_path):
    """Issue #11.5: 772 bytes with progress.iteration = 10⁸ and no history allocated 1.5 GB."""
    d = doc(progress={"iteration": 10**8, "epoch": 0, "position": 0}, history=None, notes="")
    p = tmp_path / "tiny.json"
    p.write_text(json.dumps(d))
    assert p.stat().st_size < 800
    out = in_subprocess(AMPLIFY, str(p))
    assert out.startswith("refused") and "progress.iteration: is 100,000,000" in out, out


BUDGET = r"""
import resource, sys
import numpy as np
from backprop_lab.core import Simulation
from backprop_lab.core.statefile import MAX_NEURON_VALUES
sizes = [2, 1000, 1]  # the most values per sample for the parameters: the worst case measured
n = MAX_NEURON_VALUES // sum(sizes)
rng = np.random.default_rng(0)
d = {"format": "backprop-lab-state", "version": 1,
     "network": {"layers": [{"size": 2}, {"size": 1000, "activation": "tanh"}, {"size": 1, "activation": "tanh"}],
                 "init": {"scheme": "xavier", "seed": 1}},
     "training": {"loss": "mse", "learning_rate": 0.001, "batch_size": n, "shuffle": True},
     "data": {"inputs": rng.normal(size=(n, 2)).tolist(), "targets": rng.uniform(-1, 1, (n, 1)).tolist()}}
sim = Simulation.from_dict(d)
del d
vm = [int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmSize")][0]
resource.setrlimit(resource.RLIMIT_AS, (vm + 256 * 2**20, resource.RLIM_INFINITY))
sim.loss()
r = sim.run(3)
sim.step_back()
sim.run(1)
print("trained", n, sim.iteration, r.diverged)
"""


def test_a_file_at_the_work_limit_trains_full_batch_within_256_MB():
    """The documented budget: a full-batch iteration on any accepted file needs at most 256 MB more."""
    out = in_subprocess(BUDGET)
    assert out.split() == ["trained", str(MAX_NEURON_VALUES // 1003), "3", "False"], out


# -- #11.8: only regular files are opened -----------------------------------------------------------------------
OPEN = r"""
import sys
from backprop_lab.core import Simulation, StateFileError
try:
    Simulation.load(sys.argv[1])
except StateFileError as e:
    print(e)
"""


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "state.json"
    os.mkfifo(fifo)
    out = in_subprocess(OPEN, str(fifo), timeout=60)  # open() on a FIFO with no writer blocks forever
    assert "cannot read the file: it is not a regular file (a FIFO, device or socket)" in out
    link = tmp_path / "link.json"
    link.symlink_to(fifo)
    assert "not a regular file" in in_subprocess(OPEN, str(link), timeout=60)


def test_devices_and_folders_are_refused(tmp_path):
    assert "not a regular file" in refused_path("/dev/zero")
    assert "not a regular file" in refused_path("/dev/null")
    assert "cannot read the file: it is a folder" in refused_path(tmp_path)


def refused_path(p) -> str:
    with pytest.raises(StateFileError) as ei:
        Simulation.load(p)
    return str(ei.value)


# -- #11.12: cross-entropy targets the loss can handle ----------------------------------------------------------------
def _blobs(targets, output="softmax"):
    d = load_example("blobs").to_dict()
    d["network"]["layers"][-1]["activation"] = output
    d["data"]["targets"][: len(targets)] = targets
    return d


@pytest.mark.parametrize("targets,expected", [
    ([[1.0, 0.0, 0.0], [0.5, 0.3, 0.1]], "data.targets[1]: cross-entropy with a softmax output needs each target row "
                                         "(sample 1) to be a probability distribution"),
    ([[0.5, 0.3, 0.1]], "this row sums to 0.9"),
    ([[0.0, 0.0, 0.0]], "this row sums to 0.0"),
    ([[1.5, -0.5, 0.0]], "entry 0 is 1.5"),
    ([[0.0, 1.0 + 2 * TARGET_SUM_TOLERANCE, 0.0]], "data.targets[0]"),
])
def test_softmax_cross_entropy_targets_must_be_distributions(targets, expected):
    assert expected in refused(_blobs(targets))


def test_softmax_cross_entropy_accepts_one_hot_and_distributions():
    almost_one = 1.0 - TARGET_SUM_TOLERANCE / 2
    sim = simulation_from_dict(_blobs([[0.2, 0.3, 0.5], [1 / 3, 1 / 3, 1 / 3], [0.0, almost_one, 0.0]]))
    assert sim.targets[0].tolist() == [0.2, 0.3, 0.5]
    simulation_from_dict(load_example("blobs").to_dict())  # one-hot


def test_sigmoid_cross_entropy_targets_must_be_within_0_and_1():
    d = doc()
    d["training"]["loss"] = "cross_entropy"
    simulation_from_dict(d)  # 0.01 and 0.99
    d["data"]["targets"] = [[0.01, 1.5]]
    assert "data.targets[0][1]: cross-entropy with a sigmoid output needs targets between 0 and 1 (sample 0), got 1.5" \
        in refused(d)
    d["data"]["targets"] = [[-0.2, 0.5]]
    assert "data.targets[0][0]" in refused(d)
    d["training"]["loss"] = "mse"  # squared error takes any target
    simulation_from_dict(d)


def test_cross_entropy_test_targets_are_checked_too():
    d = _blobs([])
    d["data"]["test_inputs"] = [[0.0, 0.0], [1.0, 1.0]]
    d["data"]["test_targets"] = [[0.0, 1.0, 0.0], [0.2, 0.2, 0.2]]
    assert "data.test_targets[1]: cross-entropy with a softmax output" in refused(d)


# -- #11.2: every save of a loaded file works --------------------------------------------------------------------
def test_every_loaded_file_saves_and_loads_again(tmp_path):
    for name in ("mazur", "moons", "blobs"):
        sim = load_example(name)
        sim.run(25)
        sim.save(tmp_path / "a.json")
        back = Simulation.load(tmp_path / "a.json")
        back.save(tmp_path / "b.json")
        assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
