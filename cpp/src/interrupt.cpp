// interrupt.cpp: see interrupt.h.
#include "hashednet/interrupt.h"

#include <atomic>
#include <sstream>

#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#elif defined(__APPLE__)
#include <pthread.h>
#endif

namespace hashednet {

namespace {
std::atomic<bool> g_sigint{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the SIGINT flag is set in a signal handler: it must be lock-free");

void set_sigint_flag(int)
{
   g_sigint.store(true, std::memory_order_relaxed);
}

bool on_main_thread()
{
#if defined(__linux__)
   return static_cast<pid_t>(syscall(SYS_gettid)) == getpid();
#elif defined(__APPLE__)
   return pthread_main_np() != 0;
#else
   return true;
#endif
}

bool plain_handler_is(const struct sigaction &action, void (*handler)(int))
{
   return !(action.sa_flags & SA_SIGINFO) && action.sa_handler == handler;
}

std::string interrupted_message(const char *unit, int number, std::int64_t batch, const std::string &outcome)
{
   std::ostringstream s;
   s << "training interrupted (SIGINT) after " << unit << " " << number << ", batch " << batch;
   if (!outcome.empty())
      s << "; " << outcome;
   return s.str();
}
} // namespace

Interrupted::Interrupted(const char *unit, int number, std::int64_t batch, const std::string &outcome)
   : std::runtime_error(interrupted_message(unit, number, batch, outcome)), number_(number), batch_(batch)
{
}

SigintGuard::SigintGuard()
{
   struct sigaction current {};
   if (!on_main_thread() || sigaction(SIGINT, nullptr, &current) != 0)
      return;
   if (plain_handler_is(current, SIG_IGN) || plain_handler_is(current, set_sigint_flag))
      return; // ignored (nohup, a background job) stays ignored; an outer guard is already in place
   struct sigaction ours {};
   ours.sa_handler = set_sigint_flag;
   sigemptyset(&ours.sa_mask);
   ours.sa_flags = SA_RESTART;
   g_sigint.store(false);
   installed_ = sigaction(SIGINT, &ours, &previous_) == 0;
}

SigintGuard::~SigintGuard()
{
   if (!installed_)
      return;
   sigaction(SIGINT, &previous_, nullptr);
   if (g_sigint.exchange(false))
      raise(SIGINT); // arrived after the last poll: the previous handler's, as if no guard had been there
}

bool interrupt_pending()
{
   return g_sigint.load(std::memory_order_relaxed);
}

void take_interrupt()
{
   g_sigint.store(false);
}

} // namespace hashednet
