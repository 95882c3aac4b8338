// buffer.h: floats in a backend's memory.
//
// What it is: an owning, move-only handle to floats that a Backend allocated
// (host memory for the CPU and reference backends, device memory for a GPU
// one). data() points into that memory: the kernels of the owning backend
// read and write it; host code reaches the values only through
// Backend::copy_to_host / copy_from_host (a host backend's pointer happens
// to be a host pointer, which no code outside the backends relies on).
// size() is what is in use, capacity() what is allocated: Backend::resize
// reallocates only to grow, so a buffer reused for every batch allocates
// nothing in steady state.
//
// What it is not: a tensor (no shape, no strides) or a container that copies
// itself.
#ifndef HASHEDNET_BUFFER_H
#define HASHEDNET_BUFFER_H

#include "hashednet/common.h"

#include <cstdint>
#include <memory>
#include <utility>

namespace hashednet {

class Backend;

/// What a backend keeps alive for one allocation (e.g. a host vector, a device pointer).
struct BufferStorage {
   virtual ~BufferStorage() = default;
};

class Buffer {
public:
   Buffer() = default;
   Buffer(std::unique_ptr<BufferStorage> storage, float *data, std::int64_t capacity, const Backend *owner)
      : storage_(std::move(storage)), data_(data), size_(capacity), capacity_(capacity), owner_(owner)
   {
   }
   Buffer(Buffer &&other) noexcept { *this = std::move(other); }
   Buffer &operator=(Buffer &&other) noexcept
   {
      storage_ = std::move(other.storage_);
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
      capacity_ = std::exchange(other.capacity_, 0);
      owner_ = std::exchange(other.owner_, nullptr);
      return *this;
   }
   Buffer(const Buffer &) = delete;
   Buffer &operator=(const Buffer &) = delete;

   float *data() { return data_; }
   const float *data() const { return data_; }
   std::int64_t size() const { return size_; }
   std::int64_t capacity() const { return capacity_; }
   bool empty() const { return size_ == 0; }
   /// The backend whose memory this is (null for an empty buffer).
   const Backend *owner() const { return owner_; }

   /// Changes the size within the capacity (Backend::resize calls this).
   void set_size(std::int64_t n)
   {
      HASHEDNET_ASSERT(n >= 0 && n <= capacity_);
      size_ = n;
   }

private:
   std::unique_ptr<BufferStorage> storage_;
   float *data_ = nullptr;
   std::int64_t size_ = 0;
   std::int64_t capacity_ = 0;
   const Backend *owner_ = nullptr;
};

} // namespace hashednet

#endif // HASHEDNET_BUFFER_H
