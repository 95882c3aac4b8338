// host_optimizers.cpp: SGD with momentum and Adam over host memory, one
// element at a time (threads over elements change no value), for the CPU
// and the reference backend. The formulas are optimizer.h's; one element's
// update is elementwise.h's (the CUDA optimizers call the same functions).
#include "host_optimizers.h"

#include "cpu_parallel.h"

#include "hashednet/elementwise.h"

namespace hashednet {

namespace {

class Sgd final : public Optimizer {
public:
   Sgd(Backend &backend, std::int64_t n) : backend_(backend), velocity_(backend.allocate(n)) {}
   const char *name() const override { return "SGD"; }

   void step(const TrainingConfig &config, Buffer &params, const Buffer &grad) override
   {
      HASHEDNET_ASSERT(params.size() == velocity_.size() && grad.size() == velocity_.size());
      const elementwise::SgdStep s{static_cast<float>(config.learning_rate), static_cast<float>(config.momentum),
                                   static_cast<float>(config.weight_decay)};
      float *p = params.data(), *velocity = velocity_.data();
      const float *g = grad.data();
      const std::int64_t n = params.size();
      cpu::parallel_for(cpu::threads_for(n * 16, backend_.num_threads()), n, 0,
                        [&](std::int64_t e) { elementwise::sgd_update(s, g[e], p[e], velocity[e]); });
   }

private:
   Backend &backend_;
   Buffer velocity_;
};

class Adam final : public Optimizer {
public:
   Adam(Backend &backend, std::int64_t n) : backend_(backend), m_(backend.allocate(n)), v_(backend.allocate(n)) {}
   const char *name() const override { return "ADAM"; }

   void step(const TrainingConfig &config, Buffer &params, const Buffer &grad) override
   {
      HASHEDNET_ASSERT(params.size() == m_.size() && grad.size() == m_.size());
      step_ += 1;
      const elementwise::AdamStep s = elementwise::adam_step(config.learning_rate, config.weight_decay, step_);
      float *p = params.data(), *m = m_.data(), *v = v_.data();
      const float *g = grad.data();
      const std::int64_t n = params.size();
      cpu::parallel_for(cpu::threads_for(n * 16, backend_.num_threads()), n, 0,
                        [&](std::int64_t e) { elementwise::adam_update(s, g[e], p[e], m[e], v[e]); });
   }

private:
   Backend &backend_;
   Buffer m_, v_;
   std::int64_t step_ = 0; ///< updates done so far
};

} // namespace

std::unique_ptr<Optimizer> make_host_optimizer(const std::string &name, Backend &backend, std::int64_t n_params)
{
   if (name == "SGD")
      return std::make_unique<Sgd>(backend, n_params);
   HASHEDNET_ASSERT(name == "ADAM");
   return std::make_unique<Adam>(backend, n_params);
}

} // namespace hashednet
