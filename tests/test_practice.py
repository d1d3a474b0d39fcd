"""Practice sessions: reading typed answers, the tolerance at its edges, hints, scores and the faded plan."""
from decimal import Decimal

import pytest

from backprop_lab.core import Network, Simulation, load_example
from backprop_lab.core.practice import (
    FADE_STAGES,
    REL_TOL,
    AnswerError,
    PracticeError,
    PracticeSession,
    Score,
    faded_plan,
    full_plan,
    is_right,
    parse_answer,
    tolerance,
)


@pytest.fixture
def mazur_trace():
    return load_example("mazur").preview()


def zero_neuron_trace():
    """One sigmoid neuron with w = b = 0, input 0, target 0: every number is exact in binary.

    net = 0, out = σ(0) = 0.5, E = ½(0 − 0.5)² = 0.125, ∂E/∂out = 0.5, ∂out/∂net = 0.25, δ = 0.125.
    """
    sim = Simulation(Network([1, 1], ["sigmoid"]), [[0.0]], [[0.0]])
    return sim.preview()


# -- reading what a person types ---------------------------------------------------------------------
@pytest.mark.parametrize("text, value", [
    ("0.5933", "0.5933"), ("−0.1", "-0.1"), ("-0.1", "-0.1"), ("–0.1", "-0.1"), ("5e-3", "0.005"),
    ("5E-3", "0.005"), ("0,5933", "0.5933"), (",5", "0.5"), (".5", "0.5"), ("+2", "2"), ("  7 ", "7"),
    ("5×10^-3", "0.005"), ("5 * 10^-3", "0.005"), ("5·10**-3", "0.005"), ("5×10⁻³", "0.005"), ("1e+2", "100"),
    ("0.000438568", "0.000438568"), ("3.", "3"),
])
def test_parse_accepts_what_people_type(text, value):
    assert parse_answer(text) == Decimal(value)


@pytest.mark.parametrize("text", ["", "   ", "abc", "nan", "NaN", "inf", "-inf", "Infinity", "1_000", "0x10",
                                  "1,234.5", "1.2.3", "1 2", "e5", "1e", "1e99999", "--1", "5%", "1/2", "²",
                                  "0.5" * 30])
def test_parse_refuses_non_numbers_with_a_message(text):
    with pytest.raises(AnswerError) as e:
        parse_answer(text)
    assert isinstance(e.value, ValueError)
    assert str(e.value)


def test_two_separators_message_names_the_problem():
    with pytest.raises(AnswerError, match="more than one separator"):
        parse_answer("1,234.5")


# -- the tolerance at its edges (exact binary values, so the bound itself is exact) ------------------
def test_relative_bound_exactly_at_the_edge():
    tr = zero_neuron_trace()
    out = tr.find("out_o1")
    assert out.result == 0.5
    assert tolerance(0.5) == Decimal("0.0005")  # 1e-3 · 0.5
    s = PracticeSession()
    s.load(tr, out.index)
    assert s.check("0.5005").correct  # exactly at the bound
    for ok in ("0.4995", "0.5", "0.50049999"):
        assert is_right(ok, 0.5)
    for bad in ("0.50050000001", "0.49949999999", "0.5006"):
        assert not is_right(bad, 0.5)


def test_absolute_floor_for_a_zero_result():
    tr = zero_neuron_trace()
    net = tr.find("net_o1")
    assert net.result == 0.0
    # ½·10^-9 with the default 9 digits: rel·|0| = 0 alone would demand an exact 0
    assert tolerance(0.0) == Decimal("5E-10")
    s = PracticeSession()
    s.load(tr, net.index)
    assert s.check("5e-10").correct
    assert is_right("-0.0000000005", 0.0) and is_right("0", 0.0)
    assert not is_right("5.0000001e-10", 0.0)
    assert is_right("0.0005", 0.0, digits=3) and not is_right("0.00051", 0.0, digits=3)


def test_relative_tolerance_is_configurable():
    assert REL_TOL == 1e-3
    assert is_right("0.505", 0.5, rel=0.01) and not is_right("0.5051", 0.5, rel=0.01)
    s = PracticeSession(rel_tol=0.01)
    tr = zero_neuron_trace()
    s.load(tr, tr.find("out_o1").index)
    v = s.check("0.505")
    assert v.correct and v.tolerance == 0.005
    s.configure(rel_tol=0.0)
    assert s.rel_tol == 0.0
    for bad in (-0.1, 1.0, float("nan"), "0.1"):
        with pytest.raises(PracticeError):
            s.configure(rel_tol=bad)
    with pytest.raises(PracticeError):
        s.configure(digits=40)


def test_tolerance_on_the_worked_example(mazur_trace):
    s = PracticeSession()
    s.load(mazur_trace)  # net_h1 = 0.3775
    v = s.check("0.3778")  # 0.08 % off
    assert v.correct and v.outcome == "first_try" and v.expected == pytest.approx(0.3775)
    assert "0.3775" in v.message
    s.go_to(2)  # out_h1 = 0.593269992
    v = s.check("0.5933")
    assert v.correct
    s.go_to(3)  # out_h2 = 0.596884378; 0.59 is 1.2 % off
    v = s.check("0.59")
    assert not v.correct and v.outcome == "wrong" and "0.596884378" in v.message and "1.2 %" in v.message


def test_non_finite_expected_is_never_matched():
    assert not is_right("1", float("nan"))
    with pytest.raises(PracticeError):
        tolerance(float("inf"))


# -- answering: garbage is free, one number settles the question ----------------------------------------
def test_garbage_does_not_cost_the_attempt(mazur_trace):
    s = PracticeSession()
    s.load(mazur_trace)
    for junk in ("abc", "", "0.37.75"):
        with pytest.raises(AnswerError):
            s.check(junk)
    assert s.verdict is None and s.score() == Score()
    v = s.check("0.3775")
    assert v.correct and v.outcome == "first_try"
    assert s.check("99") is v  # settled: a second answer changes nothing
    assert s.score() == Score(first_try=1)


def test_wrong_answer_shows_the_value_and_the_sign_note(mazur_trace):
    s = PracticeSession()
    s.load(mazur_trace, 14)  # ∂E/∂out_o2 = −0.217071535
    v = s.check("0.217071535")
    assert not v.correct and v.answer == pytest.approx(0.217071535)
    assert "−0.217071535" in v.message and "sign" in v.message
    s.go_to(8)  # E_o1 = ½(0.01 − 0.75136507)² = 0.274811083; forgetting the ½ doubles it
    assert "twice" in s.check("0.549622166").message


def test_hints_reveal_the_operands_in_order(mazur_trace):
    s = PracticeSession()
    s.load(mazur_trace)  # net_h1 = w1·i1 + w2·i2 + b1 = 0.15·0.05 + 0.2·0.1 + 0.35
    rec = mazur_trace[0]
    got = [s.hint() for _ in range(6)]
    values = ["0.15", "0.05", "0.2", "0.1", "0.35"]
    for (name, _), text, value in zip(rec.operands, got, values):
        assert text == f"{name} = {value}"
    assert got[5] == "net_h1 = 0.15·0.05 + 0.2·0.1 + 0.35"  # every number, still not the result
    assert "0.3775" not in "".join(got)
    assert "No more hints" in s.hint()
    assert s.hints == got
    v = s.check("0.3775")
    assert v.correct and v.outcome == "after_hints"


def test_hints_are_per_question(mazur_trace):
    s = PracticeSession()
    s.load(mazur_trace, 2)  # out_h1 = σ(net_h1)
    assert s.hint() == "net_h1 = 0.3775"
    s.go_to(11)  # ∂E/∂out_o1 = out_o1 − t_o1
    assert s.hints == []
    assert s.hint() == "out_o1 = 0.75136507"
    assert s.hint() == "t_o1 = 0.01"
    s.go_to(2)
    assert s.hints == ["net_h1 = 0.3775"]


def test_score_counts_each_outcome_per_iteration():
    sim = load_example("mazur")
    tr1 = sim.preview()
    s = PracticeSession()
    s.load(tr1, 0)
    s.check("0.3775")            # first try
    s.go_to(1)
    s.hint()
    s.check("0.3925")            # after a hint
    s.go_to(2)
    s.check("0.6")               # wrong (1.1 % off)
    s.go_to(3)
    s.reveal()                   # revealed
    s.go_to(4)
    with pytest.raises(AnswerError):
        s.check("x")             # nothing
    sc = s.score()
    assert sc == Score(first_try=1, after_hints=1, wrong=1, revealed=1)
    assert (sc.right, sc.answered) == (2, 4)
    assert sc.text() == "1 right first try · 1 after hints · 1 wrong · 1 revealed"
    sim.step()
    tr2 = sim.preview()
    assert tr2.iteration == 2
    s.load(tr2)
    assert s.score() == Score() and s.score(1) == sc
    s.check(repr(tr2[0].result))
    assert s.score(2) == Score(first_try=1) and s.iterations == [1, 2]


def test_same_iteration_reloaded_keeps_answers_and_an_edit_resets_them():
    sim = load_example("mazur")
    s = PracticeSession()
    s.load(sim.preview())
    s.check("0.3775")
    s.load(sim.begin_iteration(), sim.cursor)  # the preview becomes the trace stepped into
    assert s.verdict is not None and s.score().first_try == 1
    sim.set_weight(0, 0, 0, 0.2)  # drops the pending iteration; w1 changes, so iteration 1 computes other numbers
    s.load(sim.preview())
    assert s.verdict is None and s.score() == Score()


def test_reveal_and_check_need_an_open_question(mazur_trace):
    s = PracticeSession(faded=True)
    s.load(mazur_trace)  # round 1: the worked example is shown in full
    assert not s.asked and s.record is mazur_trace[0]
    for action in (s.reveal, s.hint, lambda: s.check("1")):
        with pytest.raises(PracticeError):
            action()
    s.go_to(len(mazur_trace))
    assert s.record is None and s.next_question() is None
    with pytest.raises(PracticeError):
        s.go_to(len(mazur_trace) + 1)
    other = load_example("xor").preview()
    with pytest.raises(PracticeError, match="outside the iteration"):
        s.load(other, -1)
    assert s.trace is mazur_trace and s.position == len(mazur_trace)  # the refused load changed nothing


# -- plans ---------------------------------------------------------------------------------------------
def test_faded_plan_grows_round_by_round(mazur_trace):
    tr = mazur_trace
    plans = [faded_plan(k, tr) for k in range(1, 7)]
    assert plans[0] == set()
    assert {tr[k].phase for k in plans[1]} == {"update"} and len(plans[1]) == 8  # w1…w8
    assert {tr[k].phase for k in plans[2]} == {"backward", "update"} and len(plans[2]) == 8 + 24
    assert {tr[k].phase for k in plans[3]} == {"loss", "backward", "update"} and len(plans[3]) == 35
    assert plans[4] == plans[5] == full_plan(tr) == set(range(43))
    for a, b in zip(plans, plans[1:5]):
        assert a < b  # strictly more is left to the learner each round
    assert len(FADE_STAGES) == 4
    with pytest.raises(PracticeError):
        faded_plan(0, tr)


def test_batch_plans_ask_the_first_sample_and_the_batch_level():
    sim = load_example("moons")
    tr = sim.preview()
    plan = full_plan(tr)
    assert all(tr[k].sample in (None, 0) for k in plan)
    assert {k for k, r in enumerate(tr) if r.sample in (None, 0)} == plan
    assert any(tr[k].kind == "total_loss" for k in plan) and sum(tr[k].kind == "gradient" for k in plan) == 105


def test_session_rounds_follow_the_iterations():
    sim = load_example("mazur")
    s = PracticeSession(faded=True)
    s.load(sim.preview())
    assert s.round == 1 and s.plan == set()
    assert s.next_question() is None
    sim.step()
    s.load(sim.preview())
    assert s.round == 2 and s.plan == faded_plan(2, s.trace)
    assert s.next_question() == 35  # the first update
    s.go_to(35)
    assert s.asked and s.check(repr(s.record.result)).correct
    s.restart()
    assert s.round == 1 and s.score(2) == Score()
    s.configure(faded=False)
    assert s.plan == full_plan(s.trace)
