// fuzz_options.cpp: libFuzzer target for the HashedDNN option parser (options.h).
//
// What it is: one input is one option string. A string the parser accepts
// must survive its own inverse: to_option_string, parsed again and written
// again, gives the same canonical text. A string it refuses must be refused
// with a hashednet::Error; anything else (a crash, a sanitizer report, an
// exception of another type, a hang) is a finding.
// What it is not: no network is built, so huge layouts are not exercised here.
//
// The first byte, when present, picks the number of input variables
// (-1 = unknown, else 0..254) that resolves widths written with N.
#include "hashednet/common.h"
#include "hashednet/options.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

void require(bool ok, const char *what, const std::string &detail)
{
   if (ok)
      return;
   std::fprintf(stderr, "fuzz_options: %s\n%s\n", what, detail.c_str());
   std::abort();
}

void check_accepted(const hashednet::MethodOptions &options, std::int64_t n_inputs)
{
   using namespace hashednet;
   const std::string canonical = to_option_string(options);
   const MethodOptions again = parse_method_options(canonical, n_inputs);
   require(to_option_string(again) == canonical, "to_option_string -> parse_method_options is not identity",
           canonical + "\n" + to_option_string(again));
   for (Task task : {Task::Classification, Task::Multiclass, Task::Regression}) {
      try {
         check_options_for_task(options, task);
      } catch (const Error &) {
      }
   }
   validation_event_count(options.validation_size, -1);
   try {
      validation_event_count(options.validation_size, 1000);
   } catch (const Error &) {
   }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
   if (size == 0)
      return 0;
   const std::int64_t n_inputs = data[0] == 0xFF ? -1 : data[0];
   const std::string text(reinterpret_cast<const char *>(data) + 1, size - 1);
   hashednet::MethodOptions options;
   try {
      options = hashednet::parse_method_options(text, n_inputs);
   } catch (const hashednet::Error &) {
      return 0;
   }
   check_accepted(options, n_inputs);
   return 0;
}
