"""The one percentile definition of the tools (the bench's ``Percentiles``, the eval's latencies)."""

from __future__ import annotations

from typing import Iterable

import numpy as np


def percentile(values: Iterable[float], q: float) -> float | None:
    """The ``q``-th percentile (``q`` from 0 to 100) of ``values``; None when there are none.

    Linear interpolation between the closest ranks (numpy's default ``method="linear"``,
    Hyndman & Fan type 7): with the ``n`` values sorted as ``x[0] <= ... <= x[n-1]`` and
    ``h = (n - 1) * q / 100``, the result is ``x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)])``.
    So the 50th percentile of an even number of values is the mean of the middle two, the 0th and
    100th are the minimum and maximum, and the result need not be one of the values. Not rounded."""
    v = [float(x) for x in values]
    if not v:
        return None
    if not 0 <= q <= 100:
        raise ValueError(f"percentile q must be between 0 and 100, not {q!r}")
    return float(np.percentile(v, q))
