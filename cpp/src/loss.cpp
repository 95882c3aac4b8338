// loss.cpp: see loss.h for the formulas; one event's arithmetic is elementwise.h's
// (shared with the CUDA kernels), the sum over events is here, in event order.
#include "hashednet/loss.h"

#include "hashednet/elementwise.h"

namespace hashednet {

double loss_and_gradient(Task task, const float *logits, const float *targets, const float *weights,
                         std::int64_t batch, std::int64_t n_outputs, double norm, float *d_logits)
{
   double total = 0.0;
   const std::int64_t target_width = task == Task::Regression ? n_outputs : 1;
   for (std::int64_t b = 0; b < batch; ++b) {
      const double w = weights ? weights[b] : 1.0;
      total += elementwise::event_loss(task, logits + b * n_outputs, targets + b * target_width, w, n_outputs, norm,
                                       d_logits ? d_logits + b * n_outputs : nullptr);
   }
   return total;
}

void apply_output_transform(Task task, float *logits, std::int64_t n, std::int64_t n_outputs)
{
   if (task == Task::Regression)
      return;
   if (task == Task::Classification) {
      for (std::int64_t e = 0; e < n * n_outputs; ++e)
         logits[e] = elementwise::sigmoid_response(logits[e]);
      return;
   }
   for (std::int64_t b = 0; b < n; ++b)
      elementwise::softmax_row(logits + b * n_outputs, n_outputs);
}

} // namespace hashednet
