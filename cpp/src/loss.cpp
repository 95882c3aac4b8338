// loss.cpp: see loss.h for the formulas.
#include "hashednet/loss.h"

#include <algorithm>
#include <cmath>

namespace hashednet {

namespace {
double sigmoid_cross_entropy(float z, float y, float *dz)
{
   const double zd = z;
   if (dz)
      *dz = static_cast<float>(1.0 / (1.0 + std::exp(-zd)) - y);
   // log(1 + e^z) - y z, stable for large |z|
   return std::max(zd, 0.0) + std::log1p(std::exp(-std::fabs(zd))) - y * zd;
}

double softmax_cross_entropy(const float *z, float label, std::int64_t n, float *dz)
{
   const auto target = static_cast<std::int64_t>(label);
   const double top = *std::max_element(z, z + n);
   double sum = 0.0;
   for (std::int64_t k = 0; k < n; ++k)
      sum += std::exp(z[k] - top);
   if (dz)
      for (std::int64_t k = 0; k < n; ++k)
         dz[k] = static_cast<float>(std::exp(z[k] - top) / sum - (k == target ? 1.0 : 0.0));
   return std::log(sum) + top - z[target];
}

double squared_error(const float *z, const float *y, std::int64_t n, float *dz)
{
   double loss = 0.0;
   for (std::int64_t k = 0; k < n; ++k) {
      const double diff = static_cast<double>(z[k]) - y[k];
      if (dz)
         dz[k] = static_cast<float>(diff);
      loss += 0.5 * diff * diff;
   }
   return loss;
}
} // namespace

double loss_and_gradient(Task task, const float *logits, const float *targets, const float *weights,
                         std::int64_t batch, std::int64_t n_outputs, double norm, float *d_logits)
{
   double total = 0.0;
   const std::int64_t target_width = task == Task::Regression ? n_outputs : 1;
   for (std::int64_t b = 0; b < batch; ++b) {
      const float *z = logits + b * n_outputs;
      const float *y = targets + b * target_width;
      float *dz = d_logits ? d_logits + b * n_outputs : nullptr;
      double loss = 0.0;
      switch (task) {
      case Task::Classification: loss = sigmoid_cross_entropy(z[0], y[0], dz); break;
      case Task::Multiclass: loss = softmax_cross_entropy(z, y[0], n_outputs, dz); break;
      case Task::Regression: loss = squared_error(z, y, n_outputs, dz); break;
      }
      const double w = weights ? weights[b] : 1.0;
      total += w * loss;
      if (dz)
         for (std::int64_t k = 0; k < n_outputs; ++k)
            dz[k] = static_cast<float>(dz[k] * w / norm);
   }
   return total;
}

void apply_output_transform(Task task, float *logits, std::int64_t n, std::int64_t n_outputs)
{
   if (task == Task::Regression)
      return;
   if (task == Task::Classification) {
      for (std::int64_t e = 0; e < n * n_outputs; ++e)
         logits[e] = 1.0f / (1.0f + std::exp(-logits[e]));
      return;
   }
   for (std::int64_t b = 0; b < n; ++b) {
      float *row = logits + b * n_outputs;
      const float top = *std::max_element(row, row + n_outputs);
      float sum = 0.0f;
      for (std::int64_t k = 0; k < n_outputs; ++k)
         sum += (row[k] = std::exp(row[k] - top));
      for (std::int64_t k = 0; k < n_outputs; ++k)
         row[k] /= sum;
   }
}

} // namespace hashednet
