// Compiles hash.h, hashed_layout.h and activation.h with nvcc for host and
// device: the kernels below are the device use, main() runs the very same
// functions on the host (there is no GPU on this project's machines) and
// prints V of a small hashed layer, which the test compares with the xxhash
// package, and activations, which it compares with the CPU library's.
#include "hashednet/activation.h"
#include "hashednet/hash.h"
#include "hashednet/hashed_layout.h"

#include <cstdio>
#include <cstdlib>

__global__ void virtual_weights_kernel(hashednet::HashedLayout layer, const float *w, float *v)
{
   const std::int64_t i = blockIdx.x;
   const std::int64_t j = threadIdx.x;
   if (i < layer.n_out && j < layer.n_in)
      v[i * layer.n_in + j] = layer.virtual_weight(w, i, j);
}

__global__ void activation_kernel(hashednet::Activation f, const float *z, float *a, int n)
{
   const int e = blockIdx.x * blockDim.x + threadIdx.x;
   if (e < n)
      a[e] = hashednet::activate(f, z[e]);
}

int main(int argc, char **argv)
{
   if (argc > 2) { // activation (its enum value) of each z: hexadecimal floats, exact
      const auto f = static_cast<hashednet::Activation>(std::atoi(argv[1]));
      for (int i = 2; i < argc; ++i)
         std::printf("%a\n", static_cast<double>(hashednet::activate(f, std::strtof(argv[i], nullptr))));
      return 0;
   }
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
