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


class Cancelled(BackpropLabError):
    """Long work (e.g. loading a state file) stopped because the caller asked it to; nothing was changed."""


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


class DataError(BackpropLabError, ValueError):
    """Inputs, targets or a dataset request are not acceptable.

    :attr:`row` and :attr:`column` are the 0-based indices of the offending
    sample and column when the problem is at one place (``None`` otherwise);
    the message counts samples from 1 (``sample #3``), as the window does.
    """

    def __init__(self, message: str, *, row: int | None = None, column: int | None = None) -> None:
        self.row = row
        self.column = column
        self.detail = message
        super().__init__(self._text(message))

    def _text(self, message: str) -> str:
        return message


class CSVError(DataError):
    """A CSV file cannot be read or imported.

    The message names the file, the line and the column where that makes
    sense, counting both from 1 as editors and spreadsheets do, e.g.
    ``data.csv: line 5, column 2 ("x2"): "abc" is not a number``.
    :attr:`line` is that 1-based line; :attr:`column` is the 0-based column
    index (as ``read_csv`` selects columns), :attr:`source` the file.
    """

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None,
                 column: int | None = None, column_name: str | None = None) -> None:
        self.source = source
        self.line = line
        self.column_name = column_name
        super().__init__(message, column=column)

    def _text(self, message: str) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            name = f" ({self.column_name!r})" if self.column_name else ""
            where.append(f"column {self.column + 1}{name}")
        text = f"{', '.join(where)}: {message}" if where else message
        return f"{self.source}: {text}" if self.source else text


class NumberError(BackpropLabError, ValueError):
    """Text that should be a number is not one a person would write (or is NaN, infinite, too large).

    The message says why in words, e.g. ``'1,5' is not a number (use a decimal point, not a comma)``;
    :attr:`text` is the text refused.
    """

    def __init__(self, message: str, *, text: str = "") -> None:
        self.text = text
        super().__init__(message)


class AnswerError(NumberError):
    """A typed practice answer is not a number; nothing was counted."""


class PracticeError(BackpropLabError, ValueError):
    """A practice action that does not apply now (e.g. checking when no question is open)."""
