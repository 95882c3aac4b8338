"""TMVA's Gauss and Uniform variable transformations (VarTransform=G, U), in numpy.

What it is: TMVA's ``VariableGaussTransform`` (U is the same class with its flat
option) for the compatible workflow, step for step in TMVA's arithmetic:

- fit (``GetCumulativeDist``), per input column and per class, plus one over all
  classes when there is more than one: the events sorted by value (a stable
  sort, as ``std::list::sort``); bin edges ``v0 - 1e-4, v0``, then a new edge at
  the first value above the last edge once the float sum of weights since it
  reaches ``max(sum of weights / 2000, 10 * smallest weight)``, and the largest
  value when weight is left over; a float ``TH1F`` over those edges filled with
  the weights (a value at the last edge goes to the overflow, as ROOT's
  ``FindBin``), ``TH1::Smooth()`` once (ROOT's 353QH-twice, ``smooth_array``),
  then the cumulative sum of the positive bins over their total;
- apply (``Transform``): TMVA's ``PDF`` of that histogram with ``kSpline1``:
  a linear spline through (bin centre, cumulative) sampled into a 10000-bin float
  histogram (``pdf.N_PDF_BINS``), read by ``PDF::GetVal`` (linear between
  centres, at least 1e-12); the cumulant clipped to [1e-9, 1 - 1e-9]; U returns
  it, G returns ``1.414213562 * TMath::ErfInverse(2 c - 1)`` with the argument
  clipped to +-0.99999999 (``erf_inverse``: ROOT's secant iteration);
- inverse (``InverseTransform``, for U's regression targets): ``PDF::GetValInverse``.

As TMVA's Reader, the all-classes distribution (the last) is applied. G acts on
the variables, U on the variables and, in a regression, the targets (TMVA's
``_V_`` and ``_V_,_T_``). The bin edges are kept as the weight file keeps them
(``%.8e`` read back as a double: ``Tools::StringFromDouble``), so training, the
Reader and TMVA reading the same file apply the same transformation; the
contents are floats, which that format keeps exactly.

What it is not: TMVA's MakeClass code for it (``standalone_transform.py`` writes
C++ that computes what ``apply`` computes), the XML (``transforms_xml.py``), or
the old text format of TMVA before 4.0 (``OldCumulant``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .pdf import EPSILON, N_PDF_BINS, bin_centre, find_bin

__all__ = ["GaussTransform", "CumulativePdf", "smooth_array", "erf_inverse", "tmva_bin_edges"]

MAX_BINS = 2000  # GetCumulativeDist: nbinsmax
MIN_EVENTS_PER_BIN = 10  # nevmin: a bin holds at least 10 times the smallest weight
FIRST_EDGE_OFFSET = np.float32(1.0e-4)  # eps: the first bin is [v0 - 1e-4, v0)
CUMULANT_LIMIT = 10e-10  # Transform: the cumulant is kept in [1e-9, 1 - 1e-9]
ERF_ARGUMENT_LIMIT = 0.99999999  # maxErfInvArgRange
SQRT2 = 1.414213562  # TMVA's sqrt(2), as written in Transform


def _float32_sum(weights: np.ndarray) -> np.float32:
    """A float sum in event order (TMVA's Float_t accumulators)."""
    return np.cumsum(np.asarray(weights, np.float32), dtype=np.float32)[-1] if len(weights) else np.float32(0)


def tmva_bin_edges(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The float bin edges of one column and class (values in event order; GetCumulativeDist)."""
    order = np.argsort(values, kind="stable")
    v, w = np.asarray(values, np.float32)[order], np.asarray(weights, np.float32)[order]
    per_bin = np.float32(_float32_sum(weights) / np.float32(MAX_BINS))  # the sum in event order, as TMVA adds
    per_bin = max(np.float32(np.min(w)) * np.float32(MIN_EVENTS_PER_BIN), per_bin)
    edges, last, start, n = [v[0] - FIRST_EDGE_OFFSET, v[0]], v[0], 0, len(v)
    window = 64
    left_over = np.float32(0)
    while start < n:
        stop = min(n, start + window)
        sums = np.cumsum(w[start:stop], dtype=np.float32)  # the float sum since the last edge, as TMVA adds
        hits = np.flatnonzero((sums >= per_bin) & (v[start:stop] > last))
        if hits.size:
            k = start + int(hits[0])
            edges.append(v[k])
            last, start, left_over, window = v[k], k + 1, np.float32(0), 64
        elif stop == n:
            left_over = sums[-1]
            break
        else:
            window *= 2  # the edge lies further on: sum again from the same start over a longer run
    if left_over != 0:
        edges.append(v[-1])
    return np.array(edges, np.float32)


def _fill(values: np.ndarray, weights: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """TH1F::Fill over variable bins: float contents of cells 0 (underflow) .. n + 1 (overflow)."""
    cells = _fill_cells(np.asarray(values, np.float32).astype(np.float64), edges.astype(np.float64))
    contents = np.zeros(len(edges) + 1, np.float32)
    np.add.at(contents, cells, np.asarray(weights, np.float32))  # in event order, in float
    return contents


def smooth_array(xx: np.ndarray) -> np.ndarray:
    """TH1::SmoothArray(n, xx, 1): ROOT's 353QH twice (running medians 3, 5, 3, quadratic interpolation of
    flat runs, hanning), then the residuals smoothed and added back; negative results set to 0 unless xx
    has a negative value. Fewer than 3 values are returned unchanged (ROOT's Smooth refuses them)."""
    xx = np.asarray(xx, np.float64)
    nn = len(xx)
    if nn < 3:
        return xx.copy()
    zz, rr = xx.copy(), None
    for noent in range(2):
        zz = _medians_353(zz)
        yy = _interpolate_flat_runs(zz)
        zz = np.concatenate([yy[:1], 0.25 * yy[:-2] + 0.5 * yy[1:-1] + 0.25 * yy[2:], yy[-1:]])
        if noent == 0:
            rr, zz = zz, xx - zz
    total = rr + zz
    return total if xx.min() < 0 else np.maximum(total, 0.0)


def _medians_353(zz: np.ndarray) -> np.ndarray:
    nn = len(zz)
    for kk, width in enumerate((3, 5, 3)):
        yy = zz.copy()
        half = width // 2
        if nn > 2 * half:
            windows = np.lib.stride_tricks.sliding_window_view(yy, width)
            zz[half : nn - half] = np.median(windows, axis=1)
        if kk == 0:  # the ends, after the first median of 3
            zz[0] = np.median([zz[1], zz[0], 3 * zz[1] - 2 * zz[2]])
            zz[nn - 1] = np.median([zz[nn - 2], zz[nn - 1], 3 * zz[nn - 2] - 2 * zz[nn - 3]])
        else:  # the second and the last but one point of the median of 5
            zz[1] = np.median(yy[:3])
            zz[nn - 2] = np.median(yy[nn - 3 :])
    return zz


def _interpolate_flat_runs(zz: np.ndarray) -> np.ndarray:
    """SmoothArray's quadratic interpolation where three equal values sit between a rise and a fall."""
    yy = zz.copy()
    for ii in range(2, len(zz) - 2):
        if zz[ii - 1] != zz[ii] or zz[ii] != zz[ii + 1]:
            continue
        low, high = zz[ii - 2] - zz[ii], zz[ii + 2] - zz[ii]
        if low * high <= 0:
            continue
        jk = -1 if abs(high) > abs(low) else 1
        yy[ii] = -0.5 * zz[ii - 2 * jk] + zz[ii] / 0.75 + zz[ii + 2 * jk] / 6.0
        yy[ii + jk] = 0.5 * (zz[ii + 2 * jk] - zz[ii - 2 * jk]) + zz[ii]
    return yy


def _cumulative(contents: np.ndarray, what: str) -> np.ndarray:
    """The float cumulative distribution of bins 1..n (GetCumulativeDist's last loop, after Smooth)."""
    smoothed = smooth_array(contents[1:-1].astype(np.float64)).astype(np.float32).astype(np.float64)
    positive = np.where(smoothed > 0, smoothed, 0.0)
    total = float(np.cumsum(positive)[-1])
    if not total > 0:
        raise ValueError(f"{what}: no training weight lies below the largest value, so its cumulative distribution "
                         "is undefined (TMVA's would be NaN); a variable that is constant (or takes one value "
                         "but for events at its maximum) cannot be Gauss/Uniform transformed; remove it or "
                         "use another VarTransform (N, D, P)")
    return (np.cumsum(positive) / total).astype(np.float32)


# ---------------------------------------------------------------------- TMVA::PDF (kSpline1) of a cumulant
def _variable_bin_centres(edges: np.ndarray) -> np.ndarray:
    return edges[:-1] + 0.5 * (edges[1:] - edges[:-1])


def _spline1(x: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """TMVA::TSpline1::Eval: linear between the graph's points (the two nearest ones outside them)."""
    n = len(gx)
    first = np.searchsorted(gx, x, side="left")
    ibin = np.where((first < n) & (gx[np.minimum(first, n - 1)] == x), first, first - 1)
    ibin = np.clip(ibin, 0, n - 1)
    nxt = np.where(((x > gx[ibin]) & (ibin != n - 1)) | (ibin == 0), ibin + 1, ibin - 1)
    with np.errstate(divide="ignore", invalid="ignore"):  # two points at one x: TMVA divides by zero too
        return gy[ibin] + (x - gx[ibin]) * (gy[ibin] - gy[nxt]) / (gx[ibin] - gx[nxt])


@dataclass
class CumulativePdf:
    """One column's cumulative distribution for one class: ``edges`` (n + 1, float64, as the weight file
    keeps them) and ``contents`` (n, float32); ``sampled`` is the 10000-bin float PDF histogram."""

    edges: np.ndarray
    contents: np.ndarray
    _sampled: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def xmin(self) -> float:
        return float(self.edges[0])

    @property
    def xmax(self) -> float:
        return float(self.edges[-1])

    @property
    def sampled(self) -> np.ndarray:
        """PDF::FillSplineToHist: the spline at the centres of 10000 bins over [xmin, xmax], as floats."""
        if self._sampled is None:
            x = bin_centre(np.arange(1, N_PDF_BINS + 1), N_PDF_BINS, self.xmin, self.xmax)
            gy = self.contents.astype(np.float64)
            y = _spline1(x, _variable_bin_centres(self.edges), gy)
            cells = _fill_cells(x, self.edges)
            fallback = np.concatenate([[0.0], gy, [0.0]])[cells]  # the histogram's bin where the spline is ~0
            y = np.where(y <= EPSILON, fallback, y)
            self._sampled = np.where(y > EPSILON, y, EPSILON).astype(np.float32)
        return self._sampled

    def value(self, x: np.ndarray) -> np.ndarray:
        """PDF::GetVal(x) (see ``pdf_values``)."""
        x = np.asarray(x, np.float64)
        return pdf_values(self.sampled[None, :].astype(np.float64), np.array([self.xmin]), np.array([self.xmax]),
                          x.reshape(-1, 1)).reshape(x.shape)  # fmt: skip

    def inverse(self, y: np.ndarray) -> np.ndarray:
        """PDF::GetValInverse(y, monotonous): bisection over the sampled bins, then linear between the two
        centres found (TMVA's fraction starts as the lower value when the two values are equal)."""
        n, content = N_PDF_BINS, np.concatenate([[0.0], self.sampled.astype(np.float64)])
        lower, higher = np.zeros(len(y), np.int64), np.full(len(y), n)
        low_value, high_value = np.zeros(len(y)), np.zeros(len(y))
        b = np.full(len(y), n // 2)
        active = ~np.isnan(y)
        while active.any():
            c = content[np.where(active, b, 0)]
            up, down = active & (y < c), active & (y >= c)
            higher, high_value = np.where(up, b, higher), np.where(up, c, high_value)
            lower, low_value = np.where(down, b, lower), np.where(down, c, low_value)
            b = lower + (higher - lower) // 2
            active &= (b > lower) & (b < higher)
        length = high_value - low_value
        fraction = np.where(length > 1.0e-10, (y - low_value) / np.where(length > 1.0e-10, length, 1.0), low_value)
        x_low, x_high = bin_centre(lower, n, self.xmin, self.xmax), bin_centre(higher, n, self.xmin, self.xmax)
        return np.where(np.isnan(y), np.nan, x_low + (x_high - x_low) * fraction)


def pdf_values(table: np.ndarray, lo: np.ndarray, hi: np.ndarray, x: np.ndarray) -> np.ndarray:
    """PDF::GetVal of k PDFs at once: x (n, k); table (k, 10000) the sampled histograms (as double), lo and
    hi (k,) their ranges. Linear between the centres of the sampled bins (the first or last two outside),
    at least 1e-12."""
    n, k = N_PDF_BINS, np.arange(table.shape[0])
    bins = np.clip(find_bin(x, n, lo, hi), 1, n)
    centre = bin_centre(bins, n, lo, hi)
    nxt = np.where(((x > centre) & (bins != n)) | (bins == 1), bins + 1, bins - 1)
    here, there = table[k, bins - 1], table[k, nxt - 1]
    value = here + (x - centre) * (here - there) / (centre - bin_centre(nxt, n, lo, hi))
    return np.where(value > EPSILON, value, EPSILON)


def _fill_cells(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """TAxis::FindBin over variable edges (float64): 0 below, n + 1 at or above the last edge; inside,
    1 + TMath::BinarySearch (the first edge equal to x, else the last one below it)."""
    n = len(edges) - 1
    first = np.searchsorted(edges, x, side="left")
    index = np.where((first <= n) & (edges[np.minimum(first, n)] == x), first, first - 1)
    return np.where(x < edges[0], 0, np.where(x >= edges[-1], n + 1, 1 + index))


def _erf_inverse_one(x: float) -> float:
    """TMath::ErfInverse of one value, line for line (ROOT's erf replaced by the C library's)."""
    k, ax = 0.8862269254527579, abs(x)  # sqrt(pi)/2
    if ax <= 1e-14:
        return k * x
    if not ax < 1.0:
        return 0.0
    erfi = k * ax
    y0, derfi = math.erf(0.9 * erfi), 0.1 * erfi
    for _ in range(50):
        y1 = 1.0 - math.erfc(erfi)
        dy1 = ax - y1
        if abs(dy1) < 1e-14:
            return -erfi if x < 0 else erfi
        if y1 == y0:  # ROOT divides by zero here and never converges: it returns 0
            return 0.0
        derfi *= dy1 / (y1 - y0)
        y0 = y1
        erfi += derfi
        if abs(derfi / erfi) < 1e-14:
            return -erfi if x < 0 else erfi
    return 0.0  # did not converge


def erf_inverse(x: np.ndarray) -> np.ndarray:
    """TMath::ErfInverse elementwise: secant iterations on erf from sqrt(pi)/2 |x| (at most 50, to 1e-14);
    0 where they do not converge or |x| >= 1, as ROOT returns."""
    x = np.asarray(x, np.float64)
    return np.fromiter(map(_erf_inverse_one, x.ravel().tolist()), np.float64, x.size).reshape(x.shape)


@dataclass
class GaussTransform:
    """inputs: (Type, Label, Expression) per transformed column; flat: True for U; pdfs[column][class]
    the CumulativePdf of each column per class index (the last over all classes)."""

    inputs: list
    flat: bool
    pdfs: list

    @property
    def name(self) -> str:
        """VariableTransformBase's name (its short name in the InputVariables_* folders)."""
        return "Uniform" if self.flat else "Gauss"

    @classmethod
    def fit(cls, values: np.ndarray, class_id: np.ndarray, n_classes: int, inputs: list, weights=None,
            flat: bool = False, class_names=None) -> "GaussTransform":
        letter = "U" if flat else "G"
        names = list(class_names or [str(c) for c in range(n_classes)])
        x = np.asarray(values, np.float32)[:, : len(inputs)]
        w = np.ones(len(x), np.float32) if weights is None else np.asarray(weights, np.float32)
        class_id = np.asarray(class_id)
        groups = [class_id == c for c in range(n_classes)] if n_classes > 1 else []
        groups.append(np.ones(len(x), bool))
        if not np.all(np.isfinite(x)):
            raise ValueError(f"VarTransform={letter}: the training inputs hold a value that is not finite")
        pdfs = []
        for j, (_, label, _) in enumerate(inputs):
            where = [f"class '{names[c]}'" for c in range(len(groups) - 1)] + ["all classes"]
            pdfs.append([_fit_one(x[rows, j], w[rows], f"VarTransform={letter}: '{label}' in {where[c]}")
                         for c, rows in enumerate(groups)])  # fmt: skip
        return cls(list(inputs), flat, pdfs)

    def _columns(self, columns: slice) -> range | None:
        start, stop = columns.start or 0, columns.stop
        if start >= len(self.inputs):
            return None
        if stop is None or stop > len(self.inputs):
            raise AssertionError(f"{self.name} applied to columns {start}:{stop} of its {len(self.inputs)} inputs")
        return range(start, stop)

    def apply(self, values: np.ndarray, columns: slice = slice(None)) -> np.ndarray:
        values = np.asarray(values, np.float32)
        selected = self._columns(slice(columns.start, columns.stop if columns.stop is not None else len(self.inputs)))
        if selected is None:
            return values
        table, lo, hi = self._table(selected)
        cumulant = pdf_values(table, lo, hi, values.astype(np.float64))  # every column at once
        cumulant = np.maximum(np.minimum(cumulant, 1.0 - CUMULANT_LIMIT), 0.0 + CUMULANT_LIMIT)
        if self.flat:
            return np.ascontiguousarray(cumulant, dtype=np.float32)
        argument = np.maximum(np.minimum(2.0 * cumulant - 1.0, ERF_ARGUMENT_LIMIT), -ERF_ARGUMENT_LIMIT)
        return np.ascontiguousarray(SQRT2 * erf_inverse(argument), dtype=np.float32)

    def _table(self, selected: range) -> tuple:
        """The applied (all-classes) PDFs of `selected` columns as pdf_values takes them, made once."""
        cache = self.__dict__.setdefault("_tables", {})
        key = (selected.start, selected.stop)
        if key not in cache:
            pdfs = [self.pdfs[j][-1] for j in selected]
            cache[key] = (np.stack([p.sampled for p in pdfs]).astype(np.float64), np.array([p.xmin for p in pdfs]),
                          np.array([p.xmax for p in pdfs]))  # fmt: skip
        return cache[key]

    def inverse(self, values: np.ndarray, columns: slice) -> np.ndarray:
        """U's InverseTransform of target columns (G takes no targets: other columns come back unchanged)."""
        selected = self._columns(columns)
        if selected is None:
            return values
        if not self.flat:
            raise AssertionError("the Gauss transformation takes the variables only, it has no inverse to apply")
        values = np.asarray(values, np.float32)
        out = np.empty_like(values)
        for k, j in enumerate(selected):
            out[:, k] = self.pdfs[j][-1].inverse(values[:, k].astype(np.float64))
        return out


def _fit_one(values: np.ndarray, weights: np.ndarray, what: str) -> CumulativePdf:
    if len(values) == 0:
        raise ValueError(f"{what}: no training events")
    edges = tmva_bin_edges(values, weights)
    contents = _cumulative(_fill(values, weights, edges), what)
    kept = np.array([float(f"{float(e):.8e}") for e in edges])  # Tools::StringFromDouble, read back
    return CumulativePdf(kept, contents)
