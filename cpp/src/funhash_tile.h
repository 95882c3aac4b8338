// funhash_tile.h: tiles of a FUNHASH layer's V and their backward pass
// (internal to the CPU backend). See hashednet/funhash.h for the definition.
//
// A tile is V[row0, row0 + n_rows) x [col0, col0 + n_cols), row-major with
// leading dimension n_cols, as hash_tile.h's. `params` is the layer's slice
// (K buckets, then alpha); `grad` is the slice of the same shape that the
// backward pass adds into. Beside V a tile may keep its slots, U planes of
// n_rows x n_cols (plane u: bucket | sign << 31 of hash u), so that the
// backward pass of the same tile does not hash again.
//
// The hashes of a row are hash_tile.h's consecutive-key hasher (KeySlotsFn,
// vectorised per instruction set, one call per hash u); g is evaluated
// element by element with funhash.h's functions, so every result equals
// FunHashLayout::virtual_weight bit for bit. Work memory: per thread U rows
// of slots when the caller keeps none; nothing D-sized.
//
// Not here: the GEMM, the bias, threads (the caller gives each thread its own
// gradient slice and sums them in thread order).
#ifndef HASHEDNET_SRC_FUNHASH_TILE_H
#define HASHEDNET_SRC_FUNHASH_TILE_H

#include "hash_tile.h"

#include "hashednet/funhash.h"

#include <cstdint>

namespace hashednet {
namespace kernels {

/// v (may be null) = the tile of V; slots (may be null) = its U planes of slots.
void funhash_generate_tile(const FunHashLayout &layer, const float *params, std::int64_t row0, std::int64_t n_rows,
                           std::int64_t col0, std::int64_t n_cols, float *v, std::uint32_t *slots,
                           KeySlotsFn hash_keys);

/// Given dv = dL/dV over the tile, adds into grad (the layer's slice)
///   grad[bucket]        += sum over the tile of dv * dV/dw[bucket]
///   grad[K + p]         += sum over the tile of dv * dV/dalpha_p
/// Order (deterministic): entries row by row, column by column; each entry
/// adds into its U buckets in hash order; alpha's sums are kept in double over
/// the tile and added once at its end. slots: the tile's, from
/// funhash_generate_tile, or null (hashed again).
void funhash_tile_backward(const FunHashLayout &layer, const float *params, std::int64_t row0, std::int64_t n_rows,
                           std::int64_t col0, std::int64_t n_cols, const float *dv, const std::uint32_t *slots,
                           float *grad, KeySlotsFn hash_keys);

} // namespace kernels
} // namespace hashednet

#endif // HASHEDNET_SRC_FUNHASH_TILE_H
