"""Hand edits of a simulation (weights, biases, settings, data, re-initialisation), each one timeline entry."""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Callable

import numpy as np

from .dataset import Dataset
from .errors import ConfigError
from .network import Element, Network, initialize
from .optimizer import OptimizerState
from .settings import TrainingSettings
from .timeline import Timeline


class Editing:
    """The edit operations of :class:`~.simulation.Simulation` (a mixin).

    Each edit validates its input first (:class:`ConfigError`, nothing
    changes), then runs through ``_action``, which abandons a pending
    iteration and records a snapshot before and after on the timeline.
    """

    network: Network
    settings: TrainingSettings
    data: Dataset
    state: OptimizerState
    timeline: Timeline
    history: Any
    cursor_state: Any
    last_trace: Any
    iteration: int
    epoch: int
    position: int
    _action: Callable[..., None]

    def set_data(self, inputs: Any, targets: Any, test_inputs: Any = None, test_targets: Any = None) -> None:
        """Replace the training (and test) data; one timeline entry. The next epoch starts at sample 1."""
        new = Dataset.build(self.network.sizes[0], self.network.sizes[-1], inputs, targets, test_inputs,
                            test_targets)

        def apply():
            self.data = new
            self.position = 0
        self._action("change data", apply)

    def set_weight(self, l: int, j: int, i: int, value: float, *, merge: bool = False) -> None:
        """Set ``weights[l][j, i]`` by hand (recorded on the timeline).

        With *merge*, a run of edits of the same weight (scrubbing) is one undo step.
        """
        self.set_parameter(Element("weight", l, j, i), value, merge=merge)

    def set_bias(self, l: int, j: int, value: float, *, merge: bool = False) -> None:
        """Set ``biases[l][j]`` by hand (recorded on the timeline)."""
        self.set_parameter(Element("bias", l, j), value, merge=merge)

    def set_parameter(self, element: Element, value: float, *, merge: bool = False) -> None:
        """Set the weight or bias named by *element* (see :meth:`set_weight`)."""
        k = self._index(element)
        name = self.network.element_name(element)
        v = _finite(value, f"{element.kind} {name}")
        label = f"edit {name}"
        last = self.timeline.last_action(label) if merge and not self.cursor_state.pending else None
        if last is not None:
            self.network.theta[k] = v
            last.after.theta[k] = v
            self.last_trace = None
            self.cursor_state.last = None
            return
        self._action(label, lambda: self.network.theta.__setitem__(k, v))

    def _index(self, element: Element) -> int:
        if element.kind == "weight":
            return self.network.weight_index(element.layer, element.j, element.i)
        if element.kind == "bias":
            return self.network.bias_index(element.layer, element.j)
        raise ConfigError(f"{element.kind} is not an editable parameter")

    def parameter(self, element: Element) -> float:
        """The current value of a weight or bias."""
        return float(self.network.theta[self._index(element)])

    def set_training(self, **changes: Any) -> None:
        """Change training settings (e.g. ``learning_rate=0.1``), recorded on the timeline."""
        unknown = set(changes) - set(TrainingSettings.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"unknown training setting(s): {sorted(unknown)}")
        new = replace(self.settings, **changes).check(self.network)
        if new == self.settings:
            return

        def apply():
            self.settings = new
            self.state = self.state.adapted(new, self.network.n_params)
        self._action("change " + ", ".join(sorted(changes)), apply)

    def reinitialize(self, scheme: str, seed: int | None = None, **kwargs: Any) -> None:
        """Draw new parameters with an initialisation scheme and start training afresh.

        Counters, the optimizer state and the loss history restart at zero (undoable like any edit).
        """
        seed = self.settings.seed if seed is None else int(seed)
        theta = initialize(self.network, scheme, np.random.default_rng(seed), **kwargs)

        def apply():
            self.network.theta[:] = theta
            self.state = OptimizerState.fresh(self.settings, self.network.n_params)
            self.iteration = self.epoch = self.position = 0
            self.history.truncate(0, 0)
        self._action(f"re-initialise ({scheme}, seed {seed})", apply, cuts_history=True)

def _finite(value: Any, what: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise ConfigError(f"{what} must be a finite number, got {value!r}")
    return v
