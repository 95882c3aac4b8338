// event_forward.h: the response of one event, or of a few, with a fixed
// order of every floating-point operation, written once for the core and for
// the standalone class.
//
// What it is: the forward pass of a network (input transform, each layer's
// virtual weights from HashedLayout or, for a FUNHASH layer, FunHashLayout,
// bias, activation, output transform; CNN layers as event_conv.h orders
// them) for small batches, as plain C++17 on the
// core's host/device headers (hash.h, hashed_layout.h, funhash.h,
// activation.h) and nothing else. Model::predict_one runs it,
// and MakeClass embeds this text verbatim (standalone_class.h), so the class a
// user compiles with g++ alone returns the method's response bit for bit.
//
// What it is not: the batch path. Network::predict multiplies by sgemm, whose
// summation order depends on the CPU's BLAS kernel; results of the two agree
// to float rounding (about 1e-6 relative), not bit for bit. Each event's
// result here does not depend on how many events are passed together.
//
// The fixed order, for layer inputs a (n_in) and row i of V:
//   input     x'[j] = (x[j] - offset[j]) * scale[j]
//   dot       16 partial sums s[0..15] = +0; for j = 0, 1, ..., n_in - 1:
//             s[j % 16] += V[i][j] * a[j] (product rounded, then the sum);
//             then folded in halves: s[k] += s[k + h] for h = 8, 4, 2, 1
//             (k < h), the result is s[0]
//   layer     z[i] = s[0] + b[i];  a'[i] = activate(f, z[i]) (activation.h)
//   output    two-class approx::sigmoid(z); multiclass softmax: top = max
//             over k in order, e[k] = approx::exp(z[k] - top), sum over k in
//             order from +0, e[k] / sum; regression z.
// V[i][j] = xi * w[bucket] is exact whichever way it is computed (the sign
// flip is exact), so a row source may hash in vectors (the core uses its tile
// generator); only the order above fixes the bits. A BLOCK layer makes no
// row of V: each block's run of buckets is multiplied in where it lies
// (add_run), the same products added in the same order. A FUNHASH layer's V[i][j]
// = g(z_0 .. z_{U-1}; alpha) is not exact: a row source must evaluate it with
// FunHashLayout::reconstruct (funhash.h's order) on the exact z_u = xi_u w[h_u],
// as ReferenceRows and the core's FUNHASH tile generator both do. A FRESH
// layer's V comes a whole slice at a time from FreshLayout::spatial_slice
// (freshnets.h's fixed float order), in ReferenceRows as in the core. It is what a SIMD version
// computes with 16 lanes (two 8-lane or one 16-lane accumulator, reduced by
// halves). Lanes past n_in may be added as +0: no partial sum is ever -0.
// The core's row source does exactly that: its layer() hook (ReferenceRows
// documents it) runs dense, ELEMENT and BLOCK layers (B a multiple of 8) in
// AVX2 kernels (cpp/src/event_kernels_avx2.cpp: s[0..7] and s[8..15] in two
// registers, each product rounded before its addition) and the activations in
// activation_array.h's vector loops (activate()'s bits); this file's loops,
// which the standalone class runs, compute the same bits in the same order.
//
// Compiling it for bit identity: IEEE float arithmetic (FLT_EVAL_METHOD 0, as
// on x86-64 and AArch64), no reassociation (-ffast-math, -Ofast,
// -fassociative-math) and no contraction of a * b + c into a fused
// multiply-add, which GCC and Clang do by default whenever the target has FMA
// (-march=native on any recent x86-64, -mfma; AArch64 always). The core
// compiles its users of this header with -ffp-contract=off
// -fno-trapping-math (the latter changes no value; it lets the activations'
// selects vectorise). The standalone class wraps this header in pragmas that
// impose the same whatever the user's flags: with GCC any -O level, -march and
// even -Ofast give the bits; with Clang any -O level and -march, but not
// -ffp-contract=fast or -ffast-math, under which Clang ignores the pragma
// (tests/test_standalone_class.py compiles it each way).
#ifndef HASHEDNET_EVENT_FORWARD_H
#define HASHEDNET_EVENT_FORWARD_H

#include "hashednet/activation.h"
#include "hashednet/common.h"
#include "hashednet/config.h"
#include "hashednet/event_conv.h"
#include "hashednet/freshnets.h"
#include "hashednet/funhash.h"
#include "hashednet/hashed_layout.h"

#include <cstdint>

namespace hashednet {
namespace event {

constexpr int kLanes = 16;                ///< partial sums of a dot product (dot() folds 16 by halves)
constexpr std::int64_t kTileFloats = 4096; ///< rows of V made at a time: this many floats (or one row)

/// One layer: its layout, activation and parameters (w: the n_buckets weights,
/// b: the n_bias_buckets bias parameters). A FUNHASH layer (is_funhash(): a
/// hashed layout with HashMode::FunHash) has its V from `funhash`, and w is its
/// slice: funhash.n_buckets buckets, then g's funhash.n_alpha() parameters.
struct Layer {
   HashedLayout layout;
   Activation activation = Activation::Linear;
   const float *w = nullptr;
   const float *b = nullptr;
   FunHashLayout funhash; ///< read only when is_funhash()
   ImageKind image = ImageKind::None; ///< a CNN layer (event_conv.h): layout is a CONV layer's filter matrix
   ImageWindow window;                ///< CONV, MAXPOOL: the input image and the window
   std::int64_t n_values = 0;         ///< CNN layers: values per event coming out
   std::int64_t features = 0;         ///< BNORM: its features (w: gamma, beta, running means, variances)
   float epsilon = 0.0f;              ///< BNORM
   FreshLayout fresh;     ///< read only when is_fresh(): V slice by slice (freshnets.h), w its K buckets

   HASHEDNET_HOST_DEVICE bool is_funhash() const { return layout.hashed && layout.hash_mode == HashMode::FunHash; }
   HASHEDNET_HOST_DEVICE bool is_fresh() const { return layout.hashed && layout.hash_mode == HashMode::Fresh; }
};

/// A network as this path sees it; nothing is owned.
struct Net {
   Task task = Task::Classification;
   std::int64_t n_inputs = 0;
   std::int64_t n_outputs = 0;
   const Layer *layers = nullptr;
   int n_layers = 0;
   const float *input_offset = nullptr; ///< n_inputs values
   const float *input_scale = nullptr;  ///< n_inputs values
};

/// The 16 partial sums of a dot product folded by halves (the file comment's order).
HASHEDNET_HOST_DEVICE inline float fold(float *s)
{
   for (int k = 0; k < 8; ++k) // the folds by halves, each a loop of fixed length (unrolled)
      s[k] += s[k + 8];
   for (int k = 0; k < 4; ++k)
      s[k] += s[k + 4];
   for (int k = 0; k < 2; ++k)
      s[k] += s[k + 2];
   return s[0] + s[1];
}

/// sum_j v[j] a[j] in the fixed order of the file comment.
HASHEDNET_HOST_DEVICE inline float dot(const float *v, const float *a, std::int64_t n)
{
   float s[kLanes] = {};
   std::int64_t j = 0;
   for (; j + kLanes <= n; j += kLanes)
      for (int k = 0; k < kLanes; ++k)
         s[k] += v[j + k] * a[j + k];
   for (int k = 0; j + k < n; ++k)
      s[k] += v[j + k] * a[j + k];
   return fold(s);
}

/// BLOCK mode: s[j % 16] += V[i][j] a[j] for the columns j0 .. j0 + len - 1 of
/// one block, straight from its run of buckets: V[i][j0 + t] = xi * w[(start
/// + t) mod K], with slot = start | (sign bit of xi) << 31. The products and
/// additions of dot() on a row of V, in its order (a + (-w) b is a - w b).
HASHEDNET_HOST_DEVICE inline void add_run(const float *w, std::uint32_t n_buckets, std::uint32_t slot, const float *a,
                                          std::int64_t j0, std::int64_t len, float *s)
{
   const std::uint32_t start = slot & 0x7FFFFFFFu;
   const bool negative = (slot >> 31) != 0u;
   if (j0 % kLanes == 0 && len % kLanes == 0 && start + static_cast<std::uint64_t>(len) <= n_buckets) {
      const float *v = w + start; // whole vectors of lanes, no wrap around K: fixed-length loops
      for (std::int64_t t = 0; t < len; t += kLanes)
         if (negative)
            for (int k = 0; k < kLanes; ++k)
               s[k] -= v[t + k] * a[j0 + t + k];
         else
            for (int k = 0; k < kLanes; ++k)
               s[k] += v[t + k] * a[j0 + t + k];
      return;
   }
   for (std::int64_t t = 0; t < len; ++t) {
      std::uint64_t b = start + static_cast<std::uint64_t>(t);
      b = b < n_buckets ? b : b % n_buckets;
      s[(j0 + t) % kLanes] += (negative ? -w[b] : w[b]) * a[j0 + t];
   }
}

/// Rows of V generated at a time for a layer with n_in inputs.
HASHEDNET_HOST_DEVICE inline std::int64_t tile_rows(std::int64_t n_in)
{
   return n_in >= kTileFloats ? 1 : kTileFloats / n_in;
}

/// The widest layer input or output.
inline std::int64_t max_width(const Net &net)
{
   std::int64_t width = net.n_inputs;
   for (int l = 0; l < net.n_layers; ++l) {
      const Layer &layer = net.layers[l];
      const std::int64_t n_out = layer.image == ImageKind::None ? layer.layout.n_out : layer.n_values;
      width = n_out > width ? n_out : width;
   }
   return width;
}

/// Floats of the tile of rows of V (the largest of any layer), then of a CONV layer's patch.
inline std::int64_t tile_floats(const Net &net)
{
   std::int64_t tile = 0;
   for (int l = 0; l < net.n_layers; ++l) {
      const HashedLayout &L = net.layers[l].layout;
      if (net.layers[l].image == ImageKind::MaxPool || net.layers[l].image == ImageKind::Reshape ||
          net.layers[l].image == ImageKind::BatchNorm)
         continue; // no weight matrix (and an empty layout)
      const std::int64_t floats = (tile_rows(L.n_in) < L.n_out ? tile_rows(L.n_in) : L.n_out) * L.n_in;
      tile = floats > tile ? floats : tile;
   }
   return tile;
}

inline std::int64_t patch_floats(const Net &net)
{
   std::int64_t patch = 0;
   for (int l = 0; l < net.n_layers; ++l)
      if (net.layers[l].image == ImageKind::Conv && net.layers[l].window.patch() > patch)
         patch = net.layers[l].window.patch();
   return patch;
}

/// Floats of scratch forward() needs for n_events: two layer buffers, a tile and a patch.
inline std::int64_t scratch_floats(const Net &net, std::int64_t n_events)
{
   return 2 * n_events * max_width(net) + tile_floats(net) + patch_floats(net);
}

/// Rows [row0, row0 + n_rows) of V from HashedLayout::virtual_weight (a
/// FUNHASH layer: FunHashLayout::virtual_weight), into `tile` (leading
/// dimension n_in); a dense layer's rows are its weights, returned in place.
/// The definition every other row source must equal.
struct ReferenceRows {
   const float *operator()(const Layer &layer, std::int64_t row0, std::int64_t n_rows, float *tile) const
   {
      const HashedLayout &L = layer.layout;
      if (!L.hashed)
         return layer.w + row0 * L.n_in;
      if (layer.is_fresh()) { // whole slices, each entry FreshLayout::virtual_weight's
         layer.fresh.generate_tile(layer.w, row0, n_rows, 0, L.n_in, tile);
         return tile;
      }
      for (std::int64_t r = 0; r < n_rows; ++r)
         for (std::int64_t j = 0; j < L.n_in; ++j)
            tile[r * L.n_in + j] = layer.is_funhash() ? layer.funhash.virtual_weight(layer.w, row0 + r, j)
                                                      : L.virtual_weight(layer.w, row0 + r, j);
      return tile;
   }

   /// A fully connected layer's whole output, activate(V a + b) for n_events
   /// inputs, by the row source's own loops in this file's order (the core's
   /// vector kernels); false: not done, layer_forward's loops below run. This
   /// row source leaves every layer to them.
   bool layer(const Layer &, const float *, std::int64_t, float *) const { return false; }

   /// BLOCK mode: the slots (bucket | sign bit << 31) of block keys key0 ..
   /// key0 + n - 1 (key = row * n_blocks + q, consecutive along the layer).
   void block_slots(const Layer &layer, std::uint64_t key0, std::int64_t n, std::uint32_t *slots) const
   {
      const HashedLayout &L = layer.layout;
      for (std::int64_t e = 0; e < n; ++e) {
         const std::uint32_t h = xxh32::hash_u64(key0 + static_cast<std::uint64_t>(e), L.weight_seed);
         slots[e] = bucket_of(h, static_cast<std::uint32_t>(L.n_buckets)) | (h << 31);
      }
   }
};

/// z[i] = activate(f, z[i]) for n values, one loop per activation (so it vectorises).
inline void activate_all(Activation f, float *z, std::int64_t n)
{
   switch (f) {
#define HASHEDNET_EVENT_ACTIVATION(F)                                                                                \
   case Activation::F:                                                                                               \
      for (std::int64_t e = 0; e < n; ++e)                                                                           \
         z[e] = activate(Activation::F, z[e]);                                                                       \
      return;
      HASHEDNET_EVENT_ACTIVATION(Tanh)
      HASHEDNET_EVENT_ACTIVATION(Relu)
      HASHEDNET_EVENT_ACTIVATION(SymmRelu)
      HASHEDNET_EVENT_ACTIVATION(Sigmoid)
      HASHEDNET_EVENT_ACTIVATION(Softsign)
      HASHEDNET_EVENT_ACTIVATION(Gauss)
#undef HASHEDNET_EVENT_ACTIVATION
   case Activation::Linear: return;
   }
}

/// Block keys hashed at a time by a BLOCK layer (rows.block_slots).
constexpr std::int64_t kSlotChunk = 256;

/// A BLOCK layer's z (no activation) for n_events inputs: each row's dot
/// product taken from the runs of its blocks (add_run), no row of V made.
/// The layer's block keys, row * n_blocks + q, are consecutive: hashed
/// kSlotChunk at a time across rows.
template <class Rows>
void block_layer_forward(const Layer &layer, const float *in, std::int64_t n_events, float *out, const Rows &rows)
{
   const HashedLayout &L = layer.layout;
   const std::int64_t n_blocks = L.n_blocks();
   const std::int64_t n_keys = L.n_out * n_blocks;
   std::uint32_t slots[kSlotChunk];
   for (std::int64_t e = 0; e < n_events; ++e) {
      const float *a = in + e * L.n_in;
      float s[kLanes] = {};
      std::int64_t i = 0, q = 0;
      for (std::int64_t k0 = 0; k0 < n_keys; k0 += kSlotChunk) {
         const std::int64_t n = n_keys - k0 < kSlotChunk ? n_keys - k0 : kSlotChunk;
         rows.block_slots(layer, static_cast<std::uint64_t>(k0), n, slots);
         for (std::int64_t c = 0; c < n; ++c) {
            const std::int64_t j0 = q * L.block;
            add_run(layer.w, static_cast<std::uint32_t>(L.n_buckets), slots[c], a, j0,
                    L.n_in - j0 < L.block ? L.n_in - j0 : L.block, s);
            if (++q < n_blocks)
               continue;
            out[e * L.n_out + i] = fold(s) + L.virtual_bias(layer.b, i); // row i done
            for (int k = 0; k < kLanes; ++k)
               s[k] = 0.0f;
            q = 0;
            ++i;
         }
      }
   }
}

/// One layer for n_events inputs `in` (n_events x n_in) into `out`
/// (n_events x n_out); `tile` holds tile_rows(n_in) rows of V.
template <class Rows>
void layer_forward(const Layer &layer, const float *in, std::int64_t n_events, float *tile, float *out,
                   const Rows &rows)
{
   const HashedLayout &L = layer.layout;
   if (rows.layer(layer, in, n_events, out))
      return;
   if (L.hashed && L.hash_mode == HashMode::Block) {
      block_layer_forward(layer, in, n_events, out, rows);
      activate_all(layer.activation, out, n_events * L.n_out);
      return;
   }
   const std::int64_t step = tile_rows(L.n_in);
   for (std::int64_t row0 = 0; row0 < L.n_out; row0 += step) {
      const std::int64_t n_rows = L.n_out - row0 < step ? L.n_out - row0 : step;
      const float *v = rows(layer, row0, n_rows, tile); // n_rows x n_in
      for (std::int64_t r = 0; r < n_rows; ++r) {
         const float bias = L.virtual_bias(layer.b, row0 + r);
         for (std::int64_t e = 0; e < n_events; ++e)
            out[e * L.n_out + row0 + r] = dot(v + r * L.n_in, in + e * L.n_in, L.n_in) + bias;
      }
   }
   activate_all(layer.activation, out, n_events * L.n_out);
}

/// The task's response from one event's n logits, in place.
HASHEDNET_HOST_DEVICE inline void output_transform(Task task, float *z, std::int64_t n)
{
   if (task == Task::Classification) {
      for (std::int64_t k = 0; k < n; ++k)
         z[k] = approx::sigmoid(z[k]);
   } else if (task == Task::Multiclass) {
      float top = z[0];
      for (std::int64_t k = 1; k < n; ++k)
         top = z[k] > top ? z[k] : top;
      float sum = 0.0f;
      for (std::int64_t k = 0; k < n; ++k) {
         z[k] = approx::exp(z[k] - top);
         sum += z[k];
      }
      for (std::int64_t k = 0; k < n; ++k)
         z[k] = z[k] / sum;
   }
}

/// Responses of n_events raw events x (n_events x n_inputs) into out
/// (n_events x n_outputs); scratch holds scratch_floats(net, n_events).
template <class Rows = ReferenceRows>
void forward(const Net &net, const float *x, std::int64_t n_events, float *scratch, float *out,
             const Rows &rows = Rows())
{
   const std::int64_t width = max_width(net);
   float *a = scratch;
   float *b = scratch + n_events * width;
   float *tile = scratch + 2 * n_events * width;
   for (std::int64_t e = 0; e < n_events; ++e)
      for (std::int64_t j = 0; j < net.n_inputs; ++j)
         a[e * net.n_inputs + j] = (x[e * net.n_inputs + j] - net.input_offset[j]) * net.input_scale[j];
   float *patch = tile + tile_floats(net);
   for (int l = 0; l < net.n_layers; ++l) {
      if (net.layers[l].image == ImageKind::None)
         layer_forward(net.layers[l], a, n_events, tile, b, rows);
      else
         image_layer_forward(net.layers[l], a, n_events, tile, patch, b, rows);
      float *swap = a;
      a = b;
      b = swap;
   }
   for (std::int64_t e = 0; e < n_events; ++e)
      output_transform(net.task, a + e * net.n_outputs, net.n_outputs);
   for (std::int64_t k = 0; k < n_events * net.n_outputs; ++k)
      out[k] = a[k];
}

} // namespace event
} // namespace hashednet

#endif // HASHEDNET_EVENT_FORWARD_H
