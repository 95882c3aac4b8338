// product_layer.cpp: the host-only parts of the hashed products' API
// (product_layer.h, hashed_product.h): method names, a network layer's
// ProductLayer, and the NVRTC source (not provided: see kernel_source).
#include "hashed_product.h"

#include "hashednet/common.h"
#include "hashednet/fully_connected.h"
#include "hashednet/funhash_scheme.h"
#include "hashednet/weight_scheme.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace hashednet {
namespace cuda {

Method method_from_string(const std::string &name)
{
   std::string upper = name;
   std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
   if (upper == "MATERIALIZE")
      return Method::Materialize;
   if (upper == "FUSED")
      return Method::Fused;
   HASHEDNET_CHECK(false, "unknown GPU product method '" << name << "'; allowed: MATERIALIZE, FUSED");
   return Method::Fused;
}

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
