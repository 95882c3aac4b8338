"""MethodDL's CNN syntax: InputLayout, BatchLayout and CONV/MAXPOOL/RESHAPE Layout entries,
accepted verbatim, written back, and every bad layout a clear error naming what is allowed."""

from __future__ import annotations

import pytest

from tmva_hashednet import HashedNetwork
from tmva_hashednet.options import parse_options

# As TMVA's CNN tutorials and MethodDL write them (TMVA_CNN_Classification: 16 x 16 images).
METHODDL = ("InputLayout=1|16|16:BatchLayout=100|1|256:"
            "Layout=CONV|10|3|3|1|1|1|1|RELU,CONV|10|3|3|1|1|1|1|RELU,MAXPOOL|2|2|1|1,RESHAPE|FLAT,"
            "DENSE|100|RELU,DENSE|1|LINEAR:TrainingStrategy=LearningRate=1e-3,BatchSize=100,MaxEpochs=2")  # fmt: skip


def _network(layout, input_layout="1|8|8", n_inputs=64, **keywords):
    return HashedNetwork(n_inputs, layout, input_layout=input_layout, **keywords)


def test_methoddl_cnn_options_accepted_verbatim():
    options = parse_options(METHODDL, n_inputs=256)
    assert options.input_layout == "1|16|16" and options.batch_layout == "100|1|256"
    net = HashedNetwork(256, options.layout, input_layout=options.input_layout)
    kinds = [net.layer_info(l)["kind"] for l in range(net.n_layers)]
    assert kinds == ["CONV", "CONV", "MAXPOOL", "RESHAPE", "DENSE", "DENSE"]
    assert net.layer_info(4)["n_in"] == 10 * 15 * 15  # 16 x 16 kept by padding 1, then a 2 x 2 pool with stride 1


@pytest.mark.parametrize(
    "layout",
    ["CONV|4|3|3|1|1|1|1|TANH,MAXPOOL|2|2|2|2,RESHAPE|FLAT,DENSE|8|TANH,DENSE|1|LINEAR",
     "CONV|4|3|3|1|1|1|1|TANH|1/4,RESHAPE|FLAT,TANH|8|K=40,LINEAR",
     "CONV|4|3|3|2|2|0|0|RELU,RESHAPE|4|3|3,CONV|2|2|2|1|1|0|0|RELU,RESHAPE|FLAT,LINEAR",
     "RESHAPE|1|1|64|FLAT,TANH|8,LINEAR",
     "conv|2|2|2|1|1|0|0|relu,maxpool|2|2|2|2,reshape|flat,linear"],
)
def test_layouts_build_and_format_back(layout):
    from tmva_hashednet._core import core

    net = _network(layout)
    text = str(core().format_layout(net._model.network().spec().layers))
    again = _network(text)
    assert again.n_params == net.n_params and again.to_text().split("\nparams")[0] == net.to_text().split("\nparams")[0]


@pytest.mark.parametrize(
    ("layout", "input_layout", "message"),
    [
        ("CONV|4|9|3|1|1|0|0|TANH,RESHAPE|FLAT,LINEAR", "1|8|8",
         r"the 9x3 window is larger than its 8x8 input .*use a window of at most the \(padded\) input"),
        ("CONV|4|9|3|1|1|1|0|TANH,RESHAPE|FLAT,LINEAR", "1|8|8", None),  # 9 <= 8 + 2: fits with padding
        ("MAXPOOL|5|5|1|1,RESHAPE|FLAT,LINEAR", "4|4|4", "the 5x5 window is larger than its 4x4 input"),
        ("CONV|4|3|3|0|1|0|0|TANH,RESHAPE|FLAT,LINEAR", "1|8|8",
         r"value '0' for strideRows in Layout entry .* expected an integer in \[1, 16777216\]"),
        ("MAXPOOL|2|2|2|0,RESHAPE|FLAT,LINEAR", "1|8|8", r"value '0' for strideCols .* in \[1, 16777216\]"),
        ("CONV|0|3|3|1|1|0|0|TANH,RESHAPE|FLAT,LINEAR", "1|8|8", r"nFilters .* in \[1, 16777216\]"),
        ("CONV|4|3|3|1|1|-1|0|TANH,RESHAPE|FLAT,LINEAR", "1|8|8", r"padRows .* in \[0, 16777216\]"),
        ("CONV|4|3|3|1|1|0|0|TANH,DENSE|8|TANH,LINEAR", "1|8|8",
         "is dense but its input is the image of a CONV or MAXPOOL layer; flatten it first with a RESHAPE|FLAT"),
        ("MAXPOOL|2|2|2|2,LINEAR", "1|8|8", "flatten it first with a RESHAPE\\|FLAT"),
        ("TANH|16,CONV|2|2|2|1|1|0|0|TANH,RESHAPE|FLAT,LINEAR", "1|8|8",
         r"needs an image, but its input is the 16 outputs of a dense layer; .* RESHAPE\|depth\|height\|width"),
        ("CONV|4|3|3|1|1|0|0|TANH,RESHAPE|FLAT", "1|8|8", "the last entry is the output layer and must be dense"),
        ("CONV|4|3|3|1|1|0|0|TANH|1/4|9,RESHAPE|FLAT,LINEAR", "1|8|8",
         r"too many '\|' fields \(11\); write CONV\|nFilters\|fh\|fw\|strideRows\|strideCols\|padRows\|padCols"),
        ("CONV|4|3|3|1|1|TANH,RESHAPE|FLAT,LINEAR", "1|8|8", r"too few '\|' fields \(7\); write CONV\|nFilters"),
        ("CONV|4|3|3|1|1|0|0|TANX,RESHAPE|FLAT,LINEAR", "1|8|8", "unknown activation 'TANX'.*Allowed: TANH"),
        ("MAXPOOL|2|2|2,RESHAPE|FLAT,LINEAR", "1|8|8", r"write MAXPOOL\|fh\|fw\|strideRows\|strideCols"),
        ("RESHAPE|FLAT|2,LINEAR", "1|8|8", r"is not a reshape; write RESHAPE\|FLAT or RESHAPE\|depth\|height\|width"),
        ("RESHAPE|2|2|2,LINEAR", "1|8|8", r"RESHAPE\|2\|2\|2\) has 8 values but its input has 64"),
        ("RNN|4|8|8|0,RESHAPE|FLAT,LINEAR", "1|8|8",
         "layer type RNN is not supported by HashedDNN; allowed layer types: DENSE, HASHED, CONV, MAXPOOL, RESHAPE, "
         "BNORM"),
        ("CONVV|4|3|3|1|1|0|0|TANH,LINEAR", "1|8|8", "unknown activation or layer type 'CONVV'.*did you mean 'CONV'"),
        ("CONV|4|3|3|1|1|1|1|TANH,RESHAPE|FLAT,LINEAR", "2|8|8",
         r"InputLayout 2\|8\|8 \(depth\|height\|width\) has 128 values, but the events have 64 input variables"),
        ("CONV|4|3|3|1|1|1|1|TANH,RESHAPE|FLAT,LINEAR", "1|8", "is not three '\\|'-separated integers"),
        ("CONV|4|3|3|1|1|1|1|TANH,RESHAPE|FLAT,LINEAR", "1|x|8", r"bad value 'x' for '1\|x\|8' of option InputLayout"),
    ],
)
def test_bad_cnn_layouts_are_clear_errors(layout, input_layout, message):
    if message is None:
        _network(layout, input_layout)
        return
    with pytest.raises(ValueError, match=message):
        _network(layout, input_layout)


def test_without_input_layout_a_conv_sees_one_row_of_n_inputs():
    """MethodDL's default: the events are a 1 x 1 x N image."""
    net = HashedNetwork(10, "CONV|2|1|3|1|1|0|0|TANH,RESHAPE|FLAT,LINEAR")
    assert net.layer_info(0)["window"] == {"depth": 1, "height": 1, "width": 10, "fh": 1, "fw": 3, "stride_rows": 1,
                                           "stride_cols": 1, "pad_rows": 0, "pad_cols": 0}  # fmt: skip
    with pytest.raises(ValueError, match="the 3x3 window is larger than its 1x10 input"):
        HashedNetwork(10, "CONV|2|3|3|1|1|0|0|TANH,RESHAPE|FLAT,LINEAR")


@pytest.mark.parametrize(
    ("batch_layout", "ok"),
    [("32|1|64", True), ("1|32|64", True), ("32|1|63", False), ("16|1|64", False), ("0|0|0", True)],
)
def test_batch_layout_is_checked_against_batch_size_and_input_layout(batch_layout, ok):
    text = f"InputLayout=1|8|8:BatchLayout={batch_layout}:TrainingStrategy=BatchSize=32"
    if ok:
        parse_options(text, n_inputs=64)
        return
    with pytest.raises(ValueError, match=f"BatchLayout={batch_layout} does not fit BatchSize=32"):
        parse_options(text, n_inputs=64)


def test_input_layout_keyword_takes_a_tuple_and_checks_types():
    assert HashedNetwork(64, "CONV|2|3|3|1|1|1|1|TANH,RESHAPE|FLAT,LINEAR", input_layout=(1, 8, 8)).n_layers == 3
    with pytest.raises(ValueError, match="input_layout"):
        HashedNetwork(64, "TANH|4,LINEAR", input_layout="1|8|x")


def test_existing_layouts_are_unchanged():
    """Today's layouts keep their layers and weight format (format 2, no input_layout line)."""
    net = HashedNetwork(7, "TANH|16|1/4,RELU|8,LINEAR", compression=1 / 2)
    assert [net.layer_info(l)["kind"] for l in range(3)] == ["DENSE"] * 3
    assert net.to_text().startswith("HASHEDNET 2\n")


def test_repr_names_the_cnn_layers():
    net = _network("CONV|4|3|3|1|1|1|1|TANH,MAXPOOL|2|2|2|2,RESHAPE|FLAT,LINEAR", compression=1 / 2)
    assert "layout='CONV|TANH|4|K=18,MAXPOOL,RESHAPE,LINEAR|1'" in repr(net)
