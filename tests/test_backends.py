"""Every layer kind and weight scheme on every backend (the ``backend``
fixture: reference, cpu): forward, dx and dparams against the float64 numpy
reference (tests/reference.py, V built with the xxhash package) and finite
differences of the compiled loss, and the two backends against each other.

Tolerances: float32 results against float64 references to rtol 1e-4 (a sum
of up to a few hundred float32 products); reference against cpu to rtol 2e-5
(both round once per multiply-add or better)."""

from __future__ import annotations

import numpy as np
import pytest
from backend_checks import (
    assert_gradient_matches_central_differences,
    assert_reference_and_cpu_backends_agree,
    on_backend,
    transformed_inputs,
)
from reference import ReferenceNetwork, block_table, hash_table, random_events

from tmva_hashednet import HashedNetwork

# Weight schemes of the fully connected layer (the one layer kind):
# id -> (compression, hash_mode, hash_block, hash_functions, reconstruction).
SCHEMES = {
    "dense": (1.0, "ELEMENT", 16, 4, "LINEAR"),
    "element": (1 / 4, "ELEMENT", 16, 4, "LINEAR"),
    "block4-wraps": (1 / 3, "BLOCK", 4, 4, "LINEAR"),
    "block16-ragged": (1 / 8, "BLOCK", 16, 4, "LINEAR"),
    "funhash-linear-u4": (1 / 4, "FUNHASH", 16, 4, "LINEAR"),
    "funhash-identity-u1": (1 / 4, "FUNHASH", 16, 1, "IDENTITY"),
    # g's 5 parameters fit the smallest hashed layer (11 x 1 at 1/2: 6 real parameters)
    "funhash-mlp-u2-h1": (1 / 2, "FUNHASH", 16, 2, "MLP|1|SIGMOID"),
    "funhash-mlp-u3-h2": (1 / 2, "FUNHASH", 16, 3, "MLP|2|TANH"),
    "fresh-3x2": (1 / 4, "FRESH", 16, 4, "LINEAR"),
    "fresh-3x3-e0": (1 / 3, "FRESH", 16, 4, "LINEAR"),
    "fresh-1x2-e3": (1 / 2, "FRESH", 16, 4, "LINEAR"),
}
# FRESH's own keywords (its slices must divide every hashed layer's inputs: the FRESH_* networks below).
FRESH_KEYWORDS = {"fresh-3x2": dict(fresh_slice="3x2"), "fresh-3x3-e0": dict(fresh_slice="3x3", fresh_band_exponent=0),
                  "fresh-1x2-e3": dict(fresh_slice="1x2", fresh_band_exponent=3.0)}  # fmt: skip
# Networks: id -> (n_inputs, layout, task, n_outputs, hashed_bias, hash_output_layer, batch)
NETWORKS = {
    "classification": (37, "TANH|29,RELU|11,LINEAR", "classification", 1, False, False, 9),
    "multiclass-hashed-bias": (21, "SIGMOID|19,LINEAR", "multiclass", 3, True, True, 7),
    "regression": (18, "SOFTSIGN|23,GAUSS|9,LINEAR", "regression", 2, False, True, 5),
}
# For finite differences: smooth activations only (a ReLU kink inside the step breaks the difference quotient).
SMOOTH = {"smooth": (37, "TANH|29,SIGMOID|11,LINEAR", "classification", 1, True, True, 9),
          "smooth-dense-output": (37, "TANH|29,SIGMOID|11,LINEAR", "classification", 1, True, False, 9)}
# FRESH networks: every layer's inputs a multiple of 18 (slices 3x2, 3x3 and 1x2 divide them).
FRESH_NETWORKS = {
    "fresh-classification": (36, "TANH|18,RELU|36,LINEAR", "classification", 1, False, True, 9),
    "fresh-multiclass-hashed-bias": (36, "SIGMOID|18,LINEAR", "multiclass", 3, True, True, 7),
    "fresh-regression": (18, "SOFTSIGN|36,LINEAR", "regression", 2, False, False, 5),
}
FRESH_SMOOTH = {"fresh-smooth": (36, "TANH|18,SIGMOID|36,LINEAR", "classification", 1, True, True, 9)}


# Above the CPU backend's parallel threshold (600 x 300 x 16 multiply-adds): threads share the backward pass.
PARALLEL = {"parallel": (600, "TANH|300,LINEAR", "classification", 1, False, False, 16)}
FRESH_PARALLEL = {"fresh-parallel": (630, "TANH|306,LINEAR", "classification", 1, False, False, 16)}
# Schemes whose g does not fit the smallest hashed layer of a case: id -> cases left out.
TOO_SMALL = {"funhash-linear-u4": {"smooth"}, "funhash-mlp-u3-h2": {"regression", "smooth"}}


def _cases(cases):
    """Each scheme on each case that fits it (FRESH schemes on the FRESH cases only, the others on the rest)."""
    return [pytest.param(scheme, case, id=f"{scheme}-{case}") for scheme in SCHEMES for case in cases
            if case not in TOO_SMALL.get(scheme, ()) and (scheme in FRESH_KEYWORDS) == case.startswith("fresh")]  # fmt: skip


def _network(scheme, case, seed=5):
    compression, mode, block, hash_functions, reconstruction = SCHEMES[scheme]
    n_inputs, layout, task, n_outputs, hashed_bias, hash_output, batch = {
        **NETWORKS, **SMOOTH, **PARALLEL, **FRESH_NETWORKS, **FRESH_SMOOTH, **FRESH_PARALLEL}[case]
    net = HashedNetwork(n_inputs, layout, task=task, n_outputs=n_outputs, compression=compression,
                        hashed_bias=hashed_bias, hash_output_layer=hash_output, hash_mode=mode, hash_block=block,
                        hash_functions=hash_functions, reconstruction=reconstruction, seed=seed,
                        num_threads=1, **FRESH_KEYWORDS.get(scheme, {}))  # fmt: skip
    rng = np.random.default_rng(seed)
    net.params = net.params + rng.normal(0, 0.1, net.n_params).astype(np.float32)  # non-zero biases
    net.set_input_transform(rng.normal(0, 0.3, n_inputs), rng.uniform(0.5, 2.0, n_inputs))
    x, y, w = random_events(rng, batch, n_inputs, task, n_outputs)
    return net, x, y, w


@pytest.mark.parametrize(("scheme", "case"), _cases({**NETWORKS, **FRESH_NETWORKS}))
def test_network_forward_and_gradient_equal_float64_reference(backend, scheme, case):
    net, x, y, w = _network(scheme, case)
    net = on_backend(net, backend)
    reference = ReferenceNetwork(net)
    xt = transformed_inputs(net, x)
    np.testing.assert_allclose(net.predict(x), reference.predict(xt), rtol=1e-4, atol=1e-6)
    loss, grad = net.gradient(x, y, w)
    ref_loss, ref_grad = reference.loss_and_gradient(xt, y, w)
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-4, atol=1e-5 * np.abs(ref_grad).max())


def _checked_parameters(net, n=30):
    """30 random parameters, and every parameter of g in FUNHASH layers."""
    picked = set(np.random.default_rng(1).choice(net.n_params, size=n, replace=False).tolist())
    for l in range(net.n_layers):
        info = net.layer_info(l)
        start = info["offset"] + info["n_buckets"]
        picked.update(range(start, start + info["n_reconstruction_params"]))
    return sorted(picked)


@pytest.mark.parametrize(("scheme", "case"), _cases({**SMOOTH, **FRESH_SMOOTH}))
def test_gradient_equals_finite_differences_of_the_compiled_loss(backend, scheme, case):
    """Central differences of the backend's own loss (float32, so a coarse step) on 30 parameters
    (and all of g's)."""
    net, x, y, w = _network(scheme, case)
    net = on_backend(net, backend)
    assert_gradient_matches_central_differences(net, x, y, w, _checked_parameters(net))


@pytest.mark.parametrize(("scheme", "case"), _cases({**NETWORKS, **PARALLEL, **FRESH_NETWORKS, **FRESH_PARALLEL}))
def test_reference_and_cpu_backends_agree(scheme, case):
    net, x, y, w = _network(scheme, case)
    assert_reference_and_cpu_backends_agree(net, x, y, w)


# One layer alone (bench.layer_pass): y = x V^T + b, dx = dy V, dparams; id -> (n_in, n_out, compression, block, batch)
LAYERS = {
    "dense": (70, 50, 1.0, 0, 6),
    "element": (70, 50, 1 / 8, 0, 6),
    "block4-wraps": (70, 50, 1 / 3, 4, 6),
    "block16-ragged": (70, 50, 1 / 8, 16, 6),
    "element-parallel": (600, 300, 1 / 8, 0, 16),  # 2.9M multiply-adds: above the CPU's parallel threshold
    "block16-parallel": (600, 300, 1 / 8, 16, 16),
}


def _layer_reference(layer, block, params, x, dy):
    """(y, dx, dparams) in float64, V from the xxhash package."""
    n_in, n_out, k = int(layer.n_in), int(layer.n_out), int(layer.n_buckets)
    if not layer.hashed:
        bucket, sign = np.arange(n_in * n_out), np.ones(n_in * n_out)
    elif block:
        bucket, sign = block_table(n_in, n_out, int(layer.weight_seed), k, block)
    else:
        bucket, sign = hash_table(n_in * n_out, int(layer.weight_seed), k)
    w, b = params[:k].astype(np.float64), params[k:].astype(np.float64)
    v = (sign * w[bucket]).reshape(n_out, n_in)
    x, dy = x.astype(np.float64), dy.astype(np.float64)
    grad_w = np.bincount(bucket, weights=sign * (dy.T @ x).ravel(), minlength=k)
    return x @ v.T + b, dy @ v, np.concatenate([grad_w, dy.sum(axis=0)])


def _layer_pass(bench, case, method, threads=2):
    n_in, n_out, compression, block, batch = LAYERS[case]
    layer = bench.make_layout(n_in, n_out, max(1, round(compression * n_in * n_out)), 4321, block)
    rng = np.random.default_rng(7)
    params = rng.normal(size=int(layer.n_buckets) + n_out).astype(np.float32)
    x = rng.normal(size=(batch, n_in)).astype(np.float32)
    dy = rng.normal(size=(batch, n_out)).astype(np.float32)
    y = np.zeros((batch, n_out), dtype=np.float32)
    dx = np.zeros((batch, n_in), dtype=np.float32)
    grad = np.full(params.size, np.nan, dtype=np.float32)
    bench.layer_pass(layer, params, x, dy, batch, y, dx, grad, method, threads)
    return (y, dx, grad), _layer_reference(layer, block, params, x, dy)


@pytest.mark.parametrize("case", LAYERS)
def test_layer_forward_dx_and_dparams_equal_float64_reference(bench, backend, case):
    got, expected = _layer_pass(bench, case, {"reference": "reference", "cpu": "fused"}[backend])
    for name, a, b in zip(("y", "dx", "dparams"), got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * max(1.0, np.abs(b).max()), err_msg=name)


@pytest.mark.parametrize("case", LAYERS)
def test_layer_reference_and_cpu_backends_agree(bench, case):
    (cpu, _), (reference, _) = _layer_pass(bench, case, "fused"), _layer_pass(bench, case, "reference")
    for name, a, b in zip(("y", "dx", "dparams"), cpu, reference):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6 * max(1.0, np.abs(b).max()), err_msg=name)


def test_reference_backend_trains_like_the_cpu_backend():
    """Optimizer, loss, dropout mask and batch gather are shared or defined alike: one short training
    with dropout on each backend ends at nearly the same parameters."""
    from tmva_hashednet import TrainingConfig

    net, _, _, _ = _network("element", "classification")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 37)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.float32)
    config = TrainingConfig(max_epochs=2, batch_size=32, dropout=[0.2, 0.1], seed=4)
    trained = {}
    for backend in ("reference", "cpu"):
        copy = on_backend(net, backend)
        copy.fit(x, y, validation_fraction=0.0, training=config, standardize=False, verbose=False)
        trained[backend] = copy.params
    np.testing.assert_allclose(trained["cpu"], trained["reference"], rtol=1e-3, atol=1e-5)
    assert not np.array_equal(trained["cpu"], net.params)


def test_gpu_architecture_is_a_clear_error(hn):
    import ROOT

    from tmva_hashednet._errors import translate_errors

    assert ROOT.gInterpreter.Declare('#include "hashednet/device.h"')
    net, _, _, _ = _network("dense", "classification")
    if not str(hn.gpu_unavailable_reason()):
        pytest.skip("a usable GPU is here: Architecture=GPU is no error (tests/test_gpu.py)")
    # "this build has no CUDA backend" in a CPU build; the driver or device reason in a CUDA build (test_device_errors.py)
    with pytest.raises(ValueError, match="^Architecture=GPU: .*; allowed here: CPU$"), translate_errors():
        hn.Model.from_text(net.to_text(), 1, hn.Architecture.Gpu)
    with pytest.raises(ValueError, match="allowed: CPU, STANDARD"), translate_errors():
        hn.architecture_from_string("TPU")


def test_optimizer_names_come_from_the_core(hn):
    from tmva_hashednet import TrainingConfig

    assert [str(n) for n in hn.optimizer_names()] == ["SGD", "ADAM"]
    with pytest.raises(ValueError, match="supported values: SGD, ADAM"):
        TrainingConfig(optimizer="RMSPROP")
    with pytest.raises(ValueError, match="Allowed values: SGD, ADAM"):
        TrainingConfig(optimizer="NESTEROV")
    TrainingConfig(optimizer="sgd")  # option values are case-insensitive, as in the option string
