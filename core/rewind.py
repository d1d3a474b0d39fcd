"""Step back and redo for :class:`~.simulation.Simulation`: its snapshots, their restore and replay (a mixin)."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .dataset import Dataset
from .history import LossHistory
from .iteration import Computed, IterationEngine
from .network import Network
from .optimizer import OptimizerState
from .settings import TrainingSettings
from .timeline import Snapshot, Timeline

_NO_STATE = OptimizerState()  # shared by snapshots only; never assigned to


class Rewinding:
    """What the :class:`~.timeline.Timeline` needs of a simulation, and the undo operations built on it.

    The timeline stores :class:`Snapshot`\\ s and calls back :meth:`_restore` and
    :meth:`_replay`; this mixin makes them from the simulation's own state.
    """

    network: Network
    engine: IterationEngine
    settings: TrainingSettings
    data: Dataset
    state: OptimizerState
    history: LossHistory
    timeline: Timeline
    cursor_state: Any
    last_trace: Any
    iteration: int
    epoch: int
    position: int
    structure_edits: int
    _new_params: np.ndarray | None
    abandon_pending: Callable[[], bool]
    step_into: Callable[[], Any]
    _compute: Callable[..., Computed]
    _commit: Callable[[Computed], None]

    def _snapshot(self, full_history: bool = False) -> Snapshot:
        n_loss, n_epoch = self.history.counts()
        net = self.network
        st = self.state
        # Plain SGD keeps no state: every such snapshot shares one empty object (restore copies it).
        opt = _NO_STATE if st.velocity is None and st.m is None and st.t == 0 else st.copy()
        return Snapshot(net.theta.copy(), opt, self.iteration, self.epoch, self.position,
                        n_loss, n_epoch, self.settings, self.data,
                        self.history.copy() if full_history else None,
                        (net.sizes, tuple(net.activation_names)), self.structure_edits, self._new_params)

    def _adopt_network(self, network: Network) -> None:
        """Make *network* (another structure) the simulation's; the engine's caches belong to the old one."""
        self.network = network
        self.engine = IterationEngine(network)

    def _restore(self, s: Snapshot) -> None:
        net = self.network
        if s.structure is not None and s.structure != (net.sizes, tuple(net.activation_names)):
            self._adopt_network(Network(*s.structure, s.theta))
        else:
            net.theta[:] = s.theta
        self.structure_edits, self._new_params = s.structure_edits, s.new_params
        self.state = s.optimizer.copy()
        self.iteration, self.epoch, self.position = s.iteration, s.epoch, s.position
        if s.history is not None:
            self.history.restore(s.history)
        self.history.truncate(s.n_loss, s.n_epoch)
        self.settings = s.settings
        self.data = s.data

    def _replay(self, n: int) -> None:
        # Replaying re-creates snapshots every checkpoint_every steps, so a long
        # merged run becomes dense again as the user steps back through it.
        with np.errstate(all="ignore"):
            for _ in range(n):
                self._commit(self._compute())

    def step_back(self) -> bool:
        """Undo the last iteration or edit, restoring the exact state before it.

        A pending (partly stepped-into) iteration is abandoned instead, unless none of it is performed yet.
        Returns False when there is nothing to undo.
        """
        self.cursor_state.last = None
        performed = self.cursor_state.position > 0
        if self.abandon_pending() and performed:
            return True
        # (an entered iteration with nothing performed is left on the way: one press undoes the iteration
        # before it, as it would from outside)
        self.last_trace = None
        return self.timeline.undo(self._restore, self._replay)

    def step_back_to(self, iteration: int) -> int:
        """Step back until the iteration counter is at most *iteration*, exactly (redoable).

        Returns how many iterations and edits were undone.
        """
        self.abandon_pending()
        self.last_trace = None
        self.cursor_state.last = None
        return self.timeline.undo_to(max(0, int(iteration)), lambda: self.iteration, self._restore, self._replay)

    def redo(self) -> bool:
        """Redo the last undone computation (undone by ``step_back_into``), iteration or edit. Returns False when
        there is none."""
        if self.cursor_state.redoable:
            self.step_into()
            return True
        self.abandon_pending()
        self.last_trace = None
        self.cursor_state.last = None
        return self.timeline.redo(self._restore, self._replay)
