"""Classifier evaluation: ROC curve, ROC integral, efficiencies, separation.

Everything takes per-event responses, truth (1 = signal, 0 = background) and
optional event weights, and is exact (no binning) unless it says otherwise.
It computes; it does not plot (see ``tmva_hashednet.plotting``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["roc_curve", "roc_auc", "background_efficiency_at", "separation"]


def _inputs(truth, response, weights):
    truth = np.asarray(truth).reshape(-1)
    response = np.asarray(response, dtype=np.float64).reshape(-1)
    if truth.shape != response.shape:
        raise ValueError(f"truth has {truth.size} events but response has {response.size}")
    if not np.isin(truth, (0, 1)).all():
        raise ValueError("truth must be 1 (signal) or 0 (background) for every event")
    if not np.isfinite(response).all():
        raise ValueError("response holds NaN or inf")
    w = np.ones_like(response) if weights is None else np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.shape != response.shape:
        raise ValueError(f"weights has {w.size} entries but response has {response.size}")
    is_signal = truth.astype(bool)
    if w[is_signal].sum() <= 0 or w[~is_signal].sum() <= 0:
        raise ValueError("both signal and background need a positive total weight")
    return is_signal, response, w


def roc_curve(truth, response, weights=None):
    """(background efficiency, signal efficiency) for every threshold, from
    (0, 0) to (1, 1); an event passes when its response is >= the threshold."""
    is_signal, response, w = _inputs(truth, response, weights)
    order = np.argsort(-response, kind="stable")
    r, s, wt = response[order], is_signal[order], w[order]
    last_of_tie = np.r_[np.diff(r) != 0, True]
    eff_s = np.cumsum(np.where(s, wt, 0.0))[last_of_tie] / wt[s].sum()
    eff_b = np.cumsum(np.where(~s, wt, 0.0))[last_of_tie] / wt[~s].sum()
    return np.r_[0.0, eff_b], np.r_[0.0, eff_s]


def roc_auc(truth, response, weights=None) -> float:
    """Area under the signal efficiency vs background efficiency curve
    (= TMVA's ROC integral, 1 - integral of the rejection curve); ties count half."""
    eff_b, eff_s = roc_curve(truth, response, weights)
    return float(np.sum(np.diff(eff_b) * (eff_s[1:] + eff_s[:-1]) / 2.0))


def background_efficiency_at(truth, response, signal_efficiency, weights=None) -> float:
    """Background efficiency where the signal efficiency reaches the given value
    (linear interpolation on the ROC curve), as in TMVA's evaluation table."""
    if not 0.0 < signal_efficiency <= 1.0:
        raise ValueError(f"signal_efficiency must be in (0, 1], got {signal_efficiency}")
    eff_b, eff_s = roc_curve(truth, response, weights)
    return float(np.interp(signal_efficiency, eff_s, eff_b))


def separation(truth, response, weights=None, bins: int = 100) -> float:
    """TMVA's separation <S^2> = 1/2 sum (s_i - b_i)^2 / (s_i + b_i) of the
    normalised response histograms (binned over the response range)."""
    is_signal, response, w = _inputs(truth, response, weights)
    edges = np.linspace(response.min(), response.max() + 1e-12, bins + 1)
    s, _ = np.histogram(response[is_signal], edges, weights=w[is_signal])
    b, _ = np.histogram(response[~is_signal], edges, weights=w[~is_signal])
    s, b = s / s.sum(), b / b.sum()
    total = s + b
    mask = total > 0
    return float(0.5 * np.sum((s[mask] - b[mask]) ** 2 / total[mask]))
