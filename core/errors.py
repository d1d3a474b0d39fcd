"""Error types raised by the engine.

All of them derive from :class:`ValueError` or :class:`ArithmeticError` so that
callers that do not know our types still get a sensible category.
"""
from __future__ import annotations


class BackpropLabError(Exception):
    """Base class for every error the engine raises on purpose."""


class StateFileError(BackpropLabError, ValueError):
    """A state file (or dict) is not a valid Backprop Lab state.

    The message names the file (when there is one) and the exact place,
    e.g. ``network.weights[1][0]: expected 2 numbers, got 3``.
    """

    def __init__(self, message: str, *, where: str = "", source: str | None = None) -> None:
        self.where = where
        self.source = source
        self.detail = message
        text = f"{where}: {message}" if where else message
        if source:
            text = f"{source}: {text}"
        super().__init__(text)


class ConfigError(BackpropLabError, ValueError):
    """A setting or an edited value is not acceptable (e.g. a NaN weight)."""


class DivergenceError(BackpropLabError, ArithmeticError):
    """An iteration would have produced a non-finite loss or parameter.

    The simulation keeps the last finite state; :attr:`reason` says what
    overflowed and where.
    """

    def __init__(self, reason: str, iteration: int) -> None:
        self.reason = reason
        self.iteration = iteration
        super().__init__(reason)
