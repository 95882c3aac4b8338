// funhash_bench.cpp: see funhash_bench.h.
#include "hashednet/funhash_bench.h"

#include "funhash_tile.h"

#include "hashednet/common.h"

namespace hashednet {
namespace bench {

namespace {
void check_tile(const FunHashLayout &layer, std::int64_t row0, std::int64_t n_rows, std::int64_t col0,
                std::int64_t n_cols)
{
   check_funhash_layout(layer);
   HASHEDNET_CHECK(row0 >= 0 && n_rows >= 0 && row0 + n_rows <= layer.n_out && col0 >= 0 && n_cols >= 0 &&
                      col0 + n_cols <= layer.n_in,
                   "tile [" << row0 << "+" << n_rows << ", " << col0 << "+" << n_cols << "] is outside the "
                            << layer.n_out << " x " << layer.n_in << " layer");
}
} // namespace

FunHashLayout make_funhash_layout(std::int64_t n_in, std::int64_t n_out, std::int64_t n_buckets,
                                  std::uint32_t weight_seed, int n_hashes, Reconstruction g, int hidden, Activation f)
{
   FunHashLayout layer;
   layer.n_in = n_in;
   layer.n_out = n_out;
   layer.n_buckets = n_buckets;
   layer.n_hashes = n_hashes;
   layer.weight_seed = weight_seed;
   layer.reconstruction = g;
   layer.hidden = hidden;
   layer.hidden_activation = f;
   check_funhash_layout(layer);
   return layer;
}

void funhash_generate_tile(const FunHashLayout &layer, const float *params, std::int64_t row0, std::int64_t n_rows,
                           std::int64_t col0, std::int64_t n_cols, float *v, std::uint32_t *slots,
                           const std::string &isa)
{
   check_tile(layer, row0, n_rows, col0, n_cols);
   kernels::funhash_generate_tile(layer, params, row0, n_rows, col0, n_cols, v, slots, kernels::key_slots(isa));
}

void funhash_tile_backward(const FunHashLayout &layer, const float *params, std::int64_t row0, std::int64_t n_rows,
                           std::int64_t col0, std::int64_t n_cols, const float *dv, const std::uint32_t *slots,
                           float *grad, const std::string &isa)
{
   check_tile(layer, row0, n_rows, col0, n_cols);
   kernels::funhash_tile_backward(layer, params, row0, n_rows, col0, n_cols, dv, slots, grad,
                                  kernels::key_slots(isa));
}

float funhash_virtual_weight(const FunHashLayout &layer, const float *params, std::int64_t i, std::int64_t j)
{
   check_tile(layer, i, 1, j, 1);
   return layer.virtual_weight(params, i, j);
}

void funhash_reconstruct_backward(const FunHashLayout &layer, const float *alpha, const float *z, float dv, float *dz,
                                  float *dalpha)
{
   check_funhash_layout(layer);
   layer.reconstruct_backward(alpha, z, dv, dz, dalpha);
}

} // namespace bench
} // namespace hashednet
