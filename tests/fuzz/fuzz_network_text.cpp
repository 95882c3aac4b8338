// fuzz_network_text.cpp: libFuzzer target for the network text reader
// (hashednet::deserialize, serialize.h), the content of every weight file.
//
// What it is: one input is one network text. A text the reader accepts must
// write back (serialize) to a text that reads again to the same bytes, and
// must evaluate one event without a sanitizer report; a text it refuses must
// be refused with a hashednet::Error.
// What it is not: a test of the checksum's strength. The checksum stops almost
// every mutation at the first check, so an input whose first byte is odd is
// taken as a body and gets its correct checksum and "end" line appended:
// the fuzzer then reaches the field checks behind it. Even first bytes are
// read as they are, checksum included.
#include "hashednet/backend.h"
#include "hashednet/common.h"
#include "hashednet/serialize.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iomanip>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

/// Virtual weights above which the accepted network is not evaluated (time, not memory).
constexpr std::int64_t kMaxEvaluatedVirtual = 1 << 20;

std::string with_checksum(std::string body)
{
   if (body.empty() || body.back() != '\n')
      body += '\n';
   std::ostringstream hex;
   hex << std::hex << std::setw(8) << std::setfill('0') << hashednet::xxh32_bytes(body.data(), body.size(), 0);
   return body + "checksum " + hex.str() + "\nend\n";
}

void require(bool ok, const char *what)
{
   if (ok)
      return;
   std::fprintf(stderr, "fuzz_network_text: %s\n", what);
   std::abort();
}

hashednet::Backend &cpu()
{
   static const std::unique_ptr<hashednet::Backend> backend = hashednet::make_backend(hashednet::Architecture::Cpu, 1);
   return *backend;
}

void check_accepted(const hashednet::Network &network)
{
   using namespace hashednet;
   const std::string text = serialize(network);
   require(serialize(deserialize(text, cpu())) == text, "serialize -> deserialize -> serialize changed the text");
   if (network.n_virtual_params() > kMaxEvaluatedVirtual)
      return;
   std::vector<float> x(static_cast<std::size_t>(network.n_inputs()), 0.5f);
   std::vector<float> out(static_cast<std::size_t>(network.n_outputs()));
   ForwardContext context;
   network.predict(x.data(), 1, out.data(), context);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
   if (size == 0)
      return 0;
   std::string text(reinterpret_cast<const char *>(data) + 1, size - 1);
   if (data[0] & 1)
      text = with_checksum(text);
   std::unique_ptr<hashednet::Network> network;
   try {
      network = std::make_unique<hashednet::Network>(hashednet::deserialize(text, cpu()));
   } catch (const hashednet::Error &) {
      return 0;
   }
   check_accepted(*network);
   return 0;
}
