"""The controller's practice and insight actions (a mixin of SimulationController): practice mode, a second
selected parameter (Ctrl+click), the sample the diagram traces."""
from __future__ import annotations

from dataclasses import replace

from backprop_lab.core import DivergenceError, Element

from . import view_state as vs


class PracticeActions:
    """Several computations in one publication, hiding results not yet performed, a second parameter, the
    traced sample."""

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

    # -- a second parameter (Ctrl+click) -------------------------------------------------------------
    def toggle_second(self, element: Element) -> None:
        """Ctrl+click on *element*: add it as the second parameter, or let it go.

        With a weight or bias selected, Ctrl+click on another one makes it the second (replacing an earlier
        second); on the second again it lets it go; on the selected one it lets that go and the second becomes
        the selection.  Anything else (no parameter selected, a neuron clicked) selects as a plain click does.
        """
        sel, second = self._selection, self._display.second
        if not _is_parameter(element) or not _is_parameter(sel):
            self.select(element)
        elif element == second:
            self.set_second(None)
        elif element == sel:
            self.select(second)
        else:
            self.set_second(element)

    def set_second(self, element: Element | None) -> None:
        """Make *element* (a weight or bias other than the selected one) the second parameter, or None."""
        if element is not None and (not _is_parameter(element) or not _is_parameter(self._selection)):
            self.message.emit("Select a weight or bias first; then Ctrl+click a second one for the loss over both.")
            return
        if element == self._selection:
            element = None
        if element != self._display.second:
            old = self._display.second
            self._display = replace(self._display, second=element)
            self._sync(vs.SELECTION_CHANGED)
            net = self._sim.network
            if element is not None:
                self.message.emit(f"Selected {net.element_name(self._selection)} and {net.element_name(element)}: "
                                  "the Loss landscape shows the training loss over both.")
            else:
                self.message.emit(f"Let go of {net.element_name(old)}: the Loss landscape shows "
                                  f"{net.element_name(self._selection)} alone.")

    # -- the traced sample ---------------------------------------------------------------------------------
    def trace_sample(self, index: int) -> None:
        """Make training sample *index* (0-based) the one the diagram and equations trace, where the batch
        allows it (a display choice: nothing is undone or saved).

        It is shown whenever the shown iteration's batch holds it — except that while a computation of
        another sample is being stepped into, the diagram follows that computation.  The status bar says
        plainly when the batch does not hold it.
        """
        index = int(index)
        if not 0 <= index < self._sim.n_samples:
            self.message.emit(f"There is no training sample #{index + 1}.")
            return
        if not self.traceable:
            self.message.emit(f"Sample #{index + 1}: this network is too large to trace every computation, so "
                              "no single sample is traced (Step performs whole iterations).")
            return
        if self._display.traced_sample != index:
            self._display = replace(self._display, traced_sample=index)
            self._sync(vs.CURSOR_MOVED)
        self.message.emit(self._traced_words(index))

    def _traced_words(self, index: int) -> str:
        """What the status bar says after sample *index* was chosen."""
        st = self.state
        if st.trace is None:
            return (f"Sample #{index + 1} will be traced in the diagram and equations when the run pauses, "
                    "if that iteration's batch holds it.")
        batch = [int(b) for b in st.trace.batch]
        shown = batch[st.sample] if st.sample < len(batch) else batch[0]
        if index not in batch:
            # Short enough for the status bar of a 1,400-pixel window (a longer message is cut off there).
            return (f"Sample #{index + 1} is not in this batch ({_batch_words(batch)}); "
                    "it is traced once a batch holds it.")
        where = "" if len(batch) == 1 else f" (sample {batch.index(index) + 1} of {len(batch)} in the batch)"
        if shown != index:  # stepping through another sample's computations
            return (f"Sample #{index + 1}{where} is traced once you step past sample #{shown + 1}'s computations: "
                    "while you step into them the diagram follows them.")
        return f"The diagram and equations now trace sample #{index + 1}{where}."

    show_sample = trace_sample


def _is_parameter(element: Element | None) -> bool:
    return element is not None and element.kind in ("weight", "bias")


def _batch_words(batch: list[int]) -> str:
    """E.g. "4 samples from #5" or "sample #3"."""
    if len(batch) == 1:
        return f"sample #{batch[0] + 1}"
    if batch == list(range(batch[0], batch[0] + len(batch))):
        return f"samples #{batch[0] + 1}–#{batch[-1] + 1}"
    return f"{len(batch)} samples, #{batch[0] + 1}…"
