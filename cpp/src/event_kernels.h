// event_kernels.h: vector kernels of the event path (internal).
//
// What it is: the fully connected layers of event_forward.h (dense, ELEMENT,
// BLOCK: z = V a, no bias) for one event, computed with AVX2 registers in
// exactly that file's order: the 16 partial sums s[j % 16] are two 8-lane
// accumulators, each product rounded before its addition (no FMA: this file's
// variant is compiled with -ffp-contract=off and adds with _mm256_add_ps), the
// fold by halves as event::fold. V is exact however it is made (xi w[bucket]
// is a sign flip), so the hash may run in vectors (hash_lanes_avx2.h). The
// result is event::forward's with event::ReferenceRows, bit for bit, hence the
// standalone class's (tests/test_event_kernels.py, tests/test_standalone_class.py).
//
// What it is not: the small-batch kernels (small_batch.h: FMA, their own
// lanes, within float rounding of the tile path), or used for FUNHASH, FRESH or
// CNN layers (event_forward.h's loops run those). Without AVX2 (or on another
// architecture) available() is false and event_forward.h's loops run.
#ifndef HASHEDNET_SRC_EVENT_KERNELS_H
#define HASHEDNET_SRC_EVENT_KERNELS_H

#include "hashednet/hashed_layout.h"

#include <cstdint>
#include <string>

namespace hashednet {
namespace kernels {

/// out[r] = event::dot(v + r * ld, a, n) for r < n_rows (v: rows of V or W, ld floats apart).
using EventDotRowsFn = void (*)(const float *v, std::int64_t n_rows, std::int64_t ld, std::int64_t n, const float *a,
                                float *out);
/// out[i] = sum_j V[i][j] a[j] in event::dot's order for the rows of an ELEMENT layer (w: its buckets).
using EventElementFn = void (*)(const HashedLayout &layer, const float *w, const float *a, float *out);
/// The same for a BLOCK layer whose block is a multiple of 8, in event::block_layer_forward's order.
using EventBlockFn = void (*)(const HashedLayout &layer, const float *w, const float *a, float *out);

struct EventKernels {
   EventDotRowsFn dot_rows = nullptr;
   EventElementFn element = nullptr;
   EventBlockFn block = nullptr;
   bool available() const { return dot_rows != nullptr; }
};

#if defined(HASHEDNET_HAVE_AVX2)
void event_dot_rows_avx2(const float *v, std::int64_t n_rows, std::int64_t ld, std::int64_t n, const float *a,
                         float *out);
void event_element_avx2(const HashedLayout &layer, const float *w, const float *a, float *out);
void event_block_avx2(const HashedLayout &layer, const float *w, const float *a, float *out);
#endif

/// The event kernels for instruction set `isa` (cpu_isa.h): AVX2's on AVX2 and
/// AVX-512 CPUs (the same bits; no AVX-512 variant is written), none for "scalar".
EventKernels event_kernels(const std::string &isa = "auto");

} // namespace kernels
} // namespace hashednet

#endif // HASHEDNET_SRC_EVENT_KERNELS_H
