"""Traces made a segment at a time (LazyRecords) hold exactly the records a whole build makes, whenever read.

Each lazily made trace is compared with one a fresh builder makes whole from the same engine values at the time
(an independent build: no counts, no segments made later); the lazy one is read only after the simulation has
moved on (its network, optimizer state and builder changed since), so anything it read late would show.
"""
from __future__ import annotations

import numpy as np
import pytest

from backprop_lab.core import LazyRecords, load_example
from backprop_lab.core.tracing import build_trace

SETTINGS = [
    ("mazur", {}),
    ("moons", {}),
    ("moons", {"momentum": 0.9, "batch_size": 7}),           # the last batch of an epoch is smaller
    ("moons", {"optimizer": "adam", "learning_rate": 0.01}),
    ("moons", {"l2": 0.01, "schedule": "step", "decay_rate": 0.5, "decay_every": 2}),
    ("moons", {"hidden_delta_weights": "updated", "batch_size": 4}),
    ("blobs", {}),                                           # softmax + cross-entropy, momentum
    ("xor", {"update_biases": False}),
]


def _whole(sim):
    """The next iteration's trace made whole by a builder made just now."""
    with np.errstate(all="ignore"):
        c = sim._compute(detail=True)
        return build_trace(sim.network, sim.settings, sim.iteration + 1, sim.next_batch(), c.targets, c,
                           sim.state, sim.iteration)


@pytest.mark.parametrize("example,settings", SETTINGS, ids=[f"{e}-{'-'.join(s) or 'default'}" for e, s in SETTINGS])
def test_a_lazy_trace_read_late_is_the_whole_build_made_at_its_time(example, settings):
    sim = load_example(example)
    if settings:
        sim.set_training(**settings)
    pairs = []
    for _ in range(6):
        whole = list(_whole(sim))
        pairs.append((sim.step(), whole))  # the step's own trace, left unread
    lazy = [tr for tr, _ in pairs if isinstance(tr.records, LazyRecords)]
    assert len(lazy) >= 4  # after the first trace of each batch size, traces are made lazily
    sim.run(5)  # everything the traces were made from moves on before they are read
    for tr, whole in pairs:
        assert len(tr.records) == len(whole)
        assert list(tr.records) == whole
        assert [r.index for r in tr.records] == list(range(len(whole)))


def test_reading_one_sample_makes_only_its_segments():
    sim = load_example("moons")
    sim.step()
    tr = sim.step()
    recs = tr.records
    assert isinstance(recs, LazyRecords)
    shown = tr.sample_records(3)
    made = recs.made()
    assert 0 < made < len(recs.segments) // 2
    every = list(recs)
    want = [r for r in every if r.sample is None or r.sample == 3 or r.kind == "total_loss"]
    assert shown == want
    assert tr.phase_records("loss") == [r for r in every if r.phase == "loss"]
    assert tr.first_index(3) == next(r.index for r in every if r.sample == 3)
    phases = []
    for r in every:
        if not phases or phases[-1][0] != r.phase:
            phases.append([r.phase, r.index, 0])
        phases[-1][2] += 1
    assert tr.phases() == [tuple(p) for p in phases]
    assert recs[-1] is every[-1] and recs[5:9] == every[5:9]
    with pytest.raises(IndexError):
        recs[len(every)]


def test_segments_read_from_several_threads_at_once_are_the_same_records():
    import threading
    sim = load_example("moons")
    sim.step()
    for _ in range(3):
        whole = list(_whole(sim))
        tr = sim.step()
        assert isinstance(tr.records, LazyRecords)
        got, start = [], threading.Barrier(4)

        def read(order):
            start.wait()
            recs = tr.records
            got.append([recs[k] for k in order])
        n = len(whole)
        orders = [range(n), range(n - 1, -1, -1), range(0, n, 2), range(1, n, 3)]
        threads = [threading.Thread(target=read, args=(o,)) for o in orders]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(got) == 4
        for o in orders:
            assert [whole[k] for k in o] in got
        assert list(tr.records) == whole


@pytest.mark.parametrize("example,settings", SETTINGS, ids=[f"{e}-{'-'.join(s) or 'default'}" for e, s in SETTINGS])
def test_the_visible_values_are_those_of_every_shown_record(example, settings):
    from backprop_lab.gui.view_state import COMPLETE, READY, STEPPING, VisibleValues
    sim = load_example(example)
    if settings:
        sim.set_training(**settings)
    sim.step()
    tr = sim.step()
    every = list(tr.records)
    B = len(tr.batch)
    for sample in sorted({0, B - 1}):
        shown = [r for r in every if r.sample is None or r.sample == sample or r.kind == "total_loss"]
        for mode, revealed in ((COMPLETE, len(every)), (STEPPING, len(every) // 3), (STEPPING, 0), (READY, 0)):
            got = VisibleValues().get(tr, revealed, mode, sample)
            cut = [r for r in shown if mode == READY or r.index < revealed]
            want = {(r.kind, r.element): r for r in cut}  # the later of equal keys, as the views read them
            assert dict(got) == want
            assert all(got.get(k) is v for k, v in want.items())
            assert got.get(("update", None)) is None
    fresh = load_example(example)
    if settings:
        fresh.set_training(**settings)
    fresh.step()
    lazy = fresh.step()
    got = VisibleValues().get(lazy, len(lazy.records), COMPLETE, 0)
    got.get(("activation", every[0].element))
    if isinstance(lazy.records, LazyRecords) and len(lazy.records.segments) > 8:
        assert lazy.records.made() < len(lazy.records.segments) // 2  # the gradients and updates not made


def test_a_parameters_records_are_found_without_making_the_samples_segments():
    from backprop_lab.core import Element
    sim = load_example("moons")
    sim.set_training(l2=0.01, momentum=0.9)
    sim.step()
    tr = sim.step()
    w, b = Element("weight", 1, 2, 3), Element("bias", 0, 4)
    got_w, got_b = tr.for_element(w), tr.for_element(b)
    assert tr.records.made() < len(tr.records.segments) // 2
    every = list(tr.records)
    assert got_w == [r for r in every if r.element == w] and len(got_w) >= 4  # gradient, L2, velocity, update
    assert got_b == [r for r in every if r.element == b] and len(got_b) >= 3
