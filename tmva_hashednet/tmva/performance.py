"""TMVA's classifier performance numbers, computed with numpy.

The algorithms follow TMVA (docs/tmva_file_layout.md §2): the exact weighted
ROC integral of ROCCurve, ComputeStat and the response-histogram range of
MethodBase::TestClassification, the 10000-bin cumulative efficiencies, the
100-bin effBvsS curve and the 1000-step scan for the signal efficiency at a
given background efficiency. Nothing here touches ROOT.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ResponseStats", "response_stats", "roc", "efficiency_histogram", "eff_b_vs_s", "efficiency_at",
           "efficiency_area"]

N_HIGH = 10000  # NBIN_HIST_HIGH
N_ROC_BINS = 100  # fNbinsXOfROCCurve


@dataclass
class ResponseStats:
    mean_s: float
    mean_b: float
    rms_s: float
    rms_b: float
    xmin: float  # fXmin
    xmax: float  # fXmax
    positive: bool  # cut orientation: signal at high response


def _mean_rms(values, weights):
    total = weights.sum()
    mean = float(np.sum(weights * values) / total)
    return mean, float(np.sqrt(abs(np.sum(weights * values * values) / total - mean * mean)))


def response_stats(values, weights, is_signal) -> ResponseStats:
    """Tools::ComputeStat and the range of the MVA_T_S/_B histograms."""
    values = np.asarray(values, np.float64)
    mean_s, rms_s = _mean_rms(values[is_signal], weights[is_signal])
    mean_b, rms_b = _mean_rms(values[~is_signal], weights[~is_signal])
    xmin = max(min(mean_s - 10 * rms_s, mean_b - 10 * rms_b), float(values.min()))
    xmax = min(max(mean_s + 10 * rms_s, mean_b + 10 * rms_b), float(values.max()))
    return ResponseStats(mean_s, mean_b, rms_s, rms_b, xmin, xmax, mean_s > mean_b)


def roc(values, weights, is_signal) -> tuple:
    """(sensitivity, specificity, integral) as TMVA's ROCCurve (every event a threshold)."""
    order = np.argsort(np.asarray(values, np.float64), kind="stable")
    w, s = np.asarray(weights, np.float64)[order], np.asarray(is_signal, bool)[order]
    tp = np.cumsum((w * s)[::-1])[::-1]
    tn = np.cumsum(w * ~s)
    total_s, total_b = tp[0], tn[-1]
    sens = np.r_[1.0, tp / total_s if total_s > np.finfo(float).tiny else np.zeros_like(tp), 0.0]
    spec = np.r_[0.0, tn / total_b if total_b > np.finfo(float).tiny else np.zeros_like(tn), 1.0]
    integral = float(np.sum(0.5 * (sens[:-1] - sens[1:]) * (spec[:-1] + spec[1:])))
    return sens, spec, integral


def efficiency_histogram(values, weights, xmin: float, xmax: float, positive: bool) -> np.ndarray:
    """Contents of MVA_T_effS/_effB: 10000 bins over [xmin, xmax], cumulative, max scaled to 1."""
    values, weights = np.asarray(values, np.float64), np.asarray(weights, np.float64)
    maxbin = ((values - xmin) / (xmax - xmin) * N_HIGH).astype(np.int64) + 1
    counts = np.zeros(N_HIGH + 2)
    if positive:  # event counts in bins 1..maxbin
        keep = maxbin <= N_HIGH
        np.add.at(counts, np.maximum(maxbin[keep], 1), weights[keep])
        contents = np.cumsum(counts[::-1])[::-1][1:N_HIGH + 1]
    else:  # event counts in bins maxbin+1..N
        keep = maxbin >= 1
        np.add.at(counts, np.minimum(maxbin[keep], N_HIGH) + 1, weights[keep])
        contents = np.cumsum(counts)[1:N_HIGH + 1]
    return contents / max(np.finfo(float).eps, contents.max())


def _bisect(function, lo: float, hi: float, targets: np.ndarray) -> np.ndarray:
    lo_v, hi_v = np.full_like(targets, lo), np.full_like(targets, hi)
    rising = function(np.array([hi]))[0] >= function(np.array([lo]))[0]
    for _ in range(100):
        mid = 0.5 * (lo_v + hi_v)
        above = function(mid) >= targets
        move_hi = above if rising else ~above
        hi_v, lo_v = np.where(move_hi, mid, hi_v), np.where(move_hi, lo_v, mid)
    return 0.5 * (lo_v + hi_v)


def eff_b_vs_s(eff_s, eff_b, xmin: float, xmax: float, positive: bool) -> np.ndarray:
    """Background efficiency at the 100 signal-efficiency bin centres (MVA_T_effBvsS)."""
    edges_max = xmax + 1e-5
    centres = xmin + (np.arange(N_HIGH) + 0.5) * (edges_max - xmin) / N_HIGH

    def signal_efficiency(cut):
        value = np.interp(cut, centres, eff_s)
        near_min, near_max = np.abs(cut - xmin) < 1e-5, np.abs(cut - xmax) < 1e-5
        value = np.where(near_min, 1.0 if positive else 0.0, value)
        return np.where(near_max, 0.0 if positive else 1.0, value)

    targets = (np.arange(N_ROC_BINS) + 0.5) / N_ROC_BINS
    cuts = _bisect(signal_efficiency, xmin, xmax, targets)
    return np.interp(cuts, centres, eff_b)


def _spline(curve: np.ndarray):
    centres = (np.arange(N_ROC_BINS) + 0.5) / N_ROC_BINS
    return lambda x: np.interp(x, centres, curve)


def efficiency_at(curve: np.ndarray, background_efficiency: float) -> float:
    """Signal efficiency where effBvsS crosses the given background efficiency (1000-step scan)."""
    spline = _spline(curve)
    eff_s_prev, eff_b_prev = 0.0, 0.0
    for k in range(1, 1001):
        eff_s = (k - 0.5) / 1000
        eff_b = float(spline(eff_s))
        if (eff_b - background_efficiency) * (eff_b_prev - background_efficiency) <= 0:
            break
        eff_s_prev, eff_b_prev = eff_s, eff_b
    return 0.5 * (eff_s + eff_s_prev)


def efficiency_area(curve: np.ndarray) -> float:
    """GetEfficiency(""): the mean background rejection over 1000 signal efficiencies."""
    points = (np.arange(1, 1001) - 0.5) / 1000
    return float(np.mean(1.0 - _spline(curve)(points)))
