// cost.cpp: see cost.h.
#include "hashednet/cost.h"

#include <iomanip>
#include <sstream>

namespace hashednet {

CostEstimate estimate_cost(const Network &network)
{
   CostEstimate cost;
   for (const LayerMemory &layer : network.memory_report()) {
      cost.virtual_weights += layer.n_in * layer.n_out;
      cost.real_bytes += layer.bytes;
   }
   cost.forward_multiply_adds = cost.virtual_weights;
   cost.training_multiply_adds = 3 * cost.virtual_weights;
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
