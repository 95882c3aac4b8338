// funhash_scheme.cpp: see funhash_scheme.h.
#include "hashednet/funhash_scheme.h"

#include <cmath>
#include <vector>

namespace hashednet {

FunHashScheme::FunHashScheme(const FunHashLayout &layer) : layer_(layer)
{
   check_funhash_layout(layer_);
}

void FunHashScheme::initialize(float *w, WeightInit init, Rng &rng, std::int64_t n_in, std::int64_t n_out) const
{
   xavier(w, layer_.n_buckets, init, rng, n_in, n_out);
   if (layer_.n_alpha() == 0)
      return;
   // XavierUniform's sqrt(6 / fan) U(-1, 1) has the standard deviation sqrt(2 / fan) too.
   const double bucket_std = std::sqrt(2.0 / static_cast<double>(n_in + n_out));
   const std::uint64_t seed = layer_.reconstruction == Reconstruction::Mlp ? rng.next() : 0;
   initialize_reconstruction(layer_, bucket_std, seed, w + layer_.alpha_offset());
}

/// dz and dalpha of every virtual weight through funhash.h's reconstruct_backward
/// (dalpha summed in double), dz scattered into the U buckets.
void FunHashScheme::add_gradient_reference(const float *w, const double *dv, double *dw) const
{
   const float *alpha = w + layer_.alpha_offset();
   std::vector<double> dalpha(static_cast<std::size_t>(layer_.n_alpha()), 0.0);
   for (std::int64_t i = 0; i < layer_.n_out; ++i)
      for (std::int64_t j = 0; j < layer_.n_in; ++j) {
         float z[kFunHashMaxHashes] = {}, dz[kFunHashMaxHashes] = {};
         layer_.fetch(w, i, j, z);
         layer_.reconstruct_backward(alpha, z, static_cast<float>(dv[i * layer_.n_in + j]), dz, dalpha.data());
         for (int u = 0; u < layer_.n_hashes; ++u) {
            std::int64_t k;
            float sign;
            layer_.locate(i, j, u, k, sign);
            dw[k] += static_cast<double>(sign) * dz[u];
         }
      }
   for (std::int64_t p = 0; p < layer_.n_alpha(); ++p)
      dw[layer_.alpha_offset() + p] += dalpha[p];
}

const FunHashLayout &funhash_layout(const FullyConnected &layer)
{
   HASHEDNET_CHECK(layer.scheme().kind() == SchemeKind::FunHash,
                   "the layer's weight scheme is " << layer.scheme().name() << ", not FUNHASH");
   return static_cast<const FunHashScheme &>(layer.scheme()).layer();
}

FunHashLayout funhash_of(FunHashLayout layer, const FunHashSpec &spec)
{
   layer.n_hashes = spec.n_hashes;
   layer.reconstruction = spec.reconstruction;
   layer.hidden = spec.hidden;
   layer.hidden_activation = spec.hidden_activation;
   return layer;
}

} // namespace hashednet
