"""What to tell a person when training diverges: what overflowed, where, and what to try (a smaller learning rate).

The engine's reasons are terse ("the training loss would become inf"); a learner needs to know that the numbers
grew too large for the computer, that the last finite state was kept, and which learning rate to try next.
"""
from __future__ import annotations

import math
import re

TITLE = "Training diverged"

_WORDS = ((re.compile(r"(?<![\w.])-inf\b"), "minus infinity"), (re.compile(r"(?<![\w.])inf\b"), "infinite"),
          (re.compile(r"(?<![\w.])nan\b"), "not a number (NaN)"))


def plain_reason(reason: str) -> str:
    """The engine's *reason* with ``inf``/``nan`` in words."""
    for pattern, words in _WORDS:
        reason = pattern.sub(words, reason)
    return reason


def loss_words(fmt, loss: float | None) -> str:
    """A loss for a message: formatted, "–" when unknown, and never "nan"/"inf"."""
    if loss is None:
        return "–"
    if not math.isfinite(loss):
        return "too large to compute"
    return fmt(loss)


def divergence_message(reason: str, learning_rate: float, iteration: int, kept: str) -> tuple[str, str, str]:
    """(title, message, details) for the error signal.

    Parameters
    ----------
    reason : str
        The engine's reason (names the iteration and what overflowed).
    learning_rate : float
        The learning rate now, to suggest a smaller one.
    iteration : int
        The iteration the state stands at (the last finite one).
    kept : str
        What happened to the state ("Nothing was changed." or "The last finite state is kept.").
    """
    smaller = f"{learning_rate / 10:g}"
    message = (f"{plain_reason(reason).rstrip('.')}. The numbers grew too large for the computer: each update "
               f"overshot and made the loss larger instead of smaller.")
    details = (f"{kept} The network is at iteration {iteration:,}.\n\nWhat to try: a smaller learning rate — it is "
               f"η = {learning_rate:g} now; try η = {smaller} in the Training panel. Or step back (Shift+F10, "
               f"Ctrl+B) to before the loss started growing.")
    return TITLE, message, details
