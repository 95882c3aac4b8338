// cpu_schemes.h: the CPU backend's kernels of each weight scheme (internal).
//
// What it is: for each weight scheme (weight_scheme.h), what the CPU
// backend's one fused driver (cpu_backend.cpp: "a tile of V, then sgemm")
// needs from it, as a small struct read at compile time by the driver
// template:
//
//   kView                  true: V is the parameter block itself (dense): a
//                          tile is a view of W (leading dimension n_in) and
//                          dW is written in place by sgemm
//   generate(w, r, c, s)   V[r, c] into s.v_tile (leading dimension c.size()),
//                          keeping beside it what add_gradient needs
//   plan(w, r, c, s)       only what add_gradient needs (backward without dx)
//   add_gradient(w, r, c, s, dw)
//                          dw (the scheme's parameters, this thread's share)
//                          += (dV/dw)^T dV over the tile, dV in s.dv_tile
//
// with_scheme_tiles() picks the struct of a layer's scheme. Adding a scheme:
// one struct here and one case there; the driver is untouched.
//
// What it is not: the hash (hash.h) or the vectorised tile generators (hash_tile.h).
#ifndef HASHEDNET_SRC_CPU_SCHEMES_H
#define HASHEDNET_SRC_CPU_SCHEMES_H

#include "funhash_tile.h"
#include "hash_tile.h"

#include "hashednet/freshnets_scheme.h"
#include "hashednet/fully_connected.h"
#include "hashednet/funhash_scheme.h"
#include "hashednet/weight_scheme.h"

#include <cstdint>
#include <vector>

namespace hashednet {
namespace cpu {

struct TileRange {
   std::int64_t begin;
   std::int64_t end;
   std::int64_t size() const { return end - begin; }
};

/// Per-thread work buffers of bounded size (tiles), plus the parameter-gradient buffer.
struct ThreadScratch {
   std::vector<float> v_tile;
   std::vector<std::uint32_t> slot_tile; ///< ELEMENT: the tile's slots, for the scatter
   std::vector<kernels::BlockRun> runs;  ///< BLOCK: the tile's runs, for the copy and the scatter
   std::vector<std::uint32_t> hash_planes; ///< FUNHASH: the tile's U planes of slots (grown once to U tiles)
   std::vector<float> dv_tile;
   std::vector<float> param_grad;        ///< several threads: this thread's share of the scheme's gradient
   float *param_sum = nullptr;           ///< where add_gradient adds: param_grad, or the gradient itself on one thread
   std::vector<float> bias;              ///< n_out values: the layer's virtual biases, or dy's column sums
};

/// The tile kernels the CPU backend chose at construction (by instruction set).
struct TileKernels {
   kernels::GenerateTileFn generate;
   kernels::KeySlotsFn hash_keys;
};

/// DENSE: tiles are views of W.
struct DenseTiles {
   static constexpr bool kView = true;
   const HashedLayout &layout;

   const float *view(const float *w, TileRange rows, TileRange cols, std::int64_t &ld) const
   {
      ld = layout.n_in;
      return w + rows.begin * layout.n_in + cols.begin;
   }
};

/// ELEMENT: V and the slots (bucket | sign) generated together; dV scattered through the slots.
struct ElementTiles {
   static constexpr bool kView = false;
   const HashedLayout &layout;
   kernels::GenerateTileFn generate_tile;

   void generate(const float *w, TileRange rows, TileRange cols, ThreadScratch &s) const
   {
      generate_tile(layout, w, rows.begin, rows.size(), cols.begin, cols.size(), s.v_tile.data(), s.slot_tile.data());
   }
   void plan(const float *, TileRange rows, TileRange cols, ThreadScratch &s) const
   {
      generate_tile(layout, nullptr, rows.begin, rows.size(), cols.begin, cols.size(), nullptr, s.slot_tile.data());
   }
   void add_gradient(const float *, TileRange rows, TileRange cols, ThreadScratch &s, float *dw) const
   {
      kernels::scatter_tile(s.slot_tile.data(), s.dv_tile.data(), rows.size() * cols.size(), dw);
   }
};

/// BLOCK: the tile as runs (one per block part in a row); V copied and dV added run by run.
struct BlockTiles {
   static constexpr bool kView = false;
   const HashedLayout &layout;
   kernels::KeySlotsFn hash_keys;

   void generate(const float *w, TileRange rows, TileRange cols, ThreadScratch &s) const
   {
      plan(w, rows, cols, s);
      kernels::copy_runs(w, static_cast<std::uint32_t>(layout.n_buckets), s.runs.data(), s.runs.size(),
                         s.v_tile.data());
   }
   void plan(const float *, TileRange rows, TileRange cols, ThreadScratch &s) const
   {
      kernels::block_runs(layout, rows.begin, rows.size(), cols.begin, cols.size(), s.runs, hash_keys);
   }
   void add_gradient(const float *, TileRange, TileRange, ThreadScratch &s, float *dw) const
   {
      kernels::scatter_runs(s.runs.data(), s.runs.size(), static_cast<std::uint32_t>(layout.n_buckets),
                            s.dv_tile.data(), dw);
   }
};

/// FUNHASH: V generated with its U planes of slots kept beside it, so that the
/// backward pass of the same tile hashes nothing again; dV goes into the
/// buckets and alpha (dw: the scheme's K + |alpha| parameters).
struct FunHashTiles {
   static constexpr bool kView = false;
   const FunHashLayout &layer;
   kernels::KeySlotsFn hash_keys;

   std::uint32_t *planes(TileRange rows, TileRange cols, ThreadScratch &s) const
   {
      const std::size_t n = static_cast<std::size_t>(layer.n_hashes * rows.size() * cols.size());
      if (s.hash_planes.size() < n)
         s.hash_planes.resize(n);
      return s.hash_planes.data();
   }
   void generate(const float *w, TileRange rows, TileRange cols, ThreadScratch &s) const
   {
      kernels::funhash_generate_tile(layer, w, rows.begin, rows.size(), cols.begin, cols.size(), s.v_tile.data(),
                                     planes(rows, cols, s), hash_keys);
   }
   void plan(const float *w, TileRange rows, TileRange cols, ThreadScratch &s) const
   {
      kernels::funhash_generate_tile(layer, w, rows.begin, rows.size(), cols.begin, cols.size(), nullptr,
                                     planes(rows, cols, s), hash_keys);
   }
   void add_gradient(const float *w, TileRange rows, TileRange cols, ThreadScratch &s, float *dw) const
   {
      kernels::funhash_tile_backward(layer, w, rows.begin, rows.size(), cols.begin, cols.size(), s.dv_tile.data(),
                                     s.hash_planes.data(), dw, hash_keys);
   }
};

/// FRESH: a tile of V made slice by slice (each fh x fw slice the inverse DCT
/// of its hashed coefficients, freshnets.h); dV goes back through the
/// forward DCT into the buckets. Nothing is kept between generate and
/// add_gradient (plan has nothing to do): the scatter hashes the tile's
/// coefficients again, work per virtual weight that a large batch (or a
/// convolution's positions) makes small next to the product.
struct FreshTiles {
   static constexpr bool kView = false;
   const FreshLayout &layer;

   void generate(const float *w, TileRange rows, TileRange cols, ThreadScratch &s) const
   {
      fresh_generate_tile(layer, w, rows.begin, rows.size(), cols.begin, cols.size(), s.v_tile.data());
   }
   void plan(const float *, TileRange, TileRange, ThreadScratch &) const {}
   void add_gradient(const float *, TileRange rows, TileRange cols, ThreadScratch &s, float *dw) const
   {
      fresh_add_tile_gradient(layer, s.dv_tile.data(), rows.begin, rows.size(), cols.begin, cols.size(), dw);
   }
};

/// body(tiles) with the tile struct of the layer's weight scheme.
template <class Body>
void with_scheme_tiles(const FullyConnected &layer, const TileKernels &kernels, Body body)
{
   const WeightScheme &scheme = layer.scheme();
   switch (scheme.kind()) {
   case SchemeKind::Dense: body(DenseTiles{layer.layout()}); return;
   case SchemeKind::Element:
      body(ElementTiles{static_cast<const HashedLayoutScheme &>(scheme).layout(), kernels.generate});
      return;
   case SchemeKind::Block:
      body(BlockTiles{static_cast<const HashedLayoutScheme &>(scheme).layout(), kernels.hash_keys});
      return;
   case SchemeKind::FunHash:
      body(FunHashTiles{static_cast<const FunHashScheme &>(scheme).layer(), kernels.hash_keys});
      return;
   case SchemeKind::Fresh: body(FreshTiles{static_cast<const FreshScheme &>(scheme).layer()}); return;
   }
   HASHEDNET_ASSERT(false);
}

} // namespace cpu
} // namespace hashednet

#endif // HASHEDNET_SRC_CPU_SCHEMES_H
