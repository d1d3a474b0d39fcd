"""Explanations and the "Why?" chain, checked on the worked example and every shipped example."""
import math

import pytest

from backprop_lab.core import Element, Trace, load_example
from backprop_lab.core.explain import KIND_TITLES, Factor, chain_factors, explain, kind_title

H1, H2, O1 = Element("neuron", 1, 0), Element("neuron", 1, 1), Element("neuron", 2, 0)
W1, W5 = Element("weight", 0, 0, 0), Element("weight", 1, 0, 0)
ALL_KINDS = set(KIND_TITLES)


def record(trace, kind, element):
    return next(r for r in trace if r.kind == kind and r.element == element)


@pytest.fixture(scope="module")
def mazur_trace():
    sim = load_example("mazur")
    return sim, sim.preview()


# -- the worked example's chain rule, against the published numbers ---------------------------------------
def test_w5_factors_are_the_published_chain(mazur_trace):
    _, tr = mazur_trace
    g = record(tr, "gradient", W5)
    fs = chain_factors(g, tr)
    # Mazur: ∂E/∂w5 = 0.74136507 · 0.186815602 · 0.593269992 = 0.082167041
    assert [f.value for f in fs] == pytest.approx([0.74136507, 0.186815602, 0.593269992], abs=5e-10)
    sources = [(tr[f.source_index].kind, tr[f.source_index].element) for f in fs]
    assert sources == [("output_error", O1), ("local_derivative", O1), ("activation", H1)]
    product = fs[0].value * fs[1].value * fs[2].value
    assert product == pytest.approx(0.082167041, abs=5e-10)
    assert abs(product - g.result) <= 1e-15 * abs(g.result)
    assert all(isinstance(f, Factor) and f.meaning for f in fs)
    assert fs[2].symbol.startswith("∂net") and "w5" in fs[2].symbol


def test_w1_factors_reach_back_through_the_hidden_layer(mazur_trace):
    _, tr = mazur_trace
    fs = chain_factors(record(tr, "gradient", W1), tr)
    # Mazur: ∂E/∂out_h1 = 0.036350306, ∂out_h1/∂net_h1 = 0.241300709, i1 = 0.05 → 0.000438568
    assert [f.value for f in fs] == pytest.approx([0.036350306, 0.241300709, 0.05], abs=5e-10)
    assert tr[fs[0].source_index].kind == "hidden_error" and tr[fs[0].source_index].element == H1
    assert tr[fs[1].source_index].kind == "local_derivative" and tr[fs[1].source_index].element == H1
    assert fs[2].source_index is None and "input" in fs[2].meaning  # i1 comes from the data
    assert math.prod(f.value for f in fs) == pytest.approx(0.000438568, abs=5e-10)


def test_bias_gradient_has_the_factor_one(mazur_trace):
    _, tr = mazur_trace
    g = record(tr, "gradient", Element("bias", 0, 1))
    fs = chain_factors(g, tr)
    assert fs[2].value == 1.0 and fs[2].source_index is None
    assert abs(math.prod(f.value for f in fs) - g.result) <= 1e-15 * abs(g.result)


def test_every_single_sample_gradient_is_the_product_of_its_factors(mazur_trace):
    _, tr = mazur_trace
    grads = [r for r in tr if r.kind == "gradient"]
    assert len(grads) == 12
    for g in grads:
        fs = chain_factors(g, tr)
        assert len(fs) == 3
        assert abs(fs[0].value * fs[1].value * fs[2].value - g.result) <= 1e-15 * abs(g.result), g.target


def test_delta_and_hidden_error_factors(mazur_trace):
    _, tr = mazur_trace
    d = chain_factors(record(tr, "output_delta", O1), tr)
    assert [f.value for f in d] == pytest.approx([0.74136507, 0.186815602], abs=5e-10)
    assert d[0].value * d[1].value == pytest.approx(0.138498562, abs=5e-10)  # δ_o1 (Mazur)
    he = chain_factors(record(tr, "hidden_error", H1), tr)
    # ∂E/∂out_h1 = δ_o1·w5 + δ_o2·w7 with the weights before the update (0.4 and 0.5)
    assert [f.value for f in he][1::2] == [0.4, 0.5]
    assert [tr[f.source_index].kind for f in he[0::2]] == ["output_delta", "output_delta"]
    assert all(f.source_index is None for f in he[1::2])
    assert he[0].value * 0.4 + he[2].value * 0.5 == pytest.approx(0.036350306, abs=5e-10)


def test_update_points_at_its_gradient(mazur_trace):
    _, tr = mazur_trace
    u = record(tr, "update", W5)
    fs = chain_factors(u, tr)
    assert [f.value for f in fs[:2]] == [0.4, 0.5]
    assert tr[fs[2].source_index].kind == "gradient" and tr[fs[2].source_index].element == W5
    assert fs[0].value - fs[1].value * fs[2].value == pytest.approx(0.35891648, abs=5e-9)  # new w5 (Mazur)


# -- explanations ----------------------------------------------------------------------------------------
def test_delta_sentence_is_written_for_its_neuron(mazur_trace):
    sim, tr = mazur_trace
    text = explain(record(tr, "output_delta", O1), tr, sim.network)
    assert "how much the total error changes when net_o1 changes" in text
    assert "every weight into o1 reuses it" in text
    assert "0.138498562" in text


def test_sentences_use_the_records_numbers(mazur_trace):
    sim, tr = mazur_trace
    net = sim.network
    assert "0.3775" in explain(record(tr, "weighted_sum", H1), tr, net)
    err = explain(record(tr, "output_error", O1), tr, net)
    assert "above its target" in err and "0.01" in err
    err2 = explain(record(tr, "output_error", Element("neuron", 2, 1)), tr, net)
    assert "below its target" in err2
    grad = explain(record(tr, "gradient", Element("weight", 1, 1, 0)), tr, net)  # ∂E/∂w7 < 0
    assert "w7" in grad and "raises it" in grad
    upd = explain(record(tr, "update", W5), tr, net)
    assert "from 0.4 to 0.35891648" in upd
    assert "0.5933" in explain(record(tr, "activation", H1), tr, net, digits=4)


def _names_element(text: str, rec, net) -> bool:
    if rec.element.kind == "loss":
        return "error" in text or "loss" in text
    return net.element_name(rec.element) in text


def _example(name):
    """A shipped example; "moons-adam" is two moons trained with Adam."""
    sim = load_example(name.removesuffix("-adam"))
    if name.endswith("-adam"):
        sim.set_training(optimizer="adam", learning_rate=0.01)
    return sim


@pytest.mark.parametrize("name", ["mazur", "xor", "moons", "blobs", "moons-adam"])
def test_every_record_is_explained_and_its_sources_come_earlier(name):
    sim = _example(name)
    if name == "moons":
        assert sim.settings.batch_size == 10
    if name == "blobs":
        assert sim.settings.loss == "cross_entropy" and sim.settings.momentum > 0
        assert sim.network.activation_names[-1] == "softmax"
    tr = sim.preview()
    for rec in tr:
        text = explain(rec, tr, sim.network)
        assert text.strip() and _names_element(text, rec, sim.network), (rec.target, text)
        assert rec.target in text
        for f in chain_factors(rec, tr):
            assert isinstance(f.value, float)
            if f.source_index is not None:
                assert 0 <= f.source_index < rec.index, (rec.target, f)
                assert tr[f.source_index].result == f.value, (rec.target, f)  # the very number it produced


def test_the_examples_cover_every_kind():
    kinds = set()
    for name in ("mazur", "xor", "moons", "blobs", "moons-adam"):
        kinds |= {r.kind for r in _example(name).preview()}
    assert kinds == ALL_KINDS


@pytest.mark.parametrize("name", ["xor", "moons", "blobs"])
def test_batch_gradient_is_the_mean_of_its_factor_products(name):
    """(1/B)·Σ δ⁽ˢ⁾·x⁽ˢ⁾ recomputed from the factors gives the engine's batch gradient."""
    sim = load_example(name)
    tr = sim.preview()
    B = len(tr.batch)
    net = sim.network
    for g in (r for r in tr if r.kind == "gradient"):
        fs = chain_factors(g, tr)
        assert fs[0].value == 1.0 / B
        per = 1 if g.element.kind == "bias" else 2
        terms = fs[1:]
        n = len(terms) // per
        shown = list(range(n)) if n == B else list(range(n - 1)) + [B - 1]
        for s, d in zip(shown, terms[0::per], strict=True):
            src = tr[d.source_index]
            assert src.kind in ("output_delta", "hidden_delta") and src.sample == s
            assert src.element == Element("neuron", g.element.layer + 1, g.element.j)
        if per == 2:
            for s, x in zip(shown, terms[1::2], strict=True):
                if g.element.layer == 0:
                    assert x.source_index is None and x.value == sim.inputs[tr.batch[s], g.element.i]
                else:
                    src = tr[x.source_index]
                    assert src.kind == "activation" and src.sample == s
                    assert src.element == Element("neuron", g.element.layer, g.element.i)
        if n < B:
            continue  # a long sum shows only some samples: no total to recompute
        if per == 1:
            total = math.fsum(f.value for f in terms)
        else:
            total = math.fsum(d.value * x.value for d, x in zip(terms[0::2], terms[1::2], strict=True))
        assert total / B == pytest.approx(g.result, rel=1e-12, abs=1e-15), g.target
    assert net.n_params == sum(1 for r in tr if r.kind == "gradient")


def test_blobs_momentum_and_cross_entropy_sources():
    sim = load_example("blobs")
    tr = sim.preview()
    v = next(r for r in tr if r.kind == "velocity")
    fs = chain_factors(v, tr)
    assert fs[0].value == sim.settings.momentum and fs[0].source_index is None
    assert tr[fs[2].source_index].kind == "gradient" and tr[fs[2].source_index].element == v.element
    u = next(r for r in tr if r.kind == "update" and r.element == v.element)
    assert tr[chain_factors(u, tr)[2].source_index].kind == "velocity"
    assert "velocity" in explain(u, tr, sim.network)
    d = next(r for r in tr if r.kind == "output_delta")
    fd = chain_factors(d, tr)
    assert tr[fd[0].source_index].kind == "activation" and fd[1].source_index is None  # out − t
    assert fd[0].value - fd[1].value == pytest.approx(d.result, abs=1e-15)
    assert "out − t" in explain(d, tr, sim.network)
    term = next(r for r in tr if r.kind == "loss_term")
    assert "true class" in explain(term, tr, sim.network)


# -- robustness: unknown kinds, renamed symbols, the classic mistake --------------------------------------
def test_unknown_kind_gets_a_generic_explanation_and_operand_sources(mazur_trace):
    sim, tr = mazur_trace
    g = record(tr, "gradient", W5)
    fake = g._replace(index=len(tr), phase="update", kind="adam_moment", target="m_w5⁺",
                   expansion="β1·m_w5 + (1 − β1)·∂E/∂w5", template="{0}·{1} + (1 − {0})·{2}",
                   operands=(("β1", 0.9), ("m_w5", 0.0), (g.target, g.result)), result=0.1 * g.result)
    tr2 = Trace(tr.iteration, tr.batch, list(tr.records) + [fake], tr.loss)
    text = explain(fake, tr2, sim.network)
    assert "w5" in text and "m_w5⁺" in text and "adam moment" in text
    assert kind_title("adam_moment") == "adam moment"
    fs = chain_factors(fake, tr2)
    assert [f.source_index for f in fs] == [None, None, g.index]


def test_sources_do_not_depend_on_symbol_names(mazur_trace):
    """After the refactor biases may be called b_h1 and symbols may change: matching is structural."""
    _, tr = mazur_trace
    renamed = [r._replace(target="X" + r.target, operands=tuple(("Y" + n, v) for n, v in r.operands))
               for r in tr.records]
    tr2 = Trace(tr.iteration, tr.batch, renamed, tr.loss)
    for a, b in zip(tr.records, renamed, strict=True):
        assert [f.source_index for f in chain_factors(a, tr)] == [f.source_index for f in chain_factors(b, tr2)]


def test_hidden_error_from_already_updated_weights_points_at_the_update(mazur_trace):
    """The classic mistake (hidden deltas from updated output weights): the weight factor's source is its update."""
    _, tr = mazur_trace
    upd_w5 = record(tr, "update", W5)
    he = record(tr, "hidden_error", H1)
    recs = list(tr.records[:he.index])
    recs.append(upd_w5._replace(index=len(recs)))
    ops = list(he.operands)
    ops[1] = (ops[1][0], upd_w5.result)
    recs.append(he._replace(index=len(recs), operands=tuple(ops)))
    tr2 = Trace(tr.iteration, tr.batch, recs, tr.loss)
    fs = chain_factors(recs[-1], tr2)
    assert fs[1].source_index == len(recs) - 2 and "ALREADY UPDATED" in fs[1].meaning
    assert fs[3].source_index is None  # w7 was not updated yet in this made-up order


def test_malformed_record_falls_back_to_its_operands(mazur_trace):
    sim, tr = mazur_trace
    g = record(tr, "gradient", W5)
    odd = g._replace(operands=())  # no operands at all: nothing to index
    assert chain_factors(odd, tr) == []
    assert "w5" in explain(odd, tr, sim.network)


def test_a_trace_of_another_network_still_gets_sentences(mazur_trace):
    """A stale trace (the window replaced the network) must not crash the explanation."""
    sim, _ = mazur_trace
    blobs = load_example("blobs").preview()
    for rec in blobs.records[::7]:
        assert explain(rec, blobs, sim.network).strip()


# -- Adam: its own sentences and sources ---------------------------------------------------------------------
@pytest.mark.parametrize("zero_gradient", [False, True])
def test_adam_records_are_explained_as_adam_and_point_at_their_sources(zero_gradient):
    # (a new-user tester: Adam's update was explained as "gradient descent moves w1 against its gradient, by
    # η = 0.5 times it" — a step of 0.5, not η times the gradient; m̂ pointed at the gradient, which at t = 1
    # has the same value)
    sim = load_example("mazur")
    sim.set_training(optimizer="adam", learning_rate=0.5, beta1=0.8, beta2=0.99)
    if zero_gradient:  # targets equal to the outputs: every gradient 0, so m̂ = v̂ = 0 at the first update
        sim.set_data(sim.inputs, sim.outputs())
    tr = sim.preview()
    recs = [r for r in tr if r.element == W1 and r.phase == "update"]
    assert [r.kind for r in recs] == ["first_moment", "second_moment", "bias_correction", "bias_correction",
                                      "update"]
    m, v, m_hat, v_hat, upd = recs
    grad = next(r for r in tr if r.kind == "gradient" and r.element == W1)
    assert (grad.result == 0.0) == zero_gradient and (m_hat.result == v_hat.result) == zero_gradient
    text = explain(upd, tr, sim.network)
    assert "Adam" in text and "gradient descent" not in text and "η = 0.5" in text
    assert "first moment" in explain(m, tr, sim.network) and "0.8" in explain(m, tr, sim.network)
    assert "second moment" in explain(v, tr, sim.network) and "0.99" in explain(v, tr, sim.network)
    # the correction's divisor, worked out here: 1 − β1^t with t = 1
    assert "1 − β1^t = 0.2 " in explain(m_hat, tr, sim.network) and "1 − β2^t = 0.01 " in explain(v_hat, tr,
                                                                                                  sim.network)
    f = chain_factors(upd, tr)
    assert [x.source_index for x in f] == [None, None, m_hat.index, v_hat.index, None]
    assert chain_factors(m_hat, tr)[0].source_index == m.index and chain_factors(v_hat, tr)[0].source_index == v.index
    assert chain_factors(m, tr)[2].source_index == grad.index
    for k in ("first_moment", "second_moment", "bias_correction"):
        assert kind_title(k).startswith("Adam's")


@pytest.mark.parametrize("options", [{"optimizer": "adam", "learning_rate": 0.01}, {"momentum": 0.9}, {}])
def test_with_a_penalty_a_step_points_at_the_penalised_gradient(options):
    # (a new-user tester: with L2 on, Adam's ∂E/∂w3 was "given" with no link, though computation 105 made it)
    sim = load_example("xor")
    sim.set_training(l2=0.01, **options)
    tr = sim.preview()
    for rec in tr:
        if rec.kind not in ("first_moment", "second_moment", "velocity", "update") or rec.element.kind != "weight":
            continue
        reg = next(r for r in tr if r.kind == "regularization" and r.element == rec.element)
        grads = [f for f in chain_factors(rec, tr) if f.symbol.startswith("∂E/∂")]
        if rec.kind == "update" and options:  # (Adam's and momentum's step take m̂, v̂ or v, not the gradient)
            assert grads == []
            continue
        assert [f.source_index for f in grads] == [reg.index], (rec.target, grads)
