// funhash_scheme.h: FUNHASH (FunHashNN) as a weight scheme of fully connected layers.
//
// What it is: the WeightScheme whose V is funhash.h's: V[i][j] = g(z_0 ..
// z_{U-1}; alpha) with z_u = xi_u(i,j) w[h_u(i,j)]. Its parameters are the
// K buckets, then alpha (g's parameters, trained with the buckets): n_params()
// = K + |alpha|, so the layer's bias follows alpha. The descriptor kernels
// read is the FunHashLayout (funhash.h, host and device); the CPU backend's
// tiles are cpu_schemes.h's FunHashTiles.
//
// What it is not: the bias (the layer's), the tile kernels (funhash_tile.h).
#ifndef HASHEDNET_FUNHASH_SCHEME_H
#define HASHEDNET_FUNHASH_SCHEME_H

#include "hashednet/fully_connected.h"
#include "hashednet/funhash.h"
#include "hashednet/weight_scheme.h"

namespace hashednet {

class FunHashScheme final : public WeightScheme {
public:
   /// Checks `layer` (check_funhash_layout).
   explicit FunHashScheme(const FunHashLayout &layer);

   SchemeKind kind() const override { return SchemeKind::FunHash; }
   const char *name() const override { return "FUNHASH"; }
   std::int64_t n_params() const override { return layer_.n_weight_params(); }
   /// The K buckets as a hashed layer's (Xavier, fan n_in + n_out), then
   /// initialize_reconstruction with the buckets' standard deviation; an MLP
   /// g takes its seed from `rng` after the buckets (LINEAR and IDENTITY draw
   /// nothing more, so U = 1 IDENTITY initialises as HashedNets does).
   void initialize(float *w, WeightInit init, Rng &rng, std::int64_t n_in, std::int64_t n_out) const override;
   float virtual_weight(const float *w, std::int64_t i, std::int64_t j) const override
   {
      return layer_.virtual_weight(w, i, j);
   }
   void add_gradient_reference(const float *w, const double *dv, double *dw) const override;

   const FunHashLayout &layer() const { return layer_; }

private:
   FunHashLayout layer_;
};

/// The FunHashLayout of a FUNHASH layer (an Error naming the layer's scheme otherwise).
const FunHashLayout &funhash_layout(const FullyConnected &layer);

/// `layer` with U and g from `spec` (shape, K and seed kept).
FunHashLayout funhash_of(FunHashLayout layer, const FunHashSpec &spec);

} // namespace hashednet

#endif // HASHEDNET_FUNHASH_SCHEME_H
