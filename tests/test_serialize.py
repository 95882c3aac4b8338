"""Save/load round trips are bit-identical; damaged files get clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from tmva_hashednet import HashedNetwork


@pytest.fixture()
def trained_like():
    net = HashedNetwork(7, "RELU|33|1/8,TANH|17,LINEAR", task="multiclass", n_outputs=4, compression=1 / 4,
                        hashed_bias=True, hash_seed=77, seed=5)  # fmt: skip
    rng = np.random.default_rng(0)
    net.params = rng.normal(size=net.n_params).astype(np.float32)
    net.set_input_transform(rng.normal(size=7), rng.uniform(0.5, 2, size=7))
    return net, rng.normal(size=(50, 7)).astype(np.float32)


def test_round_trip_is_bit_identical(trained_like, tmp_path):
    net, x = trained_like
    path = tmp_path / "net.txt"
    net.save(path)
    loaded = HashedNetwork.load(path)
    assert loaded.to_text() == net.to_text()
    np.testing.assert_array_equal(loaded.params, net.params)
    np.testing.assert_array_equal(loaded.predict(x), net.predict(x))
    for l in range(net.n_layers):
        assert loaded.layer_info(l) == net.layer_info(l)


def test_save_leaves_no_temporary_files(trained_like, tmp_path):
    net, _ = trained_like
    net.save(tmp_path / "a.txt")
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.999])
def test_truncated_file_is_a_clear_error(trained_like, tmp_path, keep):
    net, _ = trained_like
    text = net.to_text()
    path = tmp_path / "cut.txt"
    path.write_text(text[: int(len(text) * keep)])
    with pytest.raises(ValueError, match="truncated|damaged"):
        HashedNetwork.load(path)


def test_changed_byte_is_caught_by_checksum(trained_like):
    net, _ = trained_like
    text = net.to_text()
    at = text.index("params ") + 20
    damaged = text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]
    with pytest.raises(ValueError, match="checksum"):
        HashedNetwork.from_text(damaged)


def test_not_a_network_file(tmp_path):
    with pytest.raises(ValueError, match="not a hashednet network"):
        HashedNetwork.from_text("<MethodSetup>hello</MethodSetup>")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        HashedNetwork.load(tmp_path / "missing.txt")


def test_checksum_is_xxh32_of_the_text_before_it(trained_like):
    import xxhash

    text = HashedNetwork.to_text(trained_like[0])
    body, _, tail = text.rpartition("checksum ")
    assert tail.split()[0] == f"{xxhash.xxh32_intdigest(body.encode(), seed=0):08x}"
