// whole_matrix.cu: the CUDA side of virtual_matrix / virtual_matrix_backward
// (hashed_product.h): whole_matrix.cuh's driver on cuda_device.cuh's Device,
// and the checked entry points. Compiled with -fmad=false
// (cmake/HashednetCudaBackend.cmake), so that FRESH's inverse DCT rounds as
// the CPU's (-ffp-contract=off): the same V bit for bit.
//
// What it is not: the products (hashed_product.cu) or the layer (conv2d.h).
#include "cuda_device.cuh"
#include "hashed_product.h"
#include "whole_matrix.cuh"

#include "hashednet/common.h"

namespace hashednet {
namespace cuda {

namespace {
/// An Error unless `layer` is hashed (a dense W is its own V) and fits the kernels.
void check_whole(const char *what, const ProductLayer &layer)
{
   HASHEDNET_CHECK(layer.layout.hashed, what << ": the layer is dense (its W is V); only hashed layers are made whole");
   if (layer.layout.hash_mode == HashMode::Fresh) {
      const FreshLayout &f = layer.fresh;
      HASHEDNET_CHECK(f.n_in == layer.layout.n_in && f.n_out == layer.layout.n_out &&
                         f.n_buckets == layer.layout.n_buckets && f.slice_size() >= 1,
                      what << ": the FRESH layout (" << f.n_out << " x " << f.n_in << ", " << f.n_buckets
                           << " buckets) disagrees with the layer (" << layer.layout.n_out << " x "
                           << layer.layout.n_in << ", " << layer.layout.n_buckets << ")");
      HASHEDNET_CHECK(layer.layout.n_virtual_weights() <= kMaxWholeFreshFilters,
                      what << ": a FRESH filter matrix of at most " << kMaxWholeFreshFilters
                           << " virtual weights is made whole, got " << layer.layout.n_virtual_weights());
      ProductLayer rest = layer; // the shape and bias checks, as an ELEMENT layer of the same shape
      rest.layout.hash_mode = HashMode::Element;
      check_layer(rest);
      return;
   }
   check_layer(layer);
}
} // namespace

std::size_t virtual_matrix_workspace_bytes(const ProductLayer &layer, bool deterministic)
{
   check_whole("virtual_matrix_workspace_bytes", layer);
   return plan_whole_workspace(layer, deterministic).total;
}

void virtual_matrix(const ProductLayer &layer, const float *params, float *vb, const Launch &launch)
{
   check_whole("virtual_matrix", layer);
   HASHEDNET_CHECK(params != nullptr && vb != nullptr, "virtual_matrix: a device pointer argument is null");
   CudaDevice device(launch);
   const WorkspacePlan plan = plan_whole_workspace(layer, false);
   WholeMatrixDriver<CudaDevice>(device, layer, nullptr, plan).make(params, vb);
}

void virtual_matrix_backward(const ProductLayer &layer, const float *params, const float *dvb, float *grad,
                             bool deterministic, const Launch &launch, const Workspace &workspace)
{
   check_whole("virtual_matrix_backward", layer);
   HASHEDNET_CHECK(!deterministic || layer.layout.hash_mode != HashMode::FunHash,
                   "virtual_matrix_backward: deterministic gradients (GpuDeterministic=True) are available for "
                   "ELEMENT, BLOCK and FRESH filters, not FUNHASH (its alpha gradient is summed with float "
                   "atomics); use GpuDeterministic=False");
   HASHEDNET_CHECK(params != nullptr && dvb != nullptr && grad != nullptr,
                   "virtual_matrix_backward: a device pointer argument is null");
   const WorkspacePlan plan = plan_whole_workspace(layer, deterministic);
   HASHEDNET_CHECK(workspace.bytes >= plan.total && (plan.total == 0 || workspace.data != nullptr),
                   "virtual_matrix_backward: the workspace must have virtual_matrix_workspace_bytes() = "
                      << plan.total << " bytes, got " << workspace.bytes);
   CudaDevice device(launch);
   WholeMatrixDriver<CudaDevice>(device, layer, workspace.data, plan).backward(params, dvb, grad, deterministic);
}

} // namespace cuda
} // namespace hashednet
