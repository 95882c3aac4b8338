"""The bucket/sign hash: bit-exact with the xxhash package, uniform, balanced,
and the one used by the compiled layers."""

from __future__ import annotations

import numpy as np
import pytest
import xxhash

from tmva_hashednet import HashedNetwork

SEEDS = [0, 1, 42, 0x9E3779B1, 0xFFFFFFFF]


@pytest.fixture(scope="module")
def hash_many(hn):
    """A C++ loop over hashednet::xxh32::hash_u64 filling a numpy array."""
    import ROOT

    ROOT.gInterpreter.Declare(
        """
        #include "hashednet/hash.h"
        void hashednet_test_hash_many(const std::uint64_t *keys, std::int64_t n, std::uint32_t seed,
                                      std::uint32_t *out) {
           for (std::int64_t i = 0; i < n; ++i) out[i] = hashednet::xxh32::hash_u64(keys[i], seed);
        }
        """
    )

    def run(keys, seed):
        out = np.empty(len(keys), dtype=np.uint32)
        ROOT.hashednet_test_hash_many(keys, len(keys), seed, out)
        return out

    return run


def reference_hash(key: int, seed: int) -> int:
    return xxhash.xxh32_intdigest(int(key).to_bytes(8, "little"), seed=seed & 0xFFFFFFFF)


@pytest.mark.parametrize("seed", SEEDS, ids=[f"seed{s:#x}" for s in SEEDS])
def test_hash_is_bit_exact_with_xxhash_package(hash_many, seed):
    rng = np.random.default_rng(seed)
    keys = np.concatenate(
        [np.arange(50_000, dtype=np.uint64), rng.integers(0, 2**63, 50_000, dtype=np.uint64), [2**64 - 1]]
    ).astype(np.uint64)
    got = hash_many(keys, seed)
    expected = np.array([reference_hash(k, seed) for k in keys], dtype=np.uint32)
    mismatches = np.flatnonzero(got != expected)
    assert mismatches.size == 0, f"{mismatches.size} of {keys.size} keys differ, first key {keys[mismatches[0]]}"


def test_layer_seeds_follow_the_documented_definition(hn):
    for master in (0, 7, 0xFFFFFFFF):
        for layer in range(4):
            assert hn.weight_seed(master, layer) == reference_hash(2 * layer, master)
            assert hn.bias_seed(master, layer) == reference_hash(2 * layer + 1, master)


def expected_virtual_weights(net: HashedNetwork, layer: int) -> np.ndarray:
    """V of a hashed layer built from the xxhash package and the bucket vector."""
    info = net.layer_info(layer)
    w = net.params[info["offset"] : info["offset"] + info["n_buckets"]]
    n_in, n_out, k = info["n_in"], info["n_out"], info["n_buckets"]
    v = np.empty((n_out, n_in), dtype=np.float32)
    for i in range(n_out):
        for j in range(n_in):
            h = reference_hash(i * n_in + j, info["weight_seed"])
            v[i, j] = (-1.0 if h & 1 else 1.0) * w[(h * k) >> 32]
    return v


def test_compiled_layers_use_the_reference_hash():
    net = HashedNetwork(13, "TANH|21,LINEAR", compression=1 / 8, hash_seed=12345)
    assert net.layer_info(0)["n_buckets"] == round(13 * 21 / 8)
    np.testing.assert_array_equal(net.virtual_weights(0), expected_virtual_weights(net, 0))


def test_layers_of_equal_shape_do_not_share_a_pattern():
    net = HashedNetwork(32, "TANH|32,TANH|32,TANH|32,LINEAR", compression=1 / 4, hash_seed=3)
    seeds = {net.layer_info(i)["weight_seed"] for i in range(3)}
    assert len(seeds) == 3
    keys = np.arange(32 * 32, dtype=np.uint64)
    buckets = [
        np.array([(reference_hash(k, net.layer_info(i)["weight_seed"]) * 256) >> 32 for k in keys]) for i in (1, 2)
    ]
    # independent patterns agree on about 1/K of the positions
    assert np.mean(buckets[0] == buckets[1]) < 0.02


@pytest.mark.parametrize("n_buckets", [97, 1024, 4099])
def test_buckets_uniform_and_signs_balanced(hash_many, n_buckets):
    n = 200_000
    h = hash_many(np.arange(n, dtype=np.uint64), 2024).astype(np.uint64)
    buckets = (h * np.uint64(n_buckets)) >> np.uint64(32)
    counts = np.bincount(buckets.astype(np.int64), minlength=n_buckets)
    expected = n / n_buckets
    chi2 = float(np.sum((counts - expected) ** 2 / expected))
    dof = n_buckets - 1
    # chi-square with dof degrees of freedom: mean dof, sd sqrt(2 dof); 5 sd is a 1e-6 tail
    assert abs(chi2 - dof) < 5 * np.sqrt(2 * dof), f"chi2 {chi2:.1f} for {dof} dof"
    signs = np.where(h & np.uint64(1), -1, 1)
    assert abs(signs.mean()) < 5 / np.sqrt(n)
    # sign independent of bucket: per-bucket sign sums are balanced in aggregate
    per_bucket = np.bincount(buckets.astype(np.int64), weights=signs, minlength=n_buckets)
    assert abs(per_bucket.sum()) < 5 * np.sqrt(n)
    assert np.sum(per_bucket**2) / n < 1.2  # ~1 for independent signs
