// Compiles hash.h and hashed_layout.h with nvcc for host and device: the
// kernel below is the device use, main() runs the very same functions on the
// host (there is no GPU on this project's machines) and prints V of a small
// hashed layer, which the test compares with the xxhash package.
#include "hashednet/hash.h"
#include "hashednet/hashed_layout.h"

#include <cstdio>

__global__ void virtual_weights_kernel(hashednet::HashedLayout layer, const float *w, float *v)
{
   const std::int64_t i = blockIdx.x;
   const std::int64_t j = threadIdx.x;
   if (i < layer.n_out && j < layer.n_in)
      v[i * layer.n_in + j] = layer.virtual_weight(w, i, j);
}

int main()
{
   hashednet::HashedLayout layer;
   layer.n_in = 7;
   layer.n_out = 5;
   layer.hashed = true;
   layer.n_buckets = 4;
   layer.weight_seed = hashednet::weight_seed(1234u, 2u);
   const float w[4] = {1.0f, 2.0f, 3.0f, 4.0f};
   for (std::int64_t i = 0; i < layer.n_out; ++i)
      for (std::int64_t j = 0; j < layer.n_in; ++j)
         std::printf("%g\n", layer.virtual_weight(w, i, j));
   return 0;
}
