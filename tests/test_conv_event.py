"""CNNs on the single-event path, in the weight file and in MakeClass's standalone class.

predict_one (event_forward.h + event_conv.h) against the batch path (im2col and sgemm: float
rounding only); the standalone class compiled with g++ alone against predict_one, bit for bit;
the weight file (format 3 for a CNN, format 2 unchanged for fully connected networks) read back
bit-identically, and damaged CNN layer lines refused with a clear error.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_standalone_class import GXX, _assert_bit_for_bit, _class_source, _compile_and_run, generator  # noqa: F401

from tmva_hashednet import HashedNetwork

# id: (input_layout, layout, task, n_outputs, compression, hash_mode, hashed_bias)
CNN_CASES = {
    "dense-conv-pool": ("1|8|8", "CONV|4|3|3|1|1|1|1|RELU,MAXPOOL|2|2|2|2,RESHAPE|FLAT,DENSE|6|TANH,DENSE|1|LINEAR",
                        "classification", 1, 1.0, "ELEMENT", False),
    "element-stride2-nonsquare": ("2|9|7", "CONV|5|3|2|2|2|1|0|TANH,CONV|3|2|2|1|1|0|1|SIGMOID,RESHAPE|FLAT,"
                                  "TANH|7,LINEAR", "multiclass", 3, 1 / 4, "ELEMENT", True),
    # 300 filters of 2 x 5 x 5 (50 columns): V is made in several tiles of rows (event_forward.h's tile_rows)
    "funhash-conv": ("2|7|6", "CONV|3|3|3|1|1|1|1|TANH,MAXPOOL|2|2|2|2,RESHAPE|FLAT,TANH|5,LINEAR", "classification",
                     1, 1 / 2, "FUNHASH", False),
    # FRESH filters (their V made from the DCT buckets) and ELEMENT dense layers after them (docs/freshnets.md)
    "fresh-conv": ("2|7|6", "CONV|3|3|3|1|1|1|1|TANH,CONV|2|2|2|1|1|0|0|RELU,RESHAPE|FLAT,TANH|5,LINEAR",
                   "classification", 1, 1 / 2, "FRESH", False),
    "block-two-row-tiles": ("2|6|6", "CONV|300|5|5|1|1|2|2|TANH,MAXPOOL|3|3|3|3,RESHAPE|FLAT,LINEAR", "regression",
                            2, 1 / 8, "BLOCK", False),
}


def make_cnn(case: str, seed: int = 4) -> HashedNetwork:
    input_layout, layout, task, n_outputs, compression, mode, hashed_bias = CNN_CASES[case]
    n_inputs = int(np.prod([int(v) for v in input_layout.split("|")]))
    net = HashedNetwork(n_inputs, layout, input_layout=input_layout, task=task, n_outputs=n_outputs,
                        compression=compression, hash_mode=mode, hash_block=4, hashed_bias=hashed_bias,
                        seed=seed)  # fmt: skip
    rng = np.random.default_rng(seed)
    net.params = net.params + rng.normal(0, 0.2, net.n_params).astype(np.float32)
    net.set_input_transform(rng.normal(0, 0.3, n_inputs), rng.uniform(0.5, 2.0, n_inputs))
    return net


def _events(net, n=60, seed=9):
    return np.random.default_rng(seed).normal(scale=2.0, size=(n, net.n_inputs)).astype(np.float32)


def _predict_one(net, x):
    return np.array([list(net._model.predict_one(np.ascontiguousarray(row), net.n_inputs)) for row in x],
                    dtype=np.float32)  # fmt: skip


def _batch(net, x):
    return np.asarray(net.predict(x), dtype=np.float32).reshape(len(x), -1)


@pytest.mark.parametrize("case", list(CNN_CASES))
def test_predict_one_equals_the_batch_path_to_float_rounding(case):
    net = make_cnn(case)
    x = _events(net)
    np.testing.assert_allclose(_predict_one(net, x), _batch(net, x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", list(CNN_CASES))
def test_cnn_weight_file_reads_back_bit_for_bit(case):
    net = make_cnn(case)
    text = net.to_text()
    assert text.startswith("HASHEDNET 3\n") and "\ninput_layout " in text
    back = HashedNetwork.from_text(text)
    assert back.to_text() == text
    x = _events(net)
    assert np.array_equal(_batch(back, x), _batch(net, x))
    assert np.array_equal(_predict_one(back, x), _predict_one(net, x))


def test_fully_connected_networks_keep_weight_format_2():
    text = HashedNetwork(5, "TANH|8,LINEAR", compression=1 / 2).to_text()
    assert text.startswith("HASHEDNET 2\n") and "input_layout" not in text


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (" CONV DENSE ", " CONVX DENSE ", "is of kind 'CONVX'; allowed: FULLY_CONNECTED, CONV, MAXPOOL, RESHAPE"),
        ("MAXPOOL 2 2 2 2", "MAXPOOL 9 9 2 2", "window does not fit"),
        ("MAXPOOL 2 2 2 2", "MAXPOOL 2 2 0 2", "window does not fit"),
        ("input_layout 1 8 8", "input_layout 1 8 9", "input_layout does not hold the 64 inputs"),
        ("input_layout 1 8 8", "input_layout 1 8 -8", "not in \\[0, 16777216\\]"),
        ("RESHAPE 0 0 0", "RESHAPE 2 2 2", "reshapes to the wrong size"),
    ],
)
def test_damaged_cnn_layer_lines_are_clear_errors(old, new, message):
    """Each edit keeps the checksum valid (it is recomputed), so the reader's own checks must catch it."""
    import xxhash

    text = make_cnn("dense-conv-pool").to_text()
    assert old in text
    body = text[: text.rindex("checksum ")].replace(old, new, 1)
    damaged = body + "checksum " + f"{xxhash.xxh32_intdigest(body.encode(), seed=0):08x}" + "\nend\n"
    with pytest.raises(ValueError, match=message):
        HashedNetwork.from_text(damaged)


@pytest.mark.skipif(GXX is None, reason="no g++")
@pytest.mark.parametrize("case", list(CNN_CASES))
def test_standalone_class_of_a_cnn_equals_predict_one_bit_for_bit(generator, case, tmp_path):  # noqa: F811
    net = make_cnn(case)
    x = _events(net, 80)
    source = _class_source(generator, net)
    _assert_bit_for_bit(_compile_and_run(source, net, x, tmp_path, GXX, ["-O2"]), _predict_one(net, x))


@pytest.mark.skipif(GXX is None, reason="no g++")
def test_standalone_cnn_class_bits_under_aggressive_flags(generator, tmp_path):  # noqa: F811
    net = make_cnn("element-stride2-nonsquare")
    x = _events(net, 50)
    got = _compile_and_run(_class_source(generator, net), net, x, tmp_path, GXX, ["-Ofast", "-march=native"])
    _assert_bit_for_bit(got, _predict_one(net, x))
