// common.h: macros and the error type shared by every part of the core.
//
// HASHEDNET_HOST_DEVICE marks functions that nvcc compiles for both the host
// and the device; with any other compiler it is empty, so the same source is
// the CPU reference of the GPU code.
#ifndef HASHEDNET_COMMON_H
#define HASHEDNET_COMMON_H

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#if defined(__CUDACC__)
#define HASHEDNET_HOST_DEVICE __host__ __device__
#else
#define HASHEDNET_HOST_DEVICE
#endif

namespace hashednet {

/// Every error the core reports to a user. The message names the bad value
/// and what is allowed; the Python layer re-raises it as ValueError.
class Error : public std::runtime_error {
public:
   explicit Error(const std::string &message) : std::runtime_error(message) {}
};

namespace detail {
inline std::string where(const char *file, int line)
{
   std::ostringstream s;
   s << " [" << file << ":" << line << "]";
   return s.str();
}
} // namespace detail

} // namespace hashednet

/// Throws hashednet::Error with a message built by streaming the arguments,
/// e.g. HASHEDNET_CHECK(k > 0, "bucket count must be positive, got " << k).
#define HASHEDNET_CHECK(condition, message)                                                   \
   do {                                                                                       \
      if (!(condition)) {                                                                     \
         std::ostringstream hashednet_check_stream_;                                          \
         hashednet_check_stream_ << message;                                                  \
         throw ::hashednet::Error(hashednet_check_stream_.str());                            \
      }                                                                                       \
   } while (0)

/// Internal invariant: a failure is a bug in this library, reported with file:line.
#define HASHEDNET_ASSERT(condition)                                                           \
   do {                                                                                       \
      if (!(condition))                                                                       \
         throw ::hashednet::Error(std::string("internal error: ") + #condition +             \
                                  ::hashednet::detail::where(__FILE__, __LINE__));            \
   } while (0)

#endif // HASHEDNET_COMMON_H
