"""Weighted draws for the demo's generator, their cumulative weights summed once.

A draw gives exactly `rng.choices(list(weights), weights=list(weights.values()))[0]`: the same
single call of `rng.random()` and the same bisection as CPython's `random.choices`, so a seed
still gives the same province. Two million households make about twenty such draws each, and
`choices` summed the weights again for every one.
"""

from __future__ import annotations

import random
from bisect import bisect
from itertools import accumulate


class WeightedDraw:
    __slots__ = ("cumulative", "keys", "last", "total")

    def __init__(self, weights: dict):
        self.keys = list(weights)
        self.cumulative = list(accumulate(weights.values()))
        self.total = self.cumulative[-1] + 0.0
        self.last = len(self.keys) - 1

    def __call__(self, rng: random.Random):
        return self.keys[bisect(self.cumulative, rng.random() * self.total, 0, self.last)]
