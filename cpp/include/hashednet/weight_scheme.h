// weight_scheme.h: how a layer's virtual matrix is made from its parameters.
//
// What it is: a fully connected layer reads an n_out x n_in virtual matrix V
// from n_params() real parameters; a WeightScheme says how. It owns the
// parameter count, the initial values, the host reference of V[i][j] and the
// host reference of the backward pass (dV -> dparams), and carries a plain
// descriptor that kernels read (for the schemes here: HashedLayout, whose
// HOST_DEVICE functions are the same reference on a device).
//
//   DENSE    V is the parameter block itself (row-major), no hashing
//   ELEMENT  V[i][j] = xi(i,j) w[h(i,j)], one hash per virtual weight (the paper)
//   BLOCK    one hash per block of B weights of a row, a run of B buckets (ROBE-style)
//   FUNHASH  V[i][j] = g(U hashed buckets; alpha), FunHashNN (funhash_scheme.h)
//   FRESH    each fh x fw slice the inverse DCT of hashed coefficients, FreshNets (freshnets_scheme.h)
//
// A backend runs a scheme through its own kernels (e.g. the CPU backend's
// tile generator and scatter per kind, cpu_schemes.h); the reference backend
// needs nothing but virtual_weight and add_gradient_reference.
//
// Adding a scheme: a SchemeKind, a class deriving from WeightScheme (one
// header and source file), its kernels per backend (CPU: one tile class in
// cpu_schemes.h's with_scheme_tiles), and its construction in network.cpp.
//
// What it is not: the bias (the layer's), the product (the backend's).
#ifndef HASHEDNET_WEIGHT_SCHEME_H
#define HASHEDNET_WEIGHT_SCHEME_H

#include "hashednet/config.h"
#include "hashednet/hashed_layout.h"
#include "hashednet/rng.h"

#include <cstdint>

namespace hashednet {

enum class SchemeKind { Dense, Element, Block, FunHash, Fresh };

class WeightScheme {
public:
   virtual ~WeightScheme() = default;
   virtual SchemeKind kind() const = 0;
   /// DENSE, ELEMENT, BLOCK, FUNHASH or FRESH.
   virtual const char *name() const = 0;
   /// Real parameters of V (the layer's bias not included).
   virtual std::int64_t n_params() const = 0;
   /// Initial values of the n_params() parameters `w` (host), for a layer of
   /// n_in inputs and n_out outputs, drawing from `rng` in a fixed order.
   virtual void initialize(float *w, WeightInit init, Rng &rng, std::int64_t n_in, std::int64_t n_out) const = 0;
   /// Host reference: V[i][j] from the parameters w.
   virtual float virtual_weight(const float *w, std::int64_t i, std::int64_t j) const = 0;
   /// Host reference of the backward pass: dw (n_params(), added to) +=
   /// (dV/dw)^T dv for dv = dL/dV (n_out x n_in, row-major), at parameters w.
   virtual void add_gradient_reference(const float *w, const double *dv, double *dw) const = 0;
};

/// DENSE, ELEMENT and BLOCK: V as hashed_layout.h defines it, the layout's
/// weight part being the descriptor (its bias fields belong to the layer).
class HashedLayoutScheme final : public WeightScheme {
public:
   explicit HashedLayoutScheme(const HashedLayout &layout) : layout_(layout) {}

   SchemeKind kind() const override
   {
      if (!layout_.hashed)
         return SchemeKind::Dense;
      return layout_.hash_mode == HashMode::Block ? SchemeKind::Block : SchemeKind::Element;
   }
   const char *name() const override;
   std::int64_t n_params() const override { return layout_.n_buckets; }
   void initialize(float *w, WeightInit init, Rng &rng, std::int64_t n_in, std::int64_t n_out) const override;
   float virtual_weight(const float *w, std::int64_t i, std::int64_t j) const override
   {
      return layout_.virtual_weight(w, i, j);
   }
   void add_gradient_reference(const float *w, const double *dv, double *dw) const override;

   /// The descriptor the kernels read.
   const HashedLayout &layout() const { return layout_; }

private:
   HashedLayout layout_;
};

/// Glorot/Xavier draws for n weights of a layer with fan sum n_in + n_out:
/// normal sqrt(2 / fan) N(0, 1), or uniform sqrt(6 / fan) U(-1, 1).
void xavier(float *w, std::int64_t n, WeightInit init, Rng &rng, std::int64_t n_in, std::int64_t n_out);

} // namespace hashednet

#endif // HASHEDNET_WEIGHT_SCHEME_H
