"""The batch schedule: which samples each iteration uses (order, shuffling per epoch, the last partial batch)."""
from __future__ import annotations

import numpy as np

from .dataset import Dataset
from .settings import TrainingSettings


def iterations_per_epoch(settings: TrainingSettings, n_samples: int) -> int:
    """Iterations of one epoch, the last partial batch included."""
    return -(-n_samples // settings.batch_size)


def iterations_until_epoch(settings: TrainingSettings, n_samples: int, position: int, epochs: int) -> int:
    """How many iterations complete *epochs* more epochs from *position*."""
    rest = -(-(n_samples - position) // settings.batch_size)
    return rest + (int(epochs) - 1) * iterations_per_epoch(settings, n_samples)


class BatchSchedule:
    """Batches in order, or in an order drawn per epoch from a generator seeded with ``(seed, epoch)``.

    The order is a pure function of (seed, epoch, N): nothing to save or
    restore for step back; the last permutation is cached.
    """

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._perm: np.ndarray | None = None

    def order(self, settings: TrainingSettings, epoch: int, n_samples: int) -> np.ndarray | None:
        """The permutation of epoch *epoch*, or None for the dataset order."""
        if not settings.shuffle:
            return None
        key = (settings.seed, epoch, n_samples)
        if key != self._key:
            self._perm = np.random.default_rng([settings.seed, epoch]).permutation(n_samples)
            self._key = key
        return self._perm

    def indices(self, settings: TrainingSettings, epoch: int, position: int, n_samples: int) -> np.ndarray:
        """Dataset indices of the samples of the batch starting at *position*."""
        B = min(settings.batch_size, n_samples - position)
        order = self.order(settings, epoch, n_samples)
        if order is None:
            return np.arange(position, position + B)
        return order[position:position + B]

    def batch(self, data: Dataset, settings: TrainingSettings, epoch: int,
              position: int) -> tuple[np.ndarray, np.ndarray, int]:
        """``(inputs, targets, B)`` of the batch starting at *position* (views where possible)."""
        N = data.n_samples
        B = min(settings.batch_size, N - position)
        order = self.order(settings, epoch, N)
        if order is None:
            if position == 0 and B == N:
                return data.inputs, data.targets, B
            return data.inputs[position:position + B], data.targets[position:position + B], B
        idx = order[position:position + B]
        return data.inputs[idx], data.targets[idx], B
