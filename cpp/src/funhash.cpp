// funhash.cpp: the host-only parts of funhash.h: names, checks and the
// initial values of the reconstruction network. See funhash.h.
#include "hashednet/funhash.h"

#include "hashednet/rng.h"

#include <cmath>

namespace hashednet {

namespace {
/// E[f(x)^2] for x ~ N(0, 1), by the midpoint rule on [-8, 8] (the rest of the
/// mass is below 1e-15): the variance gain of the MLP's hidden units at init.
double second_moment_under_normal(Activation f)
{
   constexpr int kSteps = 4096;
   constexpr double kHalfWidth = 8.0;
   const double step = 2.0 * kHalfWidth / kSteps;
   double sum = 0.0;
   for (int e = 0; e < kSteps; ++e) {
      const double x = -kHalfWidth + (e + 0.5) * step;
      const double a = activate(f, static_cast<float>(x));
      sum += a * a * std::exp(-0.5 * x * x);
   }
   return sum * step / std::sqrt(2.0 * 3.14159265358979323846);
}
} // namespace

const char *reconstruction_name(Reconstruction g)
{
   switch (g) {
   case Reconstruction::Identity: return "IDENTITY";
   case Reconstruction::Linear: return "LINEAR";
   case Reconstruction::Mlp: return "MLP";
   }
   return "?";
}

void check_funhash_layout(const FunHashLayout &layer)
{
   HASHEDNET_CHECK(layer.n_in > 0 && layer.n_out > 0,
                   "FUNHASH layer shape must be positive, got " << layer.n_out << " x " << layer.n_in);
   HASHEDNET_CHECK(layer.n_buckets >= 1 && layer.n_buckets < (std::int64_t(1) << 31),
                   "FUNHASH bucket count must be in [1, 2^31), got " << layer.n_buckets);
   HASHEDNET_CHECK(layer.n_hashes >= 1 && layer.n_hashes <= kFunHashMaxHashes,
                   "FUNHASH hash count U must be in [1, " << kFunHashMaxHashes << "], got " << layer.n_hashes);
   switch (layer.reconstruction) {
   case Reconstruction::Identity:
      HASHEDNET_CHECK(layer.n_hashes == 1, "reconstruction IDENTITY takes exactly one hash (U = 1), got U = "
                                               << layer.n_hashes << "; use LINEAR or MLP for U > 1");
      HASHEDNET_CHECK(layer.hidden == 0, "reconstruction IDENTITY has no hidden units, got " << layer.hidden);
      return;
   case Reconstruction::Linear:
      HASHEDNET_CHECK(layer.hidden == 0, "reconstruction LINEAR has no hidden units, got " << layer.hidden);
      return;
   case Reconstruction::Mlp:
      HASHEDNET_CHECK(layer.hidden >= 1 && layer.hidden <= kFunHashMaxHidden,
                      "reconstruction MLP needs hidden units in [1, " << kFunHashMaxHidden << "], got "
                                                                      << layer.hidden);
      return;
   }
   HASHEDNET_CHECK(false, "unknown reconstruction; allowed: IDENTITY, LINEAR, MLP");
}

void initialize_reconstruction(const FunHashLayout &layer, double bucket_std, std::uint64_t seed, float *alpha)
{
   check_funhash_layout(layer);
   HASHEDNET_CHECK(std::isfinite(bucket_std) && bucket_std > 0.0,
                   "bucket_std must be finite and positive, got " << bucket_std);
   const int u_count = layer.n_hashes, h_count = layer.hidden;
   if (layer.reconstruction == Reconstruction::Linear) {
      for (int u = 0; u < u_count; ++u)
         alpha[u] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(u_count)));
      return;
   }
   if (layer.reconstruction != Reconstruction::Mlp)
      return;
   Rng rng(seed);
   const double in_scale = 1.0 / (std::sqrt(static_cast<double>(u_count)) * bucket_std);
   const double out_scale = bucket_std / std::sqrt(h_count * second_moment_under_normal(layer.hidden_activation));
   float *a = alpha, *b = alpha + h_count * u_count, *c = b + h_count;
   for (int e = 0; e < h_count * u_count; ++e)
      a[e] = static_cast<float>(in_scale * rng.normal());
   for (int h = 0; h < h_count; ++h) {
      b[h] = 0.0f;
      c[h] = static_cast<float>(out_scale * rng.normal());
   }
   c[h_count] = 0.0f; // d
}

} // namespace hashednet
