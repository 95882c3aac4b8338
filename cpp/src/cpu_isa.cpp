// cpu_isa.cpp: the run-time choice of instruction set. See cpu_isa.h.
#include "cpu_isa.h"

#include "hashednet/common.h"

#include <atomic>

namespace hashednet {
namespace kernels {

namespace {
const char *const kNames[] = {"scalar", "avx2", "avx512"};

/// What this build compiled (CMake defines HASHEDNET_HAVE_AVX2/AVX512 on
/// x86-64) and the CPU runs.
bool supported(Isa isa)
{
   switch (isa) {
   case Isa::Scalar: return true;
   case Isa::Avx2:
#if defined(HASHEDNET_HAVE_AVX2)
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
      return false;
#endif
   case Isa::Avx512:
#if defined(HASHEDNET_HAVE_AVX512)
      __builtin_cpu_init();
      return supported(Isa::Avx2) && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
#else
      return false;
#endif
   }
   return false;
}

Isa best()
{
   return supported(Isa::Avx512) ? Isa::Avx512 : supported(Isa::Avx2) ? Isa::Avx2 : Isa::Scalar;
}

std::atomic<int> forced{-1}; // -1: the CPU's best

/// -1 for "auto", otherwise the Isa's value.
int code_of(const std::string &name)
{
   for (int i = 0; i < 3; ++i)
      if (name == kNames[i])
         return i;
   HASHEDNET_CHECK(name == "auto",
                   "unknown kernel instruction set '" << name << "'; allowed: auto, scalar, avx2, avx512");
   return -1;
}
} // namespace

std::string isa_name(Isa isa)
{
   return kNames[static_cast<int>(isa)];
}

Isa resolve_isa(const std::string &name)
{
   int code = code_of(name);
   if (code < 0)
      code = forced.load();
   if (code < 0)
      return best();
   HASHEDNET_CHECK(supported(static_cast<Isa>(code)),
                   "the " << name << " kernels are not available on this CPU or build; available: "
                          << (supported(Isa::Avx512) ? "scalar, avx2, avx512"
                              : supported(Isa::Avx2) ? "scalar, avx2"
                                                     : "scalar"));
   return static_cast<Isa>(code);
}

bool isa_available(const std::string &name)
{
   const int code = code_of(name);
   return code < 0 || supported(static_cast<Isa>(code));
}

std::string default_isa()
{
   return isa_name(resolve_isa("auto"));
}

void set_default_isa(const std::string &name)
{
   HASHEDNET_CHECK(isa_available(name), "instruction set '" << name << "' is not available on this CPU or build");
   forced.store(code_of(name));
}

} // namespace kernels
} // namespace hashednet
