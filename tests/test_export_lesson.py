"""The worked example of an iteration as Markdown, LaTeX and HTML; worksheets; the loss history as CSV.

The numbers are the published worked example's (NOTES.md, Mazur's post), never
the exporter's own output.
"""
import re
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest

from backprop_lab.core import format_number, load_example
from backprop_lab.core.export import (
    ExportError,
    export_lesson,
    export_worksheet,
    loss_history_csv,
    mathrender,
    mathtext,
    worksheet_answer_path,
    write_export,
)

# The worked example's first iteration, to 9 decimals (NOTES.md); trailing zeros are not printed.
FORWARD = {"net_h1": "0.3775", "out_h1": "0.593269992", "net_h2": "0.3925", "out_h2": "0.596884378",
           "net_o1": "1.105905967", "out_o1": "0.75136507", "net_o2": "1.224921404", "out_o2": "0.772928465",
           "E_o1": "0.274811083", "E_o2": "0.023560026", "E_total": "0.298371109"}
BACKWARD = {"∂E/∂out_o1": "0.74136507", "∂out_o1/∂net_o1": "0.186815602", "δ_o1": "0.138498562",
            "∂E/∂w5": "0.082167041", "∂E/∂out_h1": "0.036350306", "∂out_h1/∂net_h1": "0.241300709",
            "∂E/∂w1": "0.000438568"}
NEW_WEIGHTS = ["0.149780716", "0.199561432", "0.249751144", "0.299502287", "0.358916480", "0.408666186",
               "0.511301270", "0.561370121"]
LOSS_AFTER = "0.291027774"
ALL_NUMBERS = [*FORWARD.values(), *BACKWARD.values(), *(w.rstrip("0") for w in NEW_WEIGHTS), LOSS_AFTER,
               "0.05", "0.1", "0.01", "0.99", "0.15", "0.2", "0.25", "0.3", "0.4", "0.45", "0.5", "0.55", "0.35",
               "0.6"]
EVIL = 'Evil <img src=x onerror=alert(1)> \\input{/etc/passwd} $x$ & % # _ ^ ~ </script><script>alert(1)</script>'


def tokens(text: str) -> set[str]:
    """Every decimal number written in *text*."""
    return set(re.findall(r"(?<![\d.])\d+\.\d+(?!\.?\d)", text))


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.mn: list[str] = []
        self.text: list[str] = []
        self._in: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs
        self._in.append(tag)

    def handle_endtag(self, tag):
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data):
        self.text.append(data)
        if self._in and self._in[-1] == "mn":
            self.mn.append(data)


def parse_html(text: str) -> _Html:
    p = _Html()
    p.feed(text)
    p.close()
    return p


def evil_sim():
    sim = load_example("mazur")
    sim.name = EVIL
    sim.notes = EVIL + "\n\n- not a list\n# not a heading"
    return sim


# -- every number of the first iteration --------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["md", "tex", "html"])
def test_every_number_of_the_first_iteration_appears(mazur, fmt):
    text = export_lesson(mazur, 1, fmt)
    found = tokens(text)
    missing = [n for n in ALL_NUMBERS if n not in found]
    assert not missing, missing


def test_markdown_chain_rule_factors_and_structure(mazur):
    md = export_lesson(mazur, 1, "md")
    # ∂E/∂w5 = ∂E/∂out_o1 · ∂out_o1/∂net_o1 · ∂net_o1/∂w5, symbols then numbers then the result
    flat = re.sub(r"\s*(\\\\|&)\s*", " ", md)  # the same equation whether on one row or several
    assert ("\\frac{\\partial E}{\\partial w_{5}} = \\frac{\\partial E}{\\partial \\mathrm{out}_{\\mathrm{o1}}} "
            "\\cdot \\frac{\\partial \\mathrm{out}_{\\mathrm{o1}}}{\\partial \\mathrm{net}_{\\mathrm{o1}}} \\cdot "
            "\\frac{\\partial \\mathrm{net}_{\\mathrm{o1}}}{\\partial w_{5}} = 0.74136507 \\cdot 0.186815602 \\cdot "
            "0.593269992 = 0.082167041") in re.sub(" +", " ", flat)
    # the update of w5, as the notes write it: w5⁺ = w5 − η·∂E/∂w5 = 0.4 − 0.5·0.082167041 = 0.35891648
    assert "w_{5}^{+} = w_{5} - \\eta  \\cdot \\frac{\\partial E}{\\partial w_{5}} = 0.4 - 0.5 \\cdot 0.082167041 " \
           "= 0.35891648" in md
    for heading in ("## The network", "## Forward pass", "## The loss", "## Backward pass", "## Updates",
                    "## After the update"):
        assert heading in md
    assert md.index("## Forward pass") < md.index("## The loss") < md.index("## Backward pass") \
        < md.index("## Updates")
    # display math is balanced: every $$ opens and closes
    assert md.count("$$") % 2 == 0
    assert md.count("\\begin{aligned}") == md.count("\\end{aligned}")


def test_html_is_offline_mathml(mazur):
    page = export_lesson(mazur, 1, "html")
    p = parse_html(page)
    assert p.tags[0] == "html" and "math" in p.tags and "mfrac" in p.tags
    assert p.tags.count("math") >= 43  # one display per computation (43) plus inline math
    assert "script" not in p.tags and "img" not in p.tags and "link" not in p.tags and "iframe" not in p.tags
    for name, value in p.attrs:
        assert name not in ("src", "href", "srcset", "action"), (name, value)
        assert not re.search(r"(https?:)?//", value or ""), (name, value)
    assert not re.search(r"url\(|@import|https?://", page)
    # the chain rule of ∂E/∂w5: factors and result in order, as numbers (<mn>) of one equation
    chain = ["0.74136507", "0.186815602", "0.593269992", "0.082167041"]
    assert any(p.mn[k:k + 4] == chain for k in range(len(p.mn)))
    assert "0.291027774" in "".join(p.text)


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex (Debian: texlive-latex-base)")
@pytest.mark.parametrize("example,iteration,options", [
    ("mazur", 1, {}), ("blobs", 2, {}),
    ("mazur", 2, {"optimizer": "adam", "l2": 0.01, "l1": 0.001, "schedule": "step", "decay_every": 1}),
    ("moons", 3, {"optimizer": "adam", "l1": 0.001, "l2": 0.002, "schedule": "exponential"}),  # 88 weights
    ("xor", 2, {"momentum": 0.5, "hidden_delta_weights": "updated", "update_biases": False}),
])
def test_latex_compiles_with_pdflatex(tmp_path, example, iteration, options):
    sim = evil_sim() if example == "mazur" else load_example(example)
    sim.set_training(**options)
    tex = tmp_path / "lesson.tex"
    write_export(sim, tex, iteration)
    r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                        tex.name], cwd=tmp_path, capture_output=True, text=True, timeout=240)
    log = (tmp_path / "lesson.log").read_text(errors="replace")
    assert r.returncode == 0, log[-3000:]
    assert (tmp_path / "lesson.pdf").stat().st_size > 10_000
    assert "Overfull \\hbox" not in log  # long sums were broken into rows that fit the page
    assert "/etc/passwd" not in log.split("(./lesson.tex", 1)[-1].split("\n")[0]  # nothing was \input
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "lesson.pdf", "-"], cwd=tmp_path, capture_output=True,
                              text=True).stdout
        if example == "mazur" and not options:
            assert "0.082167041" in text and "0.291027774" in text
            assert "input{/etc/passwd}" in text  # typeset literally


# -- text from a file is never markup -------------------------------------------------------------------------
def test_markup_in_the_name_is_escaped_everywhere(tmp_path):
    sim = evil_sim()
    md = export_lesson(sim, 1, "md")
    body = re.sub(r"(?m)^> ", "", md)  # (the exporter's own notes are block quotes)
    assert not re.search(r"(?<!\\)[<>]", body)  # every < and > is backslash-escaped: no HTML at all
    assert "\\input{" not in md and " $x$ " not in md and "\\$x\\$" in md
    assert "\n- not a list" not in md and "\n# not a heading" not in md
    tex = export_lesson(sim, 1, "tex")
    assert "\\input{" not in tex and "\\textbackslash{}input\\{/etc/passwd\\}" in tex
    assert " $x$ " not in tex and "\\%" in tex and "\\#" in tex
    page = export_lesson(sim, 1, "html")
    p = parse_html(page)
    assert "img" not in p.tags and "script" not in p.tags
    assert EVIL in "".join(p.text)  # shown as the literal text it is
    sheet, answers = export_worksheet(sim, 1, "html")
    for doc in (sheet, answers):
        assert "img" not in parse_html(doc).tags and "script" not in parse_html(doc).tags
    sheet, answers = export_worksheet(sim, 1, "md")
    body = re.sub(r"(?m)^> ", "", sheet + answers)
    assert not re.search(r"(?<!\\)[<>]", body) and "\\input{" not in body
    src = write_export(sim, tmp_path / "train.py")[0].read_text()
    ns: dict = {}
    name_line = next(line for line in src.splitlines() if line.startswith("NAME = "))
    exec(compile(name_line, "name", "exec"), ns)  # a plain string literal
    assert ns["NAME"] == EVIL
    compile(src, "train.py", "exec")
    assert EVIL not in write_export(sim, tmp_path / "loss.csv")[0].read_text()


# -- worksheets -------------------------------------------------------------------------------------------------
def test_worksheet_leaves_results_blank_and_the_key_has_them(mazur, tmp_path):
    paths = write_export(mazur, tmp_path / "sheet.worksheet.md", 1)
    assert paths == [tmp_path / "sheet.worksheet.md", tmp_path / "sheet.answers.md"]
    sheet, key = (p.read_text() for p in paths)
    found = tokens(sheet)
    # the given numbers are there, the computed ones are not (later exercises refer to ⟨k⟩)
    for given in ("0.05", "0.1", "0.15", "0.4", "0.35", "0.6", "0.01", "0.99", "0.5"):
        assert given in found
    for computed in [*FORWARD.values(), *BACKWARD.values()]:
        assert computed not in found, computed
    assert "\\langle 1\\rangle" in sheet  # out_h1 = 1/(1 + e^−⟨1⟩): uses the answer to exercise 1
    assert sheet.count("\\boxed{") == 43  # one blank per computation of the iteration
    assert all(n in tokens(key) for n in ALL_NUMBERS[:18])
    assert "| 1 | $\\mathrm{net}_{\\mathrm{h1}}$ | 0.3775 |" in key


def test_worksheet_html_and_answer_path(mazur, tmp_path):
    assert worksheet_answer_path("a/b.worksheet.html").as_posix() == "a/b.answers.html"
    assert worksheet_answer_path("x.md").name == "x-answers.md"
    paths = write_export(mazur, tmp_path / "x.html", 1, worksheet=True)
    assert [p.name for p in paths] == ["x.html", "x-answers.html"]
    sheet = parse_html(paths[0].read_text())
    assert "math" in sheet.tags and "0.593269992" not in "".join(sheet.mn)
    assert "0.593269992" in parse_html(paths[1].read_text()).mn
    with pytest.raises(ExportError, match="Markdown or HTML"):
        write_export(mazur, tmp_path / "x.worksheet.tex", 1)


# -- which iteration; the simulation is left alone ---------------------------------------------------------------
def test_export_does_not_change_the_simulation(mazur):
    sim = load_example("xor")
    sim.run(3)
    theta, it, can_back = sim.network.theta.copy(), sim.iteration, sim.can_step_back()
    export_lesson(sim, 7, "md")
    export_lesson(sim, 2, "md")  # in the past: stepped back on a copy
    assert np.array_equal(sim.network.theta, theta) and sim.iteration == it and sim.can_step_back() == can_back


def test_iteration_in_the_past_equals_a_fresh_export():
    fresh = export_lesson(load_example("moons"), 2, "md")
    sim = load_example("moons")
    sim.run(5)
    assert export_lesson(sim, 2, "md") == fresh
    # a state loaded from a file has no past before the iteration it was saved at
    from backprop_lab.core import Simulation
    saved = Simulation.from_dict(sim.to_dict())
    with pytest.raises(ExportError, match="in the past"):
        export_lesson(saved, 2, "md")
    assert "Worked example: iteration 6" in export_lesson(saved, None, "md")  # default: the next one


def test_iteration_n_is_the_nth_step(mazur):
    md = export_lesson(mazur, 2, "md")  # iteration 2 starts from the weights after iteration 1
    assert "# Worked example: iteration 2" in md
    assert "| $w_{5}$ | $h_{1}$ | $o_{1}$ | 0.35891648 |" in md
    with pytest.raises(ExportError, match="between 1 and"):
        export_lesson(mazur, 0, "md")
    with pytest.raises(ExportError, match="between 1 and"):
        export_lesson(mazur, 10**12, "md")


def test_large_iterations_are_bounded_and_say_so():
    sim = load_example("moons")  # 2-8-8-1, batch 10: 1,081 computations
    md = export_lesson(sim, 1, "md", max_equations=120)
    n_eq = md.count("$$") // 2
    assert 60 <= n_eq <= 120
    assert "This iteration has 1,081 computations; " in md
    assert "sample 1 of the batch only" in md
    left_out = sum(int(m.replace(",", "")) for m in re.findall(r"… ([\d,]+) more equations", md))
    per_sample_kept = 1081 - 9 * (17 * 2 + 1 * 2 + 17 * 3)  # samples 2..10 dropped: forward, loss, backward
    assert n_eq + left_out == per_sample_kept
    full = export_lesson(sim, 1, "html", max_equations=5000)
    assert parse_html(full).tags.count("math") >= 1081


def test_too_large_network_is_refused_clearly():
    from backprop_lab.core import Network, Simulation, TrainingSettings
    net = Network([300, 200, 10], ["sigmoid", "sigmoid"])
    sim = Simulation(net, np.zeros((4, 300)), np.zeros((4, 10)), TrainingSettings(batch_size=4))
    with pytest.raises(ExportError, match="too large to write out every computation.*NumPy script"):
        export_lesson(sim, 1, "md")


# -- the notation -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,latex", [
    ("∂E/∂w5", r"\frac{\partial E}{\partial w_{5}}"),
    ("1/(1+e^(−0.3775))", r"\frac{1}{1 + e^{- 0.3775}}"),
    ("½(t_o1 − out_o1)²", r"\frac{1}{2}(t_{\mathrm{o1}} - \mathrm{out}_{\mathrm{o1}})^{2}"),
    ("(1/10)·Σₛ δ_h1⁽ˢ⁾·i1⁽ˢ⁾", r"\frac{1}{10} \cdot \sum_{s} \delta _{\mathrm{h1}}^{(s)} \cdot i_{1}^{(s)}"),
    ("b1→h1⁺", r"b_{1\mathrm{{\to}h1}}^{+}"),
    ("net_h2_3", r"\mathrm{net}_{\mathrm{h2,3}}"),
    ("1.5e−7", r"1.5\times 10^{-7}"),
    ("m̂_w5 / (√v̂_w5 + ε)", r"\frac{\hat{m}_{\mathrm{w5}}}{\sqrt{\hat{v}_{\mathrm{w5}}} + \varepsilon}"),
    ("η·rate^⌊t/every⌋", r"\eta  \cdot \mathrm{rate}^{\left\lfloor \frac{t}{\mathrm{every}}\right\rfloor}"),
    ("|−0.3| + |w1|", r"\lvert - 0.3\rvert  + \lvert w_{1}\rvert"),  # a sign after \lvert, not a subtraction
    ("b_h1⁺", r"b_{\mathrm{h1}}^{+}"),
])
def test_notation_to_latex(text, latex):
    assert mathrender.tex(mathtext.parse(text)) == latex


def test_long_sums_break_into_rows_that_fit():
    terms = " + ".join(f"w{k}·out_h{k}" for k in range(1, 11))
    nums = " + ".join(f"(−0.{k}23456789)·0.98765432{k}" for k in range(1, 11))
    rows = mathtext.layout("net_o1", [terms, nums, "0.5"])
    assert len(rows) >= 6 and rows[0].lhs is not None and all(r.lhs is None for r in rows[1:])
    assert all(mathtext.width(r.rhs) <= mathtext.LINE for r in rows)
    def numbers(nodes):
        return sum(1 if isinstance(n, mathtext.Num) else numbers(n.items) if isinstance(n, mathtext.Group) else 0
                   for n in nodes)
    assert sum(numbers(r.rhs) for r in rows) == 21  # nothing lost in the breaking


# -- the loss history ----------------------------------------------------------------------------------------------
def test_loss_history_csv():
    sim = load_example("moons")  # 30 iterations per epoch
    sim.run(65)
    rows = [line.split(",") for line in loss_history_csv(sim).splitlines()]
    assert rows[0] == ["iteration", "batch_loss", "epoch", "training_loss"]
    assert len(rows) == 66 and rows[1][0] == "1" and rows[65][0] == "65"
    assert [float(r[1]) for r in rows[1:]] == sim.batch_loss.view().tolist()  # every bit kept
    ends = [(int(r[0]), int(r[2]), float(r[3])) for r in rows[1:] if r[2]]
    assert ends == [(30, 1, sim.epoch_loss.view()[0]), (60, 2, sim.epoch_loss.view()[1])]
    assert loss_history_csv(sim, 40).count("\n") == 41  # up to iteration 40
    fresh = load_example("mazur")
    text = loss_history_csv(fresh, 3)  # trained on a copy
    assert fresh.iteration == 0 and len(text.splitlines()) == 4
    assert round(float(text.splitlines()[2].split(",")[1]), 9) == 0.291027774  # iteration 2's batch loss


def test_exporting_while_stepping_into_an_iteration(mazur):
    fresh = export_lesson(load_example("mazur"), 1, "html")
    for _ in range(5):
        mazur.step_into()
    assert export_lesson(mazur, 1, "html") == fresh  # the iteration being stepped into, from its start
    assert mazur.pending is not None and mazur.cursor == 5 and mazur.iteration == 0  # still where it was


def test_momentum_state_carries_into_a_later_iteration():
    sim = load_example("blobs")  # momentum 0.9
    sim.run(4)
    md = export_lesson(sim, 5, "md")
    v = sim.step().find("v_w1⁺")  # the simulation's own fifth iteration, after the export
    line = next(ln for ln in md.splitlines() if ln.startswith("v_{\\mathrm{w1}}^{+} ="))
    for value in (0.9, v.operand("v_w1"), v.operand("∂E/∂w1"), v.result):
        assert format_number(abs(value), 9) in line  # μ, the velocity reached after 4 iterations, g, v⁺


def test_update_rule_describes_newer_optimizers():
    from types import SimpleNamespace

    from backprop_lab.core.export.lesson import _update_rule
    s = SimpleNamespace(optimizer="adam", momentum=0.0, update_biases=False, l2=0.01, l1=0.0, schedule="step")
    parts = _update_rule(s)
    text = "".join(p for p in parts if isinstance(p, str))
    assert text.startswith("Adam") and "penalty" in text and "step schedule" in text and "fixed" in text
    latex = [mathrender.tex(mathtext.parse(p.expr)) for p in parts if hasattr(p, "expr")]
    assert r"w^{+} = w - \eta  \cdot \frac{\hat{m}}{\sqrt{\hat{v}} + \varepsilon}" in latex


# -- the newer training options: their records, with their numbers ----------------------------------------------
def near(text: str, value: float, tol: float = 1.1e-9) -> bool:
    """Whether *text* shows |value| to 9 decimals (hand-derived values: rounding both ways allowed)."""
    return any(abs(float(t) - abs(value)) <= tol for t in tokens(text))


def adam_penalty_sim():
    sim = load_example("mazur")
    sim.set_training(optimizer="adam", learning_rate=0.1, l2=0.01, l1=0.001, schedule="exponential",
                     decay_rate=0.5, decay_every=2)
    return sim


# Derived by hand from the published gradients (∂E/∂w5 = 0.082167041, ∂E/∂w1 = 0.000438568) and the weights:
# Σw² = 1.13 and Σ|w| = 2.8 over w1..w8, so E_reg = (0.01/2)·1.13 + 0.001·2.8 = 0.00845.
G5 = 0.082167041 + 0.01 * 0.4 + 0.001
G1 = 0.000438568 + 0.01 * 0.15 + 0.001
ADAM_ITERATION_1 = {
    "E_reg": 0.00845, "E_total": 0.298371109 + 0.00845, "∂E/∂w5": G5, "∂E/∂w1": G1,
    "m_w5⁺": 0.1 * G5, "m̂_w5": G5, "m_w1⁺": 0.1 * G1, "m̂_w1": G1,          # t = 1: m̂ = g, v̂ = g²
    "w5⁺": 0.4 - 0.1 * G5 / (G5 + 1e-8), "w1⁺": 0.15 - 0.1 * G1 / (G1 + 1e-8),  # Adam's first step
    "η_t": 0.1,                                                              # 0.1·0.5^(0/2)
}


@pytest.mark.parametrize("fmt", ["md", "tex", "html"])
def test_adam_penalty_and_schedule_with_their_numbers(fmt):
    sim = adam_penalty_sim()
    text = export_lesson(sim, 1, fmt)
    # the worked example's forward pass and data gradients are unchanged by the options
    for n in [*FORWARD.values(), *BACKWARD.values()]:
        assert n in tokens(text), n
    missing = [k for k, v in ADAM_ITERATION_1.items() if not near(text, v)]
    assert not missing, missing
    tr = sim.preview()
    kinds = {c.kind for c in tr}
    assert {"penalty", "data_loss", "regularization", "learning_rate", "first_moment", "second_moment",
            "bias_correction"} <= kinds
    assert "The learning rate of this iteration" in text
    if fmt == "md":
        assert "\\hat{m}_{\\mathrm{w5}} = \\frac{m_{\\mathrm{w5}}^{+}}{1 - \\beta _{1}^{t}}" in text
        assert "\\frac{\\hat{m}_{\\mathrm{w5}}}{\\sqrt{\\hat{v}_{\\mathrm{w5}}} + \\varepsilon}" in text
        assert "\\lvert w_{1}\\rvert" in text and "\\operatorname{sign}(w_{5})" in text
        assert "\\text{?}" not in text  # every character of the new notation is known
    if fmt == "html":
        p = parse_html(text)
        assert "mover" in p.tags and "msqrt" in p.tags
        assert format_number(0.298371109 + 0.00845, 9) in p.mn


def test_schedule_of_a_later_iteration():
    # exponential: η_t = 0.1·0.5^(t/2) with t = 1 update done before iteration 2, = 0.1/√2
    md = export_lesson(adam_penalty_sim(), 2, "md")
    line = next(ln for ln in md.splitlines() if ln.startswith("\\eta _{\\mathrm{t}} ="))
    assert "0.1 \\cdot 0.5^{\\frac{1}{2}}" in line and near(line, 0.1 / 2 ** 0.5)
    step = load_example("mazur")
    step.set_training(schedule="step", decay_rate=0.5, decay_every=2)
    line = next(ln for ln in export_lesson(step, 3, "md").splitlines() if ln.startswith("\\eta _{\\mathrm{t}} ="))
    assert "\\left\\lfloor \\frac{2}{2}\\right\\rfloor" in line and near(line, 0.25)  # 0.5·0.5^⌊2/2⌋


def test_adam_worksheet_asks_for_every_record():
    sim = adam_penalty_sim()
    sheet, key = export_worksheet(sim, 1, "md")
    assert sheet.count("\\boxed{") == len(sim.preview())
    assert not near(sheet, ADAM_ITERATION_1["w5⁺"]) and near(key, ADAM_ITERATION_1["w5⁺"])
    assert "\\frac{\\langle" in sheet  # m̂ = ⟨k⟩ / (1 − β1^t): the learner's own m⁺


def test_bias_names_follow_the_engine():
    md = export_lesson(load_example("mazur"), 1, "md")  # shared and fixed: named by the layer
    assert "| $b_{1}$ | h1, h2 (shared, fixed) | 0.35 |" in md and "| $b_{2}$ | o1, o2 (shared, fixed) | 0.6 |" in md
    assert "w_{2} \\cdot i_{2} + b_{1} =" in md
    sim = load_example("mazur")
    sim.set_training(update_biases=True)  # per neuron: b_h1, updated
    md = export_lesson(sim, 1, "md")
    assert "| $b_{\\mathrm{h1}}$ | $h_{1}$ | 0.35 |" in md and "b_{1}" not in md
    assert "w_{2} \\cdot i_{2} + b_{\\mathrm{h1}} =" in md
    assert "$b_{\\mathrm{h1}}$ is the bias of neuron $h_{1}$" in md
    # ∂E/∂b_h1 = δ_h1 = ∂E/∂out_h1 · ∂out_h1/∂net_h1 = 0.036350306 · 0.241300709 (NOTES.md)
    assert near(md, 0.35 - 0.5 * 0.036350306 * 0.241300709, 2e-9)


def test_copies_keep_every_setting():
    """Exports train and step back on copies: Adam's state, the schedule and the penalty must come along."""
    def fresh():
        sim = load_example("moons")
        sim.set_training(optimizer="adam", learning_rate=0.01, l1=0.001, schedule="step", decay_every=3)
        return sim
    sim = fresh()
    ahead = export_lesson(sim, 5, "md")          # trained forwards on a copy
    sim.run(7)
    assert export_lesson(sim, 5, "md") == ahead  # stepped back on a copy
    sim.step_back_to(4)
    trace = sim.step()                          # the simulation's own fifth iteration
    w = trace.find("w1⁺")  # w1⁺ = w1 − η_t·m̂_w1 / (√v̂_w1 + ε), with the moments Adam had reached
    for name in ("η_t", "m̂_w1", "v̂_w1"):
        assert format_number(abs(w.operand(name)), 9) in ahead, name
    assert format_number(abs(w.result), 9) in ahead
    other = fresh()
    text = loss_history_csv(other, 12)
    assert other.iteration == 0
    other.run(12)
    assert [float(r.split(",")[1]) for r in text.splitlines()[1:]] == other.batch_loss.view().tolist()


def test_the_worksheet_names_its_answer_mark_as_it_draws_it():
    # (a third new-user tester: the intro said "⟦k⟧ stands for your answer to exercise k" while the equations
    # showed ⟨1⟩, ⟨2⟩ …; and "batch size 1 of 1 samples")
    from backprop_lab.core.export import export_worksheet
    html_sheet, _ = export_worksheet(load_example("mazur"), 1, "html")
    assert "⟦" not in html_sheet and "⟧" not in html_sheet
    assert '<mrow class="ref"><mo>⟨</mo><mi>k</mi><mo>⟩</mo></mrow></math> stands for your answer' in html_sheet
    assert '<mrow class="ref"><mo>⟨</mo><mn>1</mn><mo>⟩</mo></mrow>' in html_sheet
    md_sheet, _ = export_worksheet(load_example("mazur"), 1, "md")
    assert r"$\langle k\rangle$ stands for your answer" in md_sheet and r"\langle 1\rangle" in md_sheet
    assert "1 training sample, all in one batch" in md_sheet and "batch size" not in md_sheet
    assert "300 training samples in batches of 10" in export_worksheet(load_example("moons"), 1, "md")[0]
