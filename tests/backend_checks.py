"""Checks shared by the tests of whole networks on the core's backends (test_backends.py,
test_conv.py, test_bnorm.py, test_layers.py): the same network moved onto a backend, its
input transform as the core applies it, its compiled gradient against central differences
of its own loss, and the reference and CPU backends against each other."""

from __future__ import annotations

import numpy as np
import pytest

from tmva_hashednet import HashedNetwork
from tmva_hashednet._core import core


def on_backend(net, backend: str, threads: int = 1):
    """The same network (bit for bit) on backend "reference" or "cpu" with `threads` threads."""
    architecture = {"reference": core().Architecture.Reference, "cpu": core().Architecture.Cpu}[backend]
    return HashedNetwork._wrap(core().Model.from_text(net.to_text(), threads, architecture))


def transformed_inputs(net, x):
    """The network's input transform in float32, as the core applies it."""
    offset = np.array([float(v) for v in net._model.network().input_offset()], dtype=np.float32)
    scale = np.array([float(v) for v in net._model.network().input_scale()], dtype=np.float32)
    return (x.astype(np.float32) - offset) * scale


def assert_gradient_matches_central_differences(net, x, y, w, parameters, loss=None, rel=2e-2, abs=2e-4):
    """net.gradient's dL/dp[k] against (L(p + eps) - L(p - eps)) / (2 eps), eps = 1e-2 (a coarse
    step: the loss is float32), for k in `parameters`; loss(net) defaults to net.loss(x, y, w).
    The parameters are restored."""
    loss = loss or (lambda n: n.loss(x, y, w))
    _, grad = net.gradient(x, y, w)
    params = net.params
    eps = 1e-2
    try:
        for k in parameters:
            up, down = params.copy(), params.copy()
            up[k] += eps
            down[k] -= eps
            net.params = up
            l_up = loss(net)
            net.params = down
            l_down = loss(net)
            assert grad[k] == pytest.approx((l_up - l_down) / (2 * eps), rel=rel, abs=abs), f"parameter {k}"
    finally:
        net.params = params


def assert_reference_and_cpu_backends_agree(net, x, y, w):
    """predict, loss and gradient of the float64 reference backend and the CPU backend on 2 threads."""
    reference, cpu = on_backend(net, "reference"), on_backend(net, "cpu", threads=2)
    np.testing.assert_allclose(cpu.predict(x), reference.predict(x), rtol=2e-5, atol=1e-6)
    (loss_r, grad_r), (loss_c, grad_c) = reference.gradient(x, y, w), cpu.gradient(x, y, w)
    assert loss_c == pytest.approx(loss_r, rel=2e-6)
    np.testing.assert_allclose(grad_c, grad_r, rtol=2e-5, atol=2e-6 * np.abs(grad_r).max())
