"""Per-thread evaluators of one shared network (evaluator.h, tmva_hashednet.evaluator):
bit for bit predict_one's responses in any number of Python threads, snapshots
that do not follow later changes, and TMVA weight files loaded by
HashedNetwork.load for batch evaluation that agree with the Reader."""

from __future__ import annotations

from array import array

import numpy as np
import pytest
from event_cases import CASES, events, make_network, predict_one
from thread_helpers import in_threads
from tmva_helpers import macro

from tmva_hashednet import HashedNetwork
from tmva_hashednet.tmva import compat_namespace

VARS = ["var1", "var2", "var3", "var4"]
WEIGHTS = "dataset/weights/TMVAClassification_HashedDNN.weights.xml"
REGRESSION_WEIGHTS = "dataset/weights/TMVARegression_HashedDNN.weights.xml"
TMVA = compat_namespace()  # the compatible workflow's Reader (evaluate_batch), whatever ROOT has


def _bits(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_evaluator_equals_predict_one_bit_for_bit(case):
    net = make_network(case)
    x = events(net, 60)
    got = net.evaluator()(x).reshape(len(x), -1)
    assert np.array_equal(_bits(got), _bits(predict_one(net, x)))
    np.testing.assert_allclose(got, net.predict(x).reshape(len(x), -1), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", ["element-tanh-relu", "block-ragged-rows", "funhash-mlp-two-tiles"])
def test_threads_give_one_threads_bits(case):
    net = make_network(case)
    x = events(net, 400)
    evaluator = net.evaluator()
    one = evaluator(x)
    for n_threads in (2, 4):
        copies = [evaluator.copy() for _ in range(n_threads)]
        # each thread walks the events in its own order, one event at a time
        results = in_threads(lambda t: [copies[t].one(x[e]) for e in np.roll(np.arange(len(x)), 37 * t)], n_threads)
        for t, rows in enumerate(results):
            order = np.roll(np.arange(len(x)), 37 * t)
            got = np.empty_like(one.reshape(len(x), -1))
            got[order] = np.array(rows)
            assert np.array_equal(_bits(got), _bits(one.reshape(len(x), -1))), f"thread {t} of {n_threads}"


def test_snapshot_does_not_follow_later_changes():
    net = make_network("element-tanh-relu")
    x = events(net, 20)
    evaluator = net.evaluator()
    before = evaluator(x)
    net.params = net.params * np.float32(0.5)
    assert np.array_equal(_bits(evaluator(x)), _bits(before))
    assert np.array_equal(_bits(net.evaluator()(x)), _bits(predict_one(net, x)[:, 0]))
    assert not np.array_equal(before, net.evaluator()(x))


def test_evaluator_refuses_bad_events():
    evaluator = make_network("element-tanh-relu").evaluator()
    with pytest.raises(ValueError, match="one event has 7 values, got 6"):
        evaluator.one(np.zeros(6))
    with pytest.raises(ValueError, match="x has 3 columns per event, expected 7"):
        evaluator(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="values must be finite"):
        evaluator.one([0, 1, 2, np.nan, 4, 5, 6])


# ---------------------------------------------------------------------- TMVA weight files


@pytest.fixture(scope="module")
def class_weights(tmp_path_factory):
    folder = tmp_path_factory.mktemp("evaluator-class")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        macro("tmva_classification", compat=True).run("class", "TMVA.root", 2, 400, learning_rate=1e-2)
    return folder / WEIGHTS


def _test_inputs(n=500):
    rng = np.random.default_rng(4)
    return rng.normal(scale=1.5, size=(n, len(VARS))).astype(np.float32)


def test_load_weight_file_predicts_as_the_reader(class_weights):
    """A compat-Factory weight file (VarTransform=N) loaded for numpy: the batch path equals the Reader's batch
    path exactly, its event path within float rounding; the evaluator equals the Reader's event path exactly."""
    net = HashedNetwork.load(class_weights)
    x = _test_inputs()
    reader = TMVA.Reader("!Color:Silent")
    for name in VARS:
        reader.AddVariable(name, array("f", [0.0]))
    reader.BookMVA("HashedDNN", str(class_weights))
    per_event = np.array([reader.EvaluateMVA(list(map(float, row)), "HashedDNN") for row in x], dtype=np.float32)
    batch = net.predict(x)
    assert np.array_equal(_bits(batch), _bits(reader.evaluate_batch("HashedDNN", x)))
    np.testing.assert_allclose(batch, per_event, rtol=1e-6, atol=1e-7)
    assert np.array_equal(_bits(net.evaluator()(x)), _bits(per_event))


def test_load_weight_file_applies_its_transform_as_predict_one_sees_it(class_weights):
    """The evaluator's transform (C++) equals numpy's float32 Normalize bit for bit: predict_one of the
    transformed inputs is the evaluator's response of the raw inputs."""
    from tmva_hashednet.tmva.weights_xml import read_weight_file

    net = HashedNetwork.load(class_weights)
    transform = read_weight_file(class_weights).transform
    assert transform is not None  # the macro trains with VarTransform=N
    x = _test_inputs(100)
    transformed = transform.apply(x, slice(0, len(VARS)))
    assert np.array_equal(_bits(net.evaluator()(x)), _bits(predict_one(net, transformed)[:, 0]))
    assert not np.array_equal(net.evaluator()(x), predict_one(net, x)[:, 0])  # the transform matters


def test_one_reader_in_threads_gives_one_threads_numbers(class_weights):
    reader = TMVA.Reader("!Color:Silent")
    for name in VARS:
        reader.AddVariable(name)
    reader.BookMVA("HashedDNN", str(class_weights))
    x = _test_inputs(300)
    one = [reader.EvaluateMVA(list(map(float, row)), "HashedDNN") for row in x]
    results = in_threads(lambda t: [reader.EvaluateMVA(list(map(float, row)), "HashedDNN") for row in x], 4)
    for t, got in enumerate(results):
        assert got == one, f"thread {t}"


@pytest.mark.slow
def test_load_regression_weight_file_inverts_the_targets(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    macro("tmva_regression", compat=True).run("TMVAReg.root", epochs=1, n_train=300)
    net = HashedNetwork.load(REGRESSION_WEIGHTS)
    reader = TMVA.Reader("Silent")
    reader.AddVariable("var1")
    reader.AddVariable("var2")
    reader.BookMVA("HashedDNN", REGRESSION_WEIGHTS)
    x = np.random.default_rng(2).uniform(0, 5, size=(50, 2)).astype(np.float32)
    per_event = np.array([reader.EvaluateRegression(list(map(float, row)), "HashedDNN")[0] for row in x], np.float32)
    assert np.array_equal(_bits(net.evaluator()(x)), _bits(per_event))
    assert np.array_equal(_bits(net.predict(x)), _bits(reader.evaluate_batch("HashedDNN", x)[:, 0]))
    # The batch path (sgemm, FMA) and the event path (event_forward.h's order) differ by float rounding of the
    # normalised output, which the inverse target transform then scales by the target range (here ~300):
    # atol in target units (on an AVX-512 Xeon one event of 50 differed by 2.2e-5 at 0.95, outputs up to 312).
    np.testing.assert_allclose(net.predict(x), per_event, rtol=1e-5, atol=1e-6 * np.abs(per_event).max())
    assert np.abs(net.predict(x)).max() > 2.0  # targets in fvalue's units, not the normalised [-1, 1]


def test_load_refuses_another_methods_weight_file(tmp_path):
    path = tmp_path / "TMVAClassification_BDT.weights.xml"
    path.write_text('<?xml version="1.0"?>\n<MethodSetup Method="BDT::BDT"><GeneralInfo/></MethodSetup>\n')
    with pytest.raises(ValueError, match="is for a TMVA method of type 'BDT'"):
        HashedNetwork.load(path)
