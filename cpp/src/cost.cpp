// cost.cpp: see cost.h.
#include "hashednet/cost.h"

#include "hashednet/conv2d.h"

#include <iomanip>
#include <sstream>

namespace hashednet {

namespace {
/// One event's multiply-adds through `layer`: a fully connected layer's n_in x
/// n_out, a CONV layer's filter matrix at every output position; MAXPOOL
/// compares and RESHAPE copies (none); BNORM one multiply-add per value (its scale and shift).
std::int64_t multiply_adds(const Layer &layer)
{
   switch (layer.kind()) {
   case LayerKind::FullyConnected: return layer.n_in() * layer.n_out();
   case LayerKind::Conv2D: {
      const Conv2D &conv = static_cast<const Conv2D &>(layer);
      return conv.layout().n_in * conv.layout().n_out * conv.window().positions();
   }
   case LayerKind::MaxPool2D:
   case LayerKind::Reshape: return 0;
   case LayerKind::BatchNorm: return layer.n_out();
   }
   return 0;
}
} // namespace

CostEstimate estimate_cost(const Network &network)
{
   CostEstimate cost;
   for (const LayerMemory &layer : network.memory_report())
      cost.real_bytes += layer.bytes;
   for (int l = 0; l < network.n_layers(); ++l) {
      const Layer &layer = network.layer(l);
      if (layer.kind() == LayerKind::FullyConnected || layer.kind() == LayerKind::Conv2D)
         cost.virtual_weights += network.layout(l).n_in * network.layout(l).n_out; // CONV: its filter matrix
      cost.forward_multiply_adds += multiply_adds(layer);
   }
   cost.training_multiply_adds = 3 * cost.forward_multiply_adds;
   return cost;
}

std::string describe_cost(const CostEstimate &cost)
{
   std::ostringstream s;
   s << std::setprecision(3) << "cost per event: " << double(cost.forward_multiply_adds)
     << " virtual multiply-adds forward (one response), " << double(cost.training_multiply_adds)
     << " in training (per epoch); real parameters " << cost.real_bytes << " bytes";
   return s.str();
}

std::string cost_warning(const CostEstimate &cost)
{
   if (!cost.expensive())
      return "";
   std::ostringstream s;
   s << std::setprecision(3) << "this network needs " << double(cost.forward_multiply_adds)
     << " virtual multiply-adds per event (more than " << double(kExpensiveMultiplyAdds)
     << "): one response may take seconds and a training epoch hours; long epochs print their progress and "
        "Ctrl-C stops training within a tile. Consider narrower layers (a compression saves memory, not time)";
   return s.str();
}

} // namespace hashednet
