"""Every fast path of the CPU kernels against its simple reference: the
vectorised tile generator against the scalar one and the xxhash package, the
fused hashed product against "materialise V, then sgemm", and both against a
float64 numpy product."""

from __future__ import annotations

import numpy as np
import pytest
from reference import hash_table



@pytest.fixture
def forced_isa(bench, isa):
    """The CPU backend built while `isa` is forced; restored afterwards."""
    bench.set_kernel_isa(isa)
    yield isa
    bench.set_kernel_isa("auto")


def tile(bench, layer, w, row0, n_rows, col0, n_cols, isa):
    v = np.full((n_rows, n_cols), np.nan, dtype=np.float32)
    slots = np.zeros((n_rows, n_cols), dtype=np.uint32)
    bench.generate_tile(layer, w, row0, n_rows, col0, n_cols, v, slots, isa)
    return v, slots


TILES = {
    # id: (n_in, n_out, n_buckets, seed, row0, n_rows, col0, n_cols)
    "aligned": (512, 300, 4096, 7, 0, 16, 0, 64),
    "ragged-tail": (301, 77, 999, 0xFFFFFFFF, 5, 9, 3, 37),
    "one-bucket": (40, 40, 1, 1, 0, 40, 0, 40),
    "key-low-word-wraps": (1_000_003, 5_000, 12_345, 42, 4294, 2, 954_400, 40),
    "large-k": (65_536, 65_536, (1 << 31) - 1, 3, 40_000, 3, 4000, 96),
}


@pytest.mark.parametrize("case", TILES)
def test_tile_equals_xxhash_reference(bench, isa, case):
    n_in, n_out, k, seed, row0, n_rows, col0, n_cols = TILES[case]
    layer = bench.make_layout(n_in, n_out, k, seed)
    if k > 1 << 20:  # a huge K: only the slots are checked (no 8 GB bucket array)
        slots = np.zeros((n_rows, n_cols), dtype=np.uint32)
        bench.generate_tile(layer, _nullptr(), row0, n_rows, col0, n_cols, _nullptr(), slots, isa)
    else:
        w = np.random.default_rng(1).normal(size=k).astype(np.float32)
        v, slots = tile(bench, layer, w, row0, n_rows, col0, n_cols, isa)
        bucket, negative = _expected_slots(layer, row0, n_rows, col0, n_cols)
        np.testing.assert_array_equal(v, np.where(negative, -w[bucket], w[bucket]))
    bucket, negative = _expected_slots(layer, row0, n_rows, col0, n_cols)
    np.testing.assert_array_equal(slots & 0x7FFFFFFF, bucket)
    np.testing.assert_array_equal((slots >> 31).astype(bool), negative)


def _expected_slots(layer, row0, n_rows, col0, n_cols):
    """(bucket, negative sign) of each entry of the tile, from the xxhash package."""
    import xxhash

    keys = (np.arange(row0, row0 + n_rows)[:, None] * int(layer.n_in) + np.arange(col0, col0 + n_cols)[None, :]).ravel()
    h = np.array([xxhash.xxh32_intdigest(int(k).to_bytes(8, "little"), seed=int(layer.weight_seed)) for k in keys],
                 dtype=np.uint64)  # fmt: skip
    bucket = ((h * np.uint64(layer.n_buckets)) >> np.uint64(32)).astype(np.int64)
    return bucket.reshape(n_rows, n_cols), (h & np.uint64(1)).astype(bool).reshape(n_rows, n_cols)


def _nullptr():
    import ROOT

    return ROOT.nullptr


@pytest.mark.parametrize("vector_isa", ["avx2", "avx512"])
def test_vectorised_tile_is_bit_identical_to_scalar_on_many_shapes(bench, vector_isa):
    if not bench.kernel_isa_available(vector_isa):
        pytest.skip(f"{vector_isa} is not available on this CPU or build")
    rng = np.random.default_rng(5)
    for _ in range(40):
        n_in, n_out = int(rng.integers(1, 700)), int(rng.integers(1, 50))
        k = int(rng.integers(1, n_in * n_out + 1))
        layer = bench.make_layout(n_in, n_out, k, int(rng.integers(0, 2**32)))
        w = rng.normal(size=k).astype(np.float32)
        row0, col0 = int(rng.integers(0, n_out)), int(rng.integers(0, n_in))
        n_rows, n_cols = int(rng.integers(1, n_out - row0 + 1)), int(rng.integers(1, n_in - col0 + 1))
        scalar = tile(bench, layer, w, row0, n_rows, col0, n_cols, "scalar")
        vector = tile(bench, layer, w, row0, n_rows, col0, n_cols, vector_isa)
        np.testing.assert_array_equal(vector[1], scalar[1])
        np.testing.assert_array_equal(vector[0].view(np.uint32), scalar[0].view(np.uint32))


@pytest.mark.parametrize("key0", [0, 2**32 - 37, 5 * 2**32 - 300, 2**64 - 100])
def test_consecutive_key_hashes_equal_xxhash(bench, isa, key0):
    """The hasher of a row of keys (ELEMENT rows, BLOCK blocks), also where the low word of the key wraps."""
    import xxhash

    n, k, seed = 299, 12_345, 987_654_321
    slots = np.zeros(n, dtype=np.uint32)
    bench.key_slots(key0, seed, k, n, slots, isa)
    keys = [(key0 + e) % 2**64 for e in range(n)]
    h = np.array([xxhash.xxh32_intdigest(key.to_bytes(8, "little"), seed=seed) for key in keys], dtype=np.uint64)
    expected = ((h * np.uint64(k)) >> np.uint64(32)) | ((h & np.uint64(1)) << np.uint64(31))
    np.testing.assert_array_equal(slots, expected.astype(np.uint32))


LAYERS = {
    # id: (n_in, n_out, compression, batch)
    "hashed-1/8-crosses-tiles": (300, 270, 1 / 8, 33),
    "hashed-1/64-batch-1": (520, 260, 1 / 64, 1),
    "hashed-few-buckets": (17, 9, 0.05, 5),
    "dense": (130, 70, 1.0, 7),
}


def _layer_case(bench, case, seed=0):
    n_in, n_out, compression, batch = LAYERS[case]
    k = max(1, round(compression * n_in * n_out))
    layer = bench.make_layout(n_in, n_out, k, 12345 + seed)
    rng = np.random.default_rng(seed)
    params = rng.normal(size=int(layer.n_buckets) + n_out).astype(np.float32)
    x = rng.normal(size=(batch, n_in)).astype(np.float32)
    dy = rng.normal(size=(batch, n_out)).astype(np.float32)
    return layer, params, x, dy


def _run(bench, layer, params, x, dy, method, threads=2):
    batch, n_in, n_out = x.shape[0], int(layer.n_in), int(layer.n_out)
    y = np.zeros((batch, n_out), dtype=np.float32)
    dx = np.zeros((batch, n_in), dtype=np.float32)
    grad = np.full(params.size, np.nan, dtype=np.float32)
    bench.layer_pass(layer, params, x, dy, batch, y, dx, grad, method, threads)
    return y, dx, grad


def _float64_reference(layer, params, x, dy):
    n_in, n_out, k = int(layer.n_in), int(layer.n_out), int(layer.n_buckets)
    if layer.hashed:
        bucket, sign = hash_table(n_in * n_out, int(layer.weight_seed), k)
    else:
        bucket, sign = np.arange(n_in * n_out), np.ones(n_in * n_out)
    w, b = params[:k].astype(np.float64), params[k:].astype(np.float64)
    v = (sign * w[bucket]).reshape(n_out, n_in)
    x, dy = x.astype(np.float64), dy.astype(np.float64)
    grad_w = np.bincount(bucket, weights=sign * (dy.T @ x).ravel(), minlength=k)
    return x @ v.T + b, dy @ v, np.concatenate([grad_w, dy.sum(axis=0)])


@pytest.mark.parametrize("case", LAYERS)
def test_fused_product_equals_materialised_sgemm(bench, forced_isa, case):
    layer, params, x, dy = _layer_case(bench, case)
    fused = _run(bench, layer, params, x, dy, "fused")
    materialized = _run(bench, layer, params, x, dy, "materialized")
    for name, a, b in zip(("y", "dx", "grad"), fused, materialized):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5 * max(1.0, np.abs(b).max()), err_msg=name)


@pytest.mark.parametrize("method", ["fused", "materialized"])
@pytest.mark.parametrize("case", LAYERS)
def test_layer_methods_equal_float64_reference(bench, case, method):
    layer, params, x, dy = _layer_case(bench, case, seed=1)
    got = _run(bench, layer, params, x, dy, method)
    for name, a, b in zip(("y", "dx", "grad"), got, _float64_reference(layer, params, x, dy)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * max(1.0, np.abs(b).max()), err_msg=name)


@pytest.mark.parametrize("threads", [1, 2, 3, 5])
@pytest.mark.parametrize("block", [0, 16])
def test_threads_split_rows_and_columns_into_balanced_tiles(bench, threads, block):
    """784 x 600 at batch 16 is parallel work: the tiles shrink so their count is a multiple of the threads
    (e.g. 784 columns on 2 threads: 208 wide, not 256); every split gives the float64 reference."""
    n_in, n_out, batch = 784, 600, 16
    layer = bench.make_layout(n_in, n_out, n_in * n_out // 8, 777, block)
    rng = np.random.default_rng(threads)
    params = rng.normal(size=int(layer.n_buckets) + n_out).astype(np.float32)
    x = rng.normal(size=(batch, n_in)).astype(np.float32)
    dy = rng.normal(size=(batch, n_out)).astype(np.float32)
    got = _run(bench, layer, params, x, dy, "fused", threads)
    if block:  # the reference below is ELEMENT mode's; BLOCK against the materialised product
        expected = _run(bench, layer, params, x, dy, "materialized", 1)
    else:
        expected = _float64_reference(layer, params, x, dy)
    for name, a, b in zip(("y", "dx", "grad"), got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * max(1.0, np.abs(b).max()), err_msg=name)


def test_forward_only_pass_leaves_gradients_alone(bench):
    layer, params, x, _ = _layer_case(bench, "hashed-1/8-crosses-tiles")
    y = np.zeros((x.shape[0], int(layer.n_out)), dtype=np.float32)
    grad = np.full(params.size, 7.0, dtype=np.float32)
    bench.layer_pass(layer, params, x, _nullptr(), x.shape[0], y, _nullptr(), grad, "fused", 2)
    assert np.all(grad == 7.0)
    np.testing.assert_allclose(y, _float64_reference(layer, params, x, np.zeros_like(y))[0], rtol=1e-4, atol=1e-4)


def test_unknown_method_and_isa_are_clear_errors(bench):
    from tmva_hashednet._errors import translate_errors

    layer, params, x, dy = _layer_case(bench, "dense")
    with pytest.raises(ValueError, match="allowed: fused, reference, materialized"), translate_errors():
        _run(bench, layer, params, x, dy, "gpu")
    with pytest.raises(ValueError, match="allowed: auto, scalar, avx2, avx512"), translate_errors():
        bench.set_kernel_isa("sse9")
