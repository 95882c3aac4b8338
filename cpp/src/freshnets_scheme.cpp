// freshnets_scheme.cpp: see freshnets_scheme.h.
#include "hashednet/freshnets_scheme.h"

#include "hash_tile.h"

#include "hashednet/fully_connected.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace hashednet {

namespace {

/// count_b: the (u, v) of an fh x fw slice with u + v = b.
std::vector<std::int64_t> band_counts(int fh, int fw)
{
   std::vector<std::int64_t> count(static_cast<std::size_t>(fh + fw - 1), 0);
   for (int u = 0; u < fh; ++u)
      for (int v = 0; v < fw; ++v)
         ++count[FreshLayout::band(u, v)];
   return count;
}

/// Real shares of K in proportion to `weight`, each in [1, cap_b]: a band
/// whose share crosses a bound is fixed at it and the others share the
/// rest, until none crosses (caps first, then floors). `fixed` marks the
/// bands at a bound.
std::vector<double> water_fill(const std::vector<double> &weight, const std::vector<std::int64_t> &cap,
                               std::int64_t n_buckets, std::vector<bool> &fixed)
{
   const std::size_t n = weight.size();
   std::vector<double> share(n, 0.0);
   fixed.assign(n, false);
   for (;;) {
      double left = static_cast<double>(n_buckets), free_weight = 0.0;
      for (std::size_t b = 0; b < n; ++b)
         fixed[b] ? left -= share[b] : free_weight += weight[b];
      bool over = false, under = false;
      for (std::size_t b = 0; b < n; ++b)
         if (!fixed[b]) {
            share[b] = left * weight[b] / free_weight;
            over = over || share[b] > static_cast<double>(cap[b]);
            under = under || share[b] < 1.0;
         }
      if (!over && !under)
         return share;
      for (std::size_t b = 0; b < n; ++b)
         if (!fixed[b] && (over ? share[b] > static_cast<double>(cap[b]) : share[b] < 1.0)) {
            share[b] = over ? static_cast<double>(cap[b]) : 1.0;
            fixed[b] = true;
         }
   }
}

/// The shares rounded down, then the buckets left over (+1 each) to the
/// free bands of largest remainder with room, lowest band first on ties
/// (a second pass, for float rounding only, takes any band with room; if the
/// floors overshoot K, the smallest remainders give one back).
std::vector<std::int64_t> round_shares(const std::vector<double> &share, const std::vector<bool> &fixed,
                                       const std::vector<std::int64_t> &cap, std::int64_t n_buckets)
{
   const std::size_t n = share.size();
   std::vector<std::int64_t> budget(n);
   std::vector<double> remainder(n);
   for (std::size_t b = 0; b < n; ++b) {
      budget[b] = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor(share[b])), 1, cap[b]);
      remainder[b] = fixed[b] ? -1.0 : share[b] - std::floor(share[b]);
   }
   std::vector<std::size_t> order(n);
   std::iota(order.begin(), order.end(), std::size_t(0));
   std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return remainder[a] > remainder[b]; });
   std::int64_t left = n_buckets - std::accumulate(budget.begin(), budget.end(), std::int64_t(0));
   for (int pass = 0; pass < 2 && left > 0; ++pass)
      for (std::size_t b : order)
         if (left > 0 && budget[b] < cap[b] && (pass == 1 || !fixed[b])) {
            ++budget[b];
            --left;
         }
   for (auto b = order.rbegin(); b != order.rend() && left < 0; ++b)
      if (budget[*b] > 1) {
         --budget[*b];
         ++left;
      }
   HASHEDNET_ASSERT(left == 0);
   return budget;
}

} // namespace

std::vector<std::int64_t> fresh_band_budgets(int fh, int fw, std::int64_t n_slices, std::int64_t n_buckets,
                                             double band_exponent)
{
   const std::vector<std::int64_t> count = band_counts(fh, fw);
   HASHEDNET_ASSERT(n_slices >= 1 && n_buckets >= static_cast<std::int64_t>(count.size()) &&
                    n_buckets <= n_slices * fh * fw);
   std::vector<std::int64_t> cap(count.size());
   std::vector<double> weight(count.size());
   for (std::size_t b = 0; b < count.size(); ++b) {
      cap[b] = n_slices * count[b];
      weight[b] = static_cast<double>(cap[b]) * std::pow(static_cast<double>(b + 1), -band_exponent);
   }
   std::vector<bool> fixed;
   const std::vector<double> share = water_fill(weight, cap, n_buckets, fixed);
   return round_shares(share, fixed, cap, n_buckets);
}

FreshLayout make_fresh_layout(std::int64_t n_in, std::int64_t n_out, int fh, int fw, std::int64_t n_buckets,
                              std::uint32_t weight_seed, double band_exponent)
{
   HASHEDNET_CHECK(fh >= 1 && fh <= kFreshMaxSide && fw >= 1 && fw <= kFreshMaxSide,
                   "FRESH slice " << fh << "x" << fw << ": height and width must be in [1, " << kFreshMaxSide << "]");
   HASHEDNET_CHECK(n_in >= 1 && n_in % (fh * fw) == 0,
                   "FRESH needs a layer whose inputs are whole " << fh << "x" << fw << " slices: n_in = " << n_in
                                                                 << " is not a multiple of " << fh * fw);
   HASHEDNET_CHECK(n_out >= 1 && n_out <= kFreshMaxVirtualWeights / n_in,
                   "FRESH layer " << n_out << " x " << n_in << ": at most " << kFreshMaxVirtualWeights
                                  << " virtual weights (16 M: a FRESH V is a filter bank, made whole for the "
                                     "standalone class); use ELEMENT or BLOCK for larger layers");
   const int n_bands = fh + fw - 1;
   HASHEDNET_CHECK(n_buckets >= n_bands && n_buckets <= n_in * n_out,
                   "FRESH layer " << n_out << " x " << n_in << " with " << fh << "x" << fw << " slices: "
                                  << n_buckets << " buckets; needs at least " << n_bands
                                  << " (one per frequency band) and at most " << n_in * n_out
                                  << "; use a larger compression");
   HASHEDNET_CHECK(std::isfinite(band_exponent) && band_exponent >= 0.0 && band_exponent <= kFreshMaxBandExponent,
                   "FRESH band exponent must be in [0, " << kFreshMaxBandExponent << "], got " << band_exponent);
   FreshLayout layer;
   layer.n_in = n_in;
   layer.n_out = n_out;
   layer.fh = fh;
   layer.fw = fw;
   layer.n_buckets = n_buckets;
   layer.weight_seed = weight_seed;
   layer.n_bands = n_bands;
   const std::vector<std::int64_t> budget = fresh_band_budgets(fh, fw, n_out * (n_in / (fh * fw)), n_buckets,
                                                               band_exponent);
   for (int b = 0; b < n_bands; ++b)
      layer.band_begin[b + 1] = layer.band_begin[b] + budget[b];
   layer.fill_basis();
   return layer;
}

void FreshScheme::initialize(float *w, WeightInit init, Rng &rng, std::int64_t n_in, std::int64_t n_out) const
{
   xavier(w, layer_.n_buckets, init, rng, n_in, n_out);
}

void FreshScheme::add_gradient_reference(const float *, const double *dv, double *dw) const
{
   const FreshLayout &L = layer_;
   const int size = L.slice_size();
   for (std::int64_t i = 0; i < L.n_out; ++i)
      for (std::int64_t c = 0; c < L.n_slices(); ++c) {
         const double *d = dv + i * L.n_in + c * size; // dV_ic[y][x] at d[y * fw + x]
         for (int u = 0; u < L.fh; ++u)
            for (int v = 0; v < L.fw; ++v) {
               double dp = 0.0; // (C_h dV C_w^T)[u][v]
               for (int y = 0; y < L.fh; ++y)
                  for (int x = 0; x < L.fw; ++x)
                     dp += static_cast<double>(L.basis_h[u * L.fh + y]) * d[y * L.fw + x] *
                           static_cast<double>(L.basis_w[v * L.fw + x]);
               std::int64_t k;
               float sign;
               L.locate(i, c, u, v, k, sign);
               dw[k] += sign * dp;
            }
      }
}

std::unique_ptr<WeightScheme> make_fresh_scheme(std::int64_t n_in, std::int64_t n_out, int fh, int fw,
                                                std::int64_t n_buckets, std::uint32_t weight_seed,
                                                double band_exponent)
{
   return std::make_unique<FreshScheme>(make_fresh_layout(n_in, n_out, fh, fw, n_buckets, weight_seed, band_exponent),
                                        band_exponent);
}

const FreshScheme &fresh_scheme(const FullyConnected &layer)
{
   HASHEDNET_CHECK(layer.scheme().kind() == SchemeKind::Fresh,
                   "the layer's weight scheme is " << layer.scheme().name() << ", not FRESH");
   return static_cast<const FreshScheme &>(layer.scheme());
}

namespace {

/// The hashes h of the coefficients of row i's slices [c_begin, c_end) (their
/// keys are consecutive), 8 or 16 at a time by the CPU's key hasher
/// (hash_tile.h): its slots for 2^31 buckets are (h >> 1) | (h << 31), so h
/// comes back whole. The same h as FreshLayout::locate's.
const std::uint32_t *row_hashes(const FreshLayout &layer, std::int64_t i, std::int64_t c_begin, std::int64_t c_end)
{
   static const kernels::KeySlotsFn hash_keys = kernels::key_slots();
   thread_local std::vector<std::uint32_t> hashes;
   const std::int64_t n = (c_end - c_begin) * layer.slice_size();
   hashes.resize(static_cast<std::size_t>(n));
   hash_keys(static_cast<std::uint64_t>(i * layer.n_in + c_begin * layer.slice_size()), layer.weight_seed,
             0x80000000u, n, hashes.data());
   for (std::uint32_t &h : hashes)
      h = (h << 1) | (h >> 31);
   return hashes.data();
}

/// The slices a tile's columns [c0, c0 + n_cols) touch: [begin, end).
void slice_range(const FreshLayout &layer, std::int64_t c0, std::int64_t n_cols, std::int64_t &begin,
                 std::int64_t &end)
{
   begin = c0 / layer.slice_size();
   end = (c0 + n_cols + layer.slice_size() - 1) / layer.slice_size();
}

} // namespace

/// FreshLayout::generate_tile's values, the hashes of a row made together.
void fresh_generate_tile(const FreshLayout &layer, const float *w, std::int64_t r0, std::int64_t n_rows,
                         std::int64_t c0, std::int64_t n_cols, float *tile)
{
   std::int64_t c_begin, c_end;
   slice_range(layer, c0, n_cols, c_begin, c_end);
   float p[kFreshMaxSlice], slice[kFreshMaxSlice];
   for (std::int64_t r = 0; r < n_rows; ++r) {
      const std::uint32_t *h = row_hashes(layer, r0 + r, c_begin, c_end);
      for (std::int64_t c = c_begin; c < c_end; ++c, h += layer.slice_size()) {
         for (int u = 0; u < layer.fh; ++u)
            for (int v = 0; v < layer.fw; ++v) {
               std::int64_t k;
               float sign;
               layer.locate_hash(h[u * layer.fw + v], FreshLayout::band(u, v), k, sign);
               p[u * layer.fw + v] = sign * w[k];
            }
         layer.inverse_dct(p, slice);
         layer.put_slice(slice, c, c0, n_cols, tile + r * n_cols);
      }
   }
}

/// FreshLayout::add_tile_gradient's additions in its order, the hashes of a row made together.
void fresh_add_tile_gradient(const FreshLayout &layer, const float *dv, std::int64_t r0, std::int64_t n_rows,
                             std::int64_t c0, std::int64_t n_cols, float *dw)
{
   std::int64_t c_begin, c_end;
   slice_range(layer, c0, n_cols, c_begin, c_end);
   float slice[kFreshMaxSlice], dp[kFreshMaxSlice];
   for (std::int64_t r = 0; r < n_rows; ++r) {
      const std::uint32_t *h = row_hashes(layer, r0 + r, c_begin, c_end);
      for (std::int64_t c = c_begin; c < c_end; ++c, h += layer.slice_size()) {
         layer.get_slice(dv + r * n_cols, c, c0, n_cols, slice);
         layer.coefficient_gradient(slice, dp);
         for (int u = 0; u < layer.fh; ++u)
            for (int v = 0; v < layer.fw; ++v) {
               std::int64_t k;
               float sign;
               layer.locate_hash(h[u * layer.fw + v], FreshLayout::band(u, v), k, sign);
               dw[k] += sign * dp[u * layer.fw + v];
            }
      }
   }
}

std::string format_fresh_slice(int fh, int fw)
{
   return std::to_string(fh) + "x" + std::to_string(fw);
}

void parse_fresh_slice(const std::string &text, const std::string &where, int &fh, int &fw)
{
   const std::size_t x = text.find_first_of("xX");
   const auto digits = [](const std::string &s) {
      return !s.empty() && s.size() <= 2 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
   };
   const std::string h = x == std::string::npos ? "" : text.substr(0, x);
   const std::string w = x == std::string::npos ? "" : text.substr(x + 1);
   const bool ok = digits(h) && digits(w) && std::stoi(h) >= 1 && std::stoi(h) <= kFreshMaxSide && std::stoi(w) >= 1 &&
                   std::stoi(w) <= kFreshMaxSide;
   HASHEDNET_CHECK(ok, where << ": '" << text << "' is not a FRESH slice; give <height>x<width>, each in [1, "
                             << kFreshMaxSide << "], e.g. 3x3");
   fh = std::stoi(h);
   fw = std::stoi(w);
}

} // namespace hashednet
