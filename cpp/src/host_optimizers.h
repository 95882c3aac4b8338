// host_optimizers.h: SGD and Adam for the host backends (internal; see optimizer.h).
#ifndef HASHEDNET_SRC_HOST_OPTIMIZERS_H
#define HASHEDNET_SRC_HOST_OPTIMIZERS_H

#include "hashednet/optimizer.h"

namespace hashednet {

/// `name` (one of optimizer_names()) over n_params host parameters, threaded as `backend` is.
std::unique_ptr<Optimizer> make_host_optimizer(const std::string &name, Backend &backend, std::int64_t n_params);

} // namespace hashednet

#endif // HASHEDNET_SRC_HOST_OPTIMIZERS_H
