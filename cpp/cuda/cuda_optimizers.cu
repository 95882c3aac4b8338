// cuda_optimizers.cu: SGD with momentum and Adam over device memory, for the
// CUDA backend: optimizer.h's formulas, one element per thread through
// elementwise.h's update functions (the host optimizers call the same ones,
// and -fmad=false keeps the bits), enqueued on the backend's compute stream.
// Adam's bias-corrected constants are computed on the host per step, in double, as on the CPU.
#include "cuda_optimizers.h"

#include "backend_kernels.h"
#include "cuda_backend.h"

namespace hashednet {
namespace cuda {

namespace {

class CudaSgd final : public Optimizer {
public:
   CudaSgd(CudaBackend &backend, std::int64_t n) : backend_(backend), velocity_(backend.allocate(n)) {}
   const char *name() const override { return "SGD"; }

   void step(const TrainingConfig &config, Buffer &params, const Buffer &grad) override
   {
      HASHEDNET_ASSERT(params.size() == velocity_.size() && grad.size() == velocity_.size());
      const elementwise::SgdStep s{static_cast<float>(config.learning_rate), static_cast<float>(config.momentum),
                                   static_cast<float>(config.weight_decay)};
      sgd_step(s, grad.data(), params.data(), velocity_.data(), params.size(), backend_.stream());
   }

private:
   CudaBackend &backend_;
   Buffer velocity_;
};

class CudaAdam final : public Optimizer {
public:
   CudaAdam(CudaBackend &backend, std::int64_t n) : backend_(backend), m_(backend.allocate(n)), v_(backend.allocate(n))
   {
   }
   const char *name() const override { return "ADAM"; }

   void step(const TrainingConfig &config, Buffer &params, const Buffer &grad) override
   {
      HASHEDNET_ASSERT(params.size() == m_.size() && grad.size() == m_.size());
      step_ += 1;
      const elementwise::AdamStep s = elementwise::adam_step(config.learning_rate, config.weight_decay, step_);
      adam_step(s, grad.data(), params.data(), m_.data(), v_.data(), params.size(), backend_.stream());
   }

private:
   CudaBackend &backend_;
   Buffer m_, v_;
   std::int64_t step_ = 0; ///< updates done so far
};

} // namespace

std::unique_ptr<Optimizer> make_cuda_optimizer(const std::string &name, Backend &backend, std::int64_t n_params)
{
   auto *cuda_backend = dynamic_cast<CudaBackend *>(&backend);
   HASHEDNET_ASSERT(cuda_backend != nullptr);
   if (name == "SGD")
      return std::make_unique<CudaSgd>(*cuda_backend, n_params);
   HASHEDNET_CHECK(name == "ADAM", "unknown optimizer '" << name << "'; allowed: SGD, ADAM");
   return std::make_unique<CudaAdam>(*cuda_backend, n_params);
}

} // namespace cuda
} // namespace hashednet
