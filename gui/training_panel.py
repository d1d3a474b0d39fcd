"""QtTrainingPanel: training settings, run controls and re-initialisation, redrawn from the view state.

Every field writes through the controller.  A typed value is checked first (a number in the field's sense,
then the engine's own check through ``controller.check_training``); a refusal is shown beneath the field and
nothing changes.  Showing the model's values blocks the widgets' signals, so a redraw never loops back as an
edit.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from backprop_lab.core import INIT_SCHEMES

from .controller import SimulationController
from .plain_text import plain_label, plain_tooltip
from .qt_number_field import QtNumberField, error_label
from .run_loop import MAX_SPEED, SPEED_NAMES
from .validation import parse_number, parse_whole
from .view_state import RedrawOnce, ViewState
from .wheel_guard import guard_wheel

MOMENTUM_TIP = "μ in [0, 1): v ← μ·v + ∂E/∂w; w ← w − η·v (0 = plain gradient descent)"


def _form(parent: QWidget) -> QFormLayout:
    """A form whose fields go below their labels when the panel is too narrow for both side by side."""
    form = QFormLayout(parent)
    form.setRowWrapPolicy(QFormLayout.WrapLongRows)
    return form


class QtTrainingPanel(QWidget):
    """See the module docstring."""

    def __init__(self, controller: SimulationController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)

        # name and notes come from the file: plain text only (rich text would load <img src=...>)
        self.about_name = plain_label(name="Network name")
        font = self.about_name.font()
        font.setBold(True)
        self.about_name.setFont(font)
        lay.addWidget(self.about_name)
        self.about = plain_label(name="About this network")
        lay.addWidget(self.about)

        box = QGroupBox("Training")
        form = _form(box)
        self.learning_rate = QtNumberField(lambda t: parse_number(t, "the learning rate"), "Learning rate",
                                           "η, the step size of gradient descent: w⁺ = w − η·∂E/∂w")
        self.learning_rate.submitted.connect(lambda v: self._apply(self.learning_rate, learning_rate=v))
        form.addRow("Learning rate η", self.learning_rate.with_error())
        self.batch_size = QtNumberField(lambda t: parse_whole(t, "batch size", 1), "Batch size",
                                        "Samples per iteration (mini-batch); the number of samples = full batch")
        self.batch_size.submitted.connect(lambda v: self._apply(self.batch_size, batch_size=v))
        form.addRow("Batch size", self.batch_size.with_error())
        self.optimizer = QComboBox()
        for text, name in (("SGD", "sgd"), ("Adam", "adam")):
            self.optimizer.addItem(text, name)
        self.optimizer.setToolTip(
            "SGD: w ← w − η·∂E/∂w (with momentum μ > 0: through the velocity v). Adam: w ← w − η·m̂/(√v̂ + ε), "
            "running means of the gradient and its square (β1 = 0.9, β2 = 0.999), a step of about η for every "
            "weight; try η = 0.01")
        self.optimizer.setAccessibleName("Optimizer")
        self.optimizer.activated.connect(
            lambda _: controller.set_training(optimizer=self.optimizer.currentData()))
        form.addRow("Optimizer", self.optimizer)
        self.momentum = self._number(form, "Momentum μ", "momentum", "the momentum", "Momentum", MOMENTUM_TIP)
        self.l2 = self._number(form, "L2 penalty λ₂", "l2", "the L2 penalty", "L2 penalty",
                               "λ₂ of the L2 penalty (weight decay): the loss gets + (λ₂/2)·Σw² over the weights, "
                               "each gradient + λ₂·w (0 = none)")
        self.l1 = self._number(form, "L1 penalty λ₁", "l1", "the L1 penalty", "L1 penalty",
                               "λ₁ of the L1 penalty: the loss gets + λ₁·Σ|w| over the weights, each gradient "
                               "+ λ₁·sign(w), which pushes small weights to 0 (0 = none)")
        self.loss = QComboBox()
        self.loss.addItems(["mse", "cross_entropy"])
        self.loss.setToolTip("mse: Σ ½(t − o)² per sample; cross_entropy: needs a softmax or sigmoid output layer")
        self.loss.setAccessibleName("Loss function")
        self.loss.activated.connect(self._on_loss_chosen)
        self.loss_error = error_label("Loss function")
        loss_box = QVBoxLayout()
        loss_box.setSpacing(2)
        loss_box.addWidget(self.loss)
        loss_box.addWidget(self.loss_error)
        form.addRow("Loss", loss_box)
        self.update_biases = QCheckBox("Update biases")
        self.update_biases.setToolTip("The worked example keeps its biases fixed")
        self.update_biases.clicked.connect(lambda on: controller.set_training(update_biases=bool(on)))
        form.addRow(self.update_biases)
        self.shuffle = QCheckBox("Shuffle every epoch")
        self.shuffle.setToolTip("Visit the samples in a new (seeded) order each epoch")
        self.shuffle.clicked.connect(lambda on: controller.set_training(shuffle=bool(on)))
        form.addRow(self.shuffle)
        # Issue #14: the mistake of the most-cited worked example's script, off by default
        self.classic_mistake = QCheckBox("Hidden deltas from\nalready-updated\nweights (a classic\nmistake)")
        self.classic_mistake.setToolTip(
            "Wrong on purpose: the output layer's weights are updated first and the hidden deltas use the "
            "updated ones (w⁺), as the worked example's original script did (E = 0.291027924 after one update "
            "instead of 0.291027774). Iteration ▸ Compare with the Classic Mistake shows both.")
        self.classic_mistake.setAccessibleName("Hidden deltas from already-updated weights (a classic mistake)")
        self.classic_mistake.clicked.connect(
            lambda on: controller.set_training(hidden_delta_weights="updated" if on else "original"))
        form.addRow(self.classic_mistake)
        lay.addWidget(box)

        run = QGroupBox("Run")
        rf = _form(run)
        self.epochs = QtNumberField(lambda t: parse_whole(t, "epochs", 1, 10_000_000), "Epochs to run",
                                    "How many epochs Run (F5) trains for")
        self.epochs.submitted.connect(controller.set_epochs)
        rf.addRow("Epochs", self.epochs.with_error())
        speed_row = QHBoxLayout()
        self.speed = QSlider(Qt.Horizontal)
        self.speed.setRange(0, MAX_SPEED)
        self.speed.setToolTip("From slow steps you can watch to maximum speed")
        self.speed.setAccessibleName("Run speed")
        self.speed_label = QLabel()
        self.speed_label.setMinimumWidth(70)
        self.speed.valueChanged.connect(controller.set_speed)
        speed_row.addWidget(self.speed, 1)
        speed_row.addWidget(self.speed_label)
        rf.addRow("Speed", speed_row)
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Run the chosen number of epochs (F5); press again to pause")
        self.run_button.clicked.connect(controller.toggle_run)
        rf.addRow(self.run_button)
        lay.addWidget(run)

        init = QGroupBox("Re-initialise weights")
        inf = _form(init)
        self.scheme = QComboBox()
        self.scheme.addItems(list(INIT_SCHEMES))
        self.scheme.setCurrentText(controller.init_choice[0])
        self.scheme.setToolTip("zeros/constant show the symmetry problem; the random schemes break it")
        self.scheme.setAccessibleName("Initialisation scheme")
        self.scheme.activated.connect(lambda _: controller.set_init_choice(self.scheme.currentText(),
                                                                           controller.init_choice[1]))
        inf.addRow("Scheme", self.scheme)
        self.seed = QtNumberField(lambda t: parse_whole(t, "the seed", 0, 2**31 - 1), "Seed",
                                  "Seed of the random generator: the same seed gives the same weights")
        self.seed.show_value(str(controller.init_choice[1]))
        self.seed.submitted.connect(lambda v: controller.set_init_choice(controller.init_choice[0], v))
        inf.addRow("Seed", self.seed.with_error())
        self.reinit_button = QPushButton("Re-initialise")
        self.reinit_button.setToolTip("Draw new weights and biases and restart training (Ctrl+I, undoable)")
        self.reinit_button.clicked.connect(lambda: controller.reinitialize())
        inf.addRow(self.reinit_button)
        lay.addWidget(init)
        lay.addStretch(1)
        guard_wheel(self)  # scrolling the panel does not change the loss function or the speed

        self._redraw = RedrawOnce(self)
        controller.settings_changed.connect(self._on_settings_changed)
        # A refusal explains the last thing typed; once the network moves on (a step, an undo, a redo, a run)
        # the field shows a valid value that the old reason does not belong to.
        for sig in (controller.history_changed, controller.cursor_moved, controller.parameters_changed):
            sig.connect(self._clear_stale_errors)
        controller.simulation_replaced.connect(self._on_simulation_replaced)
        controller.display_changed.connect(self._on_display_changed)
        controller.run_started.connect(self._on_run_state)
        controller.run_finished.connect(self._on_run_state)
        state = controller.state
        self._redraw.redraw(state, "about", "fields", "run_fields")

    # -- writing through the controller ----------------------------------------------------------------
    def _number(self, form: QFormLayout, label: str, setting: str, what: str, name: str, tip: str) -> QtNumberField:
        """A number field for the training setting *setting*, in *form* under *label*."""
        field = QtNumberField(lambda t: parse_number(t, what), name, tip)
        field.submitted.connect(lambda v: self._apply(field, **{setting: v}))
        form.addRow(label, field.with_error())
        return field

    def _apply(self, field: QtNumberField, **changes) -> None:
        check = self.controller.check_training(**changes)
        if not check.ok:
            field.refuse(check.reason)
            self.controller.say(check.reason)
            return
        self.controller.set_training(**changes)

    def _on_loss_chosen(self, _index: int) -> None:
        check = self.controller.check_training(loss=self.loss.currentText())
        if not check.ok:
            self.loss_error.setText(check.reason)
            self.loss_error.show()
            self._update_fields(self.controller.state)
            return
        self.loss_error.hide()
        self.controller.set_training(loss=self.loss.currentText())

    # -- slots -------------------------------------------------------------------------------------
    def _on_settings_changed(self, state: ViewState) -> None:
        self._redraw.redraw(state, "fields", "about")  # iterations per epoch follow the batch size

    def _clear_stale_errors(self, *_: object) -> None:
        for f in (self.learning_rate, self.batch_size, self.momentum, self.l2, self.l1, self.epochs, self.seed):
            if f.error.isVisible() and f.text().strip() == f._shown:
                f.clear_error()

    def _on_simulation_replaced(self, state: ViewState) -> None:
        self._redraw.redraw(state, "about", "fields", "run_fields")

    def _on_display_changed(self, state: ViewState) -> None:
        self._redraw.redraw(state, "run_fields")

    def _on_run_state(self, *args) -> None:
        self.run_button.setText("Pause" if self.controller.running else "Run")

    # -- redraw parts ------------------------------------------------------------------------------
    def _update_fields(self, state: ViewState) -> None:
        s = state.settings
        self.learning_rate.show_value(repr(s.learning_rate))
        self.batch_size.show_value(str(s.batch_size))
        self.momentum.show_value(repr(s.momentum))
        self.l2.show_value(repr(s.l2))
        self.l1.show_value(repr(s.l1))
        # Adam keeps its own running means: the momentum setting is SGD's
        self.momentum.setEnabled(s.optimizer != "adam")
        self.momentum.setToolTip(MOMENTUM_TIP + (" — not used by Adam, which keeps its own running means of the "
                                                 "gradient; choose SGD to use it" if s.optimizer == "adam" else
                                                 " (Enter to apply)"))
        for w in (self.loss, self.optimizer, self.update_biases, self.shuffle, self.classic_mistake):
            w.blockSignals(True)  # showing the model's value must not write it back
        self.optimizer.setCurrentIndex(max(0, self.optimizer.findData(s.optimizer)))
        self.loss.setCurrentText(s.loss)
        self.update_biases.setChecked(s.update_biases)
        self.shuffle.setChecked(s.shuffle)
        self.classic_mistake.setChecked(s.hidden_delta_weights == "updated")
        for w in (self.loss, self.optimizer, self.update_biases, self.shuffle, self.classic_mistake):
            w.blockSignals(False)

    def _update_run_fields(self, state: ViewState) -> None:
        d = state.display
        self.epochs.show_value(str(d.epochs))
        self.speed.blockSignals(True)
        self.speed.setValue(d.speed)
        self.speed.blockSignals(False)
        self.speed_label.setText(SPEED_NAMES[d.speed])

    def _update_about(self, state: ViewState) -> None:
        net = state.network
        arch = "-".join(str(n) for n in net.sizes)
        acts = ", ".join(net.activation_names)
        name = state.name or "Untitled network"
        self.about_name.setText(name if len(name) <= 200 else name[:200] + "…")
        notes = state.notes if len(state.notes) <= 400 else state.notes[:400] + "…"
        self.about.setToolTip(plain_tooltip(state.notes if len(state.notes) <= 2000 else state.notes[:2000] + "…"))
        n, k = state.n_samples, state.iterations_per_epoch
        self.about.setText(f"{arch} ({acts}) · {net.n_params:,} parameters · "
                           f"{n:,} sample{'' if n == 1 else 's'}, {k:,} iteration{'' if k == 1 else 's'} per epoch"
                           + (f"\n{notes}" if notes else ""))
