"""Training settings (hyper-parameters) and their validation."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import ConfigError
from .losses import LOSSES
from .network import Network

OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "step", "exponential")
HIDDEN_DELTA_WEIGHTS = ("original", "updated")


@dataclass(frozen=True)
class TrainingSettings:
    """Hyper-parameters of training.

    Attributes
    ----------
    loss : {"mse", "cross_entropy"}
    learning_rate : float
        η, finite and ≥ 0.
    batch_size : int
        Samples per iteration, ≥ 1; ``batch_size >= N`` is full-batch training.
    momentum : float
        μ in [0, 1) for SGD (v ← μv + g; w ← w − ηv); 0 is plain SGD. Adam ignores it.
    update_biases : bool
        When False the biases are never changed (as in the worked example).
    shuffle : bool
        Draw the order of each epoch from a generator seeded by ``(seed, epoch)``.
    seed : int
        Seed of the shuffle (and the default seed of re-initialisation).
    optimizer : {"sgd", "adam"}
        ``adam``: m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², m̂ = m/(1−β1ᵗ),
        v̂ = v/(1−β2ᵗ), w ← w − η·m̂/(√v̂ + ε), t counting updates from 1.
    beta1, beta2 : float
        Adam's decay rates, in [0, 1).
    epsilon : float
        Adam's ε, finite and > 0.
    l2 : float
        λ ≥ 0: the loss gains (λ/2)·Σw² over the weights (not the biases).
    l1 : float
        λ ≥ 0: the loss gains λ·Σ|w| over the weights.
    schedule : {"constant", "step", "exponential"}
        Learning-rate schedule: η_t = η·rate^⌊t/every⌋ (step) or η·rate^(t/every)
        (exponential), t = number of updates done before this one.
    decay_rate : float
        The schedule's rate, finite and > 0.
    decay_every : int
        The schedule's period in updates, ≥ 1.
    hidden_delta_weights : {"original", "updated"}
        ``updated`` is the classic mistake: each layer's weights are updated
        first and the deltas of the layer below use the updated weights.
    """

    loss: str = "mse"
    learning_rate: float = 0.5
    batch_size: int = 1
    momentum: float = 0.0
    update_biases: bool = True
    shuffle: bool = False
    seed: int = 0
    optimizer: str = "sgd"
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8
    l2: float = 0.0
    l1: float = 0.0
    schedule: str = "constant"
    decay_rate: float = 0.5
    decay_every: int = 1000
    hidden_delta_weights: str = "original"

    def check(self, network: Network) -> "TrainingSettings":
        """Return self if valid for *network*, else raise :class:`ConfigError` saying which setting."""
        loss = LOSSES.get(self.loss) if isinstance(self.loss, str) else None
        if loss is None:
            raise ConfigError(f"unknown loss {self.loss!r}; expected one of {sorted(LOSSES)}")
        out = network.activations[-1].name
        if out not in loss.allowed_output:
            raise ConfigError(f"loss {self.loss!r} needs a {' or '.join(loss.allowed_output)} output layer, "
                              f"not {out}")
        _number(self.learning_rate, "learning rate", low=0.0)
        _number(self.momentum, "momentum", low=0.0, high=1.0)
        _whole(self.batch_size, "batch size", 1)
        _whole(self.seed, "seed", 0)
        _choice(self.optimizer, "optimizer", OPTIMIZERS)
        _number(self.beta1, "β1", low=0.0, high=1.0)
        _number(self.beta2, "β2", low=0.0, high=1.0)
        _number(self.epsilon, "ε", low=0.0, low_open=True)
        _number(self.l2, "the L2 penalty λ", low=0.0)
        _number(self.l1, "the L1 penalty λ", low=0.0)
        _choice(self.schedule, "schedule", SCHEDULES)
        _number(self.decay_rate, "decay rate", low=0.0, low_open=True)
        _whole(self.decay_every, "decay every", 1)
        _choice(self.hidden_delta_weights, "hidden_delta_weights", HIDDEN_DELTA_WEIGHTS)
        for name in ("update_biases", "shuffle"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ConfigError(f"{name} must be true or false, got {getattr(self, name)!r}")
        return self


#: What each training setting is called in messages and undo labels (its field name otherwise, spaced).
SETTING_WORDS = {"update_biases": "bias updates", "shuffle": "shuffling",
                 "hidden_delta_weights": "hidden deltas' weights", "l1": "L1", "l2": "L2",
                 "schedule": "learning-rate schedule", "decay_every": "decay interval",
                 "beta1": "β1", "beta2": "β2", "epsilon": "ε"}


def setting_words(name: str) -> str:
    """A training setting's name as a person reads it (``learning_rate`` → "learning rate")."""
    return SETTING_WORDS.get(name, name.replace("_", " "))


def _shown(v: Any) -> str:
    """A refused value as it reads: numbers as numbers (−1, not -1.0), anything else quoted."""
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
        return format(float(v), ".10g").replace("-", "−")
    return repr(v)


def _number(v: Any, what: str, *, low: float, high: float | None = None, low_open: bool = False) -> None:
    ok = not isinstance(v, bool) and isinstance(v, (int, float, np.integer, np.floating)) and math.isfinite(v)
    ok = ok and (v > low if low_open else v >= low) and (high is None or v < high)
    if not ok:
        rng = f"{'>' if low_open else '≥'} {low:g}" if high is None else f"in [{low:g}, {high:g})"
        raise ConfigError(f"{what} must be a finite number {rng}, got {_shown(v)}")


def _whole(v: Any, what: str, low: int) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
        raise ConfigError(f"{what} must be a whole number ≥ {low}, got {_shown(v)}")


def _choice(v: Any, what: str, choices: tuple[str, ...]) -> None:
    if v not in choices:
        raise ConfigError(f"unknown {what} {v!r}; expected one of {', '.join(map(repr, choices))}")
