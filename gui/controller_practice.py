"""The controller's practice and insight actions (a mixin of SimulationController)."""
from __future__ import annotations

from dataclasses import replace

from backprop_lab.core import DivergenceError

from . import view_state as vs


class PracticeActions:
    """Several computations in one publication, hiding results not yet performed, pointing to a sample."""

    def step_into_many(self, n: int) -> int:
        """Perform the next *n* single computations and publish once (practice mode's Skip); returns how many
        were performed (fewer when training diverges or the network is too large to step into)."""
        if self.running or n <= 0:
            return 0
        if not self.traceable:
            self.message.emit("This network is too large to step into; Step (F10) performs whole iterations.")
            return 0
        done = 0
        try:
            for _ in range(int(n)):
                self._sim.step_into()
                done += 1
        except DivergenceError as e:
            self._fail("Training diverged", e, "Nothing more was changed. Lower the learning rate, or step back.")
        if done:
            self._sync(step=True)
        return done

    def set_hide_future(self, on: bool) -> None:
        """Practice mode: show no result that is not performed yet (the views redraw their values)."""
        new = replace(self._display, hide_future=bool(on))
        if new != self._display:
            self._display = new
            self._sync(vs.DISPLAY_CHANGED, vs.CURSOR_MOVED)

    def show_sample(self, index: int) -> None:
        """Say where training sample *index* (0-based) is traced: its position in the shown batch, if any.

        The shown sample follows the computation stepped into, so this points the way rather than jumping.
        """
        tr = self.state.trace
        batch = [] if tr is None else [int(b) for b in tr.batch]
        if index in batch:
            p = batch.index(index)
            self.message.emit(f"Sample #{index + 1} is sample {p + 1} of {len(batch)} in this iteration's batch: "
                              "Step into (F11) reaches its computations.")
        else:
            self.message.emit(f"Sample #{index + 1} is not in this iteration's batch"
                              + (f" (samples #{batch[0] + 1}…)." if batch else "."))
