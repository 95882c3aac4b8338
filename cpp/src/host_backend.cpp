// host_backend.cpp: see host_backend.h.
#include "host_backend.h"

#include "cpu_parallel.h"
#include "hashednet/loss.h"

#include <algorithm>
#include <exception>
#include <thread>
#include <vector>

namespace hashednet {

namespace {
struct HostStorage final : BufferStorage {
   explicit HostStorage(std::int64_t n) : values(static_cast<std::size_t>(n), 0.0f) {}
   std::vector<float> values;
};
} // namespace

int resolve_threads(int num_threads)
{
   HASHEDNET_CHECK(num_threads >= 0, "number of threads must be >= 0 (0 = all cores), got " << num_threads);
   return num_threads > 0 ? num_threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

Buffer HostBackend::allocate(std::int64_t n)
{
   HASHEDNET_ASSERT(n >= 0);
   auto storage = std::make_unique<HostStorage>(n);
   float *data = storage->values.data();
   return Buffer(std::move(storage), data, n, this);
}

void HostBackend::copy_to_host(const Buffer &src, std::int64_t offset, std::int64_t n, float *dst) const
{
   HASHEDNET_ASSERT(offset >= 0 && n >= 0 && offset + n <= src.size());
   std::copy(src.data() + offset, src.data() + offset + n, dst);
}

void HostBackend::copy_from_host(const float *src, std::int64_t n, Buffer &dst, std::int64_t offset)
{
   HASHEDNET_ASSERT(offset >= 0 && n >= 0 && offset + n <= dst.size());
   std::copy(src, src + n, dst.data() + offset);
}

void HostBackend::copy(const float *src, std::int64_t n, float *dst)
{
   std::copy(src, src + n, dst);
}

void HostBackend::transform_inputs(const float *x, std::int64_t batch, std::int64_t n, const Buffer &offset,
                                   const Buffer &scale, Buffer &out)
{
   resize(out, batch * n);
   const float *o = offset.data(), *s = scale.data();
   float *y = out.data();
   for (std::int64_t b = 0; b < batch; ++b)
      for (std::int64_t j = 0; j < n; ++j)
         y[b * n + j] = (x[b * n + j] - o[j]) * s[j];
}

void HostBackend::gather_batch(const DataView &data, const std::int64_t *index, std::int64_t n,
                               const Buffer &offset, const Buffer &scale, BatchBuffers &batch)
{
   const std::int64_t d = data.n_features, t = data.n_targets;
   resize(batch.x, n * d);
   resize(batch.y, n * t);
   resize(batch.w, n);
   batch.size = n;
   batch.weight_sum = 0.0;
   const float *o = offset.data(), *s = scale.data();
   for (std::int64_t b = 0; b < n; ++b) {
      const std::int64_t e = index[b];
      for (std::int64_t j = 0; j < d; ++j)
         batch.x.data()[b * d + j] = (data.x[e * d + j] - o[j]) * s[j];
      std::copy(data.y + e * t, data.y + (e + 1) * t, batch.y.data() + b * t);
      batch.w.data()[b] = data.w ? data.w[e] : 1.0f;
      batch.weight_sum += batch.w.data()[b];
   }
}

void HostBackend::for_each_item(std::int64_t n_items, std::int64_t work, const ItemBody &body)
{
   const int threads = static_cast<int>(std::min<std::int64_t>(cpu::threads_for(work, num_threads()), n_items));
   if (threads <= 1)
      return Backend::for_each_item(n_items, work, body); // in order, on slot 0
   std::exception_ptr error; // an exception may not leave an OpenMP region: the first is kept, then rethrown
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
   for (std::int64_t item = 0; item < n_items; ++item) {
      try {
         body(item, cpu::thread_id());
      } catch (...) {
#pragma omp critical(hashednet_for_each_item)
         if (!error)
            error = std::current_exception();
      }
   }
   if (error)
      std::rethrow_exception(error);
}

double HostBackend::loss(Task task, const float *logits, const float *targets, const float *weights,
                         std::int64_t batch, std::int64_t n_outputs, double norm, float *d_logits)
{
   return loss_and_gradient(task, logits, targets, weights, batch, n_outputs, norm, d_logits);
}

void HostBackend::output_transform(Task task, float *logits, std::int64_t n, std::int64_t n_outputs)
{
   apply_output_transform(task, logits, n, n_outputs);
}

void HostBackend::multiply(float *x, const float *factor, std::int64_t n)
{
   for (std::int64_t e = 0; e < n; ++e)
      x[e] *= factor[e];
}

} // namespace hashednet
