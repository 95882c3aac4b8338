"""The CUDA backend's per-element functions (elementwise.h), run on the host,
against the CPU backend's kernels: what each thread of the dropout,
transform and output kernels computes is the CPU's value.

What this proves: the kernels' element arithmetic equals the CPU backend's
for these inputs (the loss and the optimizers share these functions with the
host code, so the golden and backend tests cover them on the host). What it
does not: the kernels' loops, launch configurations, streams and
synchronisation, or the device's own rounding (tests/test_gpu.py on a GPU)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def elementwise(hn):
    import ROOT

    assert ROOT.gInterpreter.Declare('#include "hashednet/elementwise.h"')
    return hn.elementwise


@pytest.mark.parametrize("p", [0.0, 0.05, 0.5, 0.999])
@pytest.mark.parametrize("seed, first", [(1, 0), (2**64 - 1, 12345), (0x9E3779B97F4A7C15, 7)])
def test_dropout_factor_is_the_cpu_mask(elementwise, bench, isa, p, seed, first):
    n = 4099  # the vector kernels' tails too
    x = np.random.default_rng(seed % 97).normal(size=n).astype(np.float32)
    y, keep = np.empty_like(x), np.empty_like(x)
    bench.dropout(x, y, keep, n, p, seed, first, isa)
    mask = elementwise.dropout_mask(p)
    device = np.array([elementwise.dropout_factor(seed, first + e, mask) for e in range(n)], dtype=np.float32)
    np.testing.assert_array_equal(device.view(np.uint32), keep.view(np.uint32))
    np.testing.assert_array_equal((x * device).view(np.uint32), y.view(np.uint32))


def test_transform_and_responses_match_the_cpu_network(elementwise):
    """The transform and output kernels' element functions against a CPU network's predict."""
    import tmva_hashednet as t

    rng = np.random.default_rng(2)
    net = t.HashedNetwork(4, "LINEAR|3", task="multiclass", n_outputs=3, seed=1)
    offset, scale = rng.normal(size=4).astype(np.float32), rng.uniform(0.5, 2, 4).astype(np.float32)
    net.set_input_transform(offset, scale)
    x = rng.normal(size=(50, 4)).astype(np.float32)
    transformed = np.array([[elementwise.transform_input(float(v), float(o), float(s))
                             for v, o, s in zip(row, offset, scale)] for row in x], dtype=np.float32)  # fmt: skip
    np.testing.assert_array_equal(transformed, (x - offset) * scale)
    weights, bias = net.virtual_weights(0), net.virtual_bias(0)
    logits = (transformed.astype(np.float64) @ weights.T.astype(np.float64) + bias).astype(np.float32)
    import ROOT

    rows = []
    for row in logits:
        buffer = ROOT.std.vector["float"](row.tolist())
        elementwise.softmax_row(buffer.data(), 3)
        rows.append(list(buffer))
    np.testing.assert_allclose(np.array(rows), net.predict(x), rtol=1e-5, atol=1e-6)
    sigmoid = np.array([elementwise.sigmoid_response(float(z)) for z in logits[:, 0]])
    np.testing.assert_allclose(sigmoid, 1 / (1 + np.exp(-logits[:, 0].astype(np.float64))), rtol=1e-6)


@pytest.mark.parametrize("step", [1, 2, 100])
def test_adam_constants_are_the_bias_corrected_step(elementwise, step):
    s = elementwise.adam_step(0.01, 1e-4, step)
    c1, c2 = 1 - 0.9**step, 1 - 0.999**step
    assert s.step_size == pytest.approx(0.01 * np.sqrt(c2) / c1, rel=1e-7)
    assert s.eps == pytest.approx(1e-7 * np.sqrt(c2), rel=1e-7)
    assert (s.b1, s.b2, s.wd) == (np.float32(0.9), np.float32(0.999), np.float32(1e-4))
