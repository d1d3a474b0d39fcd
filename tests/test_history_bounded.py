"""The bounded loss history (#11.6): memory, exact buckets, step back across the reduction, files, CSV, runs."""
from __future__ import annotations

import copy
import csv
import functools
import io
import json

import numpy as np
import pytest

from backprop_lab.core import Simulation, StateFileError, load_example
from backprop_lab.core.export import loss_history_csv
from backprop_lab.core.history import BoundedSeries, LossHistory
from backprop_lab.core.runs import RunRecord


def check_buckets_against(raw: np.ndarray, s: BoundedSeries) -> None:
    """Every bucket's min and max are numpy's over the raw values it covers; the rest is kept as it was."""
    b = s.buckets()
    assert b.start[0] == 1 and np.array_equal(b.start[1:], b.end[:-1] + 1)  # contiguous from entry 1
    assert b.end[-1] == s.offset and s.total == len(raw)
    for k in range(len(b)):
        part = raw[b.start[k] - 1:b.end[k]]
        assert b.min[k] == part.min() and b.max[k] == part.max(), k
    np.testing.assert_array_equal(s.view(), raw[s.offset:])


def test_a_million_appends_stay_within_a_small_budget_with_exact_buckets():
    rng = np.random.default_rng(7)
    raw = rng.standard_normal(1_200_001)
    raw[777_777] = 50.0  # a spike stays the max of its bucket
    s = BoundedSeries(keep=1000, max_buckets=128)
    for v in raw:
        s.append(v)
    # at most 2·keep values + 3 arrays of max_buckets (each at most doubled by growth), in bytes
    assert s.nbytes <= 8 * (2 * 1000 + 2 * 3 * 128) * 2
    assert len(s.buckets()) <= 128 and s.n <= 2000
    check_buckets_against(raw, s)
    assert s.buckets().max.max() == 50.0


def test_the_loss_history_of_a_long_run_is_bounded_and_exact():
    sim = load_example("mazur")
    sim.history.set_budget(500, 32)
    sim.run(20_000)
    twin = load_example("mazur")
    twin.history.set_budget(10**9, 1 << 30)  # never reduces: the raw values
    twin.run(20_000)
    full = twin.batch_loss.view()
    assert len(full) == 20_000 and not twin.batch_loss.reduced
    assert sim.batch_loss.reduced and sim.history.nbytes < 200_000 < twin.history.nbytes
    check_buckets_against(full, sim.batch_loss)
    # one epoch per iteration here (one sample): the epoch series are bounded alike and cover the same epochs
    ends = twin.epoch_end.view()
    check_buckets_against(ends.astype(np.int64), sim.epoch_end)
    check_buckets_against(twin.epoch_loss.view(), sim.epoch_loss)


def test_truncating_inside_a_bucket_keeps_a_true_envelope_and_new_entries_exact():
    raw = np.random.default_rng(3).standard_normal(5000)
    s = BoundedSeries(keep=100, max_buckets=8)
    for v in raw:
        s.append(v)
    b = s.buckets()
    cut = int(b.start[2] + 5)  # inside bucket 2
    s.truncate(cut)
    assert s.total == cut and s.n == 0
    b2 = s.buckets()
    assert len(b2) == 3 and b2.end[-1] == cut
    for k in range(2):  # the buckets before stay exact
        assert b2.min[k] == raw[b2.start[k] - 1:b2.end[k]].min() and b2.max[k] == raw[b2.start[k] - 1:b2.end[k]].max()
    kept = raw[b2.start[2] - 1:cut]
    assert b2.min[2] <= kept.min() and kept.max() <= b2.max[2]  # the cut bucket bounds what it still covers
    for v in raw[cut:cut + 50]:
        s.append(v)
    np.testing.assert_array_equal(s.view(), raw[cut:cut + 50])
    s.truncate(0)
    assert s.total == 0 and len(s.buckets()) == 0


def test_step_back_and_redo_across_the_reduction_boundary():
    sim = load_example("xor")
    sim.set_training(batch_size=2)
    sim.history.set_budget(64, 16)
    sim.run(3000)
    assert sim.batch_loss.offset > 1000
    final_theta = sim.network.theta.copy()
    reference = load_example("xor")
    reference.set_training(batch_size=2)
    reference.history.set_budget(10**9, 1 << 30)
    reference.run(3000)
    raw = reference.batch_loss.view()
    # back to an iteration that is only in a bucket now: the counters, parameters and history agree
    sim.step_back_to(500)
    assert sim.iteration == 500 and sim.batch_loss.total == 500
    assert sim.epoch_loss.total == sim.epoch == 250 and sim.epoch_end.total == 250
    b = sim.batch_loss.buckets()
    assert b.covered + sim.batch_loss.n == 500
    for k in range(len(b)):  # each bucket bounds the raw values it covers
        part = raw[b.start[k] - 1:b.end[k]]
        assert b.min[k] <= part.min() and part.max() <= b.max[k]
    np.testing.assert_array_equal(sim.batch_loss.view(), raw[b.covered:500])
    # the state saved there opens again (the cut epoch bucket still ends before the epochs after it)
    again = Simulation.from_dict(json.loads(json.dumps(sim.to_dict())))
    assert again.iteration == 500
    # forwards again, through the boundary: bit-identical parameters, and the new iterations exact
    while sim.can_redo():
        sim.redo()
    assert sim.iteration == 3000
    np.testing.assert_array_equal(sim.network.theta, final_theta)
    np.testing.assert_array_equal(sim.batch_loss.view(), raw[sim.batch_loss.offset:])
    # one step back from the end is exact as before
    sim.step_back()
    assert sim.iteration == 2999 and sim.batch_loss.view()[-1] == raw[2998]


def test_reset_and_reinitialise_restore_a_reduced_history_on_undo():
    sim = load_example("mazur")
    sim.history.set_budget(50, 8)
    sim.run(1000)
    before = sim.history.copy()
    sim.reinitialize("xavier", seed=1)
    assert sim.batch_loss.total == 0
    sim.step_back()
    assert sim.batch_loss.total == 1000
    for name in ("batch_loss", "epoch_loss", "epoch_end"):
        a, b = getattr(before, name), getattr(sim.history, name)
        np.testing.assert_array_equal(a.view(), b.view())
        for x, y in zip(a.buckets().as_dict().values(), b.buckets().as_dict().values()):
            np.testing.assert_array_equal(x, y)


@functools.lru_cache(maxsize=None)
def _reduced_text(iterations: int) -> str:
    sim = load_example("xor")
    sim.set_training(batch_size=4)
    sim.history.set_budget(100, 16)
    sim.run(iterations)
    return json.dumps(sim.to_dict())


def reduced_doc(iterations: int = 3000) -> tuple[Simulation, dict]:
    """A state of xor after *iterations* iterations with a small history budget, and its document (copies)."""
    text = _reduced_text(iterations)
    sim = Simulation.from_dict(json.loads(text))
    sim.history.set_budget(100, 16)
    return sim, json.loads(text)


def test_save_and_load_keep_the_reduced_history_exactly(tmp_path):
    sim, doc = reduced_doc()
    h = doc["history"]
    assert {"batch_loss_reduced", "epoch_loss_reduced", "epoch_end_reduced"} <= set(h)
    assert len(h["batch_loss"]) + h["batch_loss_reduced"]["end"][-1] == sim.iteration
    path = tmp_path / "long.json"
    sim.save(path)
    again = Simulation.load(path)
    for name in ("batch_loss", "epoch_loss", "epoch_end"):
        a, b = getattr(sim, name), getattr(again, name)
        np.testing.assert_array_equal(a.view(), b.view())
        for x, y in zip(a.buckets().as_dict().values(), b.buckets().as_dict().values()):
            np.testing.assert_array_equal(x, y)
    # and saving the reopened state writes the same file
    path2 = tmp_path / "again.json"
    again.save(path2)
    assert path.read_bytes() == path2.read_bytes()
    # training on continues exactly as the original would
    sim.run(10)
    again.run(10)
    np.testing.assert_array_equal(sim.network.theta, again.network.theta)


@pytest.mark.parametrize("edit, where", [
    (lambda h: h["batch_loss_reduced"]["start"].__setitem__(1, 5), "history.batch_loss_reduced.start[1]"),
    (lambda h: h["batch_loss_reduced"]["start"].__setitem__(0, 2), "history.batch_loss_reduced.start[0]"),
    (lambda h: h["batch_loss_reduced"]["min"].__setitem__(0, 1e9), "history.batch_loss_reduced.min[0]"),
    (lambda h: h["batch_loss_reduced"]["max"].pop(), "history.batch_loss_reduced.max"),
    (lambda h: h["batch_loss_reduced"]["min"].__setitem__(0, "x"), "history.batch_loss_reduced.min[0]"),
    (lambda h: h["batch_loss"].pop(), "history.batch_loss"),
    (lambda h: h.pop("epoch_end_reduced"), "history.epoch_loss_reduced"),
    (lambda h: h["epoch_end_reduced"]["end"].__setitem__(0, 3), "history.epoch_end_reduced"),
    (lambda h: h["epoch_end_reduced"]["max"].__setitem__(-1, h["epoch_end"][0]), "history.epoch_end[0]"),
    (lambda h: h["batch_loss_reduced"].__setitem__("extra", [1]), "history.batch_loss_reduced"),
    (lambda h: h.__setitem__("test_loss_reduced", h["epoch_loss_reduced"]), "history.test_loss_reduced"),
])
def test_a_malformed_reduced_history_is_refused_naming_the_key(edit, where):
    sim, doc = reduced_doc()
    bad = copy.deepcopy(doc)
    edit(bad["history"])
    with pytest.raises(StateFileError) as e:
        Simulation.from_dict(bad)
    assert e.value.where.startswith(where), (e.value.where, str(e.value))


def test_a_counter_never_invents_a_history_even_with_buckets():
    sim, doc = reduced_doc()
    bad = copy.deepcopy(doc)
    bad["progress"]["iteration"] += 5  # five iterations that neither the buckets nor the list hold
    with pytest.raises(StateFileError) as e:
        Simulation.from_dict(bad)
    assert e.value.where == "history.batch_loss"


def test_an_old_full_resolution_file_loads_and_is_reduced_on_load():
    doc = load_example("mazur").to_dict()
    raw = np.random.default_rng(5).uniform(0.0, 1.0, 200_000)
    doc["progress"] = {"iteration": len(raw), "epoch": 0, "position": 0}
    doc["history"] = {"batch_loss": raw.tolist(), "epoch_loss": [], "epoch_end": []}  # as files were written before
    again = Simulation.from_dict(doc)
    assert again.batch_loss.reduced and again.batch_loss.total == 200_000
    check_buckets_against(np.array(doc["history"]["batch_loss"]), again.batch_loss)


def test_csv_export_writes_one_row_per_bucket_then_the_iterations():
    sim, _ = reduced_doc(1000)
    rows = list(csv.reader(io.StringIO(loss_history_csv(sim))))
    head = rows[0]
    assert head[-3:] == ["last_iteration", "batch_loss_min", "batch_loss_max"]
    b = sim.batch_loss.buckets()
    for k in range(len(b)):
        r = dict(zip(head, rows[1 + k]))
        assert (int(r["iteration"]), int(r["last_iteration"])) == (b.start[k], b.end[k])
        assert float(r["batch_loss_min"]) == b.min[k] and float(r["batch_loss_max"]) == b.max[k]
        assert r["batch_loss"] == ""
    first = dict(zip(head, rows[1 + len(b)]))
    assert int(first["iteration"]) == b.end[-1] + 1 and float(first["batch_loss"]) == sim.batch_loss.view()[0]
    # epoch numbers of the full-resolution rows count the reduced epochs too (4 samples, batch 4: one per iteration)
    assert int(first["epoch"]) == int(first["iteration"])
    assert len(rows) == 1 + len(b) + sim.batch_loss.n


def test_a_compared_run_of_a_reduced_history_is_bounded_and_keeps_its_extremes():
    sim, _ = reduced_doc(3000)
    rec = RunRecord.from_simulation(sim, max_points=200)
    assert len(rec.iterations) <= 220 and np.all(np.diff(rec.iterations) > 0)
    whole = np.concatenate([sim.batch_loss.buckets().max, sim.batch_loss.view()])
    assert rec.batch_loss.max() == whole.max()
    assert rec.iterations[-1] == 3000 and rec.epoch_end[-1] == 3000


def test_history_memory_does_not_grow_with_iterations():
    hist = LossHistory(keep=256, max_buckets=64)
    sizes = []
    for block in range(4):
        for k in range(250_000):
            hist.batch_loss.append(float(k % 97))
        sizes.append(hist.nbytes)
    assert sizes[-1] == sizes[1]  # bounded: a million entries cost what half a million did
    assert hist.batch_loss.total == 1_000_000
