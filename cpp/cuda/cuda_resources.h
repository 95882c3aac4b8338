// cuda_resources.h: RAII owners of the CUDA library's resources: device
// memory, pinned host memory, a stream, an event, a cuBLAS handle.
//
// What it is: move-only handles whose constructors check the CUDA call
// (cuda_check.h) and whose destructors release without throwing (a failure
// there cannot be reported; the CUDA runtime keeps the first error).
// Sizes are in elements of T, as int64.
//
// What it is not: a Buffer (buffer.h; the backend wraps DeviceArray<float>
// into one) or an allocator with pooling.
#ifndef HASHEDNET_CUDA_RESOURCES_H
#define HASHEDNET_CUDA_RESOURCES_H

#include "cublas_check.h"
#include "cuda_check.h"

#include <cstdint>
#include <utility>

namespace hashednet {
namespace cuda {

/// n values of T in device memory, not initialised.
template <class T>
class DeviceArray {
public:
   DeviceArray() = default;
   explicit DeviceArray(std::int64_t n) : size_(n)
   {
      HASHEDNET_ASSERT(n >= 0);
      if (n > 0)
         HASHEDNET_CUDA_CHECK(cudaMalloc(reinterpret_cast<void **>(&data_), static_cast<std::size_t>(n) * sizeof(T)));
   }
   DeviceArray(DeviceArray &&other) noexcept { *this = std::move(other); }
   DeviceArray &operator=(DeviceArray &&other) noexcept
   {
      std::swap(data_, other.data_);
      std::swap(size_, other.size_);
      return *this;
   }
   DeviceArray(const DeviceArray &) = delete;
   DeviceArray &operator=(const DeviceArray &) = delete;
   ~DeviceArray()
   {
      if (data_)
         cudaFree(data_); // frees after the device's pending work (cudaFree synchronises)
   }
   T *data() { return data_; }
   const T *data() const { return data_; }
   std::int64_t size() const { return size_; }

private:
   T *data_ = nullptr;
   std::int64_t size_ = 0;
};

/// n values of T in page-locked host memory (DMA-able, for asynchronous copies).
template <class T>
class PinnedArray {
public:
   PinnedArray() = default;
   explicit PinnedArray(std::int64_t n) : size_(n)
   {
      HASHEDNET_ASSERT(n >= 0);
      if (n > 0)
         HASHEDNET_CUDA_CHECK(cudaMallocHost(reinterpret_cast<void **>(&data_), static_cast<std::size_t>(n) * sizeof(T)));
   }
   PinnedArray(PinnedArray &&other) noexcept { *this = std::move(other); }
   PinnedArray &operator=(PinnedArray &&other) noexcept
   {
      std::swap(data_, other.data_);
      std::swap(size_, other.size_);
      return *this;
   }
   PinnedArray(const PinnedArray &) = delete;
   PinnedArray &operator=(const PinnedArray &) = delete;
   ~PinnedArray()
   {
      if (data_)
         cudaFreeHost(data_);
   }
   T *data() { return data_; }
   std::int64_t size() const { return size_; }

private:
   T *data_ = nullptr;
   std::int64_t size_ = 0;
};

/// Grows `array` to at least n elements (its values are then lost); never shrinks.
template <class Array>
void ensure_size(Array &array, std::int64_t n)
{
   if (array.size() < n)
      array = Array(n);
}

/// A stream that does not synchronise with the legacy default stream.
class Stream {
public:
   Stream() { HASHEDNET_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
   Stream(const Stream &) = delete;
   Stream &operator=(const Stream &) = delete;
   ~Stream() { cudaStreamDestroy(stream_); }
   cudaStream_t get() const { return stream_; }
   void synchronize() const { HASHEDNET_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

private:
   cudaStream_t stream_ = nullptr;
};

/// An event for ordering streams (no timing).
class Event {
public:
   Event() { HASHEDNET_CUDA_CHECK(cudaEventCreateWithFlags(&event_, cudaEventDisableTiming)); }
   Event(const Event &) = delete;
   Event &operator=(const Event &) = delete;
   ~Event() { cudaEventDestroy(event_); }
   cudaEvent_t get() const { return event_; }
   void record(cudaStream_t stream) { HASHEDNET_CUDA_CHECK(cudaEventRecord(event_, stream)); }
   /// `stream` waits (on the device) for the work recorded so far.
   void make_wait(cudaStream_t stream) const { HASHEDNET_CUDA_CHECK(cudaStreamWaitEvent(stream, event_, 0)); }
   /// The host waits for the work recorded so far.
   void synchronize() const { HASHEDNET_CUDA_CHECK(cudaEventSynchronize(event_)); }

private:
   cudaEvent_t event_ = nullptr;
};

class CublasHandle {
public:
   CublasHandle() { HASHEDNET_CUBLAS_CHECK(cublasCreate(&handle_)); }
   CublasHandle(const CublasHandle &) = delete;
   CublasHandle &operator=(const CublasHandle &) = delete;
   ~CublasHandle() { cublasDestroy(handle_); }
   cublasHandle_t get() const { return handle_; }

private:
   cublasHandle_t handle_ = nullptr;
};

} // namespace cuda
} // namespace hashednet

#endif // HASHEDNET_CUDA_RESOURCES_H
