"""Help ▸ Getting started: a short built-in tour of the worked example, and a glossary of the symbols.

:class:`GettingStartedDialog` is non-modal (the learner keeps using the window
while reading); its pages go Back/Next or are picked from the list.  Pages may
offer a "Try it" button that emits :attr:`GettingStartedDialog.action_requested`
with one of :data:`TOUR_ACTIONS`; the window decides what it does.
"""
from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

#: What a page's "Try it" button asks the window to do.
TOUR_ACTIONS = {
    "open_example:mazur": "Open the worked example",
    "step_into": "Step into (F11)",
    "step": "Finish the iteration (F10)",
    "open_example:symmetry": "Open the symmetry example",
    "practice": "Start practice mode (Ctrl+P)",
}

#: (title, body as rich text, action or None).  The numbers are the worked example's.
TOUR_PAGES: list[tuple[str, str, str | None]] = [
    ("Welcome",
     "<p>Backprop Lab shows <b>every number</b> of backpropagation: the forward pass, the loss, the backward pass "
     "and the update, one computation at a time, forwards and backwards in time.</p>"
     "<p>In the middle is the network (inputs left, outputs right), on the right the <b>Equations</b>, on the "
     "left the <b>Training</b> settings, at the bottom the <b>loss plot</b>.</p>"
     "<p>The tour follows the worked example of Matt Mazur's <i>A Step by Step Backpropagation Example</i>: a 2-2-2 "
     "sigmoid network with inputs 0.05 and 0.10 and targets 0.01 and 0.99. The window opens on it; "
     "<b>File ▸ New from Example ▸ mazur</b> brings it back.</p>",
     "open_example:mazur"),
    ("The forward pass, one step at a time",
     "<p>Press <b>F11</b> (Step into). The first computation is h1's weighted sum:</p>"
     "<p style='margin-left:16px'>net<sub>h1</sub> = w1·i1 + w2·i2 + b1 = 0.15·0.05 + 0.2·0.1 + 0.35 = "
     "<b>0.3775</b></p>"
     "<p>Press F11 again and again: out<sub>h1</sub> = σ(0.3775) = <b>0.593269992</b>, then h2, o1 and o2. The "
     "element being computed lights up in the diagram and its value appears. <b>Shift+F11</b> takes one "
     "computation back.</p>"
     "<p>The Current step card says what each result means; its <b>Why?</b> shows what it is made of, and a "
     "click on a part jumps to the computation that produced it.</p>",
     "step_into"),
    ("The loss",
     "<p>After the outputs comes the error. Each output's term is half its squared distance to the target:</p>"
     "<p style='margin-left:16px'>E<sub>o1</sub> = ½(0.01 − 0.75136507)² = 0.274811083, "
     "E<sub>o2</sub> = 0.023560026</p>"
     "<p style='margin-left:16px'>E<sub>total</sub> = <b>0.298371109</b></p>"
     "<p>Training is nothing but making this number smaller. The backward pass works out, for every weight, how "
     "the error would change if that weight changed.</p>",
     None),
    ("What δ means",
     "<p>δ<sub>o1</sub> = ∂E/∂net<sub>o1</sub> says <b>how much the total error changes when net<sub>o1</sub> "
     "changes</b>. By the chain rule it is</p>"
     "<p style='margin-left:16px'>∂E/∂out<sub>o1</sub> · ∂out<sub>o1</sub>/∂net<sub>o1</sub> = "
     "0.74136507 · 0.186815602 = <b>0.138498562</b></p>"
     "<p>Every weight into o1 reuses it: ∂E/∂w5 = δ<sub>o1</sub> · out<sub>h1</sub> = 0.138498562 · "
     "0.593269992 = <b>0.082167041</b>.</p>"
     "<p>A hidden neuron collects the δs of the layer above through the same weights: "
     "∂E/∂out<sub>h1</sub> = δ<sub>o1</sub>·w5 + δ<sub>o2</sub>·w7 = 0.036350306. That flow of δ backwards is "
     "what gives backpropagation its name.</p>",
     None),
    ("Update, then run",
     "<p>Every weight moves against its gradient by the learning rate η = 0.5:</p>"
     "<p style='margin-left:16px'>w5⁺ = w5 − η·∂E/∂w5 = 0.4 − 0.5·0.082167041 = <b>0.35891648</b></p>"
     "<p><b>F10</b> finishes the iteration. The error on the sample drops from 0.298371109 to "
     "<b>0.291027774</b>. <b>F5</b> runs many epochs and the loss plot falls: after 10,000 updates "
     "E = 3.51018778e−5.</p>"
     "<p><b>Shift+F10</b> steps back exactly, as far as you like; <b>Ctrl+B</b> (or a double-click on the plot) "
     "goes back to any iteration.</p>",
     "step"),
    ("Edit a weight",
     "<p><b>Double-click</b> an edge (a weight) or a neuron (its bias), type a number, press Enter. The forward "
     "pass, the loss and the equations update at once.</p>"
     "<p>Select a weight and turn the <b>mouse wheel</b> or drag vertically to scrub it: watch E<sub>total</sub> "
     "follow. Making w5 smaller lowers the error a little, because ∂E/∂w5 is positive; that is exactly the "
     "step the update takes.</p>"
     "<p>Text that is not a number is refused, and every edit can be stepped back.</p>",
     None),
    ("The symmetry problem",
     "<p>If two hidden neurons start with the same weights in and out, they compute the same value, get the "
     "same δ and the same update, so they <b>stay identical forever</b>: the layer learns like one neuron. "
     "The diagram marks such neurons with <b>≡</b>.</p>"
     "<p>Open the symmetry example and run it: the hidden neurons change but remain copies of each other. Then "
     "<b>Ctrl+I</b> re-initialises the weights randomly and they separate. That is why networks start from "
     "random weights.</p>",
     "open_example:symmetry"),
    ("Practice mode",
     "<p><b>Ctrl+P</b> turns practice mode on. The next computation's result is hidden: work it out and type "
     "it (0.5933, −0.1, 5e-3 and a decimal comma all work), then <b>Check</b>. An answer counts when it is within "
     "0.1 % of the engine's value (or half a unit of the last decimal shown).</p>"
     "<p><b>Hint</b> reveals the numbers the computation uses, one at a time; <b>Reveal</b> gives up. Each "
     "iteration is scored: right first try, right after hints, wrong, revealed. Text that is not a number costs "
     "nothing.</p>"
     "<p>The <b>faded</b> plan starts with a fully worked iteration, then leaves more to you each round: the "
     "updates, then the backward pass, then the loss, then everything.</p>",
     "practice"),
]

#: (symbol, name, meaning, in the worked example)
GLOSSARY: list[tuple[str, str, str, str]] = [
    ("i1, i2, …", "inputs", "The values of one sample, fed to the first layer.", "i1 = 0.05, i2 = 0.10"),
    ("h1, o1, …", "neurons", "Hidden neurons (h; h2_3 = layer 2, neuron 3 in deeper nets) and outputs (o).",
     "h1, h2, o1, o2"),
    ("w1, w2, …", "weights", "Multiply the value travelling along an edge; numbered layer by layer, row by row.",
     "w5 = 0.4 (h1 → o1)"),
    ("b1, b_h1", "bias", "Added to a neuron's net input; b1 is shared by a layer, b_h1 belongs to h1.", "b1 = 0.35"),
    ("net", "net input", "The weighted sum Σ w·x + b flowing into a neuron.", "net_h1 = 0.3775"),
    ("out", "output", "The activation of the net input, out = f(net): what a neuron passes on.",
     "out_h1 = 0.593269992"),
    ("σ", "sigmoid", "f(net) = 1/(1 + e^(−net)), between 0 and 1; its slope out·(1 − out) is at most 0.25.",
     "σ(0.3775) = 0.593269992"),
    ("tanh, ReLU, softmax", "other activations", "tanh: between −1 and 1; ReLU: max(0, net); softmax: "
     "probabilities over the output layer that add up to 1.", "—"),
    ("t", "target", "The output the sample should produce.", "t_o1 = 0.01, t_o2 = 0.99"),
    ("E", "error, loss", "Σ ½(t − out)² over the outputs (or cross-entropy), averaged over the batch.",
     "E_total = 0.298371109"),
    ("∂E/∂out", "output error", "How the error changes with a neuron's output; out − t for ½(t − out)².",
     "∂E/∂out_o1 = 0.74136507"),
    ("∂out/∂net", "local derivative", "The slope of the activation function at the neuron's net input.",
     "∂out_o1/∂net_o1 = 0.186815602"),
    ("δ", "delta", "∂E/∂net = ∂E/∂out · ∂out/∂net: how the error changes with a neuron's net input.",
     "δ_o1 = 0.138498562"),
    ("∂E/∂w", "gradient", "How the error changes with a weight: δ of the neuron it feeds times the value it "
     "carries.", "∂E/∂w5 = 0.082167041"),
    ("chain rule", "chain rule", "∂E/∂w = ∂E/∂out · ∂out/∂net · ∂net/∂w: multiply the rates along the path.",
     "0.74136507 · 0.186815602 · 0.593269992"),
    ("η", "learning rate", "The step size of an update.", "η = 0.5"),
    ("w⁺", "updated weight", "w⁺ = w − η·∂E/∂w: a step against the gradient.", "w5⁺ = 0.35891648"),
    ("μ, v", "momentum, velocity", "v ← μ·v + ∂E/∂w, then w ← w − η·v: steps build up along consistent "
     "directions.", "—"),
    ("iteration", "iteration", "One forward pass, loss, backward pass and update on one mini-batch.", "43 "
     "computations"),
    ("mini-batch", "mini-batch", "The samples of one iteration; their gradients are averaged (Σₛ, ⁽ˢ⁾ = "
     "sample s of the batch).", "1 sample"),
    ("epoch", "epoch", "One pass over the whole training set: N / B iterations for N samples, batch size B.",
     "1 iteration"),
    ("batch / training loss", "losses on the plot", "Batch loss: the loss of each iteration's batch before its "
     "update. Training loss: the loss over all samples after each epoch.", "0.298371109, then 0.291027774"),
    ("≡", "symmetric neurons", "Identical weights in and out: they compute, learn and stay the same.", "—"),
    ("gradient check", "gradient check", "Compares backpropagation's gradients with finite differences (Ctrl+G).",
     "—"),
]


class GettingStartedDialog(QDialog):
    """The tour and the glossary in one non-modal window.

    Parameters
    ----------
    parent : QWidget, optional
        The main window.
    with_actions : bool
        Show the pages' "Try it" buttons (connect :attr:`action_requested` first).

    Signals
    -------
    action_requested(str) : one of the keys of :data:`TOUR_ACTIONS`.
    """

    action_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, with_actions: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle("Getting started with Backprop Lab")
        self.setModal(False)
        self.with_actions = with_actions
        lay = QVBoxLayout(self)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_tour(), "Tour")
        self.tabs.addTab(self._build_glossary(), "Glossary")
        lay.addWidget(self.tabs)
        self.resize(760, 500)
        self.show_page(0)

    # -- tour ------------------------------------------------------------------------------------------
    def _build_tour(self) -> QWidget:
        w = QWidget()
        outer = QVBoxLayout(w)
        row = QHBoxLayout()
        self.page_list = QListWidget()
        self.page_list.setAccessibleName("Tour pages")
        for k, (title, _, _) in enumerate(TOUR_PAGES):
            self.page_list.addItem(f"{k + 1}. {title}")
        self.page_list.setFixedWidth(250)
        self.page_list.setWordWrap(True)
        self.page_list.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.page_list.currentRowChanged.connect(self.show_page)
        row.addWidget(self.page_list)
        right = QVBoxLayout()
        self.page_title = QLabel()
        self.page_title.setTextFormat(Qt.PlainText)
        f = self.page_title.font()
        f.setBold(True)
        f.setPointSizeF(f.pointSizeF() * 1.3)
        self.page_title.setFont(f)
        right.addWidget(self.page_title)
        self.page_body = QTextBrowser()
        self.page_body.setOpenLinks(False)
        self.page_body.setAccessibleName("Tour page")
        self.page_body.setFrameShape(QTextBrowser.NoFrame)
        self.page_body.document().setDefaultStyleSheet("p { margin-bottom: 8px; line-height: 130%; }")
        bf = self.page_body.font()
        bf.setPointSizeF(bf.pointSizeF() * 1.1)
        self.page_body.setFont(bf)
        right.addWidget(self.page_body, 1)
        row.addLayout(right, 1)
        outer.addLayout(row, 1)
        buttons = QHBoxLayout()
        self.try_button = QPushButton()
        self.try_button.clicked.connect(self._try)
        buttons.addWidget(self.try_button)
        buttons.addStretch(1)
        self.position_label = QLabel()
        buttons.addWidget(self.position_label)
        self.back_button = QPushButton("◂ &Back")
        self.back_button.clicked.connect(lambda: self.show_page(self.page - 1))
        self.next_button = QPushButton("&Next ▸")
        self.next_button.setDefault(True)
        self.next_button.clicked.connect(lambda: self.show_page(self.page + 1))
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.close)
        for b in (self.back_button, self.next_button, self.close_button):
            buttons.addWidget(b)
        outer.addLayout(buttons)
        return w

    @property
    def page(self) -> int:
        """The tour page shown (0-based)."""
        return self.page_list.currentRow()

    def show_page(self, k: int) -> None:
        """Show tour page *k* (clamped to the pages there are)."""
        k = max(0, min(k, len(TOUR_PAGES) - 1))
        if self.page_list.currentRow() != k:
            self.page_list.setCurrentRow(k)  # comes back here through currentRowChanged
            return
        title, body, action = TOUR_PAGES[k]
        self.page_title.setText(title)
        self.page_body.setHtml(body)
        self.position_label.setText(f"{k + 1} / {len(TOUR_PAGES)}")
        self.back_button.setEnabled(k > 0)
        self.next_button.setEnabled(k < len(TOUR_PAGES) - 1)
        self.try_button.setVisible(self.with_actions and action is not None)
        if action is not None:
            self.try_button.setText(f"Try it: {TOUR_ACTIONS[action]}")
        self._action = action

    def _try(self) -> None:
        if self._action is not None:
            self.action_requested.emit(self._action)

    # -- glossary --------------------------------------------------------------------------------------
    def _build_glossary(self) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        self.glossary_filter = QLineEdit()
        self.glossary_filter.setPlaceholderText("Filter, e.g. δ or learning")
        self.glossary_filter.setAccessibleName("Filter the glossary")
        self.glossary_filter.setClearButtonEnabled(True)
        self.glossary_filter.textChanged.connect(self.filter_glossary)
        lay.addWidget(self.glossary_filter)
        self.glossary = QTextBrowser()
        self.glossary.setOpenLinks(False)
        self.glossary.setAccessibleName("Glossary")
        self.glossary.document().setDefaultStyleSheet(
            "td { padding: 4px 8px 4px 0; vertical-align: top; } th { text-align: left; padding-right: 8px; }"
            " .sym { font-weight: bold; }")
        lay.addWidget(self.glossary)
        self.filter_glossary("")
        return w

    def filter_glossary(self, text: str) -> int:
        """Show only the entries containing *text* (any column, case-insensitive); returns how many are shown."""
        needle = text.strip().casefold()
        rows = [row for row in GLOSSARY if not needle or any(needle in cell.casefold() for cell in row)]
        cells = "".join(
            f"<tr><td class='sym'>{html.escape(sym)}</td><td>{html.escape(name)}</td><td>{html.escape(meaning)}</td>"
            f"<td class='ex'>{html.escape(ex)}</td></tr>" for sym, name, meaning, ex in rows)
        head = ("<tr><th width='15%'>Symbol</th><th width='15%'>Name</th><th width='45%'>Meaning</th>"
                "<th width='25%'>Worked example</th></tr>")
        body = f"<table cellspacing=0 width='100%'>{head}{cells}</table>" if rows else \
            f"<p>Nothing in the glossary contains “{html.escape(text.strip())}”.</p>"
        self.glossary.setHtml(body)
        self.glossary_rows = len(rows)
        return len(rows)


def show_getting_started(parent: QWidget | None = None, *, with_actions: bool = False) -> GettingStartedDialog:
    """Open the Getting started window (one per parent; a second call raises the existing one)."""
    existing = getattr(parent, "_getting_started_dialog", None) if parent is not None else None
    if isinstance(existing, GettingStartedDialog):
        existing.show()
        existing.raise_()
        existing.activateWindow()
        return existing
    dlg = GettingStartedDialog(parent, with_actions=with_actions)
    if parent is not None:
        parent._getting_started_dialog = dlg
    dlg.show()
    return dlg
