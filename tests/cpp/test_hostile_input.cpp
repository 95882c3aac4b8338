// test_hostile_input.cpp: inputs found by fuzzing (tests/fuzz) that once
// crashed, overflowed or allocated without bound, each now a clear Error.
//
// What it is: one check per finding, on the option parser and the network
// text reader, with the message the user gets. The same inputs, in the fuzz
// targets' format, are in tests/fuzz/regressions/ and are replayed under
// ASan + UBSan by tests/test_fuzz.py. What it is not: the parser's ordinary
// tests (test_options.cpp) or the fuzzer itself.
//
// A plain program: the summary line is "N passed, M failed"; non-zero exit on failure.
#include "hashednet/backend.h"
#include "hashednet/common.h"
#include "hashednet/network.h"
#include "hashednet/options.h"
#include "hashednet/serialize.h"
#include "check.h"

#include <cstdio>
#include <functional>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

using namespace hashednet;
using test_check::check;

namespace {



/// `f` must throw a hashednet::Error whose message contains `part`.
void expect_error(const std::function<void()> &f, const std::string &part, const std::string &what, int line)
{
   std::string message = "<no error>";
   try {
      f();
   } catch (const Error &e) {
      message = e.what();
   }
   check(message.find(part) != std::string::npos, what + ": expected an error containing '" + part + "', got: " +
                                                      message.substr(0, 300),
         line);
}

/// A small hashed network's text (hashed biases, so widths are not tied to bias sizes).
/// One CPU backend for every network of these tests.
Backend &cpu()
{
   static const std::unique_ptr<Backend> backend = make_backend(Architecture::Cpu, 1);
   return *backend;
}

std::string network_text()
{
   NetworkSpec spec;
   spec.n_inputs = 3;
   spec.compression = 1.0 / 3.0;
   spec.hashed_bias = true;
   spec.hash_output_layer = true;
   LayerSpec hidden;
   hidden.activation = Activation::Sigmoid;
   hidden.width = 8;
   hidden.buckets = 1;
   LayerSpec output;
   output.activation = Activation::Linear;
   spec.layers = {hidden, hidden, output};
   return serialize(Network(spec, cpu()));
}

/// `text` with `from` replaced by `to` and the checksum made right again.
std::string edited(const std::string &text, const std::string &from, const std::string &to)
{
   std::string body = text.substr(0, text.rfind("checksum "));
   const std::size_t at = body.find(from);
   if (at == std::string::npos)
      return "<'" + from + "' not in the text>";
   body.replace(at, from.size(), to);
   std::ostringstream hex;
   hex << std::hex << std::setw(8) << std::setfill('0') << xxh32_bytes(body.data(), body.size(), 0);
   return body + "checksum " + hex.str() + "\nend\n";
}

void expect_text_error(const std::string &from, const std::string &to, const std::string &part, int line)
{
   const std::string text = edited(network_text(), from, to);
   expect_error([&] { deserialize(text, cpu()); }, part, "network text with '" + to + "'", line);
}

void test_network_text_sizes_come_from_the_data()
{
   check(serialize(deserialize(network_text(), cpu())) == network_text(), "the unedited text round trips", __LINE__);
   // The header alone once sized allocations: 12 GB for the input transform...
   expect_text_error("inputs 3\n", "inputs 3000000000\n", "input transform has the wrong size", __LINE__);
   // ... and 16 TB for a dense bias of width 4e12.
   expect_text_error("layer 1 SIGMOID 8 FULLY_CONNECTED ELEMENT 1 1", "layer 1 SIGMOID 4000000000000 FULLY_CONNECTED DENSE 1 1",
                     "does not fit the", __LINE__);
   expect_text_error("layer 0 SIGMOID 8 FULLY_CONNECTED ELEMENT 1 1", "layer 0 SIGMOID 8 FULLY_CONNECTED ELEMENT 2147483000 1",
                     "does not fit the", __LINE__);
   expect_text_error("layer 1 SIGMOID 8 FULLY_CONNECTED ELEMENT 1 1", "layer 1 SIGMOID -4 FULLY_CONNECTED ELEMENT 1 1",
                     "does not fit the", __LINE__);
   // A float count near 2^63 overflowed the size arithmetic of the base64 check.
   expect_text_error("params ", "params 9223372036854775807 ", "should hold 9223372036854775807 floats", __LINE__);
}

void test_virtual_size_overflow()
{
   // Two hashed layers of 8e12 x 4e12 virtual weights: n_in * n_out overflowed int64.
   const std::string text = edited(edited(network_text(), "layer 0 SIGMOID 8 FULLY_CONNECTED ELEMENT 1 1",
                                          "layer 0 SIGMOID 8000000000000 FULLY_CONNECTED ELEMENT 1 1"),
                                   "layer 1 SIGMOID 8 FULLY_CONNECTED ELEMENT 1 1",
                                   "layer 1 SIGMOID 4000000000000 FULLY_CONNECTED ELEMENT 1 1");
   expect_error([&] { deserialize(text, cpu()); }, "exceed the limit of 2^63", "network text of 8e12 x 4e12", __LINE__);
   expect_error([&] {
      NetworkSpec spec;
      spec.n_inputs = 3;
      spec.hashed_bias = true;
      spec.layers = parse_layout("TANH|999999999999|K=1,TANH|999999999999|K=1,LINEAR");
      Network network(spec, cpu());
   }, "exceed the limit of 2^63", "Layout of two 1e12-wide layers", __LINE__);
}

void test_deeply_nested_widths()
{
   // 50000 nested parentheses (or unary minus signs) overflowed the stack of the width evaluator.
   const std::string parens = "Layout=TANH|" + std::string(50000, '(') + "N" + std::string(50000, ')') + ",LINEAR";
   expect_error([&] { parse_method_options(parens, 7); }, "levels deep", "50000 nested '('", __LINE__);
   const std::string minus = "Layout=TANH|" + std::string(100000, '-') + "N,LINEAR";
   expect_error([&] { parse_method_options(minus, 7); }, "levels deep", "100000 unary '-'", __LINE__);
   const std::string deepest = "Layout=TANH|" + std::string(64, '(') + "N+1" + std::string(64, ')') + ",LINEAR";
   try {
      check(parse_method_options(deepest, 7).layers.at(0).width == 8, "64 levels of '(' still evaluate", __LINE__);
   } catch (const Error &e) {
      check(false, std::string("64 levels of '(' should parse; got: ") + e.what(), __LINE__);
   }
}

} // namespace

int main()
{
   const std::pair<const char *, void (*)()> tests[] = {
      {"network_text_sizes_come_from_the_data", test_network_text_sizes_come_from_the_data},
      {"virtual_size_overflow", test_virtual_size_overflow},
      {"deeply_nested_widths", test_deeply_nested_widths},
   };
   for (const auto &test : tests)
      test_check::run(test.first, test.second);
   return test_check::report();
}
