"""The loss history: per-iteration batch loss, per-epoch training and test loss, and where each epoch ended."""
from __future__ import annotations

from typing import Any

import numpy as np


class Growable:
    """An append-only float or int array with amortised O(1) append and O(1) truncation (``n = k``)."""

    __slots__ = ("_buf", "n")

    def __init__(self, dtype: Any = np.float64, values: Any = ()) -> None:
        values = np.asarray(values, dtype=dtype)
        self._buf = np.empty(max(64, 2 * len(values)), dtype=dtype)
        self._buf[: len(values)] = values
        self.n = len(values)

    def append(self, v: float) -> None:
        if self.n == len(self._buf):
            self._buf = np.concatenate([self._buf, np.empty_like(self._buf)])
        self._buf[self.n] = v
        self.n += 1

    def view(self) -> np.ndarray:
        """The values, as a view (valid until the next append)."""
        return self._buf[: self.n]

    @property
    def nbytes(self) -> int:
        return self._buf.nbytes


class LossHistory:
    """What the loss plot draws.

    ``batch_loss`` has one entry per iteration; ``epoch_loss`` (training set),
    ``epoch_end`` (the iteration each epoch ended at) and ``test_epoch_loss``
    (test set, NaN for epochs without one) one per epoch.
    """

    def __init__(self) -> None:
        self.batch_loss = Growable()
        self.epoch_loss = Growable()
        self.epoch_end = Growable(np.int64)
        self.test_epoch_loss = Growable()

    def counts(self) -> tuple[int, int]:
        """``(iterations recorded, epochs recorded)``."""
        return self.batch_loss.n, self.epoch_loss.n

    def truncate(self, n_batch: int, n_epoch: int) -> None:
        """Forget everything after the first *n_batch* iterations and *n_epoch* epochs."""
        self.batch_loss.n = n_batch
        self.epoch_loss.n = self.epoch_end.n = self.test_epoch_loss.n = n_epoch

    def arrays(self) -> tuple[np.ndarray, ...]:
        """Copies of the four arrays (for snapshots of actions that replace the history)."""
        return tuple(g.view().copy() for g in (self.batch_loss, self.epoch_loss, self.epoch_end,
                                               self.test_epoch_loss))

    def replace(self, batch_loss: Any, epoch_loss: Any, epoch_end: Any, test_epoch_loss: Any) -> None:
        self.batch_loss = Growable(np.float64, batch_loss)
        self.epoch_loss = Growable(np.float64, epoch_loss)
        self.epoch_end = Growable(np.int64, epoch_end)
        self.test_epoch_loss = Growable(np.float64, test_epoch_loss)

    @property
    def nbytes(self) -> int:
        return sum(g.nbytes for g in (self.batch_loss, self.epoch_loss, self.epoch_end, self.test_epoch_loss))
