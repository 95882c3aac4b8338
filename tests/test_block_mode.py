"""HashMode=BLOCK (ROBE-style: one hash per block of B virtual weights of a
row, which take a run of B consecutive buckets, circular modulo K) against a
reference built from the xxhash package; save/load, options and errors."""

from __future__ import annotations

import numpy as np
import pytest
from reference import ReferenceNetwork, block_table

from tmva_hashednet import HashedNetwork

BLOCK_CASES = {
    # id: (n_inputs, layout, compression, block)
    "b16-1/8": (40, "TANH|48,TANH|33,LINEAR", 1 / 8, 16),
    "b1-equals-a-run-of-one": (13, "RELU|21,LINEAR", 1 / 4, 1),
    "b7-ragged-rows": (29, "TANH|30,LINEAR", 1 / 4, 7),
    "k-smaller-than-block-wraps": (64, "TANH|20,LINEAR", 0.005, 16),
    "crosses-tiles": (300, "TANH|270,LINEAR", 1 / 8, 32),
}


def make(case, seed=5):
    n_inputs, layout, compression, block = BLOCK_CASES[case]
    net = HashedNetwork(n_inputs, layout, compression=compression, hash_mode="BLOCK", hash_block=block,
                        hash_seed=99, seed=seed)  # fmt: skip
    rng = np.random.default_rng(seed)
    net.params = net.params + rng.normal(0, 0.1, net.n_params).astype(np.float32)
    x = rng.normal(size=(9, n_inputs)).astype(np.float32)
    y = rng.integers(0, 2, 9).astype(np.float32)
    return net, x, y


@pytest.mark.parametrize("case", BLOCK_CASES)
def test_block_weights_equal_xxhash_reference(case):
    net, _, _ = make(case)
    assert net.hash_mode == "BLOCK" and net.hash_block == BLOCK_CASES[case][3]
    info = net.layer_info(0)
    bucket, sign = block_table(info["n_in"], info["n_out"], info["weight_seed"], info["n_buckets"], net.hash_block)
    w = net.params[info["offset"] : info["offset"] + info["n_buckets"]]
    expected = (sign * w[bucket]).reshape(info["n_out"], info["n_in"]).astype(np.float32)
    np.testing.assert_array_equal(net.virtual_weights(0), expected)


@pytest.mark.parametrize("case", BLOCK_CASES)
def test_block_forward_and_gradient_equal_reference(case):
    net, x, y = make(case)
    reference = ReferenceNetwork(net)
    np.testing.assert_allclose(net.predict(x), reference.predict(x), rtol=2e-5, atol=2e-6)
    loss, grad = net.gradient(x, y)
    ref_loss, ref_grad = reference.loss_and_gradient(x, y)
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-4, atol=1e-6)


def test_block_mode_differs_from_element_mode_and_keeps_runs():
    element = HashedNetwork(64, "TANH|32,LINEAR", compression=1 / 8, hash_seed=1)
    block = HashedNetwork(64, "TANH|32,LINEAR", compression=1 / 8, hash_seed=1, hash_mode="BLOCK", hash_block=8)
    assert element.n_params == block.n_params  # same buckets, another sharing pattern
    info = block.layer_info(0)
    bucket, _ = block_table(64, 32, info["weight_seed"], info["n_buckets"], 8)
    steps = np.diff(bucket.reshape(32, 8, 8), axis=2) % info["n_buckets"]
    assert np.all(steps == 1)  # inside a block the buckets are consecutive


def test_block_network_trains_and_saves_bit_identically(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 6)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.float32)
    from tmva_hashednet import TrainingConfig

    net = HashedNetwork(6, "TANH|32,TANH|32,LINEAR", compression=1 / 4, hash_mode="BLOCK", hash_block=4, seed=2)
    net.fit(x, y, training=TrainingConfig(max_epochs=15, batch_size=32, learning_rate=1e-2), verbose=False)
    assert np.mean((net.predict(x) > 0.5) == y) > 0.9
    path = tmp_path / "block.hashednet"
    net.save(path)
    assert "hash_mode BLOCK 4\n" in path.read_text()
    loaded = HashedNetwork.load(path)
    assert loaded.hash_mode == "BLOCK" and loaded.hash_block == 4
    np.testing.assert_array_equal(loaded.predict(x), net.predict(x))


def test_unknown_stored_hash_mode_is_a_clear_error(tmp_path):
    net = HashedNetwork(4, "TANH|8,LINEAR", compression=1 / 2)
    path = tmp_path / "net.hashednet"
    net.save(path)
    text = path.read_text()
    assert "hash_mode ELEMENT\n" in text
    bad = tmp_path / "bad.hashednet"
    bad.write_text(_with_checksum(text.replace("hash_mode ELEMENT", "hash_mode ROW")))
    with pytest.raises(ValueError, match=r"unknown hash_mode 'ROW'; allowed: ELEMENT, BLOCK <[a-z ]+>, or FUNHASH"):
        HashedNetwork.load(bad)


def _with_checksum(text: str) -> str:
    """The text with its checksum recomputed, so that the hash_mode check is what fails."""
    import xxhash

    body = text[: text.index("checksum ")]
    return body + f"checksum {xxhash.xxh32_intdigest(body.encode(), seed=0):08x}\nend\n"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(hash_mode="ROW"), r"hash_mode='ROW': unknown value 'ROW' for HashMode; Allowed values: ELEMENT, BLOCK"),
        (dict(hash_mode="BLOCK", hash_block=0), r"hash_block=0: .*HashBlock .* \[1, 4096\]"),
        (dict(hash_mode="BLOCK", hash_block=5000), r"hash_block=5000: .*HashBlock .* \[1, 4096\]"),
    ],
    ids=["unknown-mode", "block-zero", "block-too-large"],
)
def test_bad_hash_mode_arguments_are_value_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        HashedNetwork(4, "TANH|8,LINEAR", compression=1 / 2, **kwargs)


def test_block_option_string_reaches_the_spec():
    from tmva_hashednet.options import parse_options

    o = parse_options("HashMode=BLOCK:HashBlock=8:Compression=1/8", n_inputs=4)
    assert o.hash_mode == "BLOCK" and o.hash_block == 8


@pytest.mark.parametrize(
    "shape",
    [(301, 77, 999, 16, 5, 9, 3, 37), (64, 20, 5, 16, 0, 20, 0, 64), (96, 40, 1024, 8, 7, 11, 13, 70),
     (256, 30, 4000, 32, 2, 20, 64, 192), (256, 30, 4000, 16, 0, 30, 0, 256), (256, 30, 2000, 8, 1, 9, 8, 240)],
    ids=["ragged", "k-below-block", "unaligned-tile", "whole-blocks-32", "whole-blocks-16", "whole-blocks-8"],
)  # fmt: skip
def test_block_tiles_equal_xxhash_reference(bench, isa, shape):
    n_in, n_out, k, block, row0, n_rows, col0, n_cols = shape
    layer = bench.make_layout(n_in, n_out, k, 4321, block)
    w = np.random.default_rng(1).normal(size=k).astype(np.float32)
    v = np.full((n_rows, n_cols), np.nan, dtype=np.float32)
    slots = np.zeros((n_rows, n_cols), dtype=np.uint32)
    bench.generate_tile(layer, w, row0, n_rows, col0, n_cols, v, slots, isa)
    bucket, sign = block_table(n_in, n_out, 4321, k, block)
    bucket = bucket.reshape(n_out, n_in)[row0 : row0 + n_rows, col0 : col0 + n_cols]
    sign = sign.reshape(n_out, n_in)[row0 : row0 + n_rows, col0 : col0 + n_cols]
    np.testing.assert_array_equal(v, (sign * w[bucket]).astype(np.float32))
    expected_slots = bucket.astype(np.uint32) | np.where(sign < 0, np.uint32(1 << 31), np.uint32(0))
    np.testing.assert_array_equal(slots, expected_slots)
