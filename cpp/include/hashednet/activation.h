// activation.h: TMVA's activation functions and their derivatives, written
// once for host and device.
//
// The derivative is expressed through the pre-activation z and the output
// a = f(z), whichever is cheaper (tanh' = 1 - a^2, sigmoid' = a (1 - a)).
// SYMMRELU is TMVA's symmetric ReLU, f(z) = |z|; GAUSS is f(z) = exp(-z^2).
#ifndef HASHEDNET_ACTIVATION_H
#define HASHEDNET_ACTIVATION_H

#include "hashednet/common.h"
#include "hashednet/config.h"

#include <cmath>

namespace hashednet {

HASHEDNET_HOST_DEVICE inline float activate(Activation f, float z)
{
   switch (f) {
   case Activation::Tanh: return tanhf(z);
   case Activation::Relu: return z > 0.0f ? z : 0.0f;
   case Activation::SymmRelu: return fabsf(z);
   case Activation::Sigmoid: return 1.0f / (1.0f + expf(-z));
   case Activation::Softsign: return z / (1.0f + fabsf(z));
   case Activation::Gauss: return expf(-z * z);
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
