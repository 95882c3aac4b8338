"""Model::predict_one (event_forward.h, the TMVA Reader path) against the float64
reference, against the batch path, across instruction sets and batch sizes, and
its documented summation order against a float32 re-implementation in numpy."""

from __future__ import annotations

import numpy as np
import pytest
from event_cases import CASES, events, make_network, predict_one
from reference import ReferenceNetwork

from tmva_hashednet import HashedNetwork


@pytest.fixture(scope="module")
def event_api(hn):
    import ROOT

    assert ROOT.gInterpreter.Declare('#include "hashednet/event_predict.h"')
    return hn


def _reference(net, x):
    """The float64 reference of the raw events x (the input transform applied in float32, as the core does)."""
    offset = np.array(net._model.network().input_offset(), dtype=np.float32)
    scale = np.array(net._model.network().input_scale(), dtype=np.float32)
    expected = ReferenceNetwork(net).predict((x - offset) * scale)
    return expected.reshape(len(x), -1)


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_predict_one_equals_the_float64_reference(case):
    net = make_network(case)
    x = events(net, 40)
    np.testing.assert_allclose(predict_one(net, x), _reference(net, x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_predict_one_equals_predict_to_float_rounding(case):
    """The two paths differ in summation order (sgemm's is the BLAS kernel's) and in the output transform
    (predict: libm's expf; predict_one: activation.h's approx::exp): a few float ulps of the outputs' scale."""
    net = make_network(case)
    x = events(net, 200)
    batch = net.predict(x).reshape(len(x), -1)
    np.testing.assert_allclose(predict_one(net, x), batch, rtol=2e-6, atol=1e-6 * np.abs(batch).max())


@pytest.fixture
def forced_isa(bench, isa):
    bench.set_kernel_isa(isa)
    yield isa
    bench.set_kernel_isa("auto")


@pytest.mark.parametrize("case", ["element-tanh-relu", "block-runs-wrap-around-k", "block-ragged-rows",
                                  "funhash-linear-u4", "funhash-mlp-two-tiles", "dense-wide-rows-and-tails",
                                  "block-b8-runs-wrap-around-k", "block-b24-ragged-rows", "linear-hidden-wide-rows",
                                  "multiclass-hashed-bias-and-output", "one-row-per-tile",
                                  "block-b8-rows-hashed-in-pieces"])  # fmt: skip
def test_predict_one_is_the_same_on_every_instruction_set(case, forced_isa, bench):
    net = make_network(case)  # made while forced_isa is in force: its rows come from that tile generator
    x = events(net, 50)
    got = predict_one(net, x)
    bench.set_kernel_isa("scalar")
    scalar = predict_one(make_network(case), x)
    np.testing.assert_array_equal(got.view(np.uint32), scalar.view(np.uint32))


@pytest.mark.parametrize("case", ["element-tanh-relu", "multiclass-hashed-bias-and-output", "block-ragged-rows",
                                  "funhash-mlp-two-tiles"])  # fmt: skip
def test_events_of_a_small_batch_equal_single_events_bit_for_bit(event_api, case):
    hn = event_api
    net = make_network(case)
    x = events(net, 33)
    single = predict_one(net, x)
    scratch = hn.EventScratch()
    for n in (1, 2, 5, 33):
        out = np.full((n, net.n_outputs), np.nan, dtype=np.float32)
        hn.predict_events(net._model.network(), x[:n], n, out, scratch)
        np.testing.assert_array_equal(out.view(np.uint32), single[:n].view(np.uint32))


def _documented_dot(v, a):
    """event_forward.h's order in float32: 16 partial sums s[j % 16], then folded by halves 8, 4, 2, 1."""
    s = np.zeros(16, dtype=np.float32)
    for j in range(len(v)):
        s[j % 16] = np.float32(s[j % 16] + np.float32(v[j] * a[j]))
    for h in (8, 4, 2, 1):
        s[:h] = s[:h] + s[h : 2 * h]
    return s[0]


@pytest.mark.parametrize("n_in", [1, 15, 16, 17, 40, 100])
def test_dot_product_follows_the_documented_order(n_in):
    """A dense LINEAR regression layer: predict_one = dot(w, x) + b exactly in the order of the file comment.
    The data are spread over many magnitudes, so that another order gives other bits (checked below)."""
    net = HashedNetwork(n_in, "LINEAR", task="regression", n_outputs=1, seed=1, num_threads=1)
    rng = np.random.default_rng(n_in)
    w = (rng.normal(size=n_in) * 10.0 ** rng.integers(-4, 4, n_in)).astype(np.float32)
    b = np.float32(0.3)
    net.params = np.concatenate([w, [b]]).astype(np.float32)
    x = (rng.normal(size=(20, n_in)) * 10.0 ** rng.integers(-4, 4, (20, n_in))).astype(np.float32)
    got = predict_one(net, x)[:, 0]
    expected = np.array([np.float32(_documented_dot(w, row) + b) for row in x], dtype=np.float32)
    np.testing.assert_array_equal(got.view(np.uint32), expected.view(np.uint32))
    if n_in >= 40:  # the order matters for these data: a plain left-to-right sum differs somewhere
        plain = np.array([np.float32(np.cumsum((w * row).astype(np.float32), dtype=np.float32)[-1] + b) for row in x])
        assert not np.array_equal(plain, expected)


def test_output_transform_is_the_core_sigmoid(hn, bench):
    """Two-class: approx::sigmoid of the logit (activation.h), bit for bit (a dense LINEAR net, one input)."""
    net = HashedNetwork(1, "LINEAR", task="classification", seed=1, num_threads=1)
    net.params = np.array([1.0, 0.0], dtype=np.float32)
    z = np.array([-30.0, -3.7, -0.2, 0.0, 0.61, 2.5, 17.0], dtype=np.float32)
    got = predict_one(net, z[:, None])[:, 0]
    sigmoid = np.array([bench.activate_scalar(hn.Activation.Sigmoid, float(v)) for v in z], dtype=np.float32)
    np.testing.assert_array_equal(got.view(np.uint32), sigmoid.view(np.uint32))


def test_predict_one_of_a_funhash_network_runs_the_event_path():
    """predict_one of a FUNHASH network is event_forward.h's (FUNHASH rows, fixed order), not the batch
    path's sgemm: it equals predict to float rounding, and the reference, for the default U=4 LINEAR g."""
    net = HashedNetwork(12, "TANH|40,TANH|24,LINEAR", compression="1/4", hash_mode="FUNHASH", seed=3, num_threads=1)
    assert (net.hash_mode, net.hash_functions, net.reconstruction) == ("FUNHASH", 4, "LINEAR")
    x = np.random.default_rng(4).normal(size=(20, 12)).astype(np.float32)
    batch = net.predict(x).reshape(len(x), -1)
    one = predict_one(net, x)
    np.testing.assert_allclose(one, batch, rtol=2e-6, atol=1e-6 * np.abs(batch).max())
    np.testing.assert_allclose(one, _reference(net, x), rtol=1e-5, atol=1e-6)


def test_funhash_rows_of_predict_one_are_virtual_weight_bit_for_bit():
    """predict_one's FUNHASH rows (the batch path's tile generator, funhash_generate_tile) equal funhash.h's
    virtual_weight, which event::ReferenceRows (the standalone class's row source) computes: materialize_weights
    (the scheme's virtual_weight) against predict_one of one-hot inputs through one LINEAR layer, bit for bit."""
    for u, g in ((4, "LINEAR"), (1, "IDENTITY"), (3, "MLP|4|TANH")):
        net = HashedNetwork(20, "LINEAR", task="regression", n_outputs=30, compression="1/4", hash_output_layer=True,
                            hash_mode="FUNHASH", hash_functions=u, reconstruction=g, seed=3, num_threads=1)  # fmt: skip
        net.set_input_transform(np.zeros(20, np.float32), np.ones(20, np.float32))
        n_weight = net.n_params - 30  # the bias is the last 30 parameters (dense)
        net.params = np.concatenate([net.params[:n_weight], np.zeros(30, np.float32)]).astype(np.float32)
        v = np.array(net._model.network().materialize_weights(0), dtype=np.float32).reshape(30, 20)
        got = predict_one(net, np.eye(20, dtype=np.float32))  # row j: column j of V (one product, then +0s)
        np.testing.assert_array_equal(got.T.view(np.uint32), v.view(np.uint32))
