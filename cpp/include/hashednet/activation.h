// activation.h: TMVA's activation functions and their derivatives, written
// once for host and device.
//
// The derivative is expressed through the pre-activation z and the output
// a = f(z), whichever is cheaper (tanh' = 1 - a^2, sigmoid' = a (1 - a)).
// SYMMRELU is TMVA's symmetric ReLU, f(z) = |z|; GAUSS is f(z) = exp(-z^2).
//
// exp and tanh are Cephes' single-precision approximations (expf's
// polynomial, tanhf's odd polynomial below 0.625), written branch-free so
// that a loop over an array vectorises: libm's tanhf is a scalar call and
// took a third of the training time of a 3x64 TANH network. They use only
// +, -, *, / and bit operations, so every CPU instruction set gives the same
// bits when compiled without contraction into FMA (-ffp-contract=off; for a
// GPU, nvcc -fmad=false). Accuracy against float64 (tests/test_activations.py):
// tanh within 1.5 ulp and 1e-7, sigmoid within 3 ulp and 1e-7, exp(-z^2)
// within 1e-7.
#ifndef HASHEDNET_ACTIVATION_H
#define HASHEDNET_ACTIVATION_H

#include "hashednet/common.h"
#include "hashednet/config.h"

#include <cmath>
#include <cstdint>
#include <cstring>

namespace hashednet {

namespace approx {
HASHEDNET_HOST_DEVICE inline float from_bits(std::uint32_t bits)
{
   float f;
   memcpy(&f, &bits, sizeof f);
   return f;
}

HASHEDNET_HOST_DEVICE inline std::uint32_t to_bits(float f)
{
   std::uint32_t bits;
   memcpy(&bits, &f, sizeof bits);
   return bits;
}

/// e^x: 0 below -87.33 (where e^x leaves the normal floats), e^88 above 88,
/// NaN for NaN.
HASHEDNET_HOST_DEVICE inline float exp(float x)
{
   const float lo = -87.3365478515625f;
   const float hi = 88.0f;
   const float xc = x > hi ? hi : (x < lo ? lo : x);
   // n = round(x / ln 2) by adding 1.5 * 2^23, whose float has n in its low bits
   const float shifter = 12582912.0f;
   const float t = xc * 1.44269504088896341f + shifter;
   const float n = t - shifter;
   const std::uint32_t n_bits = to_bits(t) - to_bits(shifter); // n as a two's-complement integer
   // r = x - n ln 2, with ln 2 in two parts (Cody-Waite)
   float r = xc - n * 0.693359375f;
   r = r - n * -2.12194440e-4f;
   float p = 1.9875691500e-4f;
   p = p * r + 1.3981999507e-3f;
   p = p * r + 8.3334519073e-3f;
   p = p * r + 4.1665795894e-2f;
   p = p * r + 1.6666665459e-1f;
   p = p * r + 5.0000001201e-1f;
   const float e_r = p * (r * r) + r + 1.0f;
   const float two_n = from_bits((n_bits + 127u) << 23); // 2^n, n in [-126, 127]
   const float y = e_r * two_n;
   return x < lo ? 0.0f : y;
}

/// tanh(x): an odd polynomial below |x| = 0.625, 1 - 2 / (e^2|x| + 1) above
/// (|x| capped at 9.5, where tanh is 1 in float); NaN for NaN.
HASHEDNET_HOST_DEVICE inline float tanh(float x)
{
   const float ax = fabsf(x);
   const float s = x * x;
   float p = -5.70498872745e-3f;
   p = p * s + 2.06390887954e-2f;
   p = p * s - 5.37397155531e-2f;
   p = p * s + 1.33314422036e-1f;
   p = p * s - 3.33332819422e-1f;
   const float small = p * s * ax + ax;
   const float capped = ax > 9.5f ? 9.5f : ax;
   const float large = 1.0f - 2.0f / (approx::exp(2.0f * capped) + 1.0f);
   // |tanh x| with the sign of x put back (also -0 for -0: tanh is odd bit for bit)
   return from_bits(to_bits(ax < 0.625f ? small : large) | (to_bits(x) & 0x80000000u));
}

HASHEDNET_HOST_DEVICE inline float sigmoid(float z)
{
   return 1.0f / (1.0f + approx::exp(-z));
}
} // namespace approx

HASHEDNET_HOST_DEVICE inline float activate(Activation f, float z)
{
   switch (f) {
   case Activation::Tanh: return approx::tanh(z);
   case Activation::Relu: return z > 0.0f ? z : 0.0f;
   case Activation::SymmRelu: return fabsf(z);
   case Activation::Sigmoid: return approx::sigmoid(z);
   case Activation::Softsign: return z / (1.0f + fabsf(z));
   case Activation::Gauss: return approx::exp(-z * z);
   case Activation::Linear: return z;
   }
   return z;
}

/// df/dz at pre-activation z with output a = f(z).
HASHEDNET_HOST_DEVICE inline float activation_derivative(Activation f, float z, float a)
{
   switch (f) {
   case Activation::Tanh: return 1.0f - a * a;
   case Activation::Relu: return z > 0.0f ? 1.0f : 0.0f;
   case Activation::SymmRelu: return z < 0.0f ? -1.0f : 1.0f;
   case Activation::Sigmoid: return a * (1.0f - a);
   case Activation::Softsign: {
      const float d = 1.0f + fabsf(z);
      return 1.0f / (d * d);
   }
   case Activation::Gauss: return -2.0f * z * a;
   case Activation::Linear: return 1.0f;
   }
   return 1.0f;
}

} // namespace hashednet

#endif // HASHEDNET_ACTIVATION_H
