"""The published worked example (Mazur), checked to 9 digits against its numbers.

These numbers come from the seed notes / shared NOTES.md, not from the engine.
"""
import pytest

from backprop_lab.core import load_example, scalar_kernel


@pytest.fixture(params=["scalar", "numpy"], autouse=True)
def kernel(request, monkeypatch):
    """Run every check with both kernels: plain Python (tiny networks) and vectorised numpy."""
    if request.param == "numpy":
        monkeypatch.setattr(scalar_kernel, "MAX_WORK", 0)
    return request.param

FORWARD = {
    "net_h1": 0.3775, "out_h1": 0.593269992, "net_h2": 0.3925, "out_h2": 0.596884378,
    "net_o1": 1.105905967, "out_o1": 0.75136507, "net_o2": 1.224921404, "out_o2": 0.772928465,
    "E_o1": 0.274811083, "E_o2": 0.023560026, "E_total": 0.298371109,
}
BACKWARD = {
    "∂E/∂out_o1": 0.74136507, "∂out_o1/∂net_o1": 0.186815602, "δ_o1": 0.138498562,
    "∂E/∂w5": 0.082167041, "∂E/∂out_h1": 0.036350306, "∂out_h1/∂net_h1": 0.241300709,
    "∂E/∂w1": 0.000438568,
}
NEW_W = [0.149780716, 0.199561432, 0.249751144, 0.299502287,
         0.358916480, 0.408666186, 0.511301270, 0.561370121]


def new_weights(sim):
    return list(sim.network.weights[0].ravel()) + list(sim.network.weights[1].ravel())


def test_kernel_choice(mazur, kernel):
    assert (mazur.engine.scalar(mazur.settings) is not None) == (kernel == "scalar")


def test_forward_values(mazur):
    tr = mazur.step()
    for name, value in FORWARD.items():
        assert tr.find(name).result == pytest.approx(value, abs=5e-10), name


def test_backward_values(mazur):
    tr = mazur.step()
    for name, value in BACKWARD.items():
        assert tr.find(name).result == pytest.approx(value, abs=5e-10), name


def test_gradient_record_shows_chain_rule(mazur):
    r = mazur.step().find("∂E/∂w5")
    assert r.expansion == "∂E/∂out_o1 · ∂out_o1/∂net_o1 · ∂net_o1/∂w5"
    assert r.text() == ("∂E/∂w5 = ∂E/∂out_o1 · ∂out_o1/∂net_o1 · ∂net_o1/∂w5 = "
                        "0.74136507 · 0.186815602 · 0.593269992 = 0.082167041")
    w1 = mazur.last_trace.find("∂E/∂out_h1")
    assert w1.expansion == "δ_o1·w5 + δ_o2·w7"


def test_equation_text_matches_worked_example(mazur):
    tr = mazur.step()
    assert tr.find("net_h1").text() == "net_h1 = w1·i1 + w2·i2 + b1 = 0.15·0.05 + 0.2·0.1 + 0.35 = 0.3775"
    assert tr.find("out_h1").text() == "out_h1 = σ(net_h1) = 1/(1+e^(−0.3775)) = 0.593269992"
    assert tr.find("w5⁺").text() == "w5⁺ = w5 − η·∂E/∂w5 = 0.4 − 0.5·0.082167041 = 0.35891648"
    assert tr.find("E_total").text() == "E_total = E_o1 + E_o2 = 0.274811083 + 0.023560026 = 0.298371109"


def test_new_weights_and_loss_after_one_update(mazur):
    mazur.step()
    assert new_weights(mazur) == pytest.approx(NEW_W, abs=5e-10)
    # The published post printed 0.291027924 (a bug in its script); the correct value:
    assert mazur.loss() == pytest.approx(0.291027774, abs=5e-10)
    # Biases are fixed in the worked example.
    assert list(mazur.network.biases[0]) == [0.35, 0.35]
    assert list(mazur.network.biases[1]) == [0.60, 0.60]


def test_ten_thousand_updates():
    sim = load_example("mazur")
    r = sim.run(10_000)
    assert r.iterations == 10_000 and not r.diverged
    assert sim.loss() == pytest.approx(3.51018778e-5, rel=5e-9)
    out = sim.outputs()[0]
    assert out[0] == pytest.approx(0.015913620, abs=5e-10)
    assert out[1] == pytest.approx(0.984064274, abs=5e-10)


def test_hidden_deltas_use_weights_before_update(mazur):
    """The bug the post had: w5..w8 already updated when computing hidden deltas."""
    tr = mazur.step()
    e_h1 = tr.find("∂E/∂out_h1")
    assert e_h1.operand("w5") == 0.40 and e_h1.operand("w7") == 0.50
