// optimizer.cpp: the optimizer names and the factory (see optimizer.h).
#include "hashednet/optimizer.h"

#include "device_internal.h"
#include "host_optimizers.h"

#include <algorithm>

namespace hashednet {

const std::vector<std::string> &optimizer_names()
{
   static const std::vector<std::string> names{"SGD", "ADAM"};
   return names;
}

std::unique_ptr<Optimizer> make_optimizer(const TrainingConfig &config, Backend &backend, std::int64_t n_params)
{
   const std::vector<std::string> &names = optimizer_names();
   HASHEDNET_CHECK(std::find(names.begin(), names.end(), config.optimizer) != names.end(),
                   "unknown optimizer '" << config.optimizer << "'; allowed: SGD, ADAM");
   switch (backend.architecture()) {
   case Architecture::Cpu:
   case Architecture::Reference: return make_host_optimizer(config.optimizer, backend, n_params);
   case Architecture::Gpu: return make_gpu_optimizer(config.optimizer, backend, n_params);
   }
   HASHEDNET_ASSERT(false);
   return nullptr;
}

} // namespace hashednet
