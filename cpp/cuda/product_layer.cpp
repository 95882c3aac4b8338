// product_layer.cpp: the host-only parts of the hashed products' API
// (product_layer.h, hashed_product.h): method names, a network layer's
// ProductLayer, and the NVRTC source (not provided: see kernel_source).
#include "hashed_product.h"
#include "product_drivers.cuh"

#include "hashednet/common.h"
#include "hashednet/conv2d.h"
#include "hashednet/freshnets_scheme.h"
#include "hashednet/fully_connected.h"
#include "hashednet/funhash_scheme.h"
#include "hashednet/weight_scheme.h"

#include <string>

namespace hashednet {
namespace cuda {

static_assert(kMaxWholeFreshFilters == Conv2D::kMaxWholeFilters, "the FRESH error names the CONV layers' limit");

const char *method_name(Method method)
{
   return method == Method::Materialize ? "MATERIALIZE" : "FUSED";
}

ProductLayer product_layer(const FullyConnected &layer)
{
   ProductLayer out;
   out.layout = layer.layout();
   if (layer.scheme().kind() == SchemeKind::FunHash)
      out.funhash = static_cast<const FunHashScheme &>(layer.scheme()).layer();
   if (layer.scheme().kind() == SchemeKind::Fresh)
      out.fresh = static_cast<const FreshScheme &>(layer.scheme()).layer();
   return out;
}

std::string kernel_source()
{
   HASHEDNET_CHECK(false, "kernel_source: the NVRTC route is not provided; the library's fat binary covers sm_75 "
                          "to sm_121 and carries compute_121 PTX, which the driver compiles for newer GPUs "
                          "(docs/cuda.md, Kernels)");
   return {};
}

} // namespace cuda
} // namespace hashednet
