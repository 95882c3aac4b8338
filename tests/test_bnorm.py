"""BNORM, MethodDL's batch normalisation layer (cpp/include/hashednet/batch_norm.h).

Against a float64 numpy reference written here (BNorm below, on top of the dense and CNN
layers of tests/reference.py): the forward pass in training (batch statistics) and in
inference (running statistics), dx, dgamma and dbeta, finite differences of the training
loss; per value after a DENSE layer (or first), per channel after a CONV or MAXPOOL; the
running statistics' update (TMVA's momentum convention, cumulative for momentum < 0) once
per training batch, untouched by weight decay, the same bits on 1 and 2 threads; MethodDL's
syntax and bad values through the Layout keyword and the weight file; the weight file
(format 3), predict_one, the standalone class (g++ alone, bit for bit), the memory report,
the cost estimate and the compatible Factory workflow.
"""

from __future__ import annotations

from array import array

import numpy as np
import pytest
from backend_checks import (
    assert_gradient_matches_central_differences,
    assert_reference_and_cpu_backends_agree,
    on_backend,
    transformed_inputs,
)
from reference import ACTIVATIONS, ReferenceNetwork, _ImageLayers, random_events
from test_standalone_class import GXX, _assert_bit_for_bit, _class_source, _compile_and_run, generator  # noqa: F401

from tmva_hashednet import HashedNetwork

# id -> (input_layout, layout, task, n_outputs, batch); every BNORM follows a layer kind it normalises after
CASES = {
    "after-dense": (None, "DENSE|6|TANH,BNORM,DENSE|5|SIGMOID,BNORM|0.9|0.01,LINEAR", "classification", 1, 7),
    "first": (None, "BNORM|-1|1e-3,TANH|4,LINEAR", "regression", 2, 5),
    "after-conv": ("2|6|5", "CONV|3|3|2|1|1|1|1|TANH,BNORM|0.5,CONV|2|2|2|1|1|0|0|SIGMOID,RESHAPE|FLAT,BNORM,"
                   "LINEAR", "multiclass", 3, 4),
    "after-maxpool": ("1|6|6", "CONV|2|3|3|1|1|1|1|RELU,MAXPOOL|2|2|2|2,BNORM,RESHAPE|FLAT,LINEAR",
                      "classification", 1, 6),
}
SMOOTH = ["after-dense", "first", "after-conv"]  # no kink or maximum inside a finite-difference step


def _n_inputs(case):
    input_layout = CASES[case][0]
    return int(np.prod([int(v) for v in input_layout.split("|")])) if input_layout else 6


def _network(case, seed=3, compression=1.0):
    input_layout, layout, task, n_outputs, batch = CASES[case]
    n_inputs = _n_inputs(case)
    net = HashedNetwork(n_inputs, layout, input_layout=input_layout or "0|0|0", task=task, n_outputs=n_outputs,
                        compression=compression, seed=seed, num_threads=1)  # fmt: skip
    rng = np.random.default_rng(seed)
    params = net.params + rng.normal(0, 0.2, net.n_params).astype(np.float32)
    for layer in _bnorm_layers(net):  # running variances stay positive
        f, off = layer["features"], layer["offset"]
        params[off + 3 * f : off + 4 * f] = rng.uniform(0.5, 2.0, f).astype(np.float32)
    net.params = params
    net.set_input_transform(rng.normal(0, 0.3, n_inputs), rng.uniform(0.5, 2.0, n_inputs))
    x, y, w = random_events(rng, batch, n_inputs, task, n_outputs)
    return net, x, y, w


def _bnorm_layers(net):
    return [net.layer_info(l) for l in range(net.n_layers) if net.layer_info(l)["kind"] == "BNORM"]


class _WithoutBnorm:
    """net as ReferenceNetwork sees it: every BNORM layer shown as a RESHAPE (BNorm replaces them)."""

    def __init__(self, net):
        self.net = net
        self.task, self.params, self.n_layers = net.task, net.params, net.n_layers
        self.hash_mode, self.hash_block = net.hash_mode, net.hash_block

    def layer_info(self, layer):
        info = self.net.layer_info(layer)
        return dict(info, kind="RESHAPE") if info["kind"] == "BNORM" else info


class BNorm(ReferenceNetwork):
    """The network in float64 with BNORM layers: `training` uses the batch's statistics, else the running ones."""

    def __init__(self, net, training: bool):
        super().__init__(_WithoutBnorm(net))
        self.training = training
        params = net.params.astype(np.float64)
        for l in range(net.n_layers):
            info = net.layer_info(l)
            if info["kind"] == "BNORM":
                f, off = info["features"], info["offset"]
                gamma, beta, mean, var = params[off : off + 4 * f].reshape(4, f)
                self.layers[l] = dict(info=info, kind="BNORM", f=f, gamma=gamma, beta=beta, mean=mean, var=var,
                                      eps=info["epsilon"], n_params=4 * f)  # fmt: skip

    def bnorm_forward(self, layer, a):
        x = a.reshape(len(a), layer["f"], -1)  # (n, features, positions)
        if self.training:
            mean, var = x.mean(axis=(0, 2)), x.var(axis=(0, 2))
        else:
            mean, var = layer["mean"], layer["var"]
        inv = 1 / np.sqrt(var + layer["eps"])
        xhat = (x - mean[None, :, None]) * inv[None, :, None]
        y = layer["gamma"][None, :, None] * xhat + layer["beta"][None, :, None]
        return y.reshape(len(a), -1), (xhat, inv)

    @staticmethod
    def bnorm_backward(layer, cache, delta):
        xhat, inv = cache
        d = delta.reshape(xhat.shape)
        m = xhat.shape[0] * xhat.shape[2]
        dgamma, dbeta = (d * xhat).sum(axis=(0, 2)), d.sum(axis=(0, 2))
        dx = (layer["gamma"] * inv)[None, :, None] / m * (m * d - dbeta[None, :, None] - xhat * dgamma[None, :, None])
        return np.concatenate([dgamma, dbeta, np.zeros(2 * layer["f"])]), dx.reshape(len(delta), -1)

    def forward(self, x):
        cache, a = [], np.asarray(x, dtype=np.float64)
        for layer in self.layers:
            if layer["kind"] == "BNORM":
                a, c = self.bnorm_forward(layer, a)
                cache.append((c, None, a))
            elif layer["kind"] == "RESHAPE":
                cache.append((a, None, a))
            elif layer["kind"] == "MAXPOOL":
                a, argmax = _ImageLayers.pool_forward(layer, a)
                cache.append((argmax, None, a))
            else:
                if layer["kind"] == "CONV":
                    z, a_in = _ImageLayers.conv_forward(layer, a)  # a_in: the patches
                else:
                    z, a_in = a @ layer["V"].T + layer["b"], a
                a = ACTIVATIONS[layer["info"]["activation"]][0](z)
                cache.append((a_in, z, a))
        return a, cache

    def backward(self, cache, delta):
        grads = []
        for layer, (a_in, z, a) in zip(reversed(self.layers), reversed(cache)):
            if layer["kind"] == "BNORM":
                g, delta = self.bnorm_backward(layer, a_in, delta)
                grads.append(g)
                continue
            if layer["kind"] in ("MAXPOOL", "RESHAPE"):
                delta = _ImageLayers.pool_backward(layer, a_in, delta) if layer["kind"] == "MAXPOOL" else delta
                grads.append(np.zeros(0))
                continue
            delta = delta * ACTIVATIONS[layer["info"]["activation"]][1](z, a)
            if layer["kind"] == "CONV":
                dV, db, d_in = _ImageLayers.conv_backward(layer, a_in, delta)
            else:
                dV, db, d_in = delta.T @ a_in, delta.sum(axis=0), delta @ layer["V"]
            assert not layer["info"]["hashed"] and not layer["info"]["hashed_bias"]  # dense weights here
            grads.append(np.concatenate([dV.reshape(-1), db]))
            delta = d_in
        return np.concatenate(grads[::-1])


def _logits_to_response(task, logits):
    if task == "classification":
        return 1 / (1 + np.exp(-logits[:, 0]))
    if task == "multiclass":
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    return logits


# ---------------------------------------------------------------------------------------------- the layer


@pytest.mark.parametrize("case", list(CASES))
def test_forward_and_gradient_equal_float64_reference(backend, case):
    """predict (running statistics) and the training gradient (batch statistics) against numpy."""
    net, x, y, w = _network(case)
    net = on_backend(net, backend)
    xt = transformed_inputs(net, x)
    inference, training = BNorm(net, training=False), BNorm(net, training=True)
    expected = _logits_to_response(net.task, inference.forward(xt)[0])
    np.testing.assert_allclose(np.asarray(net.predict(x)).reshape(expected.shape), expected, rtol=1e-4, atol=1e-6)
    loss, grad = net.gradient(x, y, w)
    ref_loss, ref_grad = training.loss_and_gradient(xt, y, w)
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-4, atol=1e-5 * np.abs(ref_grad).max())
    for layer in _bnorm_layers(net):  # the running statistics have no gradient
        f, off = layer["features"], layer["offset"]
        assert not grad[off + 2 * f : off + 4 * f].any()


@pytest.mark.parametrize("case", SMOOTH)
def test_gradient_equals_finite_differences_of_the_training_loss(backend, case):
    """dgamma, dbeta and (through dx of every BNORM) the parameters of the layers below it."""
    net, x, y, w = _network(case)
    net = on_backend(net, backend)
    bnorm = {off + k for info in _bnorm_layers(net) for off in [info["offset"]] for k in range(2 * info["features"])}
    trainable = [k for k in range(net.n_params) if k in bnorm or not _is_running_statistic(net, k)]
    rng = np.random.default_rng(1)
    chosen = set(rng.choice(trainable, size=min(40, len(trainable)), replace=False)) | bnorm
    assert_gradient_matches_central_differences(net, x, y, w, sorted(chosen), loss=lambda n: n.gradient(x, y, w)[0],
                                                rel=3e-2, abs=3e-4)  # fmt: skip


def _is_running_statistic(net, k):
    for info in _bnorm_layers(net):
        f, off = info["features"], info["offset"]
        if off + 2 * f <= k < off + 4 * f:
            return True
    return False


@pytest.mark.parametrize("case", list(CASES))
def test_reference_and_cpu_backends_agree(case):
    net, x, y, w = _network(case)
    assert_reference_and_cpu_backends_agree(net, x, y, w)


def test_features_per_value_after_dense_per_channel_after_conv_and_maxpool():
    """TDeepNet::AddBatchNormLayer's rule: per channel of a CONV's or MAXPOOL's image, else per value."""
    assert [i["features"] for i in _bnorm_layers(_network("after-dense")[0])] == [6, 5]
    assert [i["features"] for i in _bnorm_layers(_network("first")[0])] == [6]
    assert [i["features"] for i in _bnorm_layers(_network("after-conv")[0])] == [3, 2 * 5 * 5]
    assert [i["features"] for i in _bnorm_layers(_network("after-maxpool")[0])] == [2]
    info = _bnorm_layers(_network("after-conv")[0])[0]
    assert (info["n_in"], info["n_out"], info["momentum"], info["epsilon"]) == (3 * 6 * 6, 3 * 6 * 6, 0.5, 1e-4)


def test_training_mode_and_inference_mode_differ_and_initial_values_are_tmva_s():
    net = HashedNetwork(4, "BNORM,LINEAR", task="regression", seed=1)
    info = _bnorm_layers(net)[0]
    off = info["offset"]
    assert net.params[off : off + 16].tolist() == [1] * 4 + [0] * 4 + [0] * 4 + [1] * 4  # gamma beta mean var
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(50, 4)).astype(np.float32)
    y = np.zeros(50, dtype=np.float32)
    # the training loss normalises with the batch's statistics, loss() (validation) with the running ones
    xt = transformed_inputs(net, x)
    assert net.gradient(x, y)[0] == pytest.approx(BNorm(net, training=True).loss_and_gradient(xt, y)[0], rel=1e-5)
    assert net.loss(x, y) == pytest.approx(BNorm(net, training=False).loss_and_gradient(xt, y)[0], rel=1e-5)
    assert abs(net.gradient(x, y)[0] - net.loss(x, y)) > 0.1


# ---------------------------------------------------------------------------------------------- running statistics


def _unbiased(x, eps):
    m = len(x)
    return x.var(axis=0) * m / (m - 1 + eps)


@pytest.mark.parametrize("momentum", [-1.0, 0.0, 0.9])
def test_running_statistics_follow_tmva_s_update_once_per_batch(momentum):
    """BNORM first sees the transformed inputs, whatever the steps: its running statistics after
    each one-batch chunk are TMVA's recurrence over the chunks' means and unbiased variances, with
    weight decay on (it must not touch them)."""
    from tmva_hashednet import TrainingConfig

    eps = 1e-3
    net = HashedNetwork(3, f"BNORM|{momentum}|{eps},TANH|4,LINEAR", task="regression", seed=2, num_threads=1)
    rng = np.random.default_rng(5)
    training = TrainingConfig(batch_size=40, learning_rate=1e-2, weight_decay=0.1, optimizer="SGD", momentum=0.5)
    mean, var = np.zeros(3), np.ones(3)
    for t in range(4):
        x = rng.normal(t, 1 + t, size=(40, 3)).astype(np.float32)
        net.partial_fit(x, rng.normal(size=40).astype(np.float32), training=training)
        batch_mean, batch_var = x.astype(np.float64).mean(axis=0), _unbiased(x.astype(np.float64), eps)
        decay = 0.0 if t == 0 else (t / (t + 1) if momentum < 0 else momentum)
        mean, var = decay * mean + (1 - decay) * batch_mean, decay * var + (1 - decay) * batch_var
        got = net.params[6:12].astype(np.float64)
        np.testing.assert_allclose(got, np.concatenate([mean, var]), rtol=2e-6, atol=1e-6)


def test_training_is_deterministic_on_one_and_two_threads():
    from tmva_hashednet import TrainingConfig

    rng = np.random.default_rng(7)
    x = rng.normal(size=(300, 2 * 6 * 5)).astype(np.float32)
    y = (x[:, :5].sum(axis=1) > 0).astype(np.float32)
    params = []
    for threads in (1, 2):
        net = HashedNetwork(60, "CONV|4|3|3|1|1|1|1|RELU,BNORM,RESHAPE|FLAT,DENSE|8|TANH,BNORM|0.8,LINEAR",
                            input_layout="2|6|5", seed=11, num_threads=threads)  # fmt: skip
        net.fit(x, y, training=TrainingConfig(max_epochs=3, batch_size=32, weight_decay=1e-3), verbose=False)
        params.append(net.params)
    assert params[0].tobytes() == params[1].tobytes()
    f = _bnorm_layers(net)[0]["features"]
    assert not np.array_equal(params[0][_bnorm_layers(net)[0]["offset"] + 2 * f:][:f], np.zeros(f))  # trained


# ---------------------------------------------------------------------------------------------- the doors


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("BNORM|1", r"BNORM momentum .*\[0, 1\): exponential .*negative, e.g. -1.*out of range"),
        ("BNORM|1.5", r"BNORM momentum .*out of range: expected a number in \(-inf, 1\)"),
        ("BNORM|nan", r"bad value 'nan' for BNORM momentum"),
        ("BNORM|fast", r"bad value 'fast' for BNORM momentum"),
        ("BNORM|0.9|0", r"BNORM epsilon .* out of range: expected a number > 0"),
        ("BNORM|0.9|-1e-3", r"BNORM epsilon .* out of range: expected a number > 0"),
        ("BNORM|0.9|1e-50", r"layer 0: BNORM epsilon 1e-50 is not allowed; .* in \[1.17549e-38, 3.40282e\+38\]"),
        ("BNORM|0.9|1e39", r"layer 0: BNORM epsilon 1e\+39 is not allowed"),
        ("BNORM|0.9|1e-3|2", r"too many '\|' fields \(4\); write BNORM, BNORM\|momentum or BNORM\|momentum\|epsilon"),
    ],
)
def test_bad_bnorm_entries_are_clear_errors(entry, message):
    with pytest.raises(ValueError, match=message):
        HashedNetwork(4, f"{entry},TANH|3,LINEAR")


def test_bnorm_as_the_output_layer_is_an_error():
    with pytest.raises(ValueError, match="the last entry is the output layer and must be dense"):
        HashedNetwork(4, "TANH|3,BNORM")


def test_layout_round_trips_through_the_option_text():
    net = HashedNetwork(4, "bnorm,TANH|3,BNORM|0.99,Bnorm|0.5|1e-5,LINEAR")
    assert [(i["momentum"], i["epsilon"]) for i in _bnorm_layers(net)] == [(-1, 1e-4), (0.99, 1e-4), (0.5, 1e-5)]
    text = net.to_text()
    assert "BNORM -1 0.0001 4" in text and "BNORM 0.5 1e-05 3" in text
    assert repr(net).count("BNORM") == 3


def _with_checksum(text: str) -> str:
    import xxhash

    body = text[: text.rindex("checksum ")]
    return body + f"checksum {xxhash.xxh32_intdigest(body.encode(), seed=0):08x}\nend\n"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("BNORM 0.9 0.01 5", "BNORM 1 0.01 5", r"layer 3: BNORM momentum 1 is not allowed; use a value in \[0, 1\)"),
        ("BNORM 0.9 0.01 5", "BNORM 0.9 0 5", r"layer 3: BNORM epsilon 0 is not allowed; .* > 0"),
        ("BNORM 0.9 0.01 5", "BNORM nan 0.01 5", "network text: bad value for 'layer'"),
        ("BNORM 0.9 0.01 5", "BNORM 0.9 0.01 7", "layer 3 does not rebuild to its stored line"),
        ("BNORM 0.9 0.01 5", "BNORMX 0.9 0.01 5", "allowed: FULLY_CONNECTED, CONV, MAXPOOL, RESHAPE, BNORM"),
    ],
)
def test_damaged_bnorm_lines_in_the_weight_file_are_clear_errors(old, new, message):
    text = _network("after-dense")[0].to_text()
    assert old in text
    with pytest.raises(ValueError, match=message):
        HashedNetwork.from_text(_with_checksum(text.replace(old, new, 1)))


@pytest.mark.parametrize("case", list(CASES))
def test_weight_file_is_format_3_and_reads_back_bit_for_bit(case):
    net, x, _, _ = _network(case)
    text = net.to_text()
    assert text.startswith("HASHEDNET 3\n")
    back = HashedNetwork.from_text(text)
    assert back.to_text() == text
    assert np.array_equal(np.asarray(back.predict(x)), np.asarray(net.predict(x)))


def _predict_one(net, x):
    return np.array([list(net._model.predict_one(np.ascontiguousarray(row), net.n_inputs)) for row in x],
                    dtype=np.float32)  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_predict_one_equals_the_batch_path_to_float_rounding(case):
    net, x, _, _ = _network(case)
    x = np.random.default_rng(2).normal(size=(40, net.n_inputs)).astype(np.float32)
    batch = np.asarray(net.predict(x), dtype=np.float32).reshape(len(x), -1)
    np.testing.assert_allclose(_predict_one(net, x), batch, rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(GXX is None, reason="no g++")
@pytest.mark.parametrize("flags", [["-O2"], ["-Ofast", "-march=native"]], ids=["O2", "Ofast-native"])
@pytest.mark.parametrize("case", list(CASES))
def test_standalone_class_equals_predict_one_bit_for_bit(generator, case, flags, tmp_path):  # noqa: F811
    net, _, _, _ = _network(case)
    x = np.random.default_rng(4).normal(size=(50, net.n_inputs)).astype(np.float32)
    got = _compile_and_run(_class_source(generator, net), net, x, tmp_path, GXX, flags)
    _assert_bit_for_bit(got, _predict_one(net, x))


def test_memory_report_and_cost_estimate_count_bnorm():
    net = HashedNetwork(6, "DENSE|6|TANH,BNORM,LINEAR")
    report = net.memory_report()
    assert [r.kind for r in report.layers] == ["DENSE", "BNORM", "DENSE"]
    row = report.layers[1]
    assert (row.n_in, row.n_out, row.real_params, row.bytes, row.compression) == (6, 6, 24, 96, 1.0)
    assert "bnorm" in str(report)
    without = HashedNetwork(6, "DENSE|6|TANH,LINEAR")
    cost, base = net.cost_estimate(), without.cost_estimate()
    assert cost["forward_multiply_adds"] == base["forward_multiply_adds"] + 6
    assert cost["real_bytes"] == base["real_bytes"] + 96


def test_tmva_workflow_books_and_reads_a_bnorm_layout(tmp_path, monkeypatch):
    """The compatible Factory with a MethodDL layout holding BNORM: it trains, the weight file keeps
    the layout, and the Reader answers as the TestTree."""
    import ROOT

    from tmva_hashednet import TMVA, datasets

    monkeypatch.chdir(tmp_path)
    data = ROOT.TFile.Open(str(datasets.tutorial_file("tmva_class_example.root")))
    output = ROOT.TFile.Open(str(tmp_path / "TMVA_BN.root"), "RECREATE")
    factory = TMVA.Factory("TMVA_BN", output, "!V:Silent:!Color:!DrawProgressBar:AnalysisType=Classification")
    loader = TMVA.DataLoader("dataset")
    for name in ("var1", "var2", "var3", "var4"):
        loader.AddVariable(name, "F")
    loader.AddSignalTree(data.Get("TreeS"), 1.0)
    loader.AddBackgroundTree(data.Get("TreeB"), 1.0)
    loader.PrepareTrainingAndTestTree(ROOT.TCut(""), ROOT.TCut(""),
                                      "nTrain_Signal=500:nTrain_Background=500:nTest_Signal=300:"
                                      "nTest_Background=300:SplitMode=Random:NormMode=NumEvents:!V")  # fmt: skip
    factory.BookMethod(loader, "HashedDNN", "HashedBN",
                       "!H:!V:Layout=BNORM,DENSE|16|TANH,BNORM|0.9|1e-3,DENSE|1|LINEAR:"
                       "TrainingStrategy=LearningRate=1e-2,BatchSize=50,ConvergenceSteps=5,MaxEpochs=6:RandomSeed=3")
    factory.TrainAllMethods()
    factory.TestAllMethods()
    factory.EvaluateAllMethods()
    assert factory.GetROCIntegral(loader, "HashedBN") > 0.8
    output.Close()
    data.Close()
    weights = (tmp_path / "dataset/weights/TMVA_BN_HashedBN.weights.xml").read_text()
    assert "HASHEDNET 3" in weights and "BNORM|0.9|1e-3" in weights and "BNORM 0.9 0.001 16" in weights
    from tmva_helpers import tree_columns

    handle = ROOT.TFile.Open(str(tmp_path / "TMVA_BN.root"))
    columns = tree_columns(handle.Get("dataset/TestTree"), ["var1", "var2", "var3", "var4", "HashedBN"])
    handle.Close()
    x = np.stack([columns[f"var{j}"] for j in range(1, 5)], axis=1).astype(np.float32)
    reader = TMVA.Reader("!Color:Silent")
    buffers = [array("f", [0.0]) for _ in range(4)]
    for j, buffer in enumerate(buffers):
        reader.AddVariable(f"var{j + 1}", buffer)
    reader.BookMVA("HashedBN", str(tmp_path / "dataset/weights/TMVA_BN_HashedBN.weights.xml"))
    for i in range(0, len(x), 41):
        for j, buffer in enumerate(buffers):
            buffer[0] = x[i, j]
        assert reader.EvaluateMVA("HashedBN") == pytest.approx(float(columns["HashedBN"][i]), rel=1e-6, abs=1e-7)
