"""Short-term load forecast: a least-squares linear trend over the recent points (numpy).

Good enough for ramps and flash crowds' rising edge, which is what lets the loop scale before the
threshold is crossed; the reactive rule stays as the fallback when there are too few points.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MIN_POINTS = 4


def linear_forecast(points: Sequence[tuple[float, float]], horizon_s: float) -> float | None:
    """Value expected ``horizon_s`` after the last point; None with too few points."""
    if len(points) < MIN_POINTS:
        return None
    t = np.array([p[0] for p in points], dtype=float)
    y = np.array([p[1] for p in points], dtype=float)
    if np.ptp(t) == 0:
        return None
    slope, intercept = np.polyfit(t - t[-1], y, 1)
    return float(intercept + slope * horizon_s)
