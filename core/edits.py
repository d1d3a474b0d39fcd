"""Hand edits, each one timeline entry: weights, biases, settings, data, re-initialisation and structure."""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Callable

import numpy as np

from .dataset import Dataset
from .errors import ConfigError
from .network import INIT_SCHEMES, Element, Network, initialize
from .optimizer import OptimizerState
from .settings import TrainingSettings, setting_words
from .structure import (
    Reshape,
    carry_state,
    check_structure,
    plan_add_neuron,
    plan_insert_layer,
    plan_remove_layer,
    plan_remove_neuron,
    plan_set_activation,
    restructure,
    structure_rng,
)
from .timeline import Timeline

#: Keyword options of :func:`~.network.initialize` a structure edit passes on.
INIT_OPTIONS = ("value", "scale", "biases")


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
    structure_edits: int
    _new_params: Any
    _adopt_network: Callable[[Network], None]
    committed_theta: Callable[[], np.ndarray]

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
        self._action("change " + ", ".join(setting_words(k) for k in sorted(changes)), apply)

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
            self._new_params = None
        self._action(f"re-initialise ({scheme}, seed {seed})", apply, cuts_history=True)

    # -- structure ------------------------------------------------------------------------------------------
    @property
    def new_parameters(self) -> np.ndarray:
        """Boolean mask over ``network.theta``: the parameters the last structure edit created.

        All False when there are none; cleared by the next iteration (and by
        re-initialising); step back and redo restore it with the state.  Read-only.
        """
        if self._new_params is not None:
            return self._new_params
        m = np.zeros(self.network.n_params, dtype=bool)
        m.setflags(write=False)
        return m

    def add_neuron(self, layer: int, *, scheme: str = "xavier", seed: int | None = None, inputs: Any = None,
                   targets: Any = None, test_inputs: Any = None, test_targets: Any = None, **init: Any) -> None:
        """Add a neuron at the end of *layer* (0 = the inputs, as ``network.sizes`` counts); one timeline entry.

        Every existing parameter keeps its value; the new neuron's weights and
        bias are drawn with *scheme* from ``default_rng([seed, k])``, *seed*
        defaulting to ``settings.seed`` and *k* the number of structure edits
        before this one (see :attr:`new_parameters`).  In the input or output
        layer the data must change too: pass *inputs* and *targets* (and a test
        set) that fit the new network, or the edit is refused with the reason.
        Raises :class:`ConfigError` and changes nothing when the result would be
        invalid (limits, see :func:`~.structure.check_structure`).
        """
        self._restructure(plan_add_neuron(self.network, layer), scheme, seed, init,
                          (inputs, targets, test_inputs, test_targets))

    def remove_neuron(self, layer: int, j: int, *, inputs: Any = None, targets: Any = None,
                      test_inputs: Any = None, test_targets: Any = None) -> None:
        """Remove neuron *j* of *layer* with its bias and its weights in and out; one timeline entry.

        The last neuron of a layer cannot be removed (remove the layer instead);
        in the input or output layer, data that fits must be given (see :meth:`add_neuron`).
        """
        self._restructure(plan_remove_neuron(self.network, layer, j), "zeros", None, {},
                          (inputs, targets, test_inputs, test_targets))

    def insert_layer(self, index: int, size: int, activation: str, *, scheme: str = "xavier",
                     seed: int | None = None, **init: Any) -> None:
        """Insert a hidden layer of *size* neurons with *activation* at position *index*; one timeline entry.

        *index* counts all layers, inputs as 0: 1 … ``len(network.sizes) - 1``,
        so 1 makes a new first hidden layer.  The weights into and out of the
        new layer and its biases are new (drawn as in :meth:`add_neuron`); the
        old weights between its neighbours are dropped, every other parameter is kept.
        """
        self._restructure(plan_insert_layer(self.network, index, size, activation), scheme, seed, init, None)

    def remove_layer(self, index: int, *, scheme: str = "xavier", seed: int | None = None, **init: Any) -> None:
        """Remove hidden layer *index* (1 … ``len(network.sizes) - 2``); one timeline entry.

        Its neighbours are connected by new weights (drawn as in :meth:`add_neuron`);
        the layer after it keeps its biases.
        """
        self._restructure(plan_remove_layer(self.network, index), scheme, seed, init, None)

    def set_activation(self, layer: int, name: str) -> None:
        """Give layer *layer* (1 … ``len(network.sizes) - 1``) the activation *name*; every parameter is kept.

        Softmax is refused on hidden layers and on a single output; under
        cross-entropy the output must stay sigmoid or softmax.
        """
        plan = plan_set_activation(self.network, layer, name)
        if list(plan.activations) == self.network.activation_names:
            return  # nothing changes, so nothing goes on the timeline (as set_training does)
        self._restructure(plan, "zeros", None, {}, None)

    def set_loss(self, name: str) -> None:
        """Change the loss (``"mse"`` or ``"cross_entropy"``); the same as ``set_training(loss=name)``."""
        self.set_training(loss=name)

    def _restructure(self, plan: Reshape, scheme: str, seed: int | None, init: dict,
                     data: tuple | None) -> None:
        """Check everything, then apply *plan* as one timeline entry (nothing changes when refused)."""
        net = self.network
        check_structure(plan.sizes, plan.activations, self.settings.loss,
                        output_changed=(plan.sizes[-1], plan.activations[-1]) != (net.sizes[-1],
                                                                                  net.activation_names[-1]))
        new_data = self._data_for(plan, data)
        if scheme not in INIT_SCHEMES:
            raise ConfigError(f"unknown initialisation {scheme!r}; expected one of {', '.join(INIT_SCHEMES)}")
        unknown = set(init) - set(INIT_OPTIONS)
        if unknown:
            raise ConfigError(f"unknown initialisation option(s) {sorted(unknown)}; expected {list(INIT_OPTIONS)}")
        seed = self.settings.seed if seed is None else seed
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ConfigError(f"the seed must be a whole number ≥ 0, got {seed!r}")
        res = restructure(net, plan, structure_rng(seed, self.structure_edits), scheme, self.committed_theta(),
                          **init)
        settings = self.settings.check(res.network)
        state = carry_state(self.state, res.index_map)

        def apply():
            self._adopt_network(res.network)
            self.settings, self.state = settings, state
            if new_data is not None:
                self.data, self.position = new_data, 0
            self.structure_edits += 1
            self._new_params = res.new
        self._action(plan.label, apply)

    def _data_for(self, plan: Reshape, data: tuple | None) -> Dataset | None:
        """New data given with the edit (built for the new sizes), or None; refuses an edit the data cannot fit."""
        inputs, targets = (None, None) if data is None else data[:2]
        if inputs is not None or targets is not None:
            if inputs is None or targets is None:
                raise ConfigError("give both inputs and targets with a structure edit, or neither")
            return Dataset.build(plan.sizes[0], plan.sizes[-1], *data)
        for k, what, side in ((0, "input", "inputs"), (-1, "target", "outputs")):
            have, want = self.data.inputs.shape[1] if k == 0 else self.data.targets.shape[1], plan.sizes[k]
            if have != want:
                raise ConfigError(f"the data has {have} {what} column(s), so a network with {want} {side} cannot "
                                  f"train on it; first change the data to {want} {what} column(s) (set_data), or "
                                  f"pass new data that fits along with this edit (inputs=…, targets=…)")
        return None


def _finite(value: Any, what: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise ConfigError(f"{what} must be a finite number, got {value!r}")
    return v
