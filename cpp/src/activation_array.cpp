// activation_array.cpp: the baseline variant of activation_array.h and the
// run-time choice among the variants.
#include "activation_array.h"

#include "cpu_isa.h"

#include "hashednet/activation.h"
#include "hashednet/rng.h"

namespace hashednet {
namespace kernels {
namespace scalar {
#include "activation_array.inc"
} // namespace scalar

ActivationKernels activation_kernels(const std::string &isa)
{
   switch (resolve_isa(isa)) {
#if defined(HASHEDNET_HAVE_AVX512)
   case Isa::Avx512: return {avx512::activation_forward, avx512::activation_backward, avx512::dropout};
#endif
#if defined(HASHEDNET_HAVE_AVX2)
   case Isa::Avx2: return {avx2::activation_forward, avx2::activation_backward, avx2::dropout};
#endif
   default: return {scalar::activation_forward, scalar::activation_backward, scalar::dropout};
   }
}

} // namespace kernels
} // namespace hashednet
