"""The controller's file actions (a mixin of SimulationController): open, open an example, restore, save."""
from __future__ import annotations

from pathlib import Path

from backprop_lab.core import EXAMPLES, BackpropLabError, Simulation, StateFileError, load_example

from . import view_state as vs
from .run_loop import MAX_SPEED
from .view_state import Display


class FileActions:
    """Opening and saving: each replaces or records the simulation and announces it (mixed into the controller)."""

    def set_simulation(self, sim: Simulation, path: str | None = None) -> None:
        """Show another simulation (what opening a file does)."""
        self.pause()
        self._sim = sim
        self.path = path
        self._selection = None
        # the file's display preferences; only the precision (a preference of the person) carries over
        self._display = _display_of(sim, Display(precision=self._display.precision,
                                                     hide_future=self._display.hide_future))
        self._pub.new_simulation()
        self._sync(vs.SIMULATION_REPLACED)
        self.dirty_changed.emit(False)
        self.file_changed.emit(path or "")

    def open(self, path: str) -> bool:
        """Open a state file; on any problem the current state stays and an error is shown."""
        try:
            sim = Simulation.load(path)
        except StateFileError as e:
            self._fail("Cannot open the file", e)
            return False
        self.set_simulation(sim, str(Path(path)))
        self.message.emit(f"Opened {path}.")
        return True

    def open_recovered(self, state: dict, path: str | None) -> bool:
        """Open autosaved work (crash recovery) as unsaved changes of *path*."""
        try:
            sim = Simulation.from_dict(state, source="the recovered work")
        except StateFileError as e:
            self._fail("Cannot restore the unsaved work", e)
            return False
        self.set_simulation(sim, path)
        self._pub.mark_unsaved()
        self.message.emit("Restored the unsaved work; save it to keep it.")
        return True

    def open_example(self, name: str) -> bool:
        try:
            sim = load_example(name)
        except (KeyError, StateFileError) as e:
            self._fail("Cannot open the example", e)
            return False
        self.set_simulation(sim, None)
        self.message.emit(f"Example: {EXAMPLES[name][1]}.")
        return True

    def save(self, path: str | None = None) -> bool:
        """Save to *path* (or the current file). False, with an error, on failure."""
        path = path or self.path
        if not path:
            return False
        self._sim.display = self._display.to_dict()
        try:
            self._sim.save(path)
        except (BackpropLabError, OSError) as e:
            self._fail("Cannot save", e)
            return False
        except Exception as e:  # noqa: BLE001 — any failed save must keep the work: say so, never close
            self._fail("Cannot save", f"{type(e).__name__}: {e}",
                       "Nothing was saved and your work is still open. Try Save As… to another file.")
            return False
        self.mark_saved(path)
        return True

    def mark_unsaved(self) -> None:
        """Something saved with the state but kept outside the engine changed (e.g. the compared runs): the
        state differs from its file until it is saved (the title's star, and closing asks to save).

        Like the display preferences, such changes are not on the timeline: undo does not bring them back.
        """
        self._pub.mark_unsaved()

    def mark_saved(self, path: str) -> None:
        """The state was written to *path* (here or by a background save of a snapshot taken just before)."""
        self.path = str(path)
        self._pub.mark_saved(self.path)
        self.file_changed.emit(self.path)
        self.message.emit(f"Saved {path}.")


def _display_of(sim: Simulation, base: Display) -> Display:
    """The display preferences a simulation was loaded with (its file's ``display``), over *base*."""
    return Display.from_dict(getattr(sim, "display", None) or {}, base, MAX_SPEED)
