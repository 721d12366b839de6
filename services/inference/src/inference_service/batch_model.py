"""The regressor over many rows at once, with the numbers of ``FastModel.predict`` to the last bit but
the neighbour search cut to each row's grid cell: a 1,000-row batch measures about 20 points a row
instead of all 200 (most of a batch's model time was that search).

Why the cell's candidates give the same k nearest, and when they cannot (a tie at the k-th place, a
row outside the grid): ``one_row.NeighboursRow``, whose grid this shares. Those rows go through the
full search of ``NeighboursFastModel``, which treats every row on its own, so they get its numbers too.
"""

from collections.abc import Callable

import numpy as np

from inference_service.fast_model import AverageFastModel, FastModel, NeighboursFastModel
from inference_service.one_row import NeighbourGrid

BatchRegressor = Callable[[np.ndarray], np.ndarray]
# A padding point so far away that it is never among the nearest, yet its squared distance is finite.
FAR_AWAY = 1e150


class NeighboursBatch:
    """``NeighboursFastModel.predict`` measuring each row against its cell's candidates only."""

    def __init__(self, model: NeighboursFastModel, grid: NeighbourGrid):
        self._model = model
        self._k = model.k
        self._first_edges, self._second_edges = grid.first_edges, grid.second_edges
        self._columns, self._lines = len(grid.first_edges) - 1, len(grid.second_edges) - 1
        sets: dict[bytes, int] = {}
        members: list[np.ndarray] = []
        cell_set = np.empty((self._columns, self._lines), dtype=np.intp)
        for column, masks in enumerate(grid.kept):
            for line, mask in enumerate(masks):
                key = mask.tobytes()
                if key not in sets:
                    sets[key] = len(members)
                    members.append(np.flatnonzero(mask))
                cell_set[column, line] = sets[key]
        padding = len(model.training_points)  # the index of the far-away point
        width = max(len(indices) for indices in members)
        padded = np.full((len(members), width), padding, dtype=np.intp)
        for number, indices in enumerate(members):
            padded[number, : len(indices)] = indices
        self._candidates = padded[cell_set]  # (columns, lines, width)
        points = np.vstack([model.training_points, [[FAR_AWAY, FAR_AWAY]]])
        self._first_points, self._second_points = points[:, 0].copy(), points[:, 1].copy()
        self._targets = np.append(model.targets, 0.0)

    @classmethod
    def of(cls, model: NeighboursFastModel) -> "NeighboursBatch | None":
        return cls(model, NeighbourGrid.of(model)) if NeighbourGrid.usable(model) else None

    def predict(self, features: np.ndarray) -> np.ndarray:
        model, k = self._model, self._k
        # The same float operations, in the same order, as ``NeighboursFastModel.nearest``.
        scaled = (features[:, model.columns] - model.mean) / model.scale
        first, second = scaled[:, 0], scaled[:, 1]
        column = np.searchsorted(self._first_edges, first, side="right") - 1
        line = np.searchsorted(self._second_edges, second, side="right") - 1
        inside = (column >= 0) & (column < self._columns) & (line >= 0) & (line < self._lines)
        rows = np.flatnonzero(inside)
        candidates = self._candidates[column[rows], line[rows]]
        along_first = first[rows, np.newaxis] - self._first_points[candidates]
        along_second = second[rows, np.newaxis] - self._second_points[candidates]
        distances = along_first * along_first + along_second * along_second
        smallest = np.partition(distances, k, axis=1)
        kth, next_one = smallest[:, :k].max(axis=1), smallest[:, k]
        # Without a tie, exactly the k nearest are no farther than the k-th; whole-number targets sum
        # exactly in any order, so the mean is numpy's.
        kept = np.where(distances <= kth[:, np.newaxis], self._targets[candidates], 0.0)
        values = np.empty(len(features))
        values[rows] = kept.sum(axis=1) / k
        measured_by_all = np.concatenate([np.flatnonzero(~inside), rows[kth == next_one]])
        if len(measured_by_all):
            values[measured_by_all] = model.predict(features[measured_by_all])
        return values


def batch_regressor(model: FastModel) -> BatchRegressor:
    """``model.predict``, or a faster function giving the same numbers."""
    if isinstance(model, AverageFastModel):
        parts = [batch_regressor(part) for part in model.parts]

        def average(features: np.ndarray) -> np.ndarray:
            # Added in the same order as ``AverageFastModel.predict``.
            total = parts[0](features)
            for part in parts[1:]:
                total = total + part(features)
            return total / len(parts)

        return average
    if isinstance(model, NeighboursFastModel):
        batch = NeighboursBatch.of(model)
        if batch is not None:
            return batch.predict
    return model.predict
