// cuda_optimizers.h: the CUDA backend's optimizers (internal; see optimizer.h and cuda_optimizers.cu).
#ifndef HASHEDNET_CUDA_OPTIMIZERS_H
#define HASHEDNET_CUDA_OPTIMIZERS_H

#include "hashednet/optimizer.h"

#include <cstdint>
#include <memory>
#include <string>

namespace hashednet {
namespace cuda {

/// `name` (SGD or ADAM) over n_params parameters of a CUDA `backend` (cuda_backend.h).
std::unique_ptr<Optimizer> make_cuda_optimizer(const std::string &name, Backend &backend, std::int64_t n_params);

} // namespace cuda
} // namespace hashednet

#endif // HASHEDNET_CUDA_OPTIMIZERS_H
