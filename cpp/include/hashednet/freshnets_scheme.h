// freshnets_scheme.h: FRESH (FreshNets) as a weight scheme, for any layer whose V has fh x fw slices.
//
// What it is: the WeightScheme whose V is freshnets.h's: each fh x fw slice
// of a row is the inverse 2-D DCT of virtual coefficients hashed into K
// buckets, the buckets split by frequency band b = u + v so that high
// frequencies share more. Its parameters are the K buckets (n_params() = K);
// the descriptor kernels read is the FreshLayout (freshnets.h, host and
// device); the CPU backend's tiles are cpu_schemes.h's FreshTiles. A fully
// connected layer with n_in = depth fh fw and a convolution's filter matrix
// (nFilters x depth fh fw, each fh x fw slice contiguous) are the same V.
//
// The band split (fresh_band_budgets): band b holds M_b = n_out (n_in / (fh
// fw)) count_b virtual coefficients (count_b = the (u, v) with u + v = b);
// it gets K_b buckets in proportion to M_b (b + 1)^(-e), e the band
// exponent (FreshBandExponent): e = 0 shares every frequency alike (plain
// hashing of the coefficients), e = 1 (the default) gives band b (b + 1)
// times fewer buckets per coefficient than the DC band. Each band gets at
// least 1 and at most M_b buckets (water-filling: a band at a bound is fixed
// and the rest share what is left), then the real shares are rounded down
// and the buckets left over go to the largest remainders (lowest band first
// on ties), so sum K_b = K exactly.
//
// Initialisation: the K buckets as a hashed layer's (Xavier, fan n_in +
// n_out). The DCT is orthonormal and the signs independent, so each V entry
// then has the Xavier variance, as a dense layer's.
//
// What it is not: the bias (the layer's), a convolution (the conv layer
// reads V from any scheme), or the product (the backend's).
#ifndef HASHEDNET_FRESHNETS_SCHEME_H
#define HASHEDNET_FRESHNETS_SCHEME_H

#include "hashednet/freshnets.h"
#include "hashednet/weight_scheme.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hashednet {

class FullyConnected;

/// Largest band exponent e (FreshBandExponent), 0 the smallest.
constexpr double kFreshMaxBandExponent = 16.0;

/// K_b of each of the fh + fw - 1 bands of a V with n_slices fh x fw slices
/// in all (n_out n_in / (fh fw)) and n_buckets = K in [fh + fw - 1, n_slices
/// fh fw], by the rule of the file comment.
std::vector<std::int64_t> fresh_band_budgets(int fh, int fw, std::int64_t n_slices, std::int64_t n_buckets,
                                             double band_exponent);

/// The FreshLayout of an n_out x n_in V with fh x fw slices and K buckets
/// (bands from fresh_band_budgets, basis filled). An Error naming the
/// problem and the allowed values when fh or fw is not in [1, 16], n_in is
/// not a multiple of fh fw, V has more than 16 M weights, K is not in
/// [fh + fw - 1, n_out n_in] or e is not in [0, 16].
FreshLayout make_fresh_layout(std::int64_t n_in, std::int64_t n_out, int fh, int fw, std::int64_t n_buckets,
                              std::uint32_t weight_seed, double band_exponent);

class FreshScheme final : public WeightScheme {
public:
   FreshScheme(const FreshLayout &layer, double band_exponent) : layer_(layer), band_exponent_(band_exponent) {}

   SchemeKind kind() const override { return SchemeKind::Fresh; }
   const char *name() const override { return "FRESH"; }
   std::int64_t n_params() const override { return layer_.n_buckets; }
   void initialize(float *w, WeightInit init, Rng &rng, std::int64_t n_in, std::int64_t n_out) const override;
   float virtual_weight(const float *w, std::int64_t i, std::int64_t j) const override
   {
      return layer_.virtual_weight(w, i, j);
   }
   /// dP = C_h dV C_w^T of every slice in double, scattered with the signs.
   void add_gradient_reference(const float *w, const double *dv, double *dw) const override;

   const FreshLayout &layer() const { return layer_; }
   double band_exponent() const { return band_exponent_; }

private:
   FreshLayout layer_;
   double band_exponent_;
};

/// The FRESH scheme of an n_out x n_in virtual matrix (a layer's, or a
/// convolution's nFilters x depth fh fw filter matrix) with fh x fw slices,
/// K = n_buckets buckets and the layer's weight_seed (hash.h); the checks of
/// make_fresh_layout.
std::unique_ptr<WeightScheme> make_fresh_scheme(std::int64_t n_in, std::int64_t n_out, int fh, int fw,
                                                std::int64_t n_buckets, std::uint32_t weight_seed,
                                                double band_exponent);

/// The FreshScheme of a FRESH layer (an Error naming the layer's scheme otherwise).
const FreshScheme &fresh_scheme(const FullyConnected &layer);

/// FreshLayout::generate_tile and add_tile_gradient compiled here, with
/// -ffp-contract=off (CMakeLists.txt), whatever flags their callers have: the
/// CPU backend's tiles (cpu_schemes.h) and the event path use these.
void fresh_generate_tile(const FreshLayout &layer, const float *w, std::int64_t r0, std::int64_t n_rows,
                         std::int64_t c0, std::int64_t n_cols, float *tile);
void fresh_add_tile_gradient(const FreshLayout &layer, const float *dv, std::int64_t r0, std::int64_t n_rows,
                             std::int64_t c0, std::int64_t n_cols, float *dw);

/// "<fh>x<fw>" as the FreshSlice option and the weight file write it.
std::string format_fresh_slice(int fh, int fw);
/// fh and fw from "<fh>x<fw>" (each in [1, 16]); an Error naming `where` otherwise.
void parse_fresh_slice(const std::string &text, const std::string &where, int &fh, int &fw);

} // namespace hashednet

#endif // HASHEDNET_FRESHNETS_SCHEME_H
