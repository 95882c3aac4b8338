// device_ops.cuh: the few operations whose meaning differs between a GPU
// thread and the CPU emulation of one, written once for both.
//
// What it is: atomics (on the device: atomicAdd / atomicCAS, on shared or
// global memory; on the host: the plain read-modify-write, which is what an
// atomic is when threads run one after the other, as in the emulation) and
// the 64-bit fixed-point numbers of the deterministic gradient mode.
//
// Fixed point: a float c is the integer round(c 2^e) (round to nearest,
// ties to even, in double, the same on host and device), kept as the two's
// complement bits of an unsigned 64-bit integer so that the device's
// atomicAdd(unsigned long long) adds it; integer addition modulo 2^64 is
// associative, so the sum of any set of contributions has the same bits in
// any order. e is chosen so that every partial sum stays below 2^61 in
// magnitude (product_drivers.cuh: ScaleExponent).
//
// What it is not: the hash (hash.h) or anything of the GEMM.
#ifndef HASHEDNET_CUDA_DEVICE_OPS_CUH
#define HASHEDNET_CUDA_DEVICE_OPS_CUH

#include "hashednet/common.h"

#include <cmath>
#include <cstdint>

/// The kernels' small functions inlined on the device (a call would keep a
/// thread's registers, e.g. its ThreadAcc, in local memory across it) and
/// their constant loops unrolled (constant indices keep arrays in registers).
#if defined(__CUDACC__)
#define HASHEDNET_INLINE __forceinline__
#else
#define HASHEDNET_INLINE inline
#endif
#if defined(__CUDA_ARCH__) // the device pass only: the host compiler does not know the pragma
#define HASHEDNET_UNROLL _Pragma("unroll")
#else
#define HASHEDNET_UNROLL
#endif

namespace hashednet {
namespace cuda {

HASHEDNET_HOST_DEVICE inline void atomic_add(float *address, float value)
{
#if defined(__CUDA_ARCH__)
   atomicAdd(address, value);
#else
   *address += value;
#endif
}

HASHEDNET_HOST_DEVICE inline void atomic_add(unsigned long long *address, unsigned long long value)
{
#if defined(__CUDA_ARCH__)
   atomicAdd(address, value);
#else
   *address += value;
#endif
}

/// *address = desired if it was `expected`; returns what *address was.
HASHEDNET_HOST_DEVICE inline std::uint32_t atomic_cas(std::uint32_t *address, std::uint32_t expected,
                                                      std::uint32_t desired)
{
#if defined(__CUDA_ARCH__)
   return atomicCAS(reinterpret_cast<unsigned int *>(address), expected, desired);
#else
   const std::uint32_t old = *address;
   if (old == expected)
      *address = desired;
   return old;
#endif
}

/// A float in shared memory that `+=` adds to atomically (funhash.h's
/// reconstruct_backward adds alpha's gradient through `Acc *` with `+=`).
struct SharedAtomicFloat {
   float value;
   HASHEDNET_HOST_DEVICE void operator+=(float x) { atomic_add(&value, x); }
};

/// 2^exponent (exact for |exponent| < 1023).
HASHEDNET_HOST_DEVICE inline double power_of_two(int exponent)
{
#if defined(__CUDA_ARCH__)
   return ::ldexp(1.0, exponent);
#else
   return std::ldexp(1.0, exponent);
#endif
}

/// p with 2^(p-1) <= |x| < 2^p (x finite, not 0).
HASHEDNET_HOST_DEVICE inline int binary_exponent(double x)
{
   int p = 0;
#if defined(__CUDA_ARCH__)
   ::frexp(x, &p);
#else
   std::frexp(x, &p);
#endif
   return p;
}

/// round(c 2^exponent) as the bits of a two's complement 64-bit integer.
HASHEDNET_HOST_DEVICE inline unsigned long long to_fixed(float c, int exponent)
{
   const double scaled = static_cast<double>(c) * power_of_two(exponent);
#if defined(__CUDA_ARCH__)
   return static_cast<unsigned long long>(__double2ll_rn(scaled));
#else
   return static_cast<unsigned long long>(std::llrint(scaled));
#endif
}

/// The float nearest to (the signed integer of `bits`) 2^-exponent.
HASHEDNET_HOST_DEVICE inline float from_fixed(unsigned long long bits, int exponent)
{
   const double value = static_cast<double>(static_cast<long long>(bits));
   return static_cast<float>(value * power_of_two(-exponent));
}

} // namespace cuda
} // namespace hashednet

#endif // HASHEDNET_CUDA_DEVICE_OPS_CUH
