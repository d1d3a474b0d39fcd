"""QtTrainingPanel: training settings, run controls and re-initialisation.

Every field writes through the controller and is redrawn from its
``state_changed`` signal; writes are blocked while a field is being updated
from the model so that an update never loops back as an edit.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QSlider, QSpinBox, QVBoxLayout, QWidget)

from backprop_lab.core import INIT_SCHEMES

from .controller import SPEED_NAMES, SPEEDS, SimulationController


class QtTrainingPanel(QWidget):
    def __init__(self, controller: SimulationController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        self.setMinimumWidth(250)

        self.about = QLabel()
        self.about.setWordWrap(True)
        self.about.setTextFormat(Qt.RichText)
        self.about.setAccessibleName("About this network")
        lay.addWidget(self.about)

        box = QGroupBox("Training")
        form = QFormLayout(box)
        self.learning_rate = QLineEdit()
        self.learning_rate.setToolTip("η, the step size of gradient descent: w⁺ = w − η·∂E/∂w (Enter to apply)")
        self.learning_rate.setAccessibleName("Learning rate")
        self.learning_rate.editingFinished.connect(
            lambda: self._on_number_edited(self.learning_rate, "learning_rate", "Learning rate"))
        form.addRow("Learning rate η", self.learning_rate)
        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 1_000_000)
        self.batch_size.setToolTip("Samples per iteration (mini-batch). Equal to the number of samples = full batch.")
        self.batch_size.setAccessibleName("Batch size")
        self.batch_size.editingFinished.connect(lambda: self._set(batch_size=self.batch_size.value()))
        form.addRow("Batch size", self.batch_size)
        self.momentum = QLineEdit()
        self.momentum.setToolTip("μ in [0, 1): v ← μ·v + ∂E/∂w; w ← w − η·v (0 = plain gradient descent)")
        self.momentum.setAccessibleName("Momentum")
        self.momentum.editingFinished.connect(lambda: self._on_number_edited(self.momentum, "momentum", "Momentum"))
        form.addRow("Momentum μ", self.momentum)
        self.loss = QComboBox()
        self.loss.addItems(["mse", "cross_entropy"])
        self.loss.setToolTip("mse: Σ ½(t − o)² per sample; cross_entropy: needs a softmax or sigmoid output layer")
        self.loss.setAccessibleName("Loss function")
        self.loss.activated.connect(lambda _: self._set(loss=self.loss.currentText()))
        form.addRow("Loss", self.loss)
        self.update_biases = QCheckBox("Update biases")
        self.update_biases.setToolTip("The worked example keeps its biases fixed")
        self.update_biases.clicked.connect(lambda on: self._set(update_biases=bool(on)))
        form.addRow(self.update_biases)
        self.shuffle = QCheckBox("Shuffle every epoch")
        self.shuffle.setToolTip("Visit the samples in a new (seeded) order each epoch")
        self.shuffle.clicked.connect(lambda on: self._set(shuffle=bool(on)))
        form.addRow(self.shuffle)
        lay.addWidget(box)

        run = QGroupBox("Run")
        rf = QFormLayout(run)
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 10_000_000)
        self.epochs.setValue(50)
        self.epochs.setToolTip("How many epochs Run (F5) trains for")
        self.epochs.setAccessibleName("Epochs to run")
        rf.addRow("Epochs", self.epochs)
        speed_row = QHBoxLayout()
        self.speed = QSlider(Qt.Horizontal)
        self.speed.setRange(0, len(SPEEDS) - 1)
        self.speed.setValue(controller.speed_level)
        self.speed.setToolTip("From slow steps you can watch to maximum speed")
        self.speed.setAccessibleName("Run speed")
        self.speed_label = QLabel(SPEED_NAMES[controller.speed_level])
        self.speed_label.setMinimumWidth(70)
        self.speed.valueChanged.connect(self._on_speed_changed)
        speed_row.addWidget(self.speed, 1)
        speed_row.addWidget(self.speed_label)
        rf.addRow("Speed", speed_row)
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Run the chosen number of epochs (F5); press again to pause")
        self.run_button.clicked.connect(self._on_run_clicked)
        rf.addRow(self.run_button)
        lay.addWidget(run)

        init = QGroupBox("Re-initialise weights")
        inf = QFormLayout(init)
        self.scheme = QComboBox()
        self.scheme.addItems(list(INIT_SCHEMES))
        self.scheme.setCurrentText("xavier")
        self.scheme.setToolTip("zeros/constant show the symmetry problem; the random schemes break it")
        self.scheme.setAccessibleName("Initialisation scheme")
        inf.addRow("Scheme", self.scheme)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("Seed of the random generator: the same seed gives the same weights")
        self.seed.setAccessibleName("Seed")
        inf.addRow("Seed", self.seed)
        self.reinit_button = QPushButton("Re-initialise")
        self.reinit_button.setToolTip("Draw new weights and biases and restart training (undoable)")
        self.reinit_button.clicked.connect(self._on_reinit_clicked)
        inf.addRow(self.reinit_button)
        lay.addWidget(init)
        lay.addStretch(1)

        controller.state_changed.connect(self._on_state_changed)
        controller.simulation_replaced.connect(self._on_state_changed)
        controller.run_started.connect(self._on_run_state)
        controller.run_finished.connect(self._on_run_state)
        self._update_fields()

    def _set(self, **changes) -> None:
        if self.controller.set_training(**changes) is not None:
            self._revert()

    def _revert(self) -> None:
        """Show the model's values again after a refused input (even in the focused field)."""
        s = self.controller.sim.settings
        self.learning_rate.setText(repr(s.learning_rate))
        self.momentum.setText(repr(s.momentum))
        self._update_fields()

    def _on_number_edited(self, field: QLineEdit, key: str, label: str) -> None:
        """Apply a typed number to setting *key*; refuse anything else and show the model's value again."""
        text = field.text().strip()
        try:
            v = float(text)
        except ValueError:
            self.controller.message.emit(f"{label}: “{text}” is not a number; unchanged.")
            self._revert()
            return
        if v != getattr(self.controller.sim.settings, key):
            self._set(**{key: v})

    def _on_speed_changed(self, level: int) -> None:
        self.speed_label.setText(SPEED_NAMES[level])
        self.controller.set_speed(level)

    def _on_run_clicked(self) -> None:
        if self.controller.running:
            self.controller.pause()
        else:
            self.controller.run(self.epochs.value())

    def _on_reinit_clicked(self) -> None:
        scheme = self.scheme.currentText()
        kwargs = {"value": 0.5} if scheme == "constant" else {}
        if scheme in ("uniform", "normal"):
            kwargs["scale"] = 0.5
        self.controller.reinitialize(scheme, self.seed.value(), **kwargs)

    def _on_run_state(self, *args) -> None:
        self.run_button.setText("Pause" if self.controller.running else "Run")

    def _on_state_changed(self, *args) -> None:
        self._update_fields()

    def _update_fields(self) -> None:
        sim = self.controller.sim
        s = sim.settings
        widgets = [self.learning_rate, self.batch_size, self.momentum, self.loss, self.update_biases, self.shuffle]
        for w in widgets:
            w.blockSignals(True)  # showing the model's value must not write it back
        if not self.learning_rate.hasFocus():
            self.learning_rate.setText(repr(s.learning_rate))
        self.batch_size.setValue(s.batch_size)
        if not self.momentum.hasFocus():
            self.momentum.setText(repr(s.momentum))
        self.loss.setCurrentText(s.loss)
        self.update_biases.setChecked(s.update_biases)
        self.shuffle.setChecked(s.shuffle)
        for w in widgets:
            w.blockSignals(False)
        net = sim.network
        arch = "-".join(str(n) for n in net.sizes)
        acts = ", ".join(net.activation_names)
        name = sim.name or "Untitled network"
        notes = sim.notes if len(sim.notes) <= 400 else sim.notes[:400] + "…"
        self.about.setToolTip(sim.notes)
        self.about.setText(f"<b>{name}</b><br>{arch} ({acts}) · {net.n_params} parameters · "
                           f"{sim.n_samples} samples, {sim.iterations_per_epoch} iterations per epoch"
                           + (f"<br><span style='color:#566573'>{notes}</span>" if notes else ""))
