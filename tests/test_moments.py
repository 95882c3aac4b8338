"""The one accumulation of input statistics (tmva_hashednet._moments) and
its users: streaming.input_moments, HashedNetwork.standardize_inputs (fit,
fit_stream) and VarTransform=N of the compatible workflow.

Mean and spread are checked against numpy in float64 (negative weights
included), ranges against numpy's min/max; weights that sum to zero give the
same ValueError through every door.
"""

from __future__ import annotations

import numpy as np
import pytest

from tmva_hashednet import HashedNetwork, TrainingConfig, streaming
from tmva_hashednet.tmva import compat_namespace
from tmva_hashednet.tmva.transform import NormalizeTransform

ZERO_SUM = r"the event weights of .+ sum to -?0\.0 over \d+ events; .*positive sum of weights"
CONFIG = TrainingConfig(max_epochs=1, batch_size=32, seed=1, num_threads=1)


def data(n: int = 3000, seed: int = 5):
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.normal(1e4, 0.5, n), rng.normal(-3, 20, n), rng.exponential(2, n)]).astype(np.float32)
    w = rng.uniform(-0.2, 1.5, n).astype(np.float32)  # negative weights, as TMVA allows
    y = (rng.uniform(size=n) < 0.5).astype(np.float32)
    return x, y, w


def _net(n_inputs: int = 3) -> HashedNetwork:
    return HashedNetwork(n_inputs, "TANH|8,LINEAR", seed=2, num_threads=1)


def _captured_transform(net: HashedNetwork, monkeypatch) -> list:
    calls = []
    monkeypatch.setattr(net, "set_input_transform", lambda offset, scale: calls.append((offset, scale)))
    return calls


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_standardize_inputs_is_input_moments_in_float64(monkeypatch, weighted):
    x, _, w = data()
    w = w if weighted else None
    net = _net()
    calls = _captured_transform(net, monkeypatch)
    net.standardize_inputs(x, w)
    (offset, scale), = calls
    mean, std = streaming.input_moments([(x, None, w)])
    np.testing.assert_array_equal(offset, mean)
    np.testing.assert_array_equal(scale, 1.0 / std)
    wide, w64 = x.astype(np.float64), None if w is None else w.astype(np.float64)
    reference = np.average(wide, axis=0, weights=w64)
    np.testing.assert_allclose(offset, reference, rtol=1e-13)
    np.testing.assert_allclose(1.0 / scale, np.sqrt(np.average((wide - reference) ** 2, axis=0, weights=w64)),
                               rtol=1e-10)  # fmt: skip


def test_a_column_without_spread_keeps_scale_one(monkeypatch):
    x = np.column_stack([np.full(50, 3.0), np.arange(50.0)]).astype(np.float32)
    net = _net(2)
    calls = _captured_transform(net, monkeypatch)
    net.standardize_inputs(x)
    offset, scale = calls[0]
    assert offset[0] == 3.0 and scale[0] == 1.0 and scale[1] == pytest.approx(1 / np.std(np.arange(50.0)))


def test_normalize_ranges_are_min_and_max_whatever_the_weights():
    x, y, w = data()
    class_id = y.astype(np.int32)
    inputs = [("Variable", f"v{i}", f"v{i}") for i in range(3)]
    transform = NormalizeTransform.fit(x, class_id, 2, inputs, w, ["Signal", "Background"])
    unweighted = NormalizeTransform.fit(x, class_id, 2, inputs)
    expected = [(x[class_id == c].min(axis=0), x[class_id == c].max(axis=0)) for c in (0, 1)]
    expected.append((x.min(axis=0), x.max(axis=0)))
    for got in (transform.ranges, unweighted.ranges):
        for (low, high), (want_low, want_high) in zip(got, expected):
            assert low.dtype == np.float32 and high.dtype == np.float32
            np.testing.assert_array_equal(low, want_low)
            np.testing.assert_array_equal(high, want_high)


# ---------------------------------------------------------------------- weights that sum to zero
def _zero_weights(kind: str, n: int) -> np.ndarray:
    return np.zeros(n, np.float32) if kind == "all-zero" else np.tile(np.float32([1.5, -1.5]), n // 2)


def _input_moments(x, y, w):
    streaming.input_moments([(x[:100], y[:100], w[:100]), (x[100:], y[100:], w[100:])])


def _standardize_inputs(x, y, w):
    _net().standardize_inputs(x, w)


def _fit(x, y, w):
    _net().fit(x, y, w, validation_data=(x, y), training=CONFIG, verbose=False)


def _fit_stream(x, y, w):
    _net().fit_stream([(x, y, w)], training=CONFIG, verbose=False)


def _normalize(x, y, w):
    NormalizeTransform.fit(x, y.astype(np.int32), 2, [("Variable", f"v{i}", f"v{i}") for i in range(3)], w,
                           ["Signal", "Background"])  # fmt: skip


DOORS = {"input_moments": _input_moments, "standardize_inputs": _standardize_inputs, "fit": _fit,
         "fit_stream": _fit_stream, "normalize": _normalize}  # fmt: skip


@pytest.mark.parametrize("kind", ["all-zero", "cancelling"])
@pytest.mark.parametrize("door", list(DOORS))
def test_weights_summing_to_zero_are_one_error_everywhere(door, kind):
    x, y, _ = data(400)
    y = np.tile(np.float32([1, 1, 0, 0]), 100)  # each class gets cancelling pairs too
    with pytest.raises(ValueError, match=ZERO_SUM):
        DOORS[door](x, y, _zero_weights(kind, len(x)))


@pytest.mark.parametrize("norm_mode", ["None", "NumEvents"])
def test_a_tmva_job_with_weights_summing_to_zero_is_the_same_error(tmp_path, monkeypatch, norm_mode):
    import ROOT

    from tmva_hashednet import datasets

    TMVA = compat_namespace()
    monkeypatch.chdir(tmp_path)
    handle = ROOT.TFile.Open(str(datasets.tutorial_file("tmva_class_example.root")))
    try:
        factory = TMVA.Factory("job", None, "Silent")
        loader = TMVA.DataLoader("dataset")
        for name in ("var1", "var2"):
            loader.AddVariable(name, "F")
        loader.AddSignalTree(handle.Get("TreeS"))
        loader.AddBackgroundTree(handle.Get("TreeB"))
        loader.SetWeightExpression("0*var1")
        loader.PrepareTrainingAndTestTree("", "", f"nTrain_Signal=200:nTrain_Background=200:NormMode={norm_mode}")
        with pytest.raises(ValueError, match=ZERO_SUM.replace(".+", "the training events of class 'Signal'")):
            factory.BookMethod(loader, "HashedDNN", "HashedDNN", "!H:!V:VarTransform=N:Layout=TANH|4,LINEAR:"
                                                                 "TrainingStrategy=MaxEpochs=1")  # fmt: skip
            factory.TrainAllMethods()
    finally:
        handle.Close()
