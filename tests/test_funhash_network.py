"""FUNHASH (FunHashNN) as the weight scheme of a network's layers, end to end:
U = 1 with g the identity is a HashedNets ELEMENT network bit for bit, the
options (HashMode=FUNHASH, HashFunctions, Reconstruction) in the option
string and the Python keywords, compression counting g, the weight file
(format 2) and the memory report. The layer's values and gradients against
float64 and finite differences are in test_backends.py (the backend fixture),
the tile kernels in test_funhash.py.

Not here: the standalone class of a FUNHASH network (an error until the
class evaluates FUNHASH layers; the test below checks the error)."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from tmva_hashednet import HashedNetwork, TrainingConfig
from tmva_hashednet.options import describe_options

LAYOUT = "TANH|300,RELU|40,LINEAR"  # 12 x 300 x 32: above the CPU's parallel threshold on two threads


def _pair(threads, **element_keywords):
    """(HashedNets ELEMENT, FUNHASH U=1 IDENTITY) networks of the same options."""
    common = dict(task="multiclass", n_outputs=3, compression=1 / 8, hash_seed=77, seed=3, num_threads=threads,
                  hashed_bias=True, hash_output_layer=True, **element_keywords)  # fmt: skip
    element = HashedNetwork(12, LAYOUT, **common)
    funhash = HashedNetwork(12, LAYOUT, hash_mode="FUNHASH", hash_functions=1, reconstruction="IDENTITY", **common)
    return element, funhash


def _bits(a):
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


@pytest.mark.parametrize("threads", [1, 2])
def test_u1_identity_is_the_element_network_bit_for_bit(threads):
    element, funhash = _pair(threads)
    assert [funhash.layer_info(l)["scheme"] for l in range(3)] == ["FUNHASH"] * 3
    assert funhash.n_params == element.n_params
    np.testing.assert_array_equal(_bits(funhash.params), _bits(element.params))  # the same initial values
    rng = np.random.default_rng(0)
    params = (element.params + rng.normal(0, 0.05, element.n_params)).astype(np.float32)
    element.params, funhash.params = params, params
    x = rng.normal(size=(32, 12)).astype(np.float32)
    y = rng.integers(0, 3, 32).astype(np.float32)
    np.testing.assert_array_equal(_bits(funhash.predict(x)), _bits(element.predict(x)))
    (loss_e, grad_e), (loss_f, grad_f) = element.gradient(x, y), funhash.gradient(x, y)
    assert loss_f == loss_e
    np.testing.assert_array_equal(_bits(grad_f), _bits(grad_e))
    config = TrainingConfig(max_epochs=2, batch_size=16, dropout=[0.1, 0.2], optimizer="SGD", learning_rate=0.05)
    x_train = rng.normal(size=(96, 12)).astype(np.float32)
    y_train = rng.integers(0, 3, 96).astype(np.float32)
    for net in (element, funhash):
        net.fit(x_train, y_train, validation_fraction=0.25, training=config, verbose=False)
    np.testing.assert_array_equal(_bits(funhash.params), _bits(element.params))
    np.testing.assert_array_equal(_bits(funhash.predict(x)), _bits(element.predict(x)))


@pytest.mark.parametrize("reconstruction, n_alpha", [("LINEAR", 4), ("MLP|4|TANH", 4 * 6 + 1)])
def test_compression_counts_g_so_real_parameters_equal_hashednets(reconstruction, n_alpha):
    hashed = HashedNetwork(784, "RELU|1000,LINEAR", task="multiclass", n_outputs=10, compression="1/64")
    funhash = HashedNetwork(784, "RELU|1000,LINEAR", task="multiclass", n_outputs=10, compression="1/64",
                            hash_mode="FUNHASH", hash_functions=4, reconstruction=reconstruction)  # fmt: skip
    assert funhash.n_params == hashed.n_params
    info = funhash.layer_info(0)
    assert info["n_buckets"] + info["n_reconstruction_params"] == hashed.layer_info(0)["n_buckets"] == 12250
    assert info["n_reconstruction_params"] == n_alpha
    assert funhash.layer_info(1)["scheme"] == "DENSE"  # the output layer is dense unless HashOutputLayer
    # K=... in Layout: that many buckets, plus g
    given = HashedNetwork(20, "TANH|30|K=100,LINEAR", hash_mode="FUNHASH", reconstruction=reconstruction)
    assert given.layer_info(0)["n_buckets"] == 100 and given.layer_info(0)["n_reconstruction_params"] == n_alpha


def test_memory_report_counts_g():
    net = HashedNetwork(20, "TANH|30,LINEAR", compression=1 / 4, hash_mode="FUNHASH", reconstruction="MLP|2|RELU")
    report = net.memory_report()
    first = report.layers[0]
    assert first.scheme == "FUNHASH" and first.reconstruction_params == 2 * 6 + 1
    assert first.real_params == 150 + 30 == net.layer_info(0)["n_buckets"] + 13 + 30
    assert report.real_params == net.n_params
    assert "funhash" in str(report) and "(g: 13 parameters)" in str(report)


def test_options_parse_write_back_and_help(hn):
    options = hn.parse_method_options("HashMode=funhash:HashFunctions=3:Reconstruction=mlp|5|relu")
    assert str(options.hash_mode) == "FUNHASH" and options.hash_functions == 3
    assert str(options.reconstruction) == "MLP|5|RELU"
    text = str(hn.to_option_string(options))
    assert "HashMode=FUNHASH" in text and "HashFunctions=3" in text and "Reconstruction=MLP|5|RELU" in text
    defaults = str(hn.to_option_string(hn.parse_method_options("")))
    assert "HashFunctions=4" in defaults and "Reconstruction=LINEAR" in defaults
    help_text = describe_options()
    assert "HashFunctions: \"4\"" in help_text and "Reconstruction: \"LINEAR\"" in help_text
    assert "FUNHASH" in help_text


@pytest.mark.parametrize(
    "options, message",
    [
        ("HashFunction=4", "did you mean 'HashFunctions'"),
        ("Reconstrution=LINEAR", "did you mean 'Reconstruction'"),
        ("HashFunctions=17", "HashFunctions"),
        ("HashFunctions=0", "HashFunctions"),
        ("Reconstruction=CUBIC", "unknown reconstruction 'CUBIC'.*allowed: LINEAR, IDENTITY"),
        ("Reconstruction=MPL|4|TANH", "did you mean 'MLP'"),
        ("Reconstruction=MLP|4", "MLP needs its hidden units and activation"),
        ("Reconstruction=MLP|33|TANH", "hidden units"),
        ("Reconstruction=MLP|4|TANHH", "TANH"),
        ("Reconstruction=LINEAR|4", "LINEAR takes no"),
        ("HashMode=FUNHAS", "FUNHASH"),
    ],
)
def test_bad_funhash_options_are_named(hn, options, message):
    from tmva_hashednet._errors import translate_errors

    with pytest.raises(ValueError, match=message), translate_errors():
        hn.parse_method_options(options)


def test_bad_funhash_networks_are_clear_errors():
    with pytest.raises(ValueError, match="IDENTITY takes exactly one hash"):
        HashedNetwork(20, "TANH|30,LINEAR", compression=1 / 4, hash_mode="FUNHASH", reconstruction="IDENTITY")
    with pytest.raises(ValueError, match="reconstruction MLP|8|TANH alone takes 81"):
        HashedNetwork(20, "TANH|30,LINEAR", compression=1 / 16, hash_mode="FUNHASH", reconstruction="MLP|8|TANH")
    with pytest.raises(ValueError, match="hash_functions=20"):
        HashedNetwork(20, "TANH|30,LINEAR", hash_mode="FUNHASH", hash_functions=20)


def test_the_method_options_give_the_funhash_spec(hn):
    options = hn.parse_method_options("HashMode=FUNHASH:HashFunctions=2:Reconstruction=MLP|3|SIGMOID:Compression=1/8")
    spec = hn.network_spec(options, 10, hn.Task.Classification, 1)
    assert spec.hash_mode == hn.HashMode.FunHash and spec.funhash.n_hashes == 2
    assert spec.funhash.reconstruction == hn.Reconstruction.Mlp and spec.funhash.hidden == 3
    assert spec.funhash.hidden_activation == hn.Activation.Sigmoid


SCHEMES = {
    "dense": dict(compression=1.0),
    "element": dict(compression=1 / 4),
    "block": dict(compression=1 / 4, hash_mode="BLOCK", hash_block=8),
    "funhash-linear": dict(compression=1 / 4, hash_mode="FUNHASH", hash_functions=4),
    "funhash-mlp": dict(compression=1 / 2, hash_mode="FUNHASH", hash_functions=3, reconstruction="MLP|2|GAUSS"),
}


@pytest.mark.parametrize("scheme", SCHEMES)
def test_format2_round_trip_is_bit_identical(tmp_path, scheme):
    net = HashedNetwork(9, "TANH|40,SIGMOID|20,LINEAR", task="regression", n_outputs=2, hashed_bias=True,
                        hash_output_layer=True, seed=4, **SCHEMES[scheme])  # fmt: skip
    rng = np.random.default_rng(1)
    net.params = (net.params + rng.normal(0, 0.1, net.n_params)).astype(np.float32)
    net.set_input_transform(rng.normal(size=9), rng.uniform(0.5, 2, 9))
    path = tmp_path / "net.hashednet"
    net.save(path)
    text = path.read_text()
    assert text.startswith("HASHEDNET 2\n")
    name = {"dense": "DENSE", "element": "ELEMENT", "block": "BLOCK"}.get(scheme, "FUNHASH")
    assert f"layer 0 TANH 40 FULLY_CONNECTED {name} " in text
    loaded = HashedNetwork.load(path)
    assert loaded.to_text() == text
    x = rng.normal(size=(50, 9)).astype(np.float32)
    np.testing.assert_array_equal(_bits(loaded.predict(x)), _bits(net.predict(x)))
    np.testing.assert_array_equal(_bits(loaded.params), _bits(net.params))
    assert (loaded.hash_mode, loaded.hash_functions, loaded.reconstruction) == (
        net.hash_mode, net.hash_functions, net.reconstruction)  # fmt: skip


def _replace_line(text, start, new):
    """text with its line starting with `start` replaced, the checksum made valid again."""
    import xxhash

    lines = text.split("\n")
    index = next(i for i, line in enumerate(lines) if line.startswith(start))
    lines[index] = new
    body = "\n".join(lines[: lines.index(next(l for l in lines if l.startswith("checksum ")))]) + "\n"
    checksum = xxhash.xxh32_intdigest(body.encode(), seed=0)
    return body + f"checksum {checksum:08x}\nend\n"


@pytest.mark.parametrize(
    "start, new, message",
    [
        ("layer 0", "layer 0 TANH 30 FULLY_CONNECTED FUNHASH 150 30 140 4 LINEAR", "does not rebuild to its stored"),
        ("layer 0", "layer 0 TANH 30 CONVOLUTION FUNHASH 150 30 146 4 LINEAR", "allowed: FULLY_CONNECTED"),
        ("layer 0", "layer 0 TANH 30 FULLY_CONNECTED TENSORTRAIN 150 30 146 4 LINEAR", "allowed: DENSE, ELEMENT"),
        ("layer 0", "layer 0 TANH 30 FULLY_CONNECTED ELEMENT 150 30", "does not rebuild to its stored"),
        ("hash_mode", "hash_mode FUNHASH 4 CUBIC", "allowed"),
        ("hash_mode", "hash_mode FUNHASH 2 LINEAR", "does not rebuild to its stored"),
    ],
)
def test_damaged_format2_layer_lines_are_named(start, new, message):
    text = HashedNetwork(20, "TANH|30,LINEAR", compression=1 / 4, hash_mode="FUNHASH").to_text()
    assert "layer 0 TANH 30 FULLY_CONNECTED FUNHASH 150 30 146 4 LINEAR\n" in text
    with pytest.raises(ValueError, match=message):
        HashedNetwork.from_text(_replace_line(text, start, new))


def test_standalone_class_of_a_funhash_network_carries_its_reconstruction():
    """MakeClass writes a FUNHASH layer's FunHashLayout (tests/test_standalone_class.py compiles it)."""
    net = HashedNetwork(3, "TANH|16,LINEAR", compression=1 / 2, hash_mode="FUNHASH", reconstruction="MLP|2|RELU")
    source = net.standalone_class("ReadFunHash", ["a", "b", "c"])
    assert "FUNHASH: 11 buckets, then g's 13 parameters (alpha)" in source
    assert "F.n_hashes = 4;" in source and "// MLP" in source and "F.hidden = 2;" in source and "// RELU" in source


def test_adam_trains_a_funhash_network_with_an_mlp_g():
    """The kernel helper saw an MLP g diverge under SGD at MNIST's settings; with Adam the loss falls."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(600, 10)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] + x[:, 2] > 0).astype(np.float32)
    net = HashedNetwork(10, "TANH|64,LINEAR", compression=1 / 4, hash_mode="FUNHASH", reconstruction="MLP|4|TANH",
                        seed=1)  # fmt: skip
    before = net.loss(x, y)
    alpha_before = net.params[net.layer_info(0)["n_buckets"] : net.layer_info(0)["n_buckets"] + 25].copy()
    net.fit(x, y, validation_fraction=0.2, training=TrainingConfig(max_epochs=15, learning_rate=3e-3),
            verbose=False)  # fmt: skip
    assert net.loss(x, y) < 0.8 * before
    assert not np.array_equal(net.params[net.layer_info(0)["n_buckets"] : net.layer_info(0)["n_buckets"] + 25],
                              alpha_before)  # g is trained  # fmt: skip


def test_compatible_tmva_workflow_trains_funhash(tmp_path):
    """HashMode=FUNHASH in a booking string goes through the core's network_spec; the weight file
    records the scheme; the standalone class is written with the FUNHASH layers' g and compiles (its
    responses are checked bit for bit in tests/test_standalone_class.py)."""
    from tmva_helpers import macro, run_macro

    options = macro("tmva_classification").method_options(2, 1e-2).replace(
        "Compression=1/8", "Compression=1/4:HashMode=FUNHASH:HashFunctions=2:Reconstruction=MLP|2|TANH")
    assert "HashMode=FUNHASH" in options
    auc = run_macro(tmp_path, "tmva_classification", "class", "TMVA.root", 2, 300, options=options)
    assert 0.6 < auc <= 1.0
    text = (tmp_path / "dataset/weights/TMVAClassification_HashedDNN.weights.xml").read_text()
    assert "hash_mode FUNHASH 2 MLP|2|TANH" in text
    assert "layer 0 TANH 64 FULLY_CONNECTED FUNHASH " in text
    class_file = tmp_path / "dataset/weights/TMVAClassification_HashedDNN.class.C"
    source = class_file.read_text()
    assert "F.n_hashes = 2;" in source and "// MLP" in source and "F.hidden = 2;" in source
    if shutil.which("g++"):
        build = subprocess.run(["g++", "-std=c++17", "-fsyntax-only", "-Wall", "-Werror", "-x", "c++", str(class_file)],
                               capture_output=True, text=True)  # fmt: skip
        assert build.returncode == 0, build.stderr[-2000:]
