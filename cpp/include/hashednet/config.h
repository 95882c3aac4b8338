// config.h: plain descriptions of a network and of its training.
//
// These structs are what the option parser (options.h) produces and what the
// network, the trainer and the weight file consume. Defaults live here, once,
// with a comment each. No behaviour lives here.
#ifndef HASHEDNET_CONFIG_H
#define HASHEDNET_CONFIG_H

#include <cstdint>
#include <string>
#include <vector>

namespace hashednet {

/// TMVA's activation functions (MethodDL names in the comments).
enum class Activation { Tanh, Relu, SymmRelu, Sigmoid, Softsign, Gauss, Linear };

/// What the network learns; fixes the loss and the output transform.
enum class Task {
   Classification, ///< one logit, sigmoid cross-entropy; response = sigmoid(logit)
   Multiclass,     ///< one logit per class, softmax cross-entropy; response = softmax
   Regression      ///< one output per target, squared error; response = identity
};

/// How a new network's parameters are drawn (network initialisation, not training).
enum class WeightInit { XavierNormal, XavierUniform };
constexpr WeightInit kDefaultWeightInit = WeightInit::XavierNormal; ///< TMVA's XAVIER

/// How a hashed layer makes its virtual weights: each virtual weight hashes
/// to its own bucket (ELEMENT, the paper), each short contiguous block of a
/// row hashes to the start of a run of buckets (BLOCK, ROBE-style: one hash
/// per block, buckets taken circularly modulo K), or each virtual weight is
/// a small network g of U hashed buckets (FUNHASH, FunHashNN; funhash.h), or
/// each fh x fw slice is the inverse DCT of hashed coefficients, fewer
/// buckets for high frequencies (FRESH, FreshNets; freshnets.h).
enum class HashMode { Element, Block, FunHash, Fresh };

/// FUNHASH's reconstruction network g (funhash.h): the identity (U = 1), a
/// weighted sum of the U hashed values, or a one-hidden-layer MLP.
enum class Reconstruction { Identity, Linear, Mlp };

/// U and g of the FUNHASH layers of a network (HashMode::FunHash).
struct FunHashSpec {
   int n_hashes = 4;                                      ///< U (HashFunctions): LINEAR U = 4, docs/funhash.md
   Reconstruction reconstruction = Reconstruction::Linear; ///< g: LINEAR trains with SGD and Adam alike
   int hidden = 0;                                        ///< MLP: hidden units H; 0 otherwise
   Activation hidden_activation = Activation::Tanh;       ///< MLP: f of the hidden units
};

/// The slice and band split of FRESH layers (HashMode::Fresh; freshnets_scheme.h).
struct FreshSpec {
   int fh = 0;                  ///< FreshSlice of fully connected layers: fh x fw; 0 = not given
   int fw = 0;
   double band_exponent = 1.0;  ///< FreshBandExponent e: band b gets (b + 1)^-e buckets per coefficient (relative)
};

/// The kind of a Layout entry (MethodDL's layer types): a fully connected
/// layer (DENSE, or MethodDNN's ACTIVATION|width), a convolution (CONV), a
/// max pooling (MAXPOOL), a reshape (RESHAPE: FLAT, or depth|height|width)
/// or a batch normalisation (BNORM|momentum|epsilon, batch_norm.h).
enum class LayerType { Dense, Conv, MaxPool, Reshape, BatchNorm };

/// A BNORM entry's constants, MethodDL's defaults (ParseBatchNormLayer).
struct BatchNormSpec {
   double momentum = -1.0;  ///< in [0, 1): exponential running averages; negative: the cumulative average
   double epsilon = 1e-4;   ///< added to the variance, > 0
};

/// A window over an image as a Layout entry gives it (CONV and MAXPOOL).
struct WindowSpec {
   std::int64_t fh = 0, fw = 0;
   std::int64_t stride_rows = 1, stride_cols = 1;
   std::int64_t pad_rows = 0, pad_cols = 0; ///< CONV only; MAXPOOL has no padding (MethodDL)
};

/// An image shape: depth x height x width (InputLayout, RESHAPE|d|h|w); all 0 = none given.
struct ImageShape {
   std::int64_t depth = 0, height = 0, width = 0;
   bool given() const { return depth != 0 || height != 0 || width != 0; }
   std::int64_t size() const { return depth * height * width; }
};

/// One layer. For a fully connected layer `width` 0 on the last layer means
/// "as many as the task has outputs"; for a CONV layer `width` is the number
/// of filters; MAXPOOL and RESHAPE have width 0 (their output follows from
/// their input). `compression` is real/virtual weights in (0, 1]; a negative
/// value means "use the network's default for this layer". `buckets` > 0
/// overrides `compression`. Dense and CONV layers have weights.
struct LayerSpec {
   Activation activation = Activation::Tanh;
   std::int64_t width = 0;
   double compression = -1.0;
   std::int64_t buckets = 0;
   LayerType type = LayerType::Dense;
   WindowSpec window; ///< CONV, MAXPOOL
   ImageShape shape;  ///< RESHAPE to depth|height|width; not given = FLAT
   BatchNormSpec bnorm; ///< BNORM
};

/// BLOCK mode's largest block (virtual weights per hash); the smallest is 1.
constexpr std::int64_t kMaxHashBlock = 4096;

struct NetworkSpec {
   std::int64_t n_inputs = 0;
   std::int64_t n_outputs = 1;             ///< logits: 1 (two-class), n_classes, n_targets
   Task task = Task::Classification;
   std::vector<LayerSpec> layers;          ///< hidden layers, then the output layer
   double compression = 1.0;               ///< default for hidden layers; 1 = dense
   bool hash_output_layer = false;         ///< the output layer is small: dense unless asked
   bool hashed_bias = false;               ///< biases are dense vectors unless asked
   std::uint32_t hash_seed = 0;            ///< master seed of the bucket/sign hash
   HashMode hash_mode = HashMode::Element; ///< the paper's definition
   std::int64_t hash_block = 16;           ///< BLOCK mode: virtual weights per hash (a row's run of buckets)
   FunHashSpec funhash;                    ///< FUNHASH mode: U and g of every hashed layer
   ImageShape input_shape;                 ///< InputLayout: the events as images; not given = 1 x 1 x n_inputs
   FreshSpec fresh;                        ///< FRESH mode: slice and band exponent
};

struct TrainingConfig {
   std::string optimizer = "ADAM"; ///< a name of optimizer_names() (optimizer.h): SGD or ADAM
   double learning_rate = 1e-3;
   double momentum = 0.9;        ///< SGD momentum (Adam uses beta1 = 0.9, beta2 = 0.999)
   double weight_decay = 0.0;    ///< L2 coefficient, added to the loss as wd/2 * sum(w^2)
   std::int64_t batch_size = 128;
   int max_epochs = 200;
   int convergence_steps = 10;   ///< stop after this many epochs without a better validation loss
   std::vector<double> dropout;  ///< drop probability of each layer's input; missing = 0
   std::uint64_t seed = 42;      ///< shuffling, dropout
   int num_threads = 0;          ///< threads of this phase (Model::train runs it on them); 0 = all hardware threads
   int verbosity = 1;            ///< 0 silent, 1 one line per epoch (when there is a log to write to)
};

} // namespace hashednet

#endif // HASHEDNET_CONFIG_H
