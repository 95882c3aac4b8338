// rng.h: a small, fully specified random generator (SplitMix64), so that a
// seed gives the same numbers with every compiler and standard library
// (std::normal_distribution does not).
#ifndef HASHEDNET_RNG_H
#define HASHEDNET_RNG_H

#include "hashednet/common.h"

#include <cmath>
#include <cstdint>
#include <vector>

namespace hashednet {

/// SplitMix64 is counter-based: its number e (from 0) for `seed` is a pure
/// function of (seed, e), so arrays of random numbers can be made in any
/// order, vectorised or on several threads, and still equal Rng's sequence.
HASHEDNET_HOST_DEVICE inline std::uint64_t splitmix64_at(std::uint64_t seed, std::uint64_t e)
{
   std::uint64_t z = seed + (e + 1) * 0x9E3779B97F4A7C15ull;
   z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
   z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
   return z ^ (z >> 31);
}

class Rng {
public:
   explicit Rng(std::uint64_t seed) : seed_(seed) {}


   /// The next number: splitmix64_at(seed, count) for count = 0, 1, 2, ...
   std::uint64_t next() { return splitmix64_at(seed_, count_++); }

   /// Uniform in [0, 1) with 53 random bits.
   double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

   /// Uniform integer in [0, n).
   std::uint64_t below(std::uint64_t n) { return static_cast<std::uint64_t>(uniform() * static_cast<double>(n)); }

   /// Standard normal (Box-Muller, one value per call).
   double normal()
   {
      const double u1 = 1.0 - uniform(); // (0, 1]
      const double u2 = uniform();
      return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
   }

private:
   std::uint64_t seed_;
   std::uint64_t count_ = 0;
};

/// A uniformly shuffled 0..n-1 (Fisher-Yates).
inline std::vector<std::int64_t> shuffled_indices(std::int64_t n, std::uint64_t seed)
{
   std::vector<std::int64_t> index(static_cast<std::size_t>(n));
   for (std::int64_t i = 0; i < n; ++i)
      index[i] = i;
   Rng rng(seed);
   for (std::int64_t i = n - 1; i > 0; --i) {
      const auto j = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(i + 1)));
      std::swap(index[i], index[j]);
   }
   return index;
}

} // namespace hashednet

#endif // HASHEDNET_RNG_H
