// hashed_product.h: the launch API of the hashed products on the GPU (issue 10).
//
// What it is: plain C++ declarations, callable from the CUDA backend's .cu
// or .cpp files (compiled by nvcc or by the host compiler with the CUDA
// include path), of one fully connected layer's three products on device
// memory:
//
//   hashed_forward           y  (batch x n_out) = x (batch x n_in) V^T + b
//   hashed_backward_dx       dx (batch x n_in)  = dy (batch x n_out) V
//   hashed_backward_dparams  the layer's slice of grad = dL/dparams
//                            (buckets or W, FUNHASH's alpha, the bias)
//
// for DENSE, ELEMENT, BLOCK and FUNHASH layers, with V[i][j] from
// hashed_layout.h / funhash.h (the one definition of the hash; the CPU
// backend's results are the reference). Every matrix is row-major and
// contiguous, as in backend.h: x is batch x n_in, y and dy batch x n_out.
// `params` and `grad` point at the START of the network's flat device
// buffers; the layer's slice is [layout.offset, layout.offset + n_params()).
// Outputs are overwritten (not accumulated into). All work is enqueued on
// `launch.stream` (and the cuBLAS handle is set to that stream); nothing
// synchronises the host, nothing allocates: the caller passes a workspace
// of at least workspace_bytes(...) bytes of device memory, which is
// tile-sized (and, for the deterministic dparams, 8 bytes per parameter of
// the layer), never D = n_in * n_out sized.
//
// Methods (DENSE ignores the method: cuBLAS sgemm on W directly):
//   Materialize  a tile of V (at most 512 x 512) generated into the
//                workspace, then cuBLAS sgemm into y / dx (dV tiles the
//                same way, then scattered into the buckets). The baseline.
//   Fused        V generated from the hash while it is staged into shared
//                memory inside a tiled GEMM kernel; dV reduced in the
//                kernel's epilogue; nothing of V or dV reaches global memory.
//
// dparams, deterministic = false: dV contributions are summed per block in
// shared memory (ELEMENT, FUNHASH: a table keyed by bucket; BLOCK: runs of
// consecutive buckets, coalesced) and added with one float atomicAdd per
// touched bucket per block: the sum's ORDER, hence its last bits, may differ
// from run to run. deterministic = true: every contribution is rounded to a
// 64-bit fixed-point number with a scale chosen from a bound on the sum, and
// the integers are added atomically (integer addition is associative): the
// result is the same bits on every run, whatever the scheduling. Available
// for DENSE (cuBLAS is run-to-run reproducible on one GPU model), ELEMENT
// and BLOCK; FUNHASH with deterministic = true is an Error.
//
// Errors: a bad argument (shapes, null pointers, a too-small workspace) or
// a failed CUDA / cuBLAS call is a hashednet::Error naming it. Launches are
// asynchronous: an error inside a kernel surfaces at the caller's next
// synchronisation.
//
// What it is not: memory management, the coarse operations, device
// detection (the CUDA backend, cuda_backend.*), or the kernels themselves
// (hashed_product.cu and the phase headers *.cuh).
#ifndef HASHEDNET_CUDA_HASHED_PRODUCT_H
#define HASHEDNET_CUDA_HASHED_PRODUCT_H

#include "product_layer.h"

#include <cuda_runtime_api.h>
#if __has_include(<cublas_v2.h>)
#include <cublas_v2.h>
#else // cuBLAS's own declaration of its handle: the kernels compile without its headers (cublas_calls.h)
struct cublasContext;
typedef struct cublasContext *cublasHandle_t;
#endif

#include <cstddef>
#include <cstdint>
#include <string>

namespace hashednet {

class FullyConnected;

namespace cuda {

// Method, method_name, ProductLayer: product_layer.h (no CUDA headers).

/// The ProductLayer of a network's fully connected layer (any scheme).
ProductLayer product_layer(const FullyConnected &layer);

/// Where the work goes. `cublas` must be a valid handle (it is used for
/// DENSE and Materialize; its stream is set to `stream` on each call).
struct Launch {
   cudaStream_t stream = nullptr;
   cublasHandle_t cublas = nullptr;
};

/// Caller-owned device memory; `bytes` is checked against workspace_bytes.
struct Workspace {
   void *data = nullptr;
   std::size_t bytes = 0;
};

/// Device bytes the workspace must have for every call below on this layer
/// with at most `batch` events (Materialize: one tile of V / dV; Fused:
/// n_out floats; deterministic dparams: + 8 bytes per layer parameter).
/// One allocation of the maximum over a network's layers serves them all.
std::size_t workspace_bytes(const ProductLayer &layer, std::int64_t batch, Method method, bool deterministic);

/// y (batch x n_out, overwritten) = x (batch x n_in) V^T + b.
void hashed_forward(const ProductLayer &layer, const float *params, const float *x, std::int64_t batch, float *y,
                    Method method, const Launch &launch, const Workspace &workspace);

/// dx (batch x n_in, overwritten) = dy (batch x n_out) V.
void hashed_backward_dx(const ProductLayer &layer, const float *params, const float *dy, std::int64_t batch,
                        float *dx, Method method, const Launch &launch, const Workspace &workspace);

/// grad[offset, offset + n_params) (overwritten) = dL/dparams of the layer
/// given its input x (batch x n_in) and dy = dL/dy (batch x n_out):
/// dbuckets (or dW), FUNHASH's dalpha, then dbias. See the top of this file
/// for `deterministic`.
void hashed_backward_dparams(const ProductLayer &layer, const float *params, const float *x, const float *dy,
                             std::int64_t batch, float *grad, Method method, bool deterministic,
                             const Launch &launch, const Workspace &workspace);

// ---------------------------------------------------------------- a CONV layer's filters made whole
// (whole_matrix.cuh / whole_matrix.cu; backend.h's virtual_matrix): for any
// hashed scheme, FRESH included; V (n_out x n_in) is small there (at most
// Conv2D::kMaxWholeFilters values), so vb and dvb are the caller's.

/// Device bytes the workspace of virtual_matrix_backward must have.
std::size_t virtual_matrix_workspace_bytes(const ProductLayer &layer, bool deterministic);

/// vb (n_out * n_in + n_out floats, overwritten) = [V | b] of a hashed layer.
void virtual_matrix(const ProductLayer &layer, const float *params, float *vb, const Launch &launch);

/// grad[offset, offset + n_params) (overwritten) = dL/dparams from dvb = [dL/dV | dL/db]; deterministic as
/// for hashed_backward_dparams (an Error for FUNHASH).
void virtual_matrix_backward(const ProductLayer &layer, const float *params, const float *dvb, float *grad,
                             bool deterministic, const Launch &launch, const Workspace &workspace);

/// The kernels' CUDA source for compiling at run time with NVRTC. Not
/// provided: an Error saying so. The fat binary's compute_121 PTX is
/// compiled by the driver for any newer GPU, and CUDA 13 targets nothing
/// older than sm_75 (docs/cuda.md, "Kernels").
std::string kernel_source();

} // namespace cuda
} // namespace hashednet

#endif // HASHEDNET_CUDA_HASHED_PRODUCT_H
