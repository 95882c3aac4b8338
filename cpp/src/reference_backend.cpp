// reference_backend.cpp: the reference backend (see host_backend.h).
//
// What it is: the "materialise V, then multiply" path of the original
// HashedNets, written as plainly as possible so that tests can run every
// layer against it: V is built densely through the weight scheme's host
// reference (virtual_weight), products are plain loops accumulated in
// double, dV is scattered back through the scheme's host reference, the
// activations are activation.h's scalar functions, dropout draws its mask
// from Rng. One thread. It allocates D-sized matrices: never for real use.
//
// What it is not: fast, or bit-identical to the CPU backend (it rounds once
// per output instead of once per multiply-add; tests compare with a tolerance).
#include "host_backend.h"

#include "hashednet/activation.h"
#include "hashednet/fully_connected.h"
#include "hashednet/rng.h"

#include <vector>

namespace hashednet {

namespace {

class ReferenceBackend final : public HostBackend {
public:
   const char *name() const override { return "REFERENCE"; }
   Architecture architecture() const override { return Architecture::Reference; }
   int num_threads() const override { return 1; }
   void set_num_threads(int num_threads) override { resolve_threads(num_threads); }

   void linear_forward(const FullyConnected &layer, const float *params, const float *x, std::int64_t batch,
                       float *y) override;
   void linear_backward(const FullyConnected &layer, const float *params, const float *x, const float *dy,
                        std::int64_t batch, float *dx, float *grad) override;
   void activation_forward(Activation f, const float *z, float *a, std::int64_t n) override;
   void activation_backward(Activation f, const float *z, const float *a, const float *da, float *dz,
                            std::int64_t n) override;
   void dropout_forward(const float *x, float *y, float *keep, std::int64_t n, double p,
                        std::uint64_t seed) override;
};

/// V (n_out x n_in) of a layer, element by element from its scheme's host reference.
std::vector<double> materialize(const FullyConnected &layer, const float *params)
{
   const std::int64_t n_in = layer.n_in(), n_out = layer.n_out();
   std::vector<double> v(static_cast<std::size_t>(n_out * n_in));
   for (std::int64_t i = 0; i < n_out; ++i)
      for (std::int64_t j = 0; j < n_in; ++j)
         v[i * n_in + j] = layer.virtual_weight(params, i, j);
   return v;
}

void ReferenceBackend::linear_forward(const FullyConnected &layer, const float *params, const float *x,
                                      std::int64_t batch, float *y)
{
   const std::int64_t n_in = layer.n_in(), n_out = layer.n_out();
   const std::vector<double> v = materialize(layer, params);
   for (std::int64_t b = 0; b < batch; ++b)
      for (std::int64_t i = 0; i < n_out; ++i) {
         double sum = layer.virtual_bias(params, i);
         for (std::int64_t j = 0; j < n_in; ++j)
            sum += static_cast<double>(x[b * n_in + j]) * v[i * n_in + j];
         y[b * n_out + i] = static_cast<float>(sum);
      }
}

void ReferenceBackend::linear_backward(const FullyConnected &layer, const float *params, const float *x,
                                       const float *dy, std::int64_t batch, float *dx, float *grad)
{
   const std::int64_t n_in = layer.n_in(), n_out = layer.n_out();
   if (dx) { // dx = dy V
      const std::vector<double> v = materialize(layer, params);
      for (std::int64_t b = 0; b < batch; ++b)
         for (std::int64_t j = 0; j < n_in; ++j) {
            double sum = 0.0;
            for (std::int64_t i = 0; i < n_out; ++i)
               sum += static_cast<double>(dy[b * n_out + i]) * v[i * n_in + j];
            dx[b * n_in + j] = static_cast<float>(sum);
         }
   }
   std::vector<double> dv(static_cast<std::size_t>(n_out * n_in), 0.0); // dV = dy^T x
   for (std::int64_t b = 0; b < batch; ++b)
      for (std::int64_t i = 0; i < n_out; ++i)
         for (std::int64_t j = 0; j < n_in; ++j)
            dv[i * n_in + j] += static_cast<double>(dy[b * n_out + i]) * x[b * n_in + j];
   const HashedLayout &layout = layer.layout();
   std::vector<double> g(static_cast<std::size_t>(layer.n_params()), 0.0);
   layer.scheme().add_gradient_reference(params + layout.offset, dv.data(), g.data());
   for (std::int64_t i = 0; i < n_out; ++i) { // db = column sums of dy, through the bias hash
      double column_sum = 0.0;
      for (std::int64_t b = 0; b < batch; ++b)
         column_sum += dy[b * n_out + i];
      std::int64_t k;
      float sign;
      layout.locate_bias(i, k, sign);
      g[layout.n_buckets + k] += sign * column_sum;
   }
   for (std::int64_t k = 0; k < layer.n_params(); ++k)
      grad[layout.offset + k] = static_cast<float>(g[k]);
}

void ReferenceBackend::activation_forward(Activation f, const float *z, float *a, std::int64_t n)
{
   for (std::int64_t e = 0; e < n; ++e)
      a[e] = activate(f, z[e]);
}

void ReferenceBackend::activation_backward(Activation f, const float *z, const float *a, const float *da, float *dz,
                                           std::int64_t n)
{
   for (std::int64_t e = 0; e < n; ++e)
      dz[e] = da[e] * activation_derivative(f, z[e], a[e]);
}

void ReferenceBackend::dropout_forward(const float *x, float *y, float *keep, std::int64_t n, double p,
                                       std::uint64_t seed)
{
   Rng rng(seed);
   const auto kept = static_cast<float>(1.0 / (1.0 - p));
   for (std::int64_t e = 0; e < n; ++e) {
      keep[e] = rng.uniform() < p ? 0.0f : kept;
      y[e] = x[e] * keep[e];
   }
}

} // namespace

std::unique_ptr<Backend> make_reference_backend()
{
   return std::make_unique<ReferenceBackend>();
}

} // namespace hashednet
