"""The package's one accumulation of input statistics: event-weighted mean
and spread, and the range, of each column, over any number of blocks of
events, in float64.

What it is: :class:`Moments`, used by :func:`.streaming.input_moments`,
:meth:`.HashedNetwork.standardize_inputs` (mean and spread) and the
compatible workflow's ``VarTransform=N`` (``tmva/transform.py``: min and
max, as TMVA's VariableNormalizeTransform, which ignores the weights for the
range). Each caller keeps its transform's definition; what they share is
here, written once:

- every value and weight must be finite (``ValueError`` naming the array and
  the position);
- weights may be negative (TMVA allows them); the spread is the population
  one, ``sqrt(sum w (x - mean)^2 / sum w)``, taken as 0 where negative
  weights make that sum negative;
- no events, or weights whose sum is not positive (all zero, or cancelling),
  is a ``ValueError`` naming the sample: no mean, spread or range is made
  from them (TMVA would divide by zero).

Sums are taken about the mean of the first events, so that a large offset
(e.g. 1e4 +- 0.5) costs no precision.

What it is not: a general statistics module (no covariance, no quantiles).
"""

from __future__ import annotations

import numpy as np

from ._arrays import as_matrix, as_vector, check_finite

__all__ = ["Moments", "check_weight_sum"]

_BLOCK = 65_536  # events converted to float64 at a time


def check_weight_sum(sample: str, total: float, events: int) -> None:
    """The one rule for a sum of event weights: it must be positive (ValueError naming ``sample``)."""
    if not total > 0:
        raise ValueError(f"the event weights of {sample} sum to {total} over {events} events; a mean, spread, range "
                         f"or renormalisation needs a positive sum of weights")  # fmt: skip


class Moments:
    """``m = Moments("the training sample"); m.add(x, w); mean, std = m.mean_std()``."""

    def __init__(self, sample: str):
        self.sample = sample  # names the events in messages
        self.events, self.weight_sum = 0, 0.0
        self._shift = self._s1 = self._s2 = self._low = self._high = None

    def add(self, x, weights=None, name: str = "x", weights_name: str = "weights") -> None:
        """Adds events x (n, d) with weights (n,) or None (all 1); the names name them in messages."""
        x = as_matrix(name, x, None if self._shift is None else self._shift.size)
        check_finite(name, x)
        w = None
        if weights is not None:
            w = as_vector(weights_name, weights, x.shape[0])
            check_finite(weights_name, w)
        if self._shift is None:
            self._shift = x[:_BLOCK].astype(np.float64).mean(axis=0)
            self._s1, self._s2 = np.zeros_like(self._shift), np.zeros_like(self._shift)
            self._low, self._high = np.full(x.shape[1], np.inf, np.float32), np.full(x.shape[1], -np.inf, np.float32)
        for a in range(0, x.shape[0], _BLOCK):
            block = x[a : a + _BLOCK].astype(np.float64) - self._shift
            weight = np.ones(block.shape[0]) if w is None else w[a : a + _BLOCK].astype(np.float64)
            self.weight_sum += float(weight.sum())
            self._s1 += weight @ block
            self._s2 += weight @ (block * block)
        self._low, self._high = np.minimum(self._low, x.min(axis=0)), np.maximum(self._high, x.max(axis=0))
        self.events += x.shape[0]

    @classmethod
    def from_sums(cls, sample: str, *, events: int, weight_sum: float, shift, s1, s2, low, high) -> "Moments":
        """The moments of sums taken elsewhere by :meth:`add`'s rules (the device's, ``_cuda.device_moments``)."""
        moments = cls(sample)
        moments.events, moments.weight_sum = int(events), float(weight_sum)
        moments._shift, moments._s1, moments._s2 = (np.asarray(a, dtype=np.float64) for a in (shift, s1, s2))
        moments._low, moments._high = (np.asarray(a, dtype=np.float32) for a in (low, high))
        return moments

    def _check(self) -> None:
        if self.events == 0:
            raise ValueError(f"no events in {self.sample}: nothing to take a mean, spread or range of")
        check_weight_sum(self.sample, self.weight_sum, self.events)

    def mean_std(self) -> tuple:
        """(mean, std) per column, float64."""
        self._check()
        offset = self._s1 / self.weight_sum
        return self._shift + offset, np.sqrt(np.maximum(self._s2 / self.weight_sum - offset * offset, 0.0))

    def ranges(self) -> tuple:
        """(min, max) per column, float32 (the values themselves; weights do not enter)."""
        self._check()
        return self._low.copy(), self._high.copy()
