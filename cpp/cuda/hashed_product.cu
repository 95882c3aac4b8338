// hashed_product.cu: the CUDA side of the hashed products (hashed_product.h):
// the kernels (cuda_device.cuh: each a thin __global__ around a block program
// of gemm_phases.cuh or an elementwise body of product_drivers.cuh, and the
// Device that launches them and calls cuBLAS) instantiated for the products,
// and the checked public entry points.
//
// What it is not: the block programs and the drivers themselves (shared
// with the CPU emulation, tests/cuda), or memory management (the backend's).
#include "cublas_calls.h"
#include "cuda_device.cuh"
#include "hashed_product.h"
#include "product_drivers.cuh"

#include "hashednet/common.h"

#include <cuda_runtime.h>

#include <cstdint>
#include <limits>

namespace hashednet {
namespace cuda {
namespace {

constexpr std::int64_t kMaxInt = std::numeric_limits<int>::max();
} // namespace

void check_layer(const ProductLayer &layer)
{
   const HashedLayout &l = layer.layout;
   HASHEDNET_CHECK(l.n_in >= 1 && l.n_out >= 1 && l.n_in <= kMaxInt && l.n_out <= kMaxInt,
                   "layer shape must be in [1, 2^31) x [1, 2^31), got n_out " << l.n_out << " x n_in " << l.n_in);
   HASHEDNET_CHECK(l.offset >= 0, "layer offset must be >= 0, got " << l.offset);
   HASHEDNET_CHECK(l.n_out <= kMaxGridRows * kBM,
                   "the GPU kernels take at most " << kMaxGridRows * kBM << " output rows, got " << l.n_out);
   if (!l.hashed)
      HASHEDNET_CHECK(l.n_buckets == l.n_in * l.n_out, "a dense layer has n_in * n_out weights, got " << l.n_buckets);
   else
      HASHEDNET_CHECK(l.n_buckets >= 1 && l.n_buckets < (std::int64_t{1} << 31),
                      "bucket count must be in [1, 2^31), got " << l.n_buckets);
   if (l.hashed && l.hash_mode == HashMode::Block)
      HASHEDNET_CHECK(l.block >= 1, "BLOCK mode needs block >= 1, got " << l.block);
   if (product_scheme(layer) == ProductScheme::FunHash) {
      const FunHashLayout &f = layer.funhash;
      HASHEDNET_CHECK(f.n_in == l.n_in && f.n_out == l.n_out && f.n_weight_params() == l.n_buckets,
                      "FUNHASH layout disagrees with the layer: shape " << f.n_out << " x " << f.n_in << " and "
                                                                        << f.n_weight_params() << " parameters, layer "
                                                                        << l.n_out << " x " << l.n_in << " and "
                                                                        << l.n_buckets);
      HASHEDNET_CHECK(f.n_alpha() <= kMaxAlpha, "FUNHASH alpha has at most " << kMaxAlpha << " values, got "
                                                                              << f.n_alpha());
   }
   HASHEDNET_CHECK(l.n_bias_buckets >= 1, "bias bucket count must be >= 1, got " << l.n_bias_buckets);
}

namespace {

/// The checks every entry point shares, then the driver.
class Call {
public:
   Call(const char *what, const ProductLayer &layer, std::int64_t batch, Method method, bool deterministic,
        const Launch &launch, const Workspace &workspace)
      : device_(launch), plan_(plan_workspace(layer, batch, method, deterministic, MaterializeTiles{})),
        driver_(device_, layer, batch, MaterializeTiles{}, workspace.data, plan_)
   {
      check_layer(layer);
      HASHEDNET_CHECK(batch >= 0 && batch <= kMaxGridRows * kBM,
                      what << ": batch must be in [0, " << kMaxGridRows * kBM << "], got " << batch);
      HASHEDNET_CHECK(method == Method::Fused || method == Method::Materialize,
                      what << ": method must be MATERIALIZE or FUSED");
      HASHEDNET_CHECK(workspace.bytes >= plan_.total && (plan_.total == 0 || workspace.data != nullptr),
                      what << ": the workspace must have workspace_bytes() = " << plan_.total << " bytes, got "
                           << workspace.bytes << (workspace.data == nullptr ? " (null)" : ""));
      const bool uses_cublas = !layer.layout.hashed || method == Method::Materialize;
      HASHEDNET_CHECK(!uses_cublas || launch.cublas != nullptr,
                      what << ": a cuBLAS handle is needed (DENSE layers and MATERIALIZE use cuBLAS)");
      if (uses_cublas)
         cublas_bind(launch.cublas, launch.stream);
   }
   ProductDriver<CudaDevice> &driver() { return driver_; }

private:
   CudaDevice device_;
   WorkspacePlan plan_;
   ProductDriver<CudaDevice> driver_;
};

void check_pointers(const char *what, std::initializer_list<const void *> pointers)
{
   for (const void *p : pointers)
      HASHEDNET_CHECK(p != nullptr, what << ": a device pointer argument is null");
}

} // namespace

std::size_t workspace_bytes(const ProductLayer &layer, std::int64_t batch, Method method, bool deterministic)
{
   check_layer(layer);
   HASHEDNET_CHECK(batch >= 0, "workspace_bytes: batch must be >= 0, got " << batch);
   return plan_workspace(layer, batch, method, deterministic, MaterializeTiles{}).total;
}

void hashed_forward(const ProductLayer &layer, const float *params, const float *x, std::int64_t batch, float *y,
                    Method method, const Launch &launch, const Workspace &workspace)
{
   Call call("hashed_forward", layer, batch, method, false, launch, workspace);
   if (batch == 0)
      return;
   check_pointers("hashed_forward", {params, x, y});
   call.driver().forward(params, x, y, method);
}

void hashed_backward_dx(const ProductLayer &layer, const float *params, const float *dy, std::int64_t batch,
                        float *dx, Method method, const Launch &launch, const Workspace &workspace)
{
   Call call("hashed_backward_dx", layer, batch, method, false, launch, workspace);
   if (batch == 0)
      return;
   check_pointers("hashed_backward_dx", {params, dy, dx});
   call.driver().backward_dx(params, dy, dx, method);
}

void hashed_backward_dparams(const ProductLayer &layer, const float *params, const float *x, const float *dy,
                             std::int64_t batch, float *grad, Method method, bool deterministic,
                             const Launch &launch, const Workspace &workspace)
{
   HASHEDNET_CHECK(!deterministic || product_scheme(layer) != ProductScheme::FunHash,
                   "hashed_backward_dparams: deterministic gradients (GpuDeterministic=True) are available for DENSE, "
                   "ELEMENT and BLOCK layers, not FUNHASH (its alpha gradient is summed with float atomics); use "
                   "GpuDeterministic=False");
   Call call("hashed_backward_dparams", layer, batch, method, deterministic, launch, workspace);
   check_pointers("hashed_backward_dparams", {params, x, dy, grad});
   call.driver().backward_dparams(params, x, dy, grad, method, deterministic);
}

} // namespace cuda
} // namespace hashednet
