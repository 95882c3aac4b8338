// weight_scheme.cpp: see weight_scheme.h.
#include "hashednet/weight_scheme.h"

#include <cmath>

namespace hashednet {

void xavier(float *w, std::int64_t n, WeightInit init, Rng &rng, std::int64_t n_in, std::int64_t n_out)
{
   const double fan_sum = static_cast<double>(n_in + n_out);
   for (std::int64_t k = 0; k < n; ++k) {
      if (init == WeightInit::XavierNormal)
         w[k] = static_cast<float>(std::sqrt(2.0 / fan_sum) * rng.normal());
      else
         w[k] = static_cast<float>(std::sqrt(6.0 / fan_sum) * (2.0 * rng.uniform() - 1.0));
   }
}

const char *HashedLayoutScheme::name() const
{
   switch (kind()) {
   case SchemeKind::Dense: return "DENSE";
   case SchemeKind::Element: return "ELEMENT";
   case SchemeKind::Block: return "BLOCK";
   case SchemeKind::FunHash: break; // not a HashedLayoutScheme (funhash_scheme.h)
   case SchemeKind::Fresh: break;   // not a HashedLayoutScheme (freshnets_scheme.h)
   }
   return "?";
}

void HashedLayoutScheme::initialize(float *w, WeightInit init, Rng &rng, std::int64_t n_in, std::int64_t n_out) const
{
   xavier(w, layout_.n_buckets, init, rng, n_in, n_out);
}

void HashedLayoutScheme::add_gradient_reference(const float *, const double *dv, double *dw) const
{
   for (std::int64_t i = 0; i < layout_.n_out; ++i)
      for (std::int64_t j = 0; j < layout_.n_in; ++j) {
         std::int64_t k;
         float sign;
         layout_.locate_weight(i, j, k, sign);
         dw[k] += sign * dv[i * layout_.n_in + j];
      }
}

} // namespace hashednet
