// bench.h: entry points for benchmarks/ and for the kernel tests, not part
// of the model API.
//
// They run one layer's product by a named method on caller-owned buffers
// (numpy arrays through PyROOT) and time it inside C++ with steady_clock:
//
//   "fused"         the CPU backend (tiles of V generated inside the product;
//                   a dense layout is a plain tiled sgemm on the same threads)
//   "infer"         the CPU backend's forward pass in inference, as
//                   Network::predict runs it (Backend::linear_infer: the
//                   small-batch kernels of small_batch.h up to their batch
//                   threshold, else "fused"); a backward pass is "fused"'s
//   "materialized"  the original HashedNets way: build the whole V (D floats),
//                   then one multi-threaded sgemm; backward builds dV (D
//                   floats) with sgemm and scatters it into the buckets.
//                   The baseline the fused kernels are timed against.
//   "reference"     the reference backend (plain loops in double through the
//                   weight scheme's host reference): what tests compare with.
//
// It also exposes the tile generators and the array activations by
// instruction set ("scalar", "avx2", "avx512", "auto") so tests can check
// every fast path against the scalar reference.
#ifndef HASHEDNET_BENCH_H
#define HASHEDNET_BENCH_H

#include "hashednet/config.h"
#include "hashednet/hashed_layout.h"

#include <cstdint>
#include <string>
#include <vector>

namespace hashednet {
namespace bench {

/// A layer n_out x n_in at offset 0 with a dense bias: hashed into n_buckets
/// when n_buckets < n_in * n_out, otherwise dense (n_buckets = n_in * n_out).
/// Its parameters are n_buckets weights, then n_out biases. block > 0 hashes
/// in BLOCK mode with that many virtual weights per hash (0: ELEMENT mode).
HashedLayout make_layout(std::int64_t n_in, std::int64_t n_out, std::int64_t n_buckets, std::uint32_t weight_seed,
                         std::int64_t block = 0);

/// One forward pass y = x V^T + b and, when dy is not null, one backward pass
/// (dx when dx is not null, and dL/dparams into grad) by `method`.
void layer_pass(const HashedLayout &layer, const float *params, const float *x, const float *dy, std::int64_t batch,
                float *y, float *dx, float *grad, const std::string &method, int num_threads);

/// layer_pass for a FRESH layer (freshnets_scheme.h) of layer's shape, K =
/// layer.n_buckets and seed, with fh x fw slices and the band exponent;
/// method "fused" (CPU) or "reference".
void fresh_layer_pass(const HashedLayout &layer, int fh, int fw, double band_exponent, const float *params,
                      const float *x, const float *dy, std::int64_t batch, float *y, float *dx, float *grad,
                      const std::string &method, int num_threads);

/// Seconds of each of `repetitions` fused fresh_layer_pass calls, after one untimed warm-up.
std::vector<double> time_fresh_layer(const HashedLayout &layer, int fh, int fw, double band_exponent,
                                     const float *params, const float *x, const float *dy, std::int64_t batch, float *y,
                                     float *dx, float *grad, int num_threads, int repetitions);

/// Seconds of each of `repetitions` layer_pass calls, after one untimed warm-up.
std::vector<double> time_layer(const HashedLayout &layer, const float *params, const float *x, const float *dy,
                               std::int64_t batch, float *y, float *dx, float *grad, const std::string &method,
                               int num_threads, int repetitions);

/// Seconds of each of `repetitions` generations of one n_rows x n_cols tile
/// (V and slots) with instruction set `isa`.
std::vector<double> time_tile(const HashedLayout &layer, const float *w, std::int64_t n_rows, std::int64_t n_cols,
                              const std::string &isa, int repetitions);

/// The tile V[row0.., col0..] (v, may be null) and its slots, bucket | sign << 31
/// (slots, may be null), by instruction set "scalar", "avx2" or "auto".
void generate_tile(const HashedLayout &layer, const float *w, std::int64_t row0, std::int64_t n_rows,
                   std::int64_t col0, std::int64_t n_cols, float *v, std::uint32_t *slots, const std::string &isa);

/// slots[e] = bucket | sign << 31 of XXH32(key0 + e, seed) for e < n (the
/// consecutive-key hasher of the tile generators) by instruction set `isa`.
void key_slots(std::uint64_t key0, std::uint32_t seed, std::uint32_t n_buckets, std::int64_t n,
               std::uint32_t *slots, const std::string &isa);

/// a = f(z) and dz = da * f'(z) over n values by the CPU backend's array
/// kernels for instruction set `isa`.
void activation_forward(Activation f, const float *z, float *a, std::int64_t n, const std::string &isa);
void activation_backward(Activation f, const float *z, const float *a, const float *da, float *dz, std::int64_t n,
                         const std::string &isa);
/// The CPU backend's dropout kernel for instruction set `isa` on the mask
/// elements first .. first + n of `seed` (Backend::dropout_forward: first = 0).
void dropout(const float *x, float *y, float *keep, std::int64_t n, double p, std::uint64_t seed,
             std::uint64_t first, const std::string &isa);
/// activation.h's scalar functions (the reference of the array kernels, and what the GPU runs).
float activate_scalar(Activation f, float z);
float activation_derivative_scalar(Activation f, float z, float a);

/// The instruction set the CPU backend's kernels use.
std::string kernel_isa();
bool kernel_isa_available(const std::string &isa);
/// Forces the instruction set of backends made afterwards ("auto" = the CPU's best).
void set_kernel_isa(const std::string &isa);

/// Current and peak resident memory of this process in bytes (Linux
/// /proc/self/status; 0 elsewhere), and a reset of the peak where allowed.
std::int64_t resident_bytes();
std::int64_t peak_resident_bytes();
bool reset_peak_resident();

} // namespace bench
} // namespace hashednet

#endif // HASHEDNET_BENCH_H
