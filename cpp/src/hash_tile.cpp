// hash_tile.cpp: the scalar tile generator (the reference) and the run-time
// choice of implementation. See hash_tile.h.
#include "hash_tile.h"

#include "hashednet/common.h"

#include <atomic>

namespace hashednet {
namespace kernels {

void generate_tile_scalar(const HashedLayout &layer, const float *w, std::int64_t row0, std::int64_t n_rows,
                          std::int64_t col0, std::int64_t n_cols, float *v, std::uint32_t *slots)
{
   const auto n_buckets = static_cast<std::uint32_t>(layer.n_buckets);
   for (std::int64_t r = 0; r < n_rows; ++r) {
      const std::uint64_t key0 = static_cast<std::uint64_t>(row0 + r) * layer.n_in + col0;
      for (std::int64_t c = 0; c < n_cols; ++c) {
         const std::uint32_t slot = slot_of(xxh32::hash_u64(key0 + c, layer.weight_seed), n_buckets);
         if (v)
            v[r * n_cols + c] = signed_weight(w, slot);
         if (slots)
            slots[r * n_cols + c] = slot;
      }
   }
}

namespace {
bool cpu_has_avx2()
{
#if defined(HASHEDNET_HAVE_AVX2)
   __builtin_cpu_init();
   return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
   return false;
#endif
}

std::atomic<int> forced_isa{-1}; // -1: the CPU's best; 0 scalar; 1 avx2

int isa_code(const std::string &isa)
{
   if (isa == "scalar")
      return 0;
   if (isa == "avx2")
      return 1;
   HASHEDNET_CHECK(isa == "auto", "unknown kernel instruction set '" << isa << "'; allowed: auto, scalar, avx2");
   return -1;
}

int resolve(int code)
{
   if (code < 0)
      code = forced_isa.load();
   if (code < 0)
      code = cpu_has_avx2() ? 1 : 0;
   return code;
}
} // namespace

bool isa_available(const std::string &isa)
{
   const int code = isa_code(isa);
   return code != 1 || cpu_has_avx2();
}

GenerateTileFn tile_generator(const std::string &isa)
{
   const int code = resolve(isa_code(isa));
   HASHEDNET_CHECK(code != 1 || cpu_has_avx2(), "the avx2 tile generator is not available on this CPU or build");
#if defined(HASHEDNET_HAVE_AVX2)
   if (code == 1)
      return generate_tile_avx2;
#endif
   return generate_tile_scalar;
}

std::string default_isa()
{
   return resolve(-1) == 1 ? "avx2" : "scalar";
}

void set_default_isa(const std::string &isa)
{
   const int code = isa_code(isa);
   HASHEDNET_CHECK(isa_available(isa), "instruction set '" << isa << "' is not available on this CPU or build");
   forced_isa.store(code);
}

} // namespace kernels
} // namespace hashednet
