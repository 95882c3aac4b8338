// serialize.h: a trained network as text, losslessly; the TMVA weight file
// wraps exactly this text.
//
// Format "HASHEDNET 2" (written; docs/weight_file.md), one item per line:
//
//   HASHEDNET 2
//   hash xxh32-v1
//   task Classification|Multiclass|Regression
//   inputs <n>   outputs <n>   (one line each)
//   hash_seed <uint32>   hash_mode ELEMENT|BLOCK <B>|FUNHASH <U> <g>   hashed_bias 0|1   hash_output_layer 0|1
//   compression <double, 17 significant digits>
//   layers <L>
//   layer <l> <ACTIVATION> <width> FULLY_CONNECTED <scheme> <weight params> <bias params> [BLOCK: B | FUNHASH: K U g]
//   input_offset <n> <base64 of n little-endian float32>
//   input_scale <n> <base64 ...>
//   params <n> <base64 ...>
//   checksum <XXH32 of every byte before this line, seed 0, 8 hex digits>
//   end
//
// Format "HASHEDNET 1" (read): the same, without FUNHASH, with the layer lines
//   layer <l> <ACTIVATION> <width> <hashed 0|1> <buckets> <bias buckets>
//
// Floats travel as their bits, so a loaded network gives bit-identical
// outputs. Any damage (truncation, a changed byte, a layout that does not
// rebuild to its stored layer line) is reported as a clear Error.
#ifndef HASHEDNET_SERIALIZE_H
#define HASHEDNET_SERIALIZE_H

#include "hashednet/network.h"

#include <cstdint>
#include <string>
#include <vector>

namespace hashednet {

std::string serialize(const Network &network);
/// The network of serialize() text, its parameters in `backend`'s memory.
Network deserialize(const std::string &text, Backend &backend);

/// Writes to `path` atomically (a temporary file in the same folder, then rename).
void save_network(const Network &network, const std::string &path);
Network load_network(const std::string &path, Backend &backend);
/// The text of a network file (an Error naming the path when it cannot be read).
std::string read_network_file(const std::string &path);

/// Writes `content` to `path` atomically; used for every output file.
void write_file_atomically(const std::string &path, const std::string &content);

std::string base64_encode(const std::vector<float> &values);
std::vector<float> base64_decode(const std::string &text, std::int64_t expected_count, const char *what);

/// XXH32 of an arbitrary byte string (the general algorithm, any length).
std::uint32_t xxh32_bytes(const void *data, std::size_t length, std::uint32_t seed);

} // namespace hashednet

#endif // HASHEDNET_SERIALIZE_H
