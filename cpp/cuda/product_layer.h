// product_layer.h: the parts of the hashed products' API that need no CUDA
// header (hashed_product.h includes it): the method and the layer as the
// kernels see it. The CPU emulation of the kernels (tests/cuda) includes
// this, not hashed_product.h.
#ifndef HASHEDNET_CUDA_PRODUCT_LAYER_H
#define HASHEDNET_CUDA_PRODUCT_LAYER_H

#include "hashednet/freshnets.h"
#include "hashednet/funhash.h"
#include "hashednet/hashed_layout.h"

#include <string>

namespace hashednet {
namespace cuda {

/// How a hashed product is computed (hashed_product.h says what each does).
enum class Method { Materialize, Fused };

/// "MATERIALIZE" or "FUSED" (the GpuProduct option's values, device.h, chooses the method).
const char *method_name(Method method);

/// One layer as the kernels see it. `layout`: shape, offset, bias and, for
/// ELEMENT / BLOCK / DENSE, the whole hash. FUNHASH layers
/// (layout.hashed && layout.hash_mode == HashMode::FunHash) also need
/// `funhash` (U hashes, g); their slice is [K buckets | alpha | bias] and
/// layout.n_buckets = K + |alpha|. FRESH layers (layout.hash_mode ==
/// HashMode::Fresh) also need `fresh` (slices, bands, DCT bases); the
/// products have no FRESH kernels, only virtual_matrix has (a CONV layer's
/// filters made whole: hashed_product.h).
struct ProductLayer {
   HashedLayout layout;
   FunHashLayout funhash; ///< read only for FUNHASH layers
   FreshLayout fresh;     ///< read only for FRESH layers
};

} // namespace cuda
} // namespace hashednet

#endif // HASHEDNET_CUDA_PRODUCT_LAYER_H
