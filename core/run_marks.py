"""Where the training settings changed during one run: labelled marks on its loss curve, and the run's label.

A learner comparing learning rates either starts again (reset or re-initialise: the run so far is kept as an
earlier run, see :mod:`backprop_lab.core.runs`) or changes η and keeps training.  In the second case the curve
goes on, and :class:`SettingsLog` remembers where the settings changed (a :class:`SettingMark` "η = 2" after
iteration 150), so that the plot can mark the point and a run kept later is labelled with everything it was
trained with ("η = 0.5; η = 2 after iteration 150").

The log follows the engine rather than recording actions: :meth:`SettingsLog.note` is told the settings after
every change (an edit, its undo or redo, a step back across it) with the iteration count at that moment, and
keeps exactly the marks of the history that exists — a mark at or after that iteration is forgotten first.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .runs import _settings_dict, describe_difference

__all__ = ["SettingMark", "SettingsLog"]


@dataclass(frozen=True)
class SettingMark:
    """A change of the training settings in the middle of a run.

    Attributes
    ----------
    iteration : int
        Iterations done before the change (the change applies from iteration ``iteration + 1``).
    label : str
        What changed, in the new values (e.g. ``"η = 2"``).
    settings : dict
        The settings from then on.
    """

    iteration: int
    label: str
    settings: dict


class SettingsLog:
    """The settings one run started with and the marks where they changed mid-run.

    Parameters
    ----------
    settings : TrainingSettings or dict, optional
        The settings the run starts with.
    """

    def __init__(self, settings: Any = None) -> None:
        self.start: dict = {}
        self.marks: list[SettingMark] = []
        self.restart(settings)

    def restart(self, settings: Any) -> None:
        """A new run starts (re-initialise, reset, another file) with *settings*: no marks."""
        self.start = _settings_dict(settings)
        self.marks = []

    def settings_at(self, iteration: int) -> dict:
        """The settings iteration ``iteration + 1`` trains with (after every mark before or at *iteration*)."""
        now = self.start
        for m in self.marks:
            if m.iteration <= iteration:
                now = m.settings
        return now

    def note(self, iteration: int, settings: Any) -> SettingMark | None:
        """The settings are now *settings*, after *iteration* iterations of this run.

        Marks at or after *iteration* are forgotten (they belonged to a history that was stepped back over);
        returns the new mark when the settings differ from those the run had reached, else None.  At
        iteration 0 nothing was trained yet: the run simply starts with *settings*.
        """
        new = _settings_dict(settings)
        if iteration <= 0:
            self.restart(new)
            return None
        same = [m for m in self.marks if m.iteration == iteration and m.settings == new]
        self.marks = [m for m in self.marks if m.iteration < iteration]
        before = self.settings_at(iteration)
        if new == before:
            return None
        if same:  # already marked so (told twice)
            self.marks.append(same[0])
            return None
        mark = SettingMark(int(iteration), describe_difference(new, before), new)
        self.marks.append(mark)
        return mark

    def trained_marks(self, n_iterations: int) -> list[SettingMark]:
        """The marks a run of *n_iterations* iterations trained after (a change at its very end trained nothing)."""
        return [m for m in self.marks if m.iteration < n_iterations]

    def describe_run(self, n_iterations: int, settings_now: Any, init_then: dict | None = None,
                     init_now: dict | None = None) -> str:
        """The label of this run (*n_iterations* long) when it is kept for comparison with what replaces it.

        What differs between the settings it started with and *settings_now* (and the initialisations), then
        each change it trained through: ``"η = 0.5; η = 2 after iteration 150"``.  ``"same settings"`` when
        nothing differs.
        """
        base = describe_difference(self.start, settings_now, init_then, init_now)
        changes = [f"{m.label} after iteration {m.iteration}" for m in self.trained_marks(n_iterations)]
        if not changes:
            return base
        return "; ".join(([] if base == "same settings" else [base]) + changes)
