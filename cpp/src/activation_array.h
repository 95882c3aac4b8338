// activation_array.h: activation functions and the dropout mask over arrays
// (internal to the CPU backend).
//
// The loops are written once (activation_array.inc, on activation.h's
// scalar functions) and compiled three times: for the baseline x86-64 (SSE2)
// or any other CPU, with -mavx2 and with -mavx512f, all with
// -ffp-contract=off, so every variant computes the same bits as
// activate()/activation_derivative() (tests/test_kernels.py). The choice
// among them is made at run time (cpu_isa.h).
#ifndef HASHEDNET_SRC_ACTIVATION_ARRAY_H
#define HASHEDNET_SRC_ACTIVATION_ARRAY_H

#include "hashednet/config.h"

#include <cstdint>
#include <string>

namespace hashednet {
namespace kernels {

/// a[e] = f(z[e]) for e < n.
using ActivationForwardFn = void (*)(Activation f, const float *z, float *a, std::int64_t n);
/// dz[e] = da[e] * f'(z[e]) (with a = f(z)) for e < n; dz may be da.
using ActivationBackwardFn = void (*)(Activation f, const float *z, const float *a, const float *da, float *dz,
                                      std::int64_t n);

/// Inverted dropout of x[0, n), the elements first .. first + n of a mask:
/// keep[e] = 0 where SplitMix64's number first + e of `seed` is, as a uniform
/// double, below p, else 1 / (1 - p); y = x keep.
using DropoutFn = void (*)(const float *x, float *y, float *keep, std::int64_t n, std::uint64_t seed,
                           std::uint64_t first, double p);

struct ActivationKernels {
   ActivationForwardFn forward;
   ActivationBackwardFn backward;
   DropoutFn dropout;
};

/// The variant for instruction set `isa` ("auto", "scalar", "avx2", "avx512").
ActivationKernels activation_kernels(const std::string &isa = "auto");

#define HASHEDNET_DECLARE_ACTIVATION_ARRAYS(isa)                                                                     \
   namespace isa {                                                                                                   \
   void activation_forward(Activation f, const float *z, float *a, std::int64_t n);                                  \
   void activation_backward(Activation f, const float *z, const float *a, const float *da, float *dz,                \
                            std::int64_t n);                                                                         \
   void dropout(const float *x, float *y, float *keep, std::int64_t n, std::uint64_t seed, std::uint64_t first,     \
                double p);                                                                                           \
   }
HASHEDNET_DECLARE_ACTIVATION_ARRAYS(scalar)
HASHEDNET_DECLARE_ACTIVATION_ARRAYS(avx2)
HASHEDNET_DECLARE_ACTIVATION_ARRAYS(avx512)
#undef HASHEDNET_DECLARE_ACTIVATION_ARRAYS

} // namespace kernels
} // namespace hashednet

#endif // HASHEDNET_SRC_ACTIVATION_ARRAY_H
