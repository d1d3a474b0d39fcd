"""Dataset generators, the train/test split, input scaling and target checks, against hand-derived values."""
import math

import numpy as np
import pytest

from backprop_lab.core import datasets as ds
from backprop_lab.core import load_example
from backprop_lab.core.datasets import DataError, apply_scaling, check_targets, make, scale_inputs, train_test_split

REQUIRED = ["worked_example", "and", "or", "xor", "xnor", "circle", "xor_quadrants", "gaussians", "spiral",
            "blobs", "sine", "polynomial", "step"]
# Arguments under which every generator actually draws random numbers.
RANDOM_ARGS = {"and": (12, 0.1), "or": (12, 0.1), "xor": (12, 0.1), "xnor": (12, 0.1)}


# -- generators -----------------------------------------------------------------------------
def test_names_cover_the_issue_list_and_every_name_is_described():
    assert set(REQUIRED) <= set(ds.names())
    for name in ds.names():
        text = ds.describe(name)
        assert f"{ds.input_size(name)} input(s) → {ds.output_size(name)} output(s)" in text
        i = ds.info(name)
        assert i.inputs and i.targets and i.noise and i.title in text


@pytest.mark.parametrize("name", ds.names())
def test_generators_are_reproducible_float64_with_documented_shapes(name):
    n, noise = RANDOM_ARGS.get(name, (None, 0.2 if name != "worked_example" else None))
    x1, t1 = make(name, n, noise, seed=3)
    x2, t2 = make(name, n, noise, seed=3)
    assert x1.tobytes() == x2.tobytes() and t1.tobytes() == t2.tobytes()
    assert x1.dtype == t1.dtype == np.float64 and x1.flags.c_contiguous and t1.flags.c_contiguous
    rows = ds.info(name).default_samples if n is None else n
    assert x1.shape == (rows, ds.input_size(name)) and t1.shape == (rows, ds.output_size(name))
    x3, _ = make(name, n, noise, seed=4)
    if name == "worked_example":
        assert x3.tobytes() == x1.tobytes()  # a single fixed pattern: the seed has nothing to draw
    else:
        assert x3.tobytes() != x1.tobytes()


def test_generators_do_not_touch_global_randomness():
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    for name in ds.names():
        make(name, seed=1)
    assert (np.random.get_state()[1] == before).all()


def test_worked_example_is_mazurs_single_pattern():
    x, t = make("worked_example")
    assert x.tolist() == [[0.05, 0.10]] and t.tolist() == [[0.01, 0.99]]
    with pytest.raises(DataError, match="n_samples"):
        make("worked_example", 2)
    with pytest.raises(DataError, match="unknown option"):
        make("worked_example", targets="pm1")


TRUTH = {"and": [0, 0, 0, 1], "or": [0, 1, 1, 1], "xor": [0, 1, 1, 0], "xnor": [1, 0, 0, 1]}


@pytest.mark.parametrize("gate", sorted(TRUTH))
def test_logic_gates_are_their_truth_tables(gate):
    x, t = make(gate)
    assert x.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert t[:, 0].tolist() == TRUTH[gate]
    _, tp = make(gate, targets="pm1")
    assert tp[:, 0].tolist() == [2 * v - 1 for v in TRUTH[gate]]


def test_logic_gate_copies_are_jittered_and_keep_their_targets():
    x, t = make("xnor", 10, 0.1, seed=2)
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    assert x[:4].tolist() == corners.tolist()  # the exact truth table comes first
    jitter = x[4:] - corners[np.arange(4, 10) % 4]
    assert (jitter != 0).all() and np.abs(jitter).max() < 0.6
    assert t[:, 0].tolist() == [TRUTH["xnor"][i % 4] for i in range(10)]
    exact, _ = make("xnor", 8, 0.0)
    assert exact.tolist() == corners.tolist() * 2
    with pytest.raises(DataError, match="from 4"):
        make("and", 3)


def test_gate_xor_matches_the_examples_xor():
    x, t = make("xor")
    x0, t0 = ds.xor()
    assert x.tobytes() == x0.tobytes() and t.tobytes() == t0.tobytes()


def test_legacy_generators_still_make_the_shipped_examples_data():
    """scripts/make_examples.py draws these; the shipped files hold what they drew."""
    sim = load_example("moons")
    x, t = ds.moons(300, np.random.default_rng(7), noise=0.12)
    assert x.tobytes() == sim.inputs.tobytes() and t.tobytes() == sim.targets.tobytes()
    sim = load_example("blobs")
    x, t = ds.blobs(150, np.random.default_rng(11))
    assert x.tobytes() == sim.inputs.tobytes() and t.tobytes() == sim.targets.tobytes()
    xm, tm = make("moons", 300, 0.12, seed=7)  # the same draws, targets mapped from ±1 to 0/1
    x7, t7 = ds.moons(300, np.random.default_rng(7), noise=0.12)
    assert xm.tobytes() == x7.tobytes() and (tm == (t7 + 1) / 2).all()


def test_circle_labels_by_radius():
    x, t = make("circle", 401, 0.0, seed=5)
    r = np.hypot(x[:, 0], x[:, 1])
    inner = t[:, 0] == 1
    assert inner.sum() == 200  # n // 2 inside
    assert (r[inner] < 0.5).all() and (r[~inner] >= 0.7).all() and (r <= 1.0).all()
    # With noise the label is taken at a jittered point: points stay in their bands, some labels flip.
    xn, tn = make("circle", 400, 0.5, seed=5)
    rn = np.hypot(xn[:, 0], xn[:, 1])
    assert ((rn < 0.5) | (rn >= 0.7)).all()
    flipped = (tn[:, 0] == 1) != (rn < 0.5)
    assert 0 < flipped.sum() < 200


def test_xor_quadrants_labels_by_sign():
    x, t = make("xor_quadrants", 300, 0.0, seed=6)
    assert (np.abs(x) >= 0.05).all() and (np.abs(x) <= 1.0).all()
    assert (t[:, 0] == (x[:, 0] * x[:, 1] >= 0)).all()
    assert 0.35 < t.mean() < 0.65  # the four quadrants are drawn evenly
    _, tp = make("xor_quadrants", 300, 0.0, seed=6, targets="pm1")
    assert (tp == 2 * t - 1).all()


def test_two_gaussians():
    x, t = make("gaussians", 2000, 0.0, seed=8)
    pos = t[:, 0] == 1
    assert pos.sum() == 1000
    # σ = 0.1 + noise/2 = 0.1: the mean of 1000 points is within a few σ/√1000 ≈ 0.003 of the centre.
    assert np.abs(x[pos].mean(axis=0) - 0.5).max() < 0.015
    assert np.abs(x[~pos].mean(axis=0) + 0.5).max() < 0.015
    assert abs(x[pos].std() - 0.1) < 0.01
    x2, t2 = make("gaussians", 2000, 0.4, seed=8)
    assert abs(x2[t2[:, 0] == 1].std() - 0.3) < 0.02  # σ = 0.1 + 0.4/2


def test_spiral_has_two_arms_half_a_turn_apart():
    n = 100
    x, t = make("spiral", n, 0.0, seed=9)
    for label, sign in ((1.0, 1.0), (0.0, -1.0)):
        arm = x[t[:, 0] == label]
        r = np.hypot(arm[:, 0], arm[:, 1])
        assert np.allclose(np.sort(r), np.arange(50) / 50, atol=1e-12, rtol=0)
        # Playground: point = r·(sin θ, cos θ) with θ = 1.75·2π·r (+ π on the second arm).
        theta = 3.5 * np.pi * r
        assert np.allclose(arm, sign * np.c_[r * np.sin(theta), r * np.cos(theta)], atol=1e-12, rtol=0)


def test_blobs_are_balanced_one_hot_classes_around_their_centres():
    x, t = make("blobs", 150, 0.0, seed=10, classes=4)
    assert t.shape == (150, 4) and ds.output_size("blobs", classes=4) == 4
    assert set(np.unique(t)) == {0.0, 1.0} and (t.sum(axis=1) == 1).all()
    assert sorted(t.sum(axis=0).tolist()) == [37, 37, 38, 38]
    for c in range(4):
        centre = 0.7 * np.array([math.cos(2 * math.pi * c / 4), math.sin(2 * math.pi * c / 4)])
        assert np.abs(x[t[:, c] == 1].mean(axis=0) - centre).max() < 0.06  # σ = 0.1, 37 points
    _, tp = make("blobs", 30, seed=1, targets="pm1")
    assert set(np.unique(tp)) == {-1.0, 1.0} and (tp.sum(axis=1) == 2 - 3).all()
    for bad in (2, 21, 3.0, True):
        with pytest.raises(DataError, match="classes"):
            make("blobs", classes=bad)


def test_regression_curves():
    x, t = make("sine", 500, 0.0, seed=11)
    assert (np.abs(x) <= 1).all() and x.shape == (500, 1)
    assert np.allclose(t, np.sin(np.pi * x), atol=1e-15, rtol=0)
    x, t = make("polynomial", 500, seed=11)
    assert np.allclose(t, 4 * x**3 - 3 * x, atol=1e-14, rtol=0)
    x, t = make("polynomial", 500, seed=11, degree=5)
    assert np.allclose(t, 16 * x**5 - 20 * x**3 + 5 * x, atol=1e-13, rtol=0)
    x, t = make("step", 500, seed=11)
    assert (t[:, 0] == np.where(x[:, 0] >= 0, 1.0, -1.0)).all()
    _, t01 = make("step", 500, seed=11, targets="01")
    assert (t01 == (t + 1) / 2).all()
    x, t = make("sine", 4000, 0.1, seed=12)
    assert abs((t - np.sin(np.pi * x)).std() - 0.1) < 0.005


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "nope"}, "unknown dataset 'nope'"),
    ({"name": "circle", "n_samples": 0}, "n_samples"),
    ({"name": "circle", "n_samples": 100_001}, "n_samples"),
    ({"name": "circle", "n_samples": 2.5}, "n_samples"),
    ({"name": "circle", "n_samples": True}, "n_samples"),
    ({"name": "circle", "noise": -0.1}, "noise"),
    ({"name": "circle", "noise": float("nan")}, "noise"),
    ({"name": "circle", "noise": 1.5}, "noise"),
    ({"name": "circle", "seed": -1}, "seed"),
    ({"name": "circle", "seed": 1.5}, "seed"),
    ({"name": "circle", "classes": 3}, "unknown option"),
    ({"name": "circle", "targets": "0-1"}, "targets must be"),
    ({"name": "polynomial", "degree": 0}, "degree"),
])
def test_bad_generator_arguments_are_refused(kwargs, message):
    with pytest.raises(DataError, match=message):
        make(**kwargs)


def test_encoding_for_output_activations():
    assert ds.encoding_for("tanh") == "pm1"
    assert ds.encoding_for("sigmoid") == ds.encoding_for("softmax") == "01"


# -- train/test split ---------------------------------------------------------------------------
def ids(n):
    return np.arange(n, dtype=float)[:, None], np.arange(n, dtype=float)[:, None] * 10


@pytest.mark.parametrize("n, fraction, n_test", [(10, 0.2, 2), (100, 0.07, 7), (5, 0.5, 3), (7, 0.0, 0),
                                                 (3, 0.1, 1)])
def test_split_sizes_disjoint_ordered(n, fraction, n_test):
    x, t = ids(n)
    xa, ta, xb, tb = train_test_split(x, t, fraction, seed=1)
    assert len(xb) == len(tb) == n_test and len(xa) == len(ta) == n - n_test
    assert xb.shape == (n_test, 1)
    assert sorted(xa[:, 0].tolist() + xb[:, 0].tolist()) == list(range(n))
    assert (ta == xa * 10).all() and (tb == xb * 10).all()  # rows stay paired
    assert (np.diff(xa[:, 0]) > 0).all() and (np.diff(xb[:, 0]) > 0).all()  # original order kept
    # The dialogs count (and refuse) with the same rule before they split.
    assert ds.n_test_samples(n, fraction) == n_test and ds.split_problem(n, fraction) == ""


def test_split_is_seeded():
    x, t = ids(50)
    a = train_test_split(x, t, 0.3, seed=4)
    b = train_test_split(x, t, 0.3, seed=4)
    c = train_test_split(x, t, 0.3, seed=5)
    assert all(p.tobytes() == q.tobytes() for p, q in zip(a, b))
    assert a[2].tobytes() != c[2].tobytes()


@pytest.mark.parametrize("fraction", [1.0, -0.1, 1.5, float("nan"), True, "0.2"])
def test_split_refuses_bad_fractions(fraction):
    with pytest.raises(DataError, match="test fraction"):
        train_test_split(*ids(10), fraction, seed=0)


def test_the_split_rule_refuses_what_would_leave_no_training_sample():
    assert ds.split_problem(4, 0.9) == "a test fraction of 0.9 of 4 sample(s) leaves no training samples"
    with pytest.raises(DataError, match=r"^a test fraction of 0\.9 of 4 sample\(s\) leaves no training samples$"):
        train_test_split(*ids(4), 0.9, seed=0)


def test_split_refuses_an_empty_training_set_and_bad_data():
    with pytest.raises(DataError, match="no training samples"):
        train_test_split(*ids(1), 0.5, seed=0)
    with pytest.raises(DataError, match="3 input rows but 2 target rows"):
        train_test_split(np.zeros((3, 1)), np.zeros((2, 1)), 0.5, seed=0)
    with pytest.raises(DataError, match=r"sample #2, column 1"):
        train_test_split([[0.0], [np.inf]], [[0.0], [1.0]], 0.5, seed=0)


@pytest.mark.parametrize("table, message", [
    ([[1.0, "1_000"]], r"^inputs: sample #1, column 2: '1_000' is text, not a number$"),
    ([["0.5"]], r"^inputs: sample #1, column 1: '0.5' is text, not a number$"),
    ([[1.0], [None]], r"^inputs: sample #2, column 1: None is not a real number$"),
    ([[1j]], r"^inputs: sample #1, column 1: 1j is not a real number$"),
    ([[1.0, 2.0], [3.0]], r"^inputs: not a table of numbers"),
])
def test_text_and_other_non_numbers_are_refused_not_converted(table, message):
    """numpy would read "1_000" as 1000.0 and "0.5" as 0.5, and call None "nan": the data API says what it got."""
    with pytest.raises(DataError, match=message):
        ds.as_dataset(table, [[0.0]] * len(table))


def test_exact_numbers_of_other_types_are_accepted():
    from decimal import Decimal
    from fractions import Fraction
    x, _ = ds.as_dataset([[Decimal("0.1"), Fraction(1, 4), True, np.float32(0.5)]], [[0]])
    assert x.tolist() == [[0.1, 0.25, 1.0, 0.5]] and x.dtype == np.float64


# -- input scaling -------------------------------------------------------------------------------
X = np.array([[1.0, 10.0, 5.0], [3.0, 10.0, 7.0], [5.0, 10.0, 9.0]])


def test_minmax_scales_to_unit_interval_by_hand():
    s, p = scale_inputs(X, "minmax")
    assert s.tolist() == [[0.0, 0.0, 0.0], [0.5, 0.0, 0.5], [1.0, 0.0, 1.0]]  # constant column → 0
    # The same transform on new data: (7 − 1)/4 = 1.5, (11 − 10)/1 = 1, (5 − 5)/4 = 0.
    assert apply_scaling([[7.0, 11.0, 5.0]], p).tolist() == [[1.5, 1.0, 0.0]]
    assert p.formulas()[0] == "x1' = (x1 − 1) / 4"


def test_standardise_by_hand():
    s, p = scale_inputs(X, "standardise")
    z = 2 / math.sqrt(8 / 3)  # column 0: mean 3, population variance (4 + 0 + 4)/3
    assert np.allclose(s[:, 0], [-z, 0, z], atol=1e-15) and np.allclose(s[:, 2], [-z, 0, z], atol=1e-15)
    assert (s[:, 1] == 0).all()
    assert np.allclose(apply_scaling([[6.0, 10.0, 7.0]], p), [[3 / math.sqrt(8 / 3), 0, 0]], atol=1e-15)


def test_scaling_with_a_reference_and_none():
    train, test = X[:2], X[2:]
    s, p = scale_inputs(test, "minmax", reference=train)
    assert s.tolist() == [[2.0, 0.0, 2.0]]  # (5 − 1)/2, constant, (9 − 5)/2
    assert apply_scaling(test, p).tolist() == s.tolist()
    s, p = scale_inputs(X, "none")
    assert s.tobytes() == X.tobytes() and s is not X


def test_scaling_refuses_bad_requests_without_warnings():
    with pytest.raises(DataError, match="unknown scaling method 'zscore'"):
        scale_inputs(X, "zscore")
    _, p = scale_inputs(X, "minmax")
    with pytest.raises(DataError, match="3 columns, the inputs have 2"):
        apply_scaling(np.zeros((1, 2)), p)
    with pytest.raises(DataError, match="reference has 2 columns"):
        scale_inputs(X, "minmax", reference=np.zeros((2, 2)))
    with pytest.raises(DataError, match="overflows"):  # max − min = inf; warnings would fail the test
        scale_inputs([[-1e308], [1e308]], "minmax")


# -- target checks -------------------------------------------------------------------------------
def test_check_targets_accepts_what_fits():
    check_targets([[1, 0, 0], [0, 0, 1]], "cross_entropy", "softmax")
    check_targets([[0.2, 0.3, 0.5], [1 - 2e-10, 1e-10, 1e-10]], "cross_entropy", "softmax")
    check_targets([[0.3], [1.0], [0.0]], "cross_entropy", "sigmoid")
    check_targets([[0.3, 0.9]], "cross_entropy", "sigmoid")  # independent outputs: no sum rule
    check_targets([[-5.0, 1e6]], "mse", "linear")
    check_targets([[0.5, 0.5 + 5e-10]], "cross_entropy", "softmax")  # within the 1e-9 tolerance


@pytest.mark.parametrize("targets, loss, act, message, row, column", [
    ([[1, 0], [0.5, 0.5 + 2e-9]], "cross_entropy", "softmax", r"sample #2: the targets sum to 1\.000000002", 1,
     None),
    ([[1, 0], [0, 0]], "cross_entropy", "softmax", r"sample #2: the targets sum to 0\.0", 1, None),
    ([[1, 0], [0, 1], [1.1, -0.1]], "cross_entropy", "softmax", r"sample #3, target 1: 1\.1 is outside", 2, 0),
    ([[0.5], [1.2]], "cross_entropy", "sigmoid", r"sample #2, target 1: 1\.2 is outside \[0, 1\]", 1, 0),
    ([[0.5, -0.01]], "cross_entropy", "sigmoid", r"sample #1, target 2", 0, 1),
    ([[0.5], [np.nan]], "mse", "linear", r"sample #2, column 1", 1, 0),
])
def test_check_targets_names_the_sample(targets, loss, act, message, row, column):
    with pytest.raises(DataError, match=message) as e:
        check_targets(targets, loss, act)
    assert (e.value.row, e.value.column) == (row, column)


def test_check_targets_refuses_unknown_combinations():
    with pytest.raises(DataError, match="sigmoid or softmax"):
        check_targets([[0.5]], "cross_entropy", "tanh")
    with pytest.raises(DataError, match="unknown loss"):
        check_targets([[0.5]], "hinge", "sigmoid")
    with pytest.raises(DataError, match="unknown activation"):
        check_targets([[0.5]], "mse", "swish")
    assert issubclass(DataError, ValueError)
