"""TMVA's MVA PDFs (the ``CreateMVAPdfs`` option) for the compatible workflow, in numpy.

What it is: ``MethodBase::CreateMVAPdfs`` and the default path of ``TMVA::PDF``
(docs/tmva_file_layout.md §8): per class, the training responses in a histogram
of ``N/50`` bins over [min, max] of all training responses (``<Type>_tr_S/_B``,
unit area), no smoothing, TMVA's quadratic ``TSpline2`` through the bin
centres (in float arithmetic, as TMVA) sampled into a 10000-bin float histogram
of unit integral; ``PDF::GetVal`` (linear between bin centres),
``PDF::GetIntegral`` (the rarity), ``MethodBase::GetProba`` and the separation
that ``CreateMVAPdfs`` prints.
What it is not: TMVA's other PDF settings (``NSmoothMVAPdf``, ``NbinsMVAPdf``,
``PDFInterpolMVAPdf=KDE``, ...): the compatible workflow refuses those options,
and a weight file whose ``<PDF>`` uses them is refused when it is read. Nothing
here touches ROOT or the XML.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Histogram", "MvaPdf", "create_mva_pdfs", "proba", "histogram_separation", "find_bin", "fill",
           "norm_hist", "N_PDF_BINS", "SPLINE2"]

N_PDF_BINS = 10000  # PDF::fgNbin_PdfHist: bins of the sampled PDF
EPSILON = 1.0e-12  # PDF::fgEpsilon: the smallest PDF value
AVERAGE_EVENTS_PER_BIN = 50  # PDF option NAvEvtPerBin: training events per bin of <Type>_tr_S/_B
SPLINE2 = 2  # PDF::kSpline2, the default PDFInterpol of MVA PDFs
KDE_GAUSS, KDE_NONADAPTIVE, KDE_NO_BORDER = 1, 1, 1  # KDEKernel enums as the default PDF options set them
FINE_FACTOR = 1.0  # PDF option KDEFineFactor


# ---------------------------------------------------------------------- fixed-bin axis (TAxis)
def _width(nbins: int, xmin: float, xmax: float) -> float:
    return (xmax - xmin) / float(nbins)


def find_bin(x, nbins: int, xmin: float, xmax: float) -> np.ndarray:
    """TAxis::FindBin of fixed bins: 0 below xmin, nbins + 1 at or above xmax (and for NaN); inside, the
    bin whose edges (xmin + (k - 1) width, as GetBinLowEdge) hold x, as ROOT 6.40 corrects the rounding."""
    x = np.asarray(x, np.float64)
    inside = (x >= xmin) & (x < xmax)
    safe = np.where(inside, x, xmin)
    bins = 1 + (nbins * (safe - xmin) / (xmax - xmin)).astype(np.int64)
    bins = np.where(safe < _low_edge(bins, nbins, xmin, xmax), bins - 1, bins)
    bins = np.clip(np.where(safe >= _low_edge(bins + 1, nbins, xmin, xmax), bins + 1, bins), 1, nbins)
    return np.where(inside, bins, np.where(x < xmin, 0, nbins + 1))


def bin_centre(bins, nbins: int, xmin: float, xmax: float) -> np.ndarray:
    """TAxis::GetBinCenter of fixed bins (ROOT 6.40: xmin + (bin - 0.5) width)."""
    return xmin + (np.asarray(bins, np.float64) - 0.5) * _width(nbins, xmin, xmax)


def _low_edge(bins, nbins: int, xmin: float, xmax: float) -> np.ndarray:
    return xmin + (np.asarray(bins, np.float64) - 1) * _width(nbins, xmin, xmax)


def _ordered_sum(values) -> float:
    """A sum in index order, as ROOT's loops add (TH1::GetSumOfWeights)."""
    values = np.asarray(values, np.float64)
    return float(np.cumsum(values)[-1]) if values.size else 0.0


# ---------------------------------------------------------------------- TH1D filling and Tools::NormHist
def fill(values, weights, nbins: int, xmin: float, xmax: float) -> tuple:
    """TH1D::Fill event by event: (contents, sums of squared weights), cells 0 (underflow) .. nbins + 1."""
    cells = find_bin(values, nbins, xmin, xmax)
    weights = np.asarray(weights, np.float64)
    contents, sumw2 = np.zeros(nbins + 2), np.zeros(nbins + 2)
    np.add.at(contents, cells, weights)
    np.add.at(sumw2, cells, weights * weights)
    return contents, sumw2


def norm_hist(contents, sumw2, xmin: float, xmax: float) -> tuple:
    """Tools::NormHist: TH1::Scale(1/w) with w = sum of weights (no under/overflow) times the bin width."""
    nbins = len(contents) - 2
    total = _ordered_sum(contents[1:-1])
    if total == 0:
        return contents, sumw2
    w = total * (xmax - xmin) / nbins
    if w <= 0:
        return contents, sumw2
    scale = 1.0 / w
    return scale * contents, sumw2 * (scale * scale)


@dataclass
class Histogram:
    """A fixed-bin histogram: ``contents`` of bins 1..n (float64 holding the stored values)."""

    name: str
    contents: np.ndarray
    xmin: float
    xmax: float

    @property
    def nbins(self) -> int:
        return len(self.contents)


# ---------------------------------------------------------------------- TMVA::TSpline2
def _quadrax(dm, dm1, dm2, dm3, cos1, cos2, cos3) -> np.ndarray:
    """TSpline2::Quadrax: the parabola through three points at dm, every step in float as TMVA computes it."""
    f = np.float32
    dm, dm1, dm2, dm3, cos1, cos2, cos3 = (np.asarray(v, f) for v in (dm, dm1, dm2, dm3, cos1, cos2, cos3))
    a = cos1 * (dm2 - dm3) + cos2 * (dm3 - dm1) + cos3 * (dm1 - dm2)
    b = cos1 * (dm2 * dm2 - dm3 * dm3) + cos2 * (dm3 * dm3 - dm1 * dm1) + cos3 * (dm1 * dm1 - dm2 * dm2)
    c = cos1 * (dm2 - dm3) * dm2 * dm3 + cos2 * (dm3 - dm1) * dm3 * dm1 + cos3 * (dm1 - dm2) * dm1 * dm2
    denom = (dm2 - dm3) * (dm3 - dm1) * (dm1 - dm2)
    safe = np.where(denom != 0, denom, f(1))
    return np.where(denom != 0, (-a * dm * dm + b * dm - c) / safe, f(0)).astype(np.float64)


def spline2(x, gx, gy) -> np.ndarray:
    """TSpline2::Eval of the graph (gx ascending, gy): one parabola at the ends, the mean of two inside."""
    x, gx, gy = np.asarray(x, np.float64), np.asarray(gx, np.float64), np.asarray(gy, np.float64)
    n = len(gx)
    i = np.clip(np.searchsorted(gx, x, side="right") - 1, 0, n - 1)  # largest i with gx[i] <= x
    if n < 3:  # TMVA warns and returns the value of the closest point
        return gy[i]

    def parabola(first):
        return _quadrax(x, gx[first], gx[first + 1], gx[first + 2], gy[first], gy[first + 1], gy[first + 2])

    inner = np.clip(i, 1, n - 3)
    middle = (parabola(inner - 1) + parabola(inner)) * 0.5
    return np.where(i == 0, parabola(np.zeros_like(i)), np.where(i >= n - 2, parabola(np.full_like(i, n - 3)),
                                                                 middle))


# ---------------------------------------------------------------------- TMVA::PDF
@dataclass
class MvaPdf:
    """A TMVA::PDF built as the default MVA PDF: Spline2, no smoothing, normalised.

    ``original`` is the histogram the PDF is built from (``<Type>_tr_S_original``),
    ``raw`` the float PDF histogram before normalisation and ``scale`` the factor
    1/integral that normalises it (``fPDFHist->Scale``); ``contents`` is the result.
    """

    name: str
    original: Histogram
    raw: np.ndarray
    scale: float
    contents: np.ndarray

    @classmethod
    def build(cls, name: str, original: Histogram) -> "MvaPdf":
        """PDF::BuildSplinePDF with kSpline2: FillHistToGraph, FillSplineToHist, normalise."""
        h = original
        x = bin_centre(np.arange(1, N_PDF_BINS + 1), N_PDF_BINS, h.xmin, h.xmax)
        y = spline2(x, bin_centre(np.arange(1, h.nbins + 1), h.nbins, h.xmin, h.xmax), h.contents)
        fallback = h.contents[np.clip(find_bin(x, h.nbins, h.xmin, h.xmax), 1, h.nbins) - 1]
        y = np.where(y <= EPSILON, fallback, y)
        raw = np.where(y > EPSILON, y, EPSILON).astype(np.float32)
        integral = _ordered_sum(raw) * _width(N_PDF_BINS, h.xmin, h.xmax)
        if integral < 0:
            raise ValueError(f"MVA PDF '{name}': integral {integral} < 0; the histogram '{h.name}' is damaged")
        scale = 1.0 / integral if integral > 0 else 1.0
        return cls(name, original, raw, scale, (scale * raw.astype(np.float64)).astype(np.float32))

    @property
    def xmin(self) -> float:
        return self.original.xmin

    @property
    def xmax(self) -> float:
        return self.original.xmax

    @property
    def smoothed_name(self) -> str:
        return self.original.name.replace("_original", "_smoothed")

    @property
    def hist_name(self) -> str:
        """The name of the PDF histogram (fPDFHist) that the GUI's probas macro reads."""
        return self.smoothed_name + "_hist_from_spline2"

    def integral(self) -> float:
        """PDF::GetIntegral(): sum of the PDF histogram times its bin width (1 up to float rounding)."""
        return _ordered_sum(self.contents) * _width(N_PDF_BINS, self.xmin, self.xmax)

    def value(self, x) -> np.ndarray:
        """PDF::GetVal: linear interpolation between the centres of the PDF histogram, at least 1e-12."""
        x = np.asarray(x, np.float64)
        n, lo, hi = N_PDF_BINS, self.xmin, self.xmax
        bins = np.clip(find_bin(x, n, lo, hi), 1, n)
        centre = bin_centre(bins, n, lo, hi)
        nxt = np.where(((x > centre) & (bins != n)) | (bins == 1), bins + 1, bins - 1)
        content = self.contents.astype(np.float64)
        dx, dy = centre - bin_centre(nxt, n, lo, hi), content[bins - 1] - content[nxt - 1]
        value = content[bins - 1] + (x - centre) * dy / dx
        return np.where(value > EPSILON, value, EPSILON)

    def rarity(self, x) -> np.ndarray:
        """PDF::GetIntegral(GetXmin(), x) as MethodBase::GetRarity calls it (bin sums, float bin widths)."""
        x = np.asarray(x, np.float64)
        n, lo, hi = N_PDF_BINS, self.xmin, self.xmax
        last = np.minimum(find_bin(x, n, lo, hi), n)
        widths = np.full(n, np.float32(_width(n, lo, hi)), np.float64)
        widths[0] = np.float32(_low_edge(2, n, lo, hi) - lo)  # the first bin counts whole
        content = self.contents.astype(np.float64)
        prefix = np.concatenate([[0.0], np.cumsum(content * widths)])
        tail = np.float32(x - _low_edge(np.maximum(last, 1), n, lo, hi)).astype(np.float64)
        partial = prefix[np.maximum(last - 1, 0)] + content[np.maximum(last, 1) - 1] * tail
        return np.where(last < 1, 0.0, np.where(last == 1, prefix[1], partial))


def proba(pdf_s: MvaPdf, pdf_b: MvaPdf, x, ap_sig: float = 0.5) -> np.ndarray:
    """MethodBase::GetProba: p_s ap / (p_s ap + p_b (1 - ap)), -1 where the denominator is not positive."""
    p_s, p_b = pdf_s.value(x), pdf_b.value(x)
    denom = p_s * ap_sig + p_b * (1 - ap_sig)
    return np.where(denom > 0, p_s * ap_sig / np.where(denom > 0, denom, 1.0), -1.0)


def histogram_separation(s: Histogram, b: Histogram) -> float:
    """Tools::GetSeparation(TH1*, TH1*): 0.5 * sum (s - b)^2 / (s + b) * dx of the normalised histograms."""
    step = (s.xmax - s.xmin) / s.nbins
    n_s, n_b = _ordered_sum(s.contents) * step, _ordered_sum(b.contents) * step
    if not (n_s > 0 and n_b > 0):
        return 0.0
    sv, bv = s.contents / n_s, b.contents / n_b
    total = sv + bv
    terms = np.where(total > 0, (sv - bv) ** 2 / np.where(total > 0, total, 1.0), 0.0)
    return _ordered_sum(terms) * (0.5 * step)


# ---------------------------------------------------------------------- MethodBase::CreateMVAPdfs
@dataclass
class TrainingHistogram:
    """``<Type>_tr_S`` or ``_tr_B`` after NormHist: every cell (0..n+1) and its sum of squared weights."""

    name: str
    cells: np.ndarray
    sumw2: np.ndarray
    xmin: float
    xmax: float

    def as_histogram(self, name: str) -> Histogram:
        return Histogram(name, self.cells[1:-1].copy(), self.xmin, self.xmax)


def create_mva_pdfs(type_name: str, title: str, responses, weights, is_signal) -> tuple:
    """``(pdf_s, pdf_b, tr_s, tr_b)`` from the training responses, as MethodBase::CreateMVAPdfs builds them."""
    responses = np.asarray(responses, np.float64)
    is_signal = np.asarray(is_signal, bool)
    low, high = float(responses.min()), float(responses.max())
    if not low < high:
        raise ValueError(f"CreateMVAPdfs: every training response of '{title}' is {low}; the MVA PDFs of a constant "
                         "response cannot be built (the network learnt nothing, check the inputs and options)")
    nbins = max(1, len(responses) // AVERAGE_EVENTS_PER_BIN)  # PDF::GetHistNBins; ROOT makes 0 bins one
    result = []
    for suffix, mask in (("S", is_signal), ("B", ~is_signal)):
        cells, sumw2 = norm_hist(*fill(responses[mask], np.asarray(weights)[mask], nbins, low, high), low, high)
        result.append(TrainingHistogram(f"{type_name}_tr_{suffix}", cells, sumw2, low, high))
    pdfs = [MvaPdf.build(f"{title}_PDF{kind}", tr.as_histogram(tr.name + "_original"))
            for kind, tr in zip(("Sig", "Bkg"), result)]
    return pdfs[0], pdfs[1], result[0], result[1]
