// network_spec.cpp: see network_spec.h.
#include "hashednet/network_spec.h"

#include "hashednet/freshnets_scheme.h"

namespace hashednet {

NetworkSpec network_spec(const MethodOptions &options, std::int64_t n_inputs, Task task, std::int64_t n_outputs)
{
   NetworkSpec spec;
   spec.n_inputs = n_inputs;
   spec.task = task;
   spec.n_outputs = n_outputs;
   spec.compression = options.compression;
   spec.hashed_bias = options.hashed_bias;
   spec.hash_output_layer = options.hash_output_layer;
   spec.hash_seed = options.hash_seed;
   spec.hash_mode = options.hash_mode == "BLOCK"     ? HashMode::Block
                    : options.hash_mode == "FUNHASH" ? HashMode::FunHash
                    : options.hash_mode == "FRESH"   ? HashMode::Fresh
                                                     : HashMode::Element;
   spec.hash_block = options.hash_block;
   if (!options.fresh_slice.empty())
      parse_fresh_slice(options.fresh_slice, "option FreshSlice", spec.fresh.fh, spec.fresh.fw);
   spec.fresh.band_exponent = options.fresh_band_exponent;
   spec.funhash = parse_reconstruction(options.reconstruction, "option Reconstruction");
   spec.funhash.n_hashes = options.hash_functions;
   spec.input_shape = parse_image_layout(options.input_layout, "option InputLayout");
   spec.layers = options.layers.empty() ? parse_layout(options.layout_string, n_inputs) : options.layers;
   return spec;
}

} // namespace hashednet
