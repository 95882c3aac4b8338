// activation_array_avx2.cpp: activation_array.h's loops compiled for AVX2
// (this file alone gets its -m flags and -ffp-contract=off; run only when
// cpu_isa.cpp finds AVX2 on the CPU).
#include "activation_array.h"

#include "hashednet/activation.h"
#include "hashednet/rng.h"

namespace hashednet {
namespace kernels {
namespace avx2 {
#include "activation_array.inc"
} // namespace avx2
} // namespace kernels
} // namespace hashednet
