"""Convolutional networks (CONV, MAXPOOL, RESHAPE; MethodDL's Layout syntax) on
every backend: forward, dx and dparams against the float64 numpy reference
(tests/reference.py: a direct convolution on a padded numpy image, V from the
xxhash package), finite differences of the compiled loss, reference against
CPU, dense and hashed (ELEMENT, BLOCK) filters, odd shapes (stride 2, padding,
non-square kernels, a batch spread over several im2col tiles).

Tolerances as tests/test_backends.py: float32 against float64 to rtol 1e-4,
reference against CPU to 2e-5."""

from __future__ import annotations

import numpy as np
import pytest
from backend_checks import (
    assert_gradient_matches_central_differences,
    assert_reference_and_cpu_backends_agree,
    on_backend,
    transformed_inputs,
)
from reference import ReferenceNetwork, random_events

from tmva_hashednet import HashedNetwork
from tmva_hashednet._core import core

# Filter schemes: id -> (compression, hash_mode, hash_block)
SCHEMES = {"dense": (1.0, "ELEMENT", 16), "element": (1 / 3, "ELEMENT", 16), "block4": (1 / 2, "BLOCK", 4),
           "funhash": (1 / 2, "FUNHASH", 16),  # FUNHASH: U = 4, g LINEAR (the defaults)
           "fresh": (1 / 2, "FRESH", 16)}  # FreshNets: DCT coefficients of each fh x fw slice hashed by band
# CNNs: id -> (input_layout, layout, task, n_outputs, hashed_bias, batch)
CNNS = {
    "conv-pool-dense": ("2|7|6", "CONV|3|3|3|1|1|1|1|TANH,MAXPOOL|2|2|2|2,RESHAPE|FLAT,DENSE|5|TANH,DENSE|1|LINEAR",
                        "classification", 1, False, 5),
    "stride2-pad-nonsquare": ("3|9|8", "CONV|4|3|2|2|2|1|0|RELU,CONV|2|2|3|1|2|0|1|SIGMOID,RESHAPE|FLAT,"
                              "TANH|6,LINEAR", "multiclass", 3, True, 4),
    "pool-overlap-reshape": ("1|8|8", "CONV|2|5|5|1|1|2|2|SOFTSIGN,MAXPOOL|3|3|2|2,RESHAPE|2|3|3,"
                             "CONV|3|2|2|1|1|0|0|GAUSS,RESHAPE|FLAT,LINEAR", "regression", 2, False, 6),
}
# Finite differences: smooth activations, no pooling (a kink or a changed maximum inside the step breaks them).
SMOOTH = {"smooth": ("2|6|5", "CONV|3|3|2|2|1|1|1|TANH,CONV|2|2|2|1|1|0|0|SIGMOID,RESHAPE|FLAT,SIGMOID|4,LINEAR",
                     "classification", 1, True, 6)}
# A batch spread over several im2col tiles (Conv2D::kColumnFloats = 2^17: 14 events of 16 x 16 x 4 per tile).
TILED = {"tiled": ("4|16|16", "CONV|3|3|3|1|1|1|1|TANH,RESHAPE|FLAT,LINEAR", "classification", 1, False, 250)}


def _network(scheme, case, seed=3):
    compression, mode, block = SCHEMES[scheme]
    input_layout, layout, task, n_outputs, hashed_bias, batch = {**CNNS, **SMOOTH, **TILED}[case]
    n_inputs = int(np.prod([int(v) for v in input_layout.split("|")]))
    net = HashedNetwork(n_inputs, layout, input_layout=input_layout, task=task, n_outputs=n_outputs,
                        compression=compression, hashed_bias=hashed_bias, hash_mode=mode, hash_block=block,
                        seed=seed, num_threads=1)  # fmt: skip
    rng = np.random.default_rng(seed)
    net.params = net.params + rng.normal(0, 0.1, net.n_params).astype(np.float32)  # non-zero biases
    net.set_input_transform(rng.normal(0, 0.3, n_inputs), rng.uniform(0.5, 2.0, n_inputs))
    x, y, w = random_events(rng, batch, n_inputs, task, n_outputs)
    return net, x, y, w


def _cases(cases):
    return [pytest.param(scheme, case, id=f"{scheme}-{case}") for scheme in SCHEMES for case in cases]


@pytest.mark.parametrize(("scheme", "case"), _cases({**CNNS, **TILED}))
def test_cnn_forward_and_gradient_equal_float64_reference(backend, scheme, case):
    """Forward (every layer kind) and dL/dparams (through dx of every layer above the first) against numpy."""
    net, x, y, w = _network(scheme, case)
    net = on_backend(net, backend)
    reference = ReferenceNetwork(net)
    xt = transformed_inputs(net, x)
    np.testing.assert_allclose(net.predict(x), reference.predict(xt), rtol=1e-4, atol=1e-6)
    loss, grad = net.gradient(x, y, w)
    ref_loss, ref_grad = reference.loss_and_gradient(xt, y, w)
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-4, atol=1e-5 * np.abs(ref_grad).max())


@pytest.mark.parametrize(("scheme", "case"), _cases(SMOOTH))
def test_cnn_gradient_equals_finite_differences(backend, scheme, case):
    net, x, y, w = _network(scheme, case)
    net = on_backend(net, backend)
    parameters = np.random.default_rng(1).choice(net.n_params, size=30, replace=False)
    assert_gradient_matches_central_differences(net, x, y, w, parameters)


@pytest.mark.parametrize(("scheme", "case"), _cases({**CNNS, **TILED}))
def test_cnn_reference_and_cpu_backends_agree(scheme, case):
    net, x, y, w = _network(scheme, case)
    assert_reference_and_cpu_backends_agree(net, x, y, w)


def test_tiled_batch_equals_the_same_events_one_tile_at_a_time():
    """The gradient of a batch spread over im2col tiles is the sum of its tiles' (weighted by their share)."""
    net, x, y, w = _network("element", "tiled")
    loss, grad = net.gradient(x, y, w)
    parts = [(0, 14), (14, 126), (126, 250)]
    total = w.sum()
    summed = sum(net.gradient(x[a:b], y[a:b], w[a:b])[1] * (w[a:b].sum() / total) for a, b in parts)
    np.testing.assert_allclose(grad, summed, rtol=1e-4, atol=1e-6 * np.abs(grad).max())


def test_conv_filter_matrix_is_the_weight_scheme_of_its_layer():
    """A CONV layer's V (filters x depth*fh*fw) is made by the layer's scheme with the per-layer seed,
    exactly as a dense layer of the same shape: compression, buckets and seeds follow the hash definition."""
    net = HashedNetwork(2 * 6 * 5, "CONV|4|3|2|1|1|0|0|TANH,RESHAPE|FLAT,TANH|7|1/2,LINEAR", input_layout=(2, 6, 5),
                        compression=1 / 4, hash_seed=77)  # fmt: skip
    info = net.layer_info(0)
    assert info["kind"] == "CONV" and (info["n_out"], info["n_in"]) == (4, 2 * 3 * 2)
    assert info["n_buckets"] == round(4 * 12 / 4) and info["scheme"] == "ELEMENT"
    assert info["weight_seed"] == core().weight_seed(77, 0)
    assert net.layer_info(2)["weight_seed"] == core().weight_seed(77, 2)
    assert net.virtual_weights(0).shape == (4, 12)
    report = net.memory_report()
    assert [r.kind for r in report.layers] == ["CONV", "RESHAPE", "DENSE", "DENSE"]
    assert report.layers[0].virtual_weights == 4 * 12 + 4 and report.layers[1].compression == 1.0


def test_tiny_cnn_learns_a_synthetic_image_task():
    """Vertical against horizontal bars in noise (8 x 8): the training loss falls well below chance."""
    from tmva_hashednet import TrainingConfig

    rng = np.random.default_rng(0)
    n = 400
    y = rng.integers(0, 2, n).astype(np.float32)
    images = rng.normal(0, 0.5, (n, 8, 8)).astype(np.float32)
    at = rng.integers(1, 7, n)
    for e in range(n):
        if y[e]:
            images[e, :, at[e]] += 1.5
        else:
            images[e, at[e], :] += 1.5
    x = images.reshape(n, 64)
    net = HashedNetwork(64, "CONV|4|3|3|1|1|1|1|RELU,MAXPOOL|2|2|2|2,RESHAPE|FLAT,DENSE|8|TANH,DENSE|1|LINEAR",
                        input_layout="1|8|8", compression=1 / 2, seed=1, num_threads=1)  # fmt: skip
    before = net.loss(x, y)
    history = net.fit(x, y, training=TrainingConfig(learning_rate=1e-2, batch_size=32, max_epochs=15,
                                                    convergence_steps=15), verbose=False)  # fmt: skip
    after = net.loss(x, y)
    assert before > 0.6 and after < 0.3, (before, after, history)
    assert np.mean((net.predict(x) > 0.5) == (y > 0.5)) > 0.9


@pytest.mark.parametrize("filters", [1024, 1025], ids=["whole-V-at-the-limit", "tiled-V-above-it"])
@pytest.mark.parametrize("mode", ["ELEMENT", "FRESH"])
def test_filter_matrix_made_whole_or_tiled_equals_the_reference_backend(filters, mode):
    """A hashed V of at most Conv2D::kMaxWholeFilters = 2^20 values is made whole once per batch
    (1024 filters x 64*4*4 = 2^20), a larger one (1025 filters) keeps the tiled path: both against the
    reference backend (V from the scheme's host reference, sums in double), forward and gradient."""
    net = HashedNetwork(64 * 4 * 4, f"CONV|{filters}|4|4|1|1|0|0|TANH,RESHAPE|FLAT,LINEAR", input_layout=(64, 4, 4),
                        compression=1 / 64, hash_mode=mode, hashed_bias=True, seed=5, num_threads=1)  # fmt: skip
    rng = np.random.default_rng(5)
    net.params = net.params + rng.normal(0, 0.05, net.n_params).astype(np.float32)
    x, y, w = random_events(rng, 3, 64 * 4 * 4, "classification", 1)
    assert_reference_and_cpu_backends_agree(net, x, y, w)


# Tiles and gradient groups of a conv layer's batch (Conv2D::tile_events, Conv2D::gradient_groups), for the
# thread tests: id -> (input_layout, filters, mode, batch, tiles, groups). "one-event-tiles": the benchmark's
# shape on 24 x 24 (576 x 144 patch values per event, over 2^17 / 2: one event per tile), one group per tile;
# "grouped": 64 filters of 256 x 3 x 3 (147,520 values with the bias, 3 events per tile) at batch 60: 20 tiles
# whose gradients exceed Conv2D::kGroupGradientFloats = 2^21 floats, summed in 14 groups of 1 or 2 tiles.
THREADED = {"one-event-tiles-dense": ((16, 24, 24), 32, "ELEMENT", 1.0, 24, 24, 24),
            "grouped-dense": ((256, 4, 4), 64, "ELEMENT", 1.0, 60, 20, 14),
            "grouped-fresh": ((256, 4, 4), 64, "FRESH", 1 / 8, 60, 20, 14)}  # fmt: skip


def _threaded_network(case):
    (depth, height, width), filters, mode, compression, batch, _, _ = THREADED[case]
    n_inputs = depth * height * width
    net = HashedNetwork(n_inputs, f"CONV|{filters}|3|3|1|1|1|1|TANH,RESHAPE|FLAT,LINEAR",
                        input_layout=(depth, height, width), compression=compression, hash_mode=mode, seed=4,
                        num_threads=1)  # fmt: skip
    rng = np.random.default_rng(4)
    net.params = net.params + rng.normal(0, 0.05, net.n_params).astype(np.float32)
    x, y, w = random_events(rng, batch, n_inputs, "classification", 1)
    return net, x, y, w


@pytest.mark.parametrize("case", THREADED)
def test_conv_tiles_and_gradient_groups_are_the_ones_the_thread_tests_need(case):
    """The cases below exercise what they say: one-event tiles, and a gradient summed in fewer groups than tiles."""
    (depth, height, width), filters, _, _, batch, tiles, groups = THREADED[case]
    per_event = height * width * depth * 9
    tile = max(1, core().Conv2D.kColumnFloats // per_event)
    assert -(-batch // tile) == tiles
    assert core().Conv2D.gradient_groups(tiles, filters * (depth * 9 + 1)) == groups


@pytest.mark.parametrize("case", THREADED)
def test_conv_gives_the_same_bits_on_one_and_two_threads(case):
    """The tiles of a batch run side by side on the backend's threads, each wholly on one thread with the kernels
    of one thread, and dL/dparams is summed by groups fixed by the layer and the batch: the thread count does
    not change a bit, whether a group holds one tile or several."""
    net, x, y, w = _threaded_network(case)
    one, two = on_backend(net, "cpu", threads=1), on_backend(net, "cpu", threads=2)
    np.testing.assert_array_equal(one.predict(x), two.predict(x))
    (loss_1, grad_1), (loss_2, grad_2) = one.gradient(x, y, w), two.gradient(x, y, w)
    assert loss_1 == loss_2
    np.testing.assert_array_equal(grad_1, grad_2)


@pytest.mark.parametrize("case", ["grouped-dense", "grouped-fresh"])
def test_conv_gradient_summed_in_groups_equals_float64_reference(case):
    """Groups of several tiles (each summed in tile order, then the groups in group order) give the float64
    numpy reference's gradient (tests/reference.py, which knows nothing of tiles) to float rounding."""
    net, x, y, w = _threaded_network(case)
    cpu = on_backend(net, "cpu", threads=2)
    reference = ReferenceNetwork(cpu)
    xt = transformed_inputs(cpu, x)
    np.testing.assert_allclose(cpu.predict(x), reference.predict(xt), rtol=1e-4, atol=1e-6)
    loss, grad = cpu.gradient(x, y, w)
    ref_loss, ref_grad = reference.loss_and_gradient(xt, y, w)
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-4, atol=1e-5 * np.abs(ref_grad).max())


def test_memory_report_names_each_conv_layers_scheme():
    """The report's kind column says which scheme made a CONV layer's filters (c-dense, c-element, c-fresh ...)."""
    for mode, kind in [("ELEMENT", "c-element"), ("BLOCK", "c-block"), ("FUNHASH", "c-funhash"), ("FRESH", "c-fresh")]:
        net = HashedNetwork(2 * 6 * 6, "CONV|4|3|3|1|1|1|1|TANH,RESHAPE|FLAT,LINEAR", input_layout=(2, 6, 6),
                            compression=1 / 2, hash_mode=mode, hash_block=3)  # fmt: skip
        rows = str(net.memory_report()).splitlines()
        assert rows[1].split()[2] == kind and rows[2].split()[2] == "reshape", rows
    dense = HashedNetwork(2 * 6 * 6, "CONV|4|3|3|1|1|1|1|TANH,RESHAPE|FLAT,LINEAR", input_layout=(2, 6, 6))
    assert str(dense.memory_report()).splitlines()[1].split()[2] == "c-dense"


@pytest.mark.parametrize("mode", ["ELEMENT", "FRESH"])
def test_cpu_results_are_bit_identical_for_one_and_two_threads(mode):
    """im2col, col2im and max pooling run over the events on the backend's threads, each event written by
    one thread in a fixed order; the whole-V products and their gradients are summed in an order that
    does not depend on the thread count either: 1 and 2 threads give the same bits (8 x 28 x 28 images:
    the image loops do take two threads)."""
    net = HashedNetwork(4 * 28 * 28, "CONV|8|3|3|1|1|1|1|TANH,CONV|16|3|3|1|1|1|1|RELU,MAXPOOL|2|2|2|2,RESHAPE|FLAT,"
                        "LINEAR", input_layout=(4, 28, 28), compression=1 / 2, hash_mode=mode, seed=2)  # fmt: skip
    x, y, w = random_events(np.random.default_rng(2), 40, 4 * 28 * 28, "classification", 1)
    one, two = on_backend(net, "cpu", threads=1), on_backend(net, "cpu", threads=2)
    np.testing.assert_array_equal(one.predict(x), two.predict(x))
    (loss_1, grad_1), (loss_2, grad_2) = one.gradient(x, y, w), two.gradient(x, y, w)
    assert loss_1 == loss_2
    np.testing.assert_array_equal(grad_1, grad_2)
