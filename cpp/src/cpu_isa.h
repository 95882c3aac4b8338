// cpu_isa.h: which instruction set the CPU kernels use (internal).
//
// Kernels with a vectorised variant (tile generation, activations) exist once
// per instruction set, each compiled in its own file with its own -m flags,
// and are chosen here at run time from what the CPU reports. Tests and
// benchmarks may force a lower one (set_default_isa) to compare every fast
// path with the scalar reference on the same machine.
#ifndef HASHEDNET_SRC_CPU_ISA_H
#define HASHEDNET_SRC_CPU_ISA_H

#include <string>

namespace hashednet {
namespace kernels {

enum class Isa { Scalar = 0, Avx2 = 1, Avx512 = 2 };

/// "scalar", "avx2" or "avx512".
std::string isa_name(Isa isa);
/// The Isa of a name; "auto" is the forced one (set_default_isa) or the CPU's best.
Isa resolve_isa(const std::string &name);
/// True when this build has the variant and the CPU runs it ("auto": always).
bool isa_available(const std::string &name);
/// The name "auto" resolves to.
std::string default_isa();
/// Forces what "auto" resolves to ("auto" restores the CPU's best), for
/// benchmarks and tests; backends made afterwards use it.
void set_default_isa(const std::string &name);

} // namespace kernels
} // namespace hashednet

#endif // HASHEDNET_SRC_CPU_ISA_H
