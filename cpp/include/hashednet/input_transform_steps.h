// input_transform_steps.h: one event's TMVA variable transformations (VarTransform
// N, D, P, G, U), step by step, written once for the core and for the standalone class.
//
// What it is: the per-event arithmetic of each step of a weight file's
// <Transformations>, as the compatible Reader computes it in numpy
// (tmva_hashednet/tmva/transform.py, transforms.py, transform_gauss.py, which
// the tests tie to TMVA 4.2.1), on plain arrays: float inputs, Normalize in
// float, Decorrelation and PCA summed in double in column order, Gauss and
// Uniform through TMVA's PDF::GetVal of the 10000-bin histogram sampled from
// the cumulative distribution and ROOT's TMath::ErfInverse iteration on the C
// library's erf/erfc; each step's result rounded to float. The core's
// InputTransform (input_transform.h) calls these functions, and MakeClass embeds
// this text verbatim (standalone_class.cpp), so both compute the same bits.
// Every function is a pure function of its arguments: no allocation, no state.
//
// What it is not: the chain (the order of the steps, their data and its checks:
// input_transform.h), a fit of any step (Python's transforms.py), or the weight
// file's XML (Python's transforms_xml.py).
//
// The fixed order (v the n values a step reads, each already a float):
//   Normalize   v[j] = (v[j] - low[j]) * scale[j] * 2 - 1                  (float)
//               inverse, on targets: t = low + (t + 1) / (2 * scale)        (float)
//   linear      out[i] = float(sum_j (double(v[j]) [- mean[j]]) * m[i][j]), summed from +0 in j order;
//               Decorrelation: m = C^-1/2, no mean; PCA: row i of m the i-th principal axis, and the means
//   Gauss/Unif. c = GetVal(x), clipped to [1e-9, 1 - 1e-9]; Uniform float(c),
//               Gauss float(1.414213562 * ErfInverse(clip(2 c - 1, +-0.99999999)))
//               inverse (Uniform's targets): PDF::GetValInverse by bisection over the sampled bins
#ifndef HASHEDNET_INPUT_TRANSFORM_STEPS_H
#define HASHEDNET_INPUT_TRANSFORM_STEPS_H

#include <algorithm>
#include <cmath>

namespace hashednet {
namespace var_transform {

constexpr int kPdfBins = 10000;                 ///< PDF::fgNbin_PdfHist: bins of a sampled PDF
constexpr double kPdfEpsilon = 1.0e-12;         ///< PDF::fgEpsilon: the smallest PDF value
constexpr double kCumulantLimit = 10e-10;       ///< VariableGaussTransform: the cumulant kept in [1e-9, 1 - 1e-9]
constexpr double kErfArgumentLimit = 0.99999999; ///< its maxErfInvArgRange
constexpr double kSqrt2 = 1.414213562;          ///< TMVA's sqrt(2), as written there

/// Normalize of n values in place.
inline void normalize(const float *low, const float *scale, int n, float *v)
{
   for (int j = 0; j < n; ++j)
      v[j] = (v[j] - low[j]) * scale[j] * 2.0f - 1.0f;
}

/// Normalize's inverse of n target values in place.
inline void normalize_inverse(const float *low, const float *scale, int n, float *t)
{
   for (int k = 0; k < n; ++k)
      t[k] = low[k] + (t[k] + 1.0f) / (2.0f * scale[k]);
}

/// out[i] = float(sum_j (double(v[j]) - mean[j]) * m[i * n + j]) (mean null: no centring), summed in j order.
inline void linear(const double *m, const double *mean, int n, const float *v, float *out)
{
   for (int i = 0; i < n; ++i) {
      double sum = 0.0;
      for (int j = 0; j < n; ++j)
         sum += (mean != nullptr ? static_cast<double>(v[j]) - mean[j] : static_cast<double>(v[j])) * m[i * n + j];
      out[i] = static_cast<float>(sum);
   }
}

/// TAxis::GetBinLowEdge / GetBinCenter of kPdfBins equal bins over [lo, hi] (ROOT 6.40's formulas).
inline double fixed_low_edge(int bin, double lo, double hi) { return lo + (bin - 1) * ((hi - lo) / kPdfBins); }
inline double fixed_centre(int bin, double lo, double hi) { return lo + (bin - 0.5) * ((hi - lo) / kPdfBins); }

/// TAxis::FindBin of kPdfBins equal bins: 0 below lo, kPdfBins + 1 at or above hi (and for NaN).
inline int fixed_bin(double x, double lo, double hi)
{
   if (!(x >= lo && x < hi))
      return x < lo ? 0 : kPdfBins + 1;
   int bin = 1 + static_cast<int>(kPdfBins * (x - lo) / (hi - lo));
   if (x < fixed_low_edge(bin, lo, hi))
      --bin;
   if (x >= fixed_low_edge(bin + 1, lo, hi))
      ++bin;
   return std::min(std::max(bin, 1), kPdfBins);
}

/// TMath::BinarySearch over n ascending values value(0 .. n-1): the first index whose value equals x,
/// else the last one below x (-1 when none is).
template <class Value>
int at_or_below(const Value &value, int n, double x)
{
   int first = 0, count = n; // std::lower_bound: the first index whose value is not below x
   while (count > 0) {
      const int half = count / 2;
      if (value(first + half) < x) {
         first += half + 1;
         count -= half + 1;
      } else {
         count = half;
      }
   }
   return (first < n && value(first) == x) ? first : first - 1;
}

/// PDF::FillSplineToHist of a Spline1 PDF through the n bins of a cumulative histogram (edges: n + 1
/// ascending values, contents: n): the kPdfBins floats of its sampled histogram into `table`.
inline void sample_cumulative(const double *edges, const float *contents, int n, float *table)
{
   const auto centre = [edges](int i) { return edges[i] + 0.5 * (edges[i + 1] - edges[i]); };
   const auto edge = [edges](int i) { return edges[i]; };
   for (int b = 1; b <= kPdfBins; ++b) {
      const double x = fixed_centre(b, edges[0], edges[n]);
      const int i = std::min(std::max(at_or_below(centre, n, x), 0), n - 1); // TSpline1::Eval's two points
      const int k = ((x > centre(i) && i != n - 1) || i == 0) ? i + 1 : i - 1;
      const double yi = contents[i], yk = contents[k];
      double y = yi + (x - centre(i)) * (yi - yk) / (centre(i) - centre(k));
      if (y <= kPdfEpsilon) { // the histogram's own bin where the spline is about 0
         const int cell = x < edges[0] ? 0 : (x >= edges[n] ? n + 1 : 1 + at_or_below(edge, n + 1, x));
         y = (cell >= 1 && cell <= n) ? static_cast<double>(contents[cell - 1]) : 0.0;
      }
      table[b - 1] = static_cast<float>(y > kPdfEpsilon ? y : kPdfEpsilon);
   }
}

/// PDF::GetVal of a sampled histogram over [lo, hi]: linear between the centres of its bins (the first
/// or last two outside them), at least 1e-12.
inline double pdf_value(const float *table, double lo, double hi, double x)
{
   const int bin = std::min(std::max(fixed_bin(x, lo, hi), 1), kPdfBins);
   const double centre = fixed_centre(bin, lo, hi);
   const int next = ((x > centre && bin != kPdfBins) || bin == 1) ? bin + 1 : bin - 1;
   const double here = table[bin - 1], there = table[next - 1];
   const double v = here + (x - centre) * (here - there) / (centre - fixed_centre(next, lo, hi));
   return v > kPdfEpsilon ? v : kPdfEpsilon;
}

/// TMath::ErfInverse: secant iterations on erf from sqrt(pi)/2 |x| (at most 50, to 1e-14); 0 where they
/// do not converge or |x| >= 1, as ROOT returns.
inline double erf_inverse(double x)
{
   const double k = 0.8862269254527579, ax = std::fabs(x);
   if (ax <= 1e-14)
      return k * x;
   if (!(ax < 1.0))
      return 0.0;
   double erfi = k * ax, y0 = std::erf(0.9 * erfi), derfi = 0.1 * erfi;
   for (int iteration = 0; iteration < 50; ++iteration) {
      const double y1 = 1.0 - std::erfc(erfi), dy1 = ax - y1;
      if (std::fabs(dy1) < 1e-14)
         return x < 0 ? -erfi : erfi;
      if (y1 == y0) // ROOT divides by zero here and never converges: it returns 0
         return 0.0;
      derfi *= dy1 / (y1 - y0);
      y0 = y1;
      erfi += derfi;
      if (std::fabs(derfi / erfi) < 1e-14)
         return x < 0 ? -erfi : erfi;
   }
   return 0.0;
}

/// One value through a Gauss (flat: Uniform) step: its cumulant, clipped, then sqrt(2) erf^-1(2 c - 1).
inline float gauss(const float *table, double lo, double hi, bool flat, float x)
{
   double c = pdf_value(table, lo, hi, x);
   c = std::max(std::min(c, 1.0 - kCumulantLimit), 0.0 + kCumulantLimit);
   if (flat)
      return static_cast<float>(c);
   const double argument = std::max(std::min(2.0 * c - 1.0, kErfArgumentLimit), -kErfArgumentLimit);
   return static_cast<float>(kSqrt2 * erf_inverse(argument));
}

/// PDF::GetValInverse(y, monotonous) of a sampled histogram over [lo, hi] (Uniform's inverse on
/// targets): bisection over its bins, then linear between the two centres found (the fraction is the
/// lower value when the two values are equal, as TMVA's).
inline float pdf_inverse(const float *table, double lo, double hi, float target)
{
   const double y = target;
   if (std::isnan(y))
      return target;
   int lower = 0, higher = kPdfBins, bin = kPdfBins / 2;
   double low_value = 0.0, high_value = 0.0;
   do {
      const double c = table[bin - 1];
      if (y < c) {
         higher = bin;
         high_value = c;
      } else {
         lower = bin;
         low_value = c;
      }
      bin = lower + (higher - lower) / 2;
   } while (bin > lower && bin < higher);
   const double length = high_value - low_value;
   const double fraction = length > 1.0e-10 ? (y - low_value) / length : low_value;
   const double x_low = fixed_centre(lower, lo, hi), x_high = fixed_centre(higher, lo, hi);
   return static_cast<float>(x_low + (x_high - x_low) * fraction);
}

} // namespace var_transform
} // namespace hashednet

#endif // HASHEDNET_INPUT_TRANSFORM_STEPS_H
