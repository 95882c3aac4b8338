"""The standalone class (MakeClass) of the compatible workflow with its VarTransform chain inside.

What it is: the network's standalone class (``HashedNetwork.standalone_class``,
the core's generator) with the chain of ``transforms.py`` applied to the raw
inputs first, in the arithmetic of the Python side (float inputs; Normalize in
float, Decorrelation and PCA summed in double in TMVA's order, Gauss and Uniform
as ``transform_gauss`` computes them (the 10000-bin PDF sampled once from the
cumulative histogram, TMath::ErfInverse's iteration on std::erf/erfc), each
result rounded to float), so the class gives the Reader's responses. A chain that is a
single Normalize is folded into the network's own input transform (x - offset)
* scale, as before the chain existed, so that class stays unchanged.

What it is not: TMVA's MakeClass frame (``IClassifierReader``, ``Transform_N``
functions); the class keeps the core generator's interface.
"""

from __future__ import annotations

import re

import numpy as np

from .pdf import EPSILON, N_PDF_BINS
from .transform import NormalizeTransform
from .transform_gauss import CUMULANT_LIMIT, ERF_ARGUMENT_LIMIT, SQRT2, GaussTransform
from .transforms import DecorrelateTransform, PCATransform

__all__ = ["standalone_class_with_transform"]


def _float_literal(value: float) -> str:
    text = f"{value:.9g}"
    return (text if any(c in text for c in ".e") else text + ".0") + "f"  # "1f" is no C++ literal, "1.0f" is


def _floats(values) -> str:
    return ", ".join(_float_literal(float(v)) for v in np.asarray(values, np.float32).ravel())


def _doubles(values) -> str:
    return ", ".join(f"{float(v):.17g}" for v in np.asarray(values, np.float64).ravel())


def _normalize_code(step: NormalizeTransform, n: int, k: int) -> str:
    low, scale = step.offset_scale(slice(0, n))
    return (f"   static const float low{k}[{n}] = {{{_floats(low)}}};\n"
            f"   static const float scale{k}[{n}] = {{{_floats(scale)}}};\n"
            f"   for (int j = 0; j < {n}; ++j)\n"
            f"      v[j] = (static_cast<float>(v[j]) - low{k}[j]) * scale{k}[j] * 2.0f - 1.0f;\n")


def _linear_code(matrix: np.ndarray, mean, n: int, k: int) -> str:
    """v'[i] = float(sum_j (float(v[j]) - mean[j]) * matrix[i][j]), summed in j order."""
    centre = f" - mean{k}[j]" if mean is not None else ""
    code = f"   static const double m{k}[{n}][{n}] = {{{_doubles(matrix)}}};\n"
    if mean is not None:
        code += f"   static const double mean{k}[{n}] = {{{_doubles(mean)}}};\n"
    return code + (f"   {{\n      std::vector<double> t({n});\n"
                   f"      for (int i = 0; i < {n}; ++i) {{\n         double sum = 0;\n"
                   f"         for (int j = 0; j < {n}; ++j)\n"
                   f"            sum += (static_cast<double>(static_cast<float>(v[j])){centre}) * m{k}[i][j];\n"
                   f"         t[i] = static_cast<float>(sum);\n      }}\n"
                   f"      for (int i = 0; i < {n}; ++i) v[i] = t[i];\n   }}\n")


# The helpers of the Gauss/Uniform steps (transform_gauss.py), written once before the chain's function.
_GAUSS_HELPERS = """#include <algorithm>
#include <cmath>

/// PDF::GetVal of a cumulative histogram and TMath::ErfInverse, as transform_gauss.py computes them.
namespace %(ns)s {
const int kPdfBins = %(bins)d;
inline double fixed_low_edge(int bin, double lo, double hi) { return lo + (bin - 1) * ((hi - lo) / kPdfBins); }
inline double fixed_centre(int bin, double lo, double hi) { return lo + (bin - 0.5) * ((hi - lo) / kPdfBins); }
inline int fixed_bin(double x, double lo, double hi)
{
   if (!(x >= lo && x < hi)) return x < lo ? 0 : kPdfBins + 1;
   int bin = 1 + static_cast<int>(kPdfBins * (x - lo) / (hi - lo));
   if (x < fixed_low_edge(bin, lo, hi)) --bin;
   if (x >= fixed_low_edge(bin + 1, lo, hi)) ++bin;
   return std::min(std::max(bin, 1), kPdfBins);
}
inline int first_at_or_below(const std::vector<double> &a, double x)
{
   const auto p = std::lower_bound(a.begin(), a.end(), x);
   return static_cast<int>(p - a.begin()) - ((p != a.end() && *p == x) ? 0 : 1);
}
/// PDF::FillSplineToHist of a Spline1 PDF over the n + 1 edges and n contents of a cumulative histogram.
inline std::vector<float> sample(const double *edges, const float *contents, int n)
{
   std::vector<double> gx(n), gy(n);
   for (int i = 0; i < n; ++i) {
      gx[i] = edges[i] + 0.5 * (edges[i + 1] - edges[i]);
      gy[i] = contents[i];
   }
   const std::vector<double> e(edges, edges + n + 1);
   std::vector<float> out(kPdfBins);
   for (int b = 1; b <= kPdfBins; ++b) {
      const double x = fixed_centre(b, edges[0], edges[n]);
      const int i = std::min(std::max(first_at_or_below(gx, x), 0), n - 1);
      const int j = ((x > gx[i] && i != n - 1) || i == 0) ? i + 1 : i - 1;
      double y = gy[i] + (x - gx[i]) * (gy[i] - gy[j]) / (gx[i] - gx[j]);
      if (y <= %(eps)s) {
         const int cell = x < e[0] ? 0 : (x >= e[n] ? n + 1 : 1 + first_at_or_below(e, x));
         y = (cell >= 1 && cell <= n) ? gy[cell - 1] : 0.0;
      }
      out[b - 1] = static_cast<float>(y > %(eps)s ? y : %(eps)s);
   }
   return out;
}
/// PDF::GetVal: linear between the centres of the sampled histogram over [lo, hi], at least 1e-12.
inline double value(const std::vector<float> &s, double lo, double hi, double x)
{
   const int bin = std::min(std::max(fixed_bin(x, lo, hi), 1), kPdfBins);
   const double centre = fixed_centre(bin, lo, hi);
   const int next = ((x > centre && bin != kPdfBins) || bin == 1) ? bin + 1 : bin - 1;
   const double dx = centre - fixed_centre(next, lo, hi), dy = double(s[bin - 1]) - double(s[next - 1]);
   const double v = double(s[bin - 1]) + (x - centre) * dy / dx;
   return v > %(eps)s ? v : %(eps)s;
}
/// TMath::ErfInverse: secant iterations from sqrt(pi)/2 |x|.
inline double erf_inverse(double x)
{
   const double k = 0.8862269254527579, ax = std::fabs(x);
   if (ax <= 1e-14) return k * x;
   if (ax >= 1.0) return 0;
   double erfi = k * ax, y0 = std::erf(0.9 * erfi), derfi = 0.1 * erfi;
   for (int iter = 0; iter < 50; ++iter) {
      const double y1 = 1. - std::erfc(erfi), dy1 = ax - y1;
      if (std::fabs(dy1) < 1e-14) return x < 0 ? -erfi : erfi;
      derfi *= dy1 / (y1 - y0);
      y0 = y1;
      erfi += derfi;
      if (std::fabs(derfi / erfi) < 1e-14) return x < 0 ? -erfi : erfi;
   }
   return 0;
}
/// One column of the transformation: the cumulant, clipped, then (Gauss) sqrt(2) erf^-1(2 c - 1).
inline float transform(const std::vector<float> &s, double lo, double hi, bool flat, float x)
{
   double c = value(s, lo, hi, x);
   c = std::max(std::min(c, 1. - %(cumulant)r), 0. + %(cumulant)r);
   if (flat) return static_cast<float>(c);
   const double arg = std::max(std::min(2.0 * c - 1.0, %(argument)r), -%(argument)r);
   return static_cast<float>(%(sqrt2)r * erf_inverse(arg));
}
}  // namespace %(ns)s

"""


def _gauss_code(step: GaussTransform, n: int, k: int, ns: str) -> str:
    """The all-classes distribution of each variable (the one applied), sampled once on first use."""
    code, samples = "", []
    for j in range(n):
        pdf = step.pdfs[j][-1]
        code += (f"   static const double edges{k}_{j}[{len(pdf.edges)}] = {{{_doubles(pdf.edges)}}};\n"
                 f"   static const float cumulative{k}_{j}[{len(pdf.contents)}] = {{{_floats(pdf.contents)}}};\n")
        samples.append(f"{ns}::sample(edges{k}_{j}, cumulative{k}_{j}, {len(pdf.contents)})")
    code += f"   static const std::vector<std::vector<float>> sampled{k} = {{{', '.join(samples)}}};\n"
    flat = "true" if step.flat else "false"
    for j in range(n):
        pdf = step.pdfs[j][-1]
        code += (f"   v[{j}] = {ns}::transform(sampled{k}[{j}], edges{k}_{j}[0], edges{k}_{j}[{len(pdf.contents)}], "
                 f"{flat}, static_cast<float>(v[{j}]));\n")
    return code


def _step_code(step, n: int, k: int, ns: str = "") -> str:
    if isinstance(step, GaussTransform):
        return _gauss_code(step, n, k, ns)
    if isinstance(step, NormalizeTransform):
        return _normalize_code(step, n, k)
    if isinstance(step, DecorrelateTransform):
        return _linear_code(step.matrices[-1], None, n, k)
    if isinstance(step, PCATransform):
        return _linear_code(step.eigenvectors[-1].T, step.means[-1], n, k)
    raise AssertionError(f"no standalone code for {type(step).__name__}")


def _function(chain, name: str, n: int) -> str:
    ns = f"{name}_gauss"
    body = "".join(_step_code(step, n, k, ns) for k, step in enumerate(chain.steps))
    helpers = ""
    if any(isinstance(step, GaussTransform) for step in chain.steps):
        helpers = _GAUSS_HELPERS % {"ns": ns, "bins": N_PDF_BINS, "eps": repr(EPSILON), "cumulant": CUMULANT_LIMIT,
                                    "argument": ERF_ARGUMENT_LIMIT, "sqrt2": SQRT2}  # fmt: skip
    header = f"/// The VarTransform chain ({chain.short_name}) on the raw inputs, as the weight file holds it.\n"
    return helpers + header + (f"inline std::vector<double> {name}(const std::vector<double> &inputValues)\n{{\n"
                               f"   std::vector<double> v(inputValues);\n{body}   return v;\n}}\n\n")


def _inject(source: str, class_name: str, function: str, name: str) -> str:
    evaluate = re.compile(r"(\w+)::evaluate\(inputValues\.data\(\), out\.data\(\)\);")
    declaration = re.compile(rf"^class {re.escape(class_name)}\b", re.MULTILINE)
    if len(evaluate.findall(source)) != 1 or len(declaration.findall(source)) != 1:
        raise AssertionError("the core's standalone class changed its shape: cannot insert the VarTransform chain")
    source = evaluate.sub(lambda m: f"{m.group(1)}::evaluate({name}(inputValues).data(), out.data());", source)
    start = declaration.search(source).start()
    return source[:start] + function + source[start:]


def standalone_class_with_transform(network, chain, class_name: str, names: list) -> str:
    """C++ source of ``class_name``: ``network`` after ``chain`` (None: the network alone)."""
    n = len(names)
    if chain is not None and len(chain.steps) == 1 and isinstance(chain.steps[0], NormalizeTransform):
        # x' = (x - low) * scale * 2 - 1 = (x - (low + 1 / (2 scale))) * (2 scale)
        low, scale = chain.steps[0].offset_scale(slice(0, n))
        network.set_input_transform(low + np.float32(0.5) / scale, np.float32(2) * scale)
        chain = None
    source = network.standalone_class(class_name, names)
    if chain is None:
        return source
    name = f"{class_name}_var_transform"
    return _inject(source, class_name, _function(chain, name, n), name)
