"""Property tests (hypothesis) of the hash, the hashed layers, the network text
and the option string, each against an independent reference.

What it is: invariants checked on inputs hypothesis draws (and shrinks when
one fails): the hash equals the ``xxhash`` package for any key and seed; every
virtual weight of the compiled forward pass comes from a bucket in [0, K) with
the bucket and sign the ``xxhash`` reference gives, in ELEMENT mode and in
BLOCK mode (runs wrap modulo K); network text round trips are bit-identical;
the canonical option string parses back to the same options.
What it is not: a fuzzer of malformed input (tests/test_fuzz.py), nor a test
of training quality. CI runs few examples per property (the "ci" profile of
conftest.py); set HYPOTHESIS_PROFILE=long for a thorough run.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import xxhash
from hypothesis import example, given, reject
from hypothesis import strategies as st
from reference import block_table

from tmva_hashednet import HashedNetwork
from tmva_hashednet.options import parse_options

U32 = st.integers(0, 2**32 - 1)
U64 = st.integers(0, 2**64 - 1)
ACTIVATIONS = ["TANH", "RELU", "SYMMRELU", "SIGMOID", "SOFTSIGN", "GAUSS", "LINEAR"]


@pytest.fixture(scope="module")
def cpp_hash(hn):
    """hashednet::xxh32::hash_u64 over an array of keys."""
    import ROOT

    assert ROOT.gInterpreter.Declare(
        """
        #include "hashednet/hash.h"
        void hashednet_property_hash(const std::uint64_t *keys, std::int64_t n, std::uint32_t seed,
                                     std::uint32_t *out) {
           for (std::int64_t i = 0; i < n; ++i) out[i] = hashednet::xxh32::hash_u64(keys[i], seed);
        }
        """
    )

    def run(keys, seed):
        keys = np.asarray(keys, dtype=np.uint64)
        out = np.empty(len(keys), dtype=np.uint32)
        ROOT.hashednet_property_hash(keys, len(keys), seed, out)
        return out

    return run


# ---------------------------------------------------------------------- the hash
@given(keys=st.lists(U64, min_size=1, max_size=40), seed=st.integers(0, 2**34))
@example(keys=[0, 2**64 - 1], seed=2**32)
@example(keys=[1], seed=2**32 + 7)
def test_hash_equals_xxhash_for_any_key_and_seed(cpp_hash, keys, seed):
    # The xxhash package takes the seed modulo 2^32 (XXH32's seed is 32 bits);
    # the C++ hash takes a uint32, so a larger master seed means its low 32 bits.
    got = cpp_hash(keys, seed & 0xFFFFFFFF)
    expected = [xxhash.xxh32_intdigest(k.to_bytes(8, "little"), seed=seed) for k in keys]
    assert got.tolist() == expected


@given(h=U32, k=st.integers(1, 2**32 - 1))
@example(h=2**32 - 1, k=2**32 - 1)
@example(h=2**32 - 1, k=1)
def test_bucket_is_in_range_for_any_bucket_count(hn, h, k):
    bucket = int(hn.bucket_of(h, k))
    assert 0 <= bucket < k
    assert bucket == (h * k) >> 32  # Lemire's multiply-shift, in Python's exact integers


@given(master=U32, layer=st.integers(0, 1000))
def test_layer_seeds_are_xxhash_of_the_layer_index(hn, master, layer):
    assert int(hn.weight_seed(master, layer)) == xxhash.xxh32_intdigest((2 * layer).to_bytes(8, "little"), master)
    assert int(hn.bias_seed(master, layer)) == xxhash.xxh32_intdigest((2 * layer + 1).to_bytes(8, "little"), master)


# ---------------------------------------------------------------------- hashed layers
@st.composite
def hashed_layers(draw):
    """(n_in, n_out, K, mode, B, seed) of one hashed layer; K may be smaller than B."""
    n_in = draw(st.integers(1, 40))
    n_out = draw(st.integers(1, 24))
    k = draw(st.integers(1, n_in * n_out))
    mode = draw(st.sampled_from(["ELEMENT", "BLOCK"]))
    block = draw(st.integers(1, 24)) if mode == "BLOCK" else 16
    return n_in, n_out, k, mode, block, draw(U32)


def forward_virtual_matrix(net: HashedNetwork, n_in: int) -> np.ndarray:
    """V of a network of one linear layer with zero bias, read back through the
    compiled forward pass: predict(e_j) is column j of V, exactly."""
    return np.asarray(net.predict(np.eye(n_in, dtype=np.float32))).reshape(n_in, -1).T


@given(layer=hashed_layers())
@example(layer=(64, 20, 5, "BLOCK", 16, 0))  # K smaller than a block: the run wraps several times
@example(layer=(33, 7, 1, "ELEMENT", 16, 2**32 - 1))
def test_forward_pass_takes_each_weight_from_its_reference_bucket(layer):
    n_in, n_out, k, mode, block, seed = layer
    net = HashedNetwork(n_in, f"LINEAR|{n_out}|K={k}", task="regression", n_outputs=n_out, hash_seed=seed,
                        hash_mode=mode, hash_block=block)  # fmt: skip
    info = net.layer_info(0)
    assert info["hashed"] and info["n_buckets"] == k
    params = np.zeros(net.n_params, dtype=np.float32)
    params[info["offset"] : info["offset"] + k] = np.arange(1, k + 1)  # bucket b holds b + 1: |V| names the bucket
    net.params = params
    v = forward_virtual_matrix(net, n_in)
    bucket = np.abs(v).astype(np.int64) - 1
    assert np.all((bucket >= 0) & (bucket < k))
    if mode == "BLOCK":
        expected_bucket, expected_sign = block_table(n_in, n_out, info["weight_seed"], k, block)
        runs = np.diff(bucket[:, : n_in - n_in % block].reshape(n_out, -1, block), axis=2) % k
        assert np.all(runs == 1 % k)  # inside a block: consecutive buckets, modulo K
    else:
        hashes = [xxhash.xxh32_intdigest((i * n_in + j).to_bytes(8, "little"), info["weight_seed"])
                  for i in range(n_out) for j in range(n_in)]  # fmt: skip
        expected_bucket = np.array([(h * k) >> 32 for h in hashes])
        expected_sign = np.array([-1.0 if h & 1 else 1.0 for h in hashes])
    np.testing.assert_array_equal(bucket.ravel(), expected_bucket)
    np.testing.assert_array_equal(np.sign(v).ravel(), expected_sign)


# ---------------------------------------------------------------------- network text
@st.composite
def small_networks(draw):
    """A HashedNetwork of up to 3 hidden layers with arbitrary finite float32 bits in its parameters."""
    n_in = draw(st.integers(1, 8))
    hidden = []
    for _ in range(draw(st.integers(0, 3))):
        entry = f"{draw(st.sampled_from(ACTIVATIONS))}|{draw(st.integers(1, 12))}"
        entry += draw(st.sampled_from(["", "|1/2", "|1/8", "|0.3", "|K=1", "|K=3"]))
        hidden.append(entry)
    task = draw(st.sampled_from(["classification", "multiclass", "regression"]))
    n_outputs = {"classification": 1, "multiclass": draw(st.integers(2, 4)), "regression": draw(st.integers(1, 3))}[task]
    mode = draw(st.sampled_from(["ELEMENT", "BLOCK"]))
    try:
        net = HashedNetwork(n_in, ",".join(hidden + ["LINEAR"]), task=task, n_outputs=n_outputs,
                            compression=draw(st.sampled_from([1.0, 0.5, 1 / 8, 0.3])),
                            hash_output_layer=draw(st.booleans()), hashed_bias=draw(st.booleans()),
                            hash_seed=draw(U32), hash_mode=mode, hash_block=draw(st.integers(1, 9)),
                            seed=draw(U32))  # fmt: skip
    except ValueError as error:  # K=3 on a layer of fewer than 3 virtual weights: refused, as it should be
        if "bucket count must be in" not in str(error):
            raise
        reject()
    finite_bits = U32.filter(lambda b: (b >> 23) & 0xFF != 0xFF)  # params must be finite
    bits = draw(st.lists(finite_bits, min_size=net.n_params, max_size=net.n_params))
    net.params = np.array(bits, dtype=np.uint32).view(np.float32)  # any finite bits: subnormals, -0, 3e38
    finite = st.floats(-1e30, 1e30, allow_subnormal=False).map(lambda v: float(np.float32(v))).filter(bool)  # a scale of 0 is refused
    net.set_input_transform(draw(st.lists(finite, min_size=n_in, max_size=n_in)),
                            draw(st.lists(finite, min_size=n_in, max_size=n_in)))  # fmt: skip
    return net


@given(net=small_networks(), seed=U32)
def test_network_text_round_trip_is_bit_identical(net, seed):
    text = net.to_text()
    loaded = HashedNetwork.from_text(text)
    assert loaded.to_text() == text
    np.testing.assert_array_equal(loaded.params.view(np.uint32), net.params.view(np.uint32))
    for l in range(net.n_layers):
        assert loaded.layer_info(l) == net.layer_info(l)
    x = np.random.default_rng(seed).normal(size=(5, net.n_inputs)).astype(np.float32)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(loaded.predict(x).view(np.uint32), net.predict(x).view(np.uint32))


# ---------------------------------------------------------------------- option strings
def _bool_item(name: str, value: bool, spelling: str) -> str:
    if spelling == "bare":
        return name if value else f"!{name}"
    return f"{name}={'True' if value else 'False'}"


@st.composite
def phases(draw, n_layers: int):
    """One TrainingStrategy phase: a random subset of keys with valid values."""
    optimizer = draw(st.sampled_from(["ADAM", "SGD"]))
    candidates = {
        "LearningRate": draw(st.floats(1e-6, 10.0)),
        "Momentum": draw(st.floats(0.0, 0.99)),
        "BatchSize": draw(st.integers(1, 4096)),
        "ConvergenceSteps": draw(st.integers(1, 1000)),
        "MaxEpochs": draw(st.integers(1, 10000)),
        "Optimizer": optimizer,
        "WeightDecay": draw(st.floats(0.0, 1.0)),
        "DropConfig": "+".join(str(draw(st.sampled_from([0.0, 0.1, 0.25, 0.5]))) for _ in range(draw(st.integers(1, n_layers)))),
        "NumThreads": draw(st.integers(0, 2)),
    }
    keys = draw(st.lists(st.sampled_from(sorted(candidates)), unique=True, min_size=1, max_size=len(candidates)))
    return ",".join(f"{key}={candidates[key]!r}" if isinstance(candidates[key], float) else f"{key}={candidates[key]}"
                    for key in keys)  # fmt: skip


@st.composite
def option_strings(draw):
    """A valid HashedDNN option string with random keys, values, case and spacing; and the values drawn."""
    spelling = draw(st.sampled_from(["bare", "value"]))
    n_hidden = draw(st.integers(0, 3))
    layout = ",".join([f"{draw(st.sampled_from(ACTIVATIONS))}|{draw(st.integers(1, 300))}"
                       + draw(st.sampled_from(["", "|1/64", "|0.5", "|K=7"])) for _ in range(n_hidden)] + ["LINEAR"])  # fmt: skip
    drawn = {
        "H": draw(st.booleans()), "V": draw(st.booleans()),
        "VerbosityLevel": draw(st.sampled_from(["Default", "Debug", "Verbose", "Info", "Warning", "Error", "Fatal"])),
        "VarTransform": draw(st.sampled_from(["None", "N", "N_AllClasses", "D", "G,N", "P_Signal"])),
        "IgnoreNegWeightsInTraining": draw(st.booleans()),
        "ErrorStrategy": draw(st.sampled_from(["CROSSENTROPY", "SUMOFSQUARES", "MUTUALEXCLUSIVE"])),
        "WeightInitialization": draw(st.sampled_from(["XAVIER", "XAVIERUNIFORM"])),
        "Layout": layout,
        "Compression": draw(st.sampled_from(["1", "1/8", "0.125", "1/3", "0.7"])),
        "HashedBias": draw(st.booleans()), "HashOutputLayer": draw(st.booleans()),
        "HashSeed": draw(U32),
        "HashMode": draw(st.sampled_from(["ELEMENT", "BLOCK"])), "HashBlock": draw(st.integers(1, 4096)),
        "Architecture": draw(st.sampled_from(["CPU", "STANDARD"])),
        "RandomSeed": draw(U32), "NumThreads": draw(st.integers(0, 2)),
        "ValidationSize": draw(st.sampled_from(["20%", "0%", "0.3", "500", "0"])),
    }  # fmt: skip
    keys = draw(st.lists(st.sampled_from(sorted(drawn) + ["TrainingStrategy"]), unique=True, max_size=len(drawn) + 1))
    n_layers = n_hidden + 1 if "Layout" in keys else 3  # DropConfig: at most one value per layer
    drawn["TrainingStrategy"] = "|".join(draw(st.lists(phases(n_layers), min_size=1, max_size=3)))
    items = []
    for key in keys:
        name = draw(st.sampled_from([key, key.lower(), key.upper()]))
        value = drawn[key]
        items.append(_bool_item(name, value, spelling) if isinstance(value, bool) else f"{name}={value}")
    separator = draw(st.sampled_from([":", " : ", "::"]))
    return separator.join(items), {key: drawn[key] for key in keys}


@given(case=option_strings())
@example(case=("", {}))
def test_canonical_option_string_parses_back_to_the_same_options(case):
    text, drawn = case
    options = parse_options(text)
    again = parse_options(options.canonical)
    assert again == options
    assert again.canonical == options.canonical
    # The parsed options hold what was written (the round trip is not trivially of defaults).
    if "HashSeed" in drawn:
        assert options.hash_seed == drawn["HashSeed"]
    if "RandomSeed" in drawn:
        assert options.random_seed == drawn["RandomSeed"]
    if "Layout" in drawn:
        assert options.layout == drawn["Layout"]
    if "Compression" in drawn:
        assert options.compression == pytest.approx(float(Fraction(drawn["Compression"])), rel=1e-15)
    if "TrainingStrategy" in drawn:
        assert len(options.training) == drawn["TrainingStrategy"].count("|") + 1
