"""Hashed layers against a dense float64 reference built from the xxhash
package, and gradients against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from backend_checks import assert_gradient_matches_central_differences
from reference import ACTIVATIONS, ReferenceNetwork, random_events

from tmva_hashednet import HashedNetwork

CASES = {
    # id: (n_inputs, layout, task, n_outputs, compression, hashed_bias, batch)
    "small-tanh-1/4": (5, "TANH|7,TANH|6,LINEAR", "classification", 1, 1 / 4, False, 9),
    "hashed-bias-relu": (6, "RELU|9,LINEAR", "regression", 2, 1 / 3, True, 7),
    "multiclass-sigmoid": (4, "SIGMOID|8,SOFTSIGN|8,LINEAR", "multiclass", 3, 1 / 2, False, 11),
    # 300 x 270 crosses the 256 x 256 tiles; at batch 32 a pass is 2.6M multiply-adds, above the CPU backend's
    # parallel threshold (kParallelWork = 2^21), so it runs on THREADS[case] threads
    "crosses-tiles-threads": (300, "TANH|270,LINEAR", "classification", 1, 1 / 8, False, 32),
    "dense": (5, "TANH|7,GAUSS|6,LINEAR", "regression", 1, 1.0, False, 4),
    "hashed-output": (8, "SYMMRELU|12,LINEAR|3", "multiclass", 3, 1 / 4, True, 6),
}
THREADS = {"crosses-tiles-threads": 2}  # the other cases run below the parallel threshold
PARALLEL_WORK = 1 << 21  # kParallelWork in cpp/src/cpu_backend.cpp


def make(case, seed=3, **kw):
    n_inputs, layout, task, n_outputs, compression, hashed_bias, batch = CASES[case]
    kw.setdefault("num_threads", THREADS.get(case, 0))
    net = HashedNetwork(n_inputs, layout, task=task, n_outputs=n_outputs, compression=compression,
                        hashed_bias=hashed_bias, hash_output_layer=(case == "hashed-output"), seed=seed, **kw)  # fmt: skip
    rng = np.random.default_rng(seed)
    # non-zero biases so that their gradients and hashing are exercised too
    net.params = net.params + rng.normal(0, 0.1, net.n_params).astype(np.float32)
    x, y, w = random_events(rng, batch, n_inputs, task, n_outputs)
    return net, x, y, w


@pytest.mark.parametrize("case", CASES)
def test_forward_equals_dense_reference(case):
    net, x, _, _ = make(case)
    expected = ReferenceNetwork(net).predict(x)
    np.testing.assert_allclose(net.predict(x), expected, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("case", CASES)
def test_gradient_equals_dense_reference(case):
    net, x, y, w = make(case)
    loss, grad = net.gradient(x, y, w)
    ref_loss, ref_grad = ReferenceNetwork(net).loss_and_gradient(x, y, w)
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-4, atol=1e-6 * np.abs(ref_grad).max())


def test_crosses_tiles_threads_runs_on_two_threads():
    """The case's passes are above the parallel threshold, and its 2-thread gradient really comes from two threads:
    each thread sums its columns' bucket gradients before they are added, so the bits differ from one thread's
    (both equal the float64 reference, checked above and here)."""
    batch = CASES["crosses-tiles-threads"][-1]
    one, x, y, w = make("crosses-tiles-threads", num_threads=1)
    two = make("crosses-tiles-threads")[0]
    first = one.layer_info(0)
    assert batch * first["n_in"] * first["n_out"] >= PARALLEL_WORK
    grad_one, grad_two = one.gradient(x, y, w)[1], two.gradient(x, y, w)[1]
    assert not np.array_equal(grad_one, grad_two), "the 2-thread gradient equals the 1-thread one bit for bit"
    np.testing.assert_allclose(grad_two, grad_one, rtol=1e-4, atol=1e-6 * np.abs(grad_one).max())


@pytest.mark.parametrize("case", ["small-tanh-1/4", "hashed-bias-relu", "multiclass-sigmoid", "hashed-output"])
def test_gradient_matches_finite_differences(case):
    net, x, y, w = make(case)
    x64 = x.astype(np.float64)
    _, grad = net.gradient(x, y, w)
    reference = ReferenceNetwork(net)
    params = net.params.astype(np.float64)
    eps = 1e-5
    rng = np.random.default_rng(0)
    picks = rng.choice(net.n_params, size=min(40, net.n_params), replace=False)
    for k in picks:
        # finite differences of the float64 loss of the same parameters: the
        # only approximation left is the finite step itself
        losses = []
        for step in (eps, -eps):
            shifted = params.copy()
            shifted[k] += step
            reference_k = _reference_with_params(net, reference, shifted)
            losses.append(reference_k.loss_and_gradient(x64, y, w)[0])
        numeric = (losses[0] - losses[1]) / (2 * eps)
        assert grad[k] == pytest.approx(numeric, rel=2e-3, abs=2e-5), f"parameter {k}"


def _reference_with_params(net, reference, params):
    """The reference network with its V and b rebuilt from a float64 buffer."""
    for layer in reference.layers:
        info = layer["info"]
        off, k = info["offset"], info["n_buckets"]
        w = params[off : off + k]
        layer["V"] = (layer["sign"] * w[layer["bucket"]]).reshape(info["n_out"], info["n_in"])
        wb = params[off + k : off + k + info["n_bias_buckets"]]
        layer["b"] = layer["b_sign"] * wb[layer["b_bucket"]]
    return reference


def test_finite_differences_of_the_compiled_loss():
    """The compiled loss itself, not only the reference, has the compiled gradient."""
    net, x, y, w = make("small-tanh-1/4")
    assert_gradient_matches_central_differences(net, x, y, w, range(net.n_params))


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_each_activation_matches_reference(activation):
    net = HashedNetwork(3, f"{activation}|5,LINEAR", task="regression", compression=1 / 2, seed=9)
    x = np.random.default_rng(2).normal(size=(8, 3)).astype(np.float32)
    np.testing.assert_allclose(net.predict(x), ReferenceNetwork(net).predict(x), rtol=2e-5, atol=2e-6)


def test_compression_one_is_a_plain_dense_layer():
    net = HashedNetwork(6, "TANH|5,LINEAR", compression=1.0, seed=4)
    info = net.layer_info(0)
    assert not info["hashed"] and info["n_buckets"] == 30
    # V is the parameter block itself, row-major, with no sign flips or permutation
    np.testing.assert_array_equal(net.virtual_weights(0), net.params[:30].reshape(5, 6))


def test_hashed_network_equals_dense_network_holding_its_virtual_weights():
    """Fused (hash inside the product) against materialised (plain dense GEMM)."""
    hashed, x, _, _ = make("crosses-tiles-threads")
    dense = HashedNetwork(300, "TANH|270,LINEAR", compression=1.0)
    dense.params = np.concatenate(
        [hashed.virtual_weights(0).ravel(), hashed.virtual_bias(0), hashed.virtual_weights(1).ravel(), hashed.virtual_bias(1)]
    )
    np.testing.assert_allclose(hashed.predict(x), dense.predict(x), rtol=1e-6, atol=1e-7)


def test_memory_holds_only_buckets():
    net = HashedNetwork(1000, "RELU|1000,LINEAR|10", task="multiclass", n_outputs=10, compression=1 / 64)
    report = net.memory_report()
    assert net.n_params == report.real_params == round(1000 * 1000 / 64) + 1000 + 10 * 1000 + 10
    assert report.bytes == 4 * net.n_params
    assert report.layers[0].hashed and not report.layers[1].hashed
    assert report.virtual_weights == 1000 * 1000 + 1000 + 10 * 1000 + 10
