// funhash_bench.h: entry points for the FUNHASH kernel tests (and benchmarks),
// not part of the model API: the tile kernels of cpp/src/funhash_tile.h and
// funhash.h's per-element functions on caller-owned buffers (numpy arrays
// through PyROOT), by instruction set of the key hasher ("scalar", "avx2",
// "avx512", "auto"). Kept apart from bench.h until FUNHASH is a layer kind of
// the core.
#ifndef HASHEDNET_FUNHASH_BENCH_H
#define HASHEDNET_FUNHASH_BENCH_H

#include "hashednet/config.h"
#include "hashednet/funhash.h"

#include <cstdint>
#include <string>

namespace hashednet {
namespace bench {

/// A checked FUNHASH layout (check_funhash_layout): K buckets, U hashes of
/// seed weight_seed, reconstruction g with `hidden` units of activation f (MLP).
FunHashLayout make_funhash_layout(std::int64_t n_in, std::int64_t n_out, std::int64_t n_buckets,
                                  std::uint32_t weight_seed, int n_hashes, Reconstruction g, int hidden = 0,
                                  Activation f = Activation::Tanh);

/// kernels::funhash_generate_tile on the layer's slice `params` (K buckets, then alpha).
void funhash_generate_tile(const FunHashLayout &layer, const float *params, std::int64_t row0, std::int64_t n_rows,
                           std::int64_t col0, std::int64_t n_cols, float *v, std::uint32_t *slots,
                           const std::string &isa);

/// kernels::funhash_tile_backward: grad (K + |alpha| floats) += the tile's gradient from dv.
void funhash_tile_backward(const FunHashLayout &layer, const float *params, std::int64_t row0, std::int64_t n_rows,
                           std::int64_t col0, std::int64_t n_cols, const float *dv, const std::uint32_t *slots,
                           float *grad, const std::string &isa);

/// FunHashLayout::virtual_weight (the per-element function a GPU kernel would call).
float funhash_virtual_weight(const FunHashLayout &layer, const float *params, std::int64_t i, std::int64_t j);

/// FunHashLayout::reconstruct_backward for one element (float accumulators):
/// dz (U floats) written, dalpha (|alpha| floats) added into.
void funhash_reconstruct_backward(const FunHashLayout &layer, const float *alpha, const float *z, float dv, float *dz,
                                  float *dalpha);

} // namespace bench
} // namespace hashednet

#endif // HASHEDNET_FUNHASH_BENCH_H
