// host_optimizers.cpp: SGD with momentum and Adam over host memory, one
// element at a time (threads over elements change no value), for the CPU
// and the reference backend. The formulas are optimizer.h's.
#include "host_optimizers.h"

#include "cpu_parallel.h"

#include <cmath>

namespace hashednet {

namespace {

class Sgd final : public Optimizer {
public:
   Sgd(Backend &backend, std::int64_t n) : backend_(backend), velocity_(backend.allocate(n)) {}
   const char *name() const override { return "SGD"; }

   void step(const TrainingConfig &config, Buffer &params, const Buffer &grad) override
   {
      HASHEDNET_ASSERT(params.size() == velocity_.size() && grad.size() == velocity_.size());
      const float lr = static_cast<float>(config.learning_rate);
      const float mu = static_cast<float>(config.momentum);
      const float wd = static_cast<float>(config.weight_decay);
      float *p = params.data(), *velocity = velocity_.data();
      const float *g = grad.data();
      const std::int64_t n = params.size();
      cpu::parallel_for(cpu::threads_for(n * 16, backend_.num_threads()), n, 0, [&](std::int64_t e) {
         velocity[e] = mu * velocity[e] + g[e] + wd * p[e];
         p[e] -= lr * velocity[e];
      });
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
      const double correction1 = 1.0 - std::pow(kBeta1, static_cast<double>(step_));
      const double correction2 = 1.0 - std::pow(kBeta2, static_cast<double>(step_));
      const float step_size = static_cast<float>(config.learning_rate * std::sqrt(correction2) / correction1);
      const float b1 = static_cast<float>(kBeta1);
      const float b2 = static_cast<float>(kBeta2);
      const float eps = static_cast<float>(kEpsilon * std::sqrt(correction2));
      const float wd = static_cast<float>(config.weight_decay);
      float *p = params.data(), *m = m_.data(), *v = v_.data();
      const float *g = grad.data();
      const std::int64_t n = params.size();
      cpu::parallel_for(cpu::threads_for(n * 16, backend_.num_threads()), n, 0, [&](std::int64_t e) {
         const float ge = g[e] + wd * p[e];
         m[e] = b1 * m[e] + (1.0f - b1) * ge;
         v[e] = b2 * v[e] + (1.0f - b2) * ge * ge;
         p[e] -= step_size * m[e] / (std::sqrt(v[e]) + eps);
      });
   }

private:
   static constexpr double kBeta1 = 0.9;
   static constexpr double kBeta2 = 0.999;
   static constexpr double kEpsilon = 1e-7;
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
