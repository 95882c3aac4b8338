// event_kernels.cpp: the run-time choice of the event path's vector kernels. See event_kernels.h.
#include "event_kernels.h"

#include "cpu_isa.h"

namespace hashednet {
namespace kernels {

EventKernels event_kernels(const std::string &isa)
{
   EventKernels k;
#if defined(HASHEDNET_HAVE_AVX2)
   if (resolve_isa(isa) != Isa::Scalar) { // AVX-512 CPUs run AVX2 (same bits)
      k.dot_rows = event_dot_rows_avx2;
      k.element = event_element_avx2;
      k.block = event_block_avx2;
   }
#else
   (void)resolve_isa(isa);
#endif
   return k;
}

} // namespace kernels
} // namespace hashednet
