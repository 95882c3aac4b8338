// activation_array_avx512.cpp: activation_array.h's loops compiled for AVX512
// (this file alone gets its -m flags and -ffp-contract=off; run only when
// cpu_isa.cpp finds AVX512 on the CPU).
#include "activation_array.h"

#include "hashednet/activation.h"
#include "hashednet/rng.h"

namespace hashednet {
namespace kernels {
namespace avx512 {
#include "activation_array.inc"
} // namespace avx512
} // namespace kernels
} // namespace hashednet
