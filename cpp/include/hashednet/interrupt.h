// interrupt.h: Ctrl-C (SIGINT) during a long call of the core.
//
// What it is: a scoped guard that, while a training call runs, replaces the
// process's SIGINT handler by one that only sets an atomic flag
// (async-signal-safe), and restores the previous handler when the scope
// ends, also on exceptions; the trainer polls the flag after every
// mini-batch and evaluation chunk and throws Interrupted. A SIGINT that
// arrived under the guard but was not turned into Interrupted (it came
// after the last poll) is handed to the previous handler when the guard
// ends, so no Ctrl-C is lost.
// What it is not: a way to stop OpenMP workers mid-tile (only the thread
// that runs the call polls), nor active off the main thread (signals belong
// to the main thread there, as in Python) or where SIGINT is ignored.
#ifndef HASHEDNET_INTERRUPT_H
#define HASHEDNET_INTERRUPT_H

#include <signal.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace hashednet {

/// Training stopped by SIGINT. Not a hashednet::Error: nothing the user gave
/// was wrong, and code that reports bad values must not catch it. The
/// Python layer raises it as KeyboardInterrupt.
class Interrupted : public std::runtime_error {
public:
   /// "training interrupted (SIGINT) after <unit> <number>, batch <batch>; <outcome>":
   /// `number` (1-based) of `unit` ("epoch", "chunk") was running with `batch`
   /// of its mini-batches done; `outcome` says which parameters the network keeps.
   Interrupted(const char *unit, int number, std::int64_t batch, const std::string &outcome);
   int number() const { return number_; }
   std::int64_t batch() const { return batch_; }

private:
   int number_;
   std::int64_t batch_;
};

/// Installs the flag-setting SIGINT handler for its lifetime (see the top of
/// this file); nested guards are harmless. Use on the stack, one thread.
class SigintGuard {
public:
   SigintGuard();
   ~SigintGuard();
   SigintGuard(const SigintGuard &) = delete;
   SigintGuard &operator=(const SigintGuard &) = delete;
   bool installed() const { return installed_; }

private:
   bool installed_ = false;
   struct sigaction previous_ {};
};

/// True when a SIGINT arrived under a guard and was not yet taken.
bool interrupt_pending();

/// Clears a pending SIGINT: the caller is about to throw Interrupted for it.
void take_interrupt();

} // namespace hashednet

#endif // HASHEDNET_INTERRUPT_H
