"""The CPU backend's small-batch inference kernels (cpp/src/small_batch.h):
DENSE (sgemv at batch 1, one pass over W up to 4 events), ELEMENT (hashed in
registers) and BLOCK (runs straight from the buckets), per instruction set,
against the float64 reference (tests/reference.py, V from the xxhash package).

They sum in their own order (lanes, FMA), so the bound is float rounding: a
dot product of n float32 products, each of exact inputs, is within
n * 2^-23 * sum |x_j V_ij| of the exact value (plus the bias's rounding).
Network::predict takes them (Backend::linear_infer) up to batch 4; training
never does (tests/test_golden.py holds it bit for bit)."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from reference import ReferenceNetwork, block_table, hash_table

from tmva_hashednet import HashedNetwork

SMALL_BATCH = 4  # kSmallBatch in cpp/src/small_batch.h
_hash_table = functools.lru_cache(maxsize=4)(hash_table)  # 1M keys through the xxhash package: once per module

# id: (n_in, n_out, n_buckets, block); block 0 = ELEMENT, n_buckets = n_in * n_out = DENSE
LAYERS = {
    "dense-ragged": (37, 29, 37 * 29, 0),
    "dense-two-vectors-and-tail": (75, 9, 75 * 9, 0),
    "element-ragged": (61, 13, 100, 0),
    "element-lanes-only": (64, 40, 512, 0),
    "element-k-beyond-l2": (600, 300, 150000, 0),
    "element-k-beyond-4mib-tile-path": (1100, 1000, 1050000, 0),
    "block16-ragged": (100, 50, 600, 16),
    "block4-runs-wrap-around-k": (130, 7, 17, 4),
    "block5-partial-vectors": (61, 13, 40, 5),
    "block64-longer-than-the-row": (37, 11, 90, 64),
    "block32-far-buckets-prefetched": (256, 600, 140000, 32),
    "block16-far-ragged-prefetch-into-next-row": (200, 701, 140000, 16),
}


@pytest.fixture
def forced_isa(bench, isa):
    bench.set_kernel_isa(isa)
    yield isa
    bench.set_kernel_isa("auto")


def _layer(bench, case, seed=1234):
    n_in, n_out, k, block = LAYERS[case]
    layer = bench.make_layout(n_in, n_out, k, seed, block)
    rng = np.random.default_rng(7)
    params = rng.normal(size=int(layer.n_buckets) + n_out).astype(np.float32)
    if not layer.hashed:
        v = params[: n_in * n_out].astype(np.float64).reshape(n_out, n_in)
    elif block:
        bucket, sign = block_table(n_in, n_out, seed, k, block)
        v = (sign * params[bucket].astype(np.float64)).reshape(n_out, n_in)
    else:
        bucket, sign = _hash_table(n_in * n_out, seed, k)
        v = (sign * params[bucket].astype(np.float64)).reshape(n_out, n_in)
    return layer, params, v, params[int(layer.n_buckets):].astype(np.float64)


def _infer(bench, layer, params, x, threads=1):
    import ROOT

    batch = x.shape[0]
    y = np.full((batch, int(layer.n_out)), np.nan, dtype=np.float32)
    bench.layer_pass(layer, params, x, ROOT.nullptr, batch, y, ROOT.nullptr, ROOT.nullptr, "infer", threads)
    return y


def _assert_within_rounding(y, x, v, bias):
    x64 = x.astype(np.float64)
    exact = x64 @ v.T + bias
    bound = x.shape[1] * 2.0**-23 * (np.abs(x64) @ np.abs(v).T) + 2.0**-23 * np.abs(exact) + 1e-30
    excess = np.abs(y - exact) - bound
    assert np.all(excess <= 0), f"{int((excess > 0).sum())} values beyond float rounding; worst {excess.max():.3g}"


@pytest.mark.parametrize("case", list(LAYERS))
@pytest.mark.parametrize("batch", [1, 2, 3, SMALL_BATCH, SMALL_BATCH + 1])
def test_inference_pass_is_the_reference_within_float_rounding(bench, forced_isa, case, batch):
    layer, params, v, bias = _layer(bench, case)
    x = np.random.default_rng(batch).normal(size=(batch, int(layer.n_in))).astype(np.float32)
    _assert_within_rounding(_infer(bench, layer, params, x), x, v, bias)


@pytest.mark.parametrize("block", [0, 16])
def test_threads_share_the_rows_with_the_bits_of_one_thread(bench, block):
    """4 x 1024 x 600 multiply-adds: above the parallel threshold (2^21), so two threads own row blocks."""
    layer = bench.make_layout(1024, 600, 30000, 99, block)
    params = np.random.default_rng(3).normal(size=int(layer.n_buckets) + 600).astype(np.float32)
    x = np.random.default_rng(4).normal(size=(SMALL_BATCH, 1024)).astype(np.float32)
    one, two = _infer(bench, layer, params, x, 1), _infer(bench, layer, params, x, 2)
    np.testing.assert_array_equal(one.view(np.uint32), two.view(np.uint32))


NETWORKS = {  # id: (compression, hash_mode, hash_block)
    "dense": (1.0, "ELEMENT", 16),
    "element": (1 / 8, "ELEMENT", 16),
    "block16": (1 / 8, "BLOCK", 16),
    "block3": (1 / 4, "BLOCK", 3),
}


@pytest.mark.parametrize("case", list(NETWORKS))
def test_predict_of_a_few_events_is_the_reference_and_the_large_batch_result(forced_isa, case):
    compression, mode, block = NETWORKS[case]
    net = HashedNetwork(19, "TANH|70,RELU|33,LINEAR", task="multiclass", n_outputs=3, compression=compression,
                        hash_mode=mode, hash_block=block, seed=5, num_threads=1)  # fmt: skip
    x = np.random.default_rng(11).normal(size=(300, 19)).astype(np.float32)
    large = net.predict(x)  # batch 300: the tile path
    reference = ReferenceNetwork(net).predict(x)
    for batch in range(1, SMALL_BATCH + 1):
        small = np.concatenate([net.predict(x[e:e + batch]) for e in range(0, 24, batch)])
        np.testing.assert_allclose(small, reference[:len(small)], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(small, large[:len(small)], rtol=1e-5, atol=1e-6)
