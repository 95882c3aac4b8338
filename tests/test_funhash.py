"""The FUNHASH kernels (funhash.h, cpp/src/funhash_tile.h) against their
references: hashes and signs against the xxhash package, V tiles and the
gradients of buckets and alpha against a float64 numpy layer
(reference.FunHashReference) and against finite differences, and U = 1 with
g the identity against today's HashedNets (ELEMENT) layer bit for bit.

Not here: FUNHASH as a layer of a network (options, training, files)."""

from __future__ import annotations

import numpy as np
import pytest
from reference import FunHashReference, funhash_reconstruct, funhash_reconstruct_backward, funhash_table

ACTIVATION_NAMES = {"TANH": "Tanh", "RELU": "Relu", "SIGMOID": "Sigmoid", "LINEAR": "Linear", "SOFTSIGN": "Softsign"}


@pytest.fixture(scope="module")
def fb(bench):
    """hashednet::bench with funhash_bench.h declared."""
    import ROOT

    assert ROOT.gInterpreter.Declare('#include "hashednet/funhash_bench.h"')
    return bench


def _nullptr():
    import ROOT

    return ROOT.nullptr


CASES = {
    # id: (n_in, n_out, K, seed, U, g, H, activation)
    "identity-u1": (37, 29, 101, 5, 1, "IDENTITY", 0, "TANH"),
    "linear-u1": (40, 33, 64, 6, 1, "LINEAR", 0, "TANH"),
    "linear-u4": (61, 47, 211, 0xFFFFFFFF, 4, "LINEAR", 0, "TANH"),
    "mlp-u2-h3-tanh": (50, 31, 97, 11, 2, "MLP", 3, "TANH"),
    "mlp-u4-h8-relu": (45, 38, 150, 12, 4, "MLP", 8, "RELU"),
    "mlp-u3-h1-sigmoid": (29, 23, 40, 13, 3, "MLP", 1, "SIGMOID"),
    "mlp-u16-h32-tanh": (21, 17, 300, 14, 16, "MLP", 32, "TANH"),
    "one-bucket-linear-u3": (12, 9, 1, 15, 3, "LINEAR", 0, "TANH"),
}

TILES = {
    # id: tile as fractions of the layer -> (row0, n_rows, col0, n_cols) by _tile
    "whole": (0.0, 1.0, 0.0, 1.0),
    "bottom-right-edge": (0.6, 0.4, 0.7, 0.3),
    "inner-ragged": (0.2, 0.3, 0.1, 0.55),
    "one-row": (0.5, "1", 0.0, 1.0),
}


def _tile(n_in, n_out, tile):
    r0, nr, c0, nc = tile
    row0, col0 = int(r0 * n_out), int(c0 * n_in)
    n_rows = 1 if nr == "1" else n_out - row0 if r0 + nr >= 1.0 else max(1, int(nr * n_out))
    n_cols = n_in - col0 if c0 + nc >= 1.0 else max(1, int(nc * n_in))
    return row0, n_rows, col0, n_cols


def _layer(fb, hn, case):
    n_in, n_out, k, seed, u, g, h, act = CASES[case]
    kind = {"IDENTITY": hn.Reconstruction.Identity, "LINEAR": hn.Reconstruction.Linear, "MLP": hn.Reconstruction.Mlp}
    layer = fb.make_funhash_layout(n_in, n_out, k, seed, u, kind[g], h, getattr(hn.Activation, ACTIVATION_NAMES[act]))
    reference = FunHashReference(n_in, n_out, k, seed, u, g, h, act)
    return layer, reference


def _params(layer, seed=0, alpha_scale=0.7):
    """Buckets ~ N(0, 0.5^2) and a random alpha (not the initial one: every path of g is used)."""
    rng = np.random.default_rng(seed)
    w = rng.normal(scale=0.5, size=int(layer.n_buckets))
    alpha = rng.normal(scale=alpha_scale, size=int(layer.n_alpha()))
    return np.concatenate([w, alpha]).astype(np.float32)


def _generate(fb, layer, params, row0, n_rows, col0, n_cols, isa="scalar", with_slots=True):
    v = np.full((n_rows, n_cols), np.nan, dtype=np.float32)
    slots = np.zeros((int(layer.n_hashes), n_rows, n_cols), dtype=np.uint32) if with_slots else None
    fb.funhash_generate_tile(layer, params, row0, n_rows, col0, n_cols, v,
                             slots if with_slots else _nullptr(), isa)  # fmt: skip
    return v, slots


def _backward(fb, layer, params, row0, n_rows, col0, n_cols, dv, slots=None, isa="scalar", grad=None):
    grad = np.zeros(params.size, dtype=np.float32) if grad is None else grad
    fb.funhash_tile_backward(layer, params, row0, n_rows, col0, n_cols, np.ascontiguousarray(dv, dtype=np.float32),
                             _nullptr() if slots is None else slots, grad, isa)  # fmt: skip
    return grad


def _tolerance(expected):
    return dict(rtol=2e-5, atol=2e-6 * max(1.0, float(np.abs(expected).max())))


@pytest.mark.parametrize("case", ["linear-u4", "mlp-u16-h32-tanh"])
def test_slots_are_the_u_hashes_of_the_xxhash_package(fb, hn, isa, case):
    layer, _ = _layer(fb, hn, case)
    n_in, n_out, k = int(layer.n_in), int(layer.n_out), int(layer.n_buckets)
    _, slots = _generate(fb, layer, _params(layer), 0, n_out, 0, n_in, isa)
    bucket, sign = funhash_table(n_in, n_out, int(layer.weight_seed), k, int(layer.n_hashes))
    np.testing.assert_array_equal((slots & 0x7FFFFFFF).reshape(bucket.shape), bucket)
    np.testing.assert_array_equal((slots >> 31).reshape(sign.shape), (sign < 0).astype(np.uint32))


@pytest.mark.parametrize("tile", TILES)
@pytest.mark.parametrize("case", CASES)
def test_tile_values_equal_float64_reference(fb, hn, case, tile):
    layer, reference = _layer(fb, hn, case)
    params = _params(layer)
    row0, n_rows, col0, n_cols = _tile(int(layer.n_in), int(layer.n_out), TILES[tile])
    v, _ = _generate(fb, layer, params, row0, n_rows, col0, n_cols)
    expected = reference.virtual_matrix(params)[row0 : row0 + n_rows, col0 : col0 + n_cols]
    np.testing.assert_allclose(v, expected, **_tolerance(expected))
    # the per-element function (what a GPU kernel calls) gives the tile's bits
    for r, c in [(0, 0), (n_rows - 1, n_cols - 1), (n_rows // 2, n_cols // 3)]:
        one = np.float32(fb.funhash_virtual_weight(layer, params, row0 + r, col0 + c))
        assert one.view(np.uint32) == v[r, c].view(np.uint32)


@pytest.mark.parametrize("tile", TILES)
@pytest.mark.parametrize("case", CASES)
def test_tile_gradient_equals_float64_reference(fb, hn, case, tile):
    layer, reference = _layer(fb, hn, case)
    params = _params(layer, seed=1)
    row0, n_rows, col0, n_cols = _tile(int(layer.n_in), int(layer.n_out), TILES[tile])
    dv = np.random.default_rng(2).normal(size=(n_rows, n_cols))
    _, slots = _generate(fb, layer, params, row0, n_rows, col0, n_cols)
    grad = _backward(fb, layer, params, row0, n_rows, col0, n_cols, dv, slots)
    full_dv = np.zeros((int(layer.n_out), int(layer.n_in)))
    full_dv[row0 : row0 + n_rows, col0 : col0 + n_cols] = dv.astype(np.float32)
    expected = reference.gradient(params, full_dv)
    np.testing.assert_allclose(grad, expected, rtol=1e-4, atol=1e-5 * max(1.0, float(np.abs(expected).max())))


@pytest.mark.parametrize("case", CASES)
def test_reference_gradient_equals_finite_differences(fb, hn, case):
    """The float64 reference's analytic backward (which the kernel is compared with) against its own forward."""
    layer, reference = _layer(fb, hn, case)
    params = _params(layer, seed=3).astype(np.float64)
    dv = np.random.default_rng(4).normal(size=(int(layer.n_out), int(layer.n_in)))
    grad = reference.gradient(params, dv)
    eps = 1e-6
    for p in _probe_indices(layer):
        step = np.zeros_like(params)
        step[p] = eps
        numeric = (np.sum(dv * reference.virtual_matrix(params + step)) -
                   np.sum(dv * reference.virtual_matrix(params - step))) / (2 * eps)  # fmt: skip
        assert numeric == pytest.approx(grad[p], rel=1e-6, abs=1e-6), p


@pytest.mark.parametrize("case", [case for case in CASES if CASES[case][-1] != "RELU"])
def test_kernel_gradient_equals_finite_differences_of_kernel_values(fb, hn, case):
    """The backward kernel against central differences of the forward kernel itself (float32: loose).
    Not RELU: a float32-sized step of an MLP weight moves many of the tile's pre-activations across the
    kink; its kernel gradient is checked against the float64 reference, and that against differences of
    eps = 1e-6 in float64, above."""
    layer, _ = _layer(fb, hn, case)
    params = _params(layer, seed=5)
    n_in, n_out = int(layer.n_in), int(layer.n_out)
    dv = np.random.default_rng(6).normal(size=(n_out, n_in)).astype(np.float32)
    grad = _backward(fb, layer, params, 0, n_out, 0, n_in, dv)

    def loss(p):
        return float(np.sum(dv.astype(np.float64) * _generate(fb, layer, p, 0, n_out, 0, n_in)[0]))

    eps = 1e-2
    for p in _probe_indices(layer):
        plus, minus = params.copy(), params.copy()
        plus[p] += eps
        minus[p] -= eps
        numeric = (loss(plus) - loss(minus)) / (np.float64(plus[p]) - np.float64(minus[p]))
        assert numeric == pytest.approx(grad[p], rel=2e-2, abs=2e-2), p


def _probe_indices(layer):
    """A few buckets and every alpha parameter."""
    k = int(layer.n_buckets)
    return sorted({0, k // 3, k - 1} | set(range(k, k + int(layer.n_alpha()))))


def test_identity_u1_is_todays_hashednets_tile_bit_for_bit(fb, hn, isa):
    """U = 1, g = identity: V equals the ELEMENT tile generator's, slots too, on tiles that cross the edges."""
    rng = np.random.default_rng(7)
    for _ in range(20):
        n_in, n_out = int(rng.integers(1, 600)), int(rng.integers(1, 40))
        k, seed = int(rng.integers(1, n_in * n_out + 1)), int(rng.integers(0, 2**32))
        element = fb.make_layout(n_in, n_out, max(1, min(k, n_in * n_out - 1)), seed)
        if not element.hashed:  # a 1 x 1 layer cannot be hashed
            continue
        funhash = fb.make_funhash_layout(n_in, n_out, int(element.n_buckets), seed, 1, hn.Reconstruction.Identity)
        w = rng.normal(size=int(element.n_buckets)).astype(np.float32)
        row0, col0 = int(rng.integers(0, n_out)), int(rng.integers(0, n_in))
        n_rows, n_cols = n_out - row0, n_in - col0  # to the last row and column
        v_element = np.full((n_rows, n_cols), np.nan, dtype=np.float32)
        s_element = np.zeros((n_rows, n_cols), dtype=np.uint32)
        fb.generate_tile(element, w, row0, n_rows, col0, n_cols, v_element, s_element, isa)
        v, slots = _generate(fb, funhash, w, row0, n_rows, col0, n_cols, isa)
        np.testing.assert_array_equal(v.view(np.uint32), v_element.view(np.uint32))
        np.testing.assert_array_equal(slots[0], s_element)


def test_identity_u1_bucket_gradient_is_todays_hashednets_bit_for_bit(fb, hn):
    """The HashedNets layer's backward (bench.layer_pass "fused", one tile, batch 1 so dV = dy x is exact)
    and the FUNHASH tile backward add the same values in the same order."""
    n_in, n_out, k, seed = 120, 100, 1500, 99
    element = fb.make_layout(n_in, n_out, k, seed)
    funhash = fb.make_funhash_layout(n_in, n_out, k, seed, 1, hn.Reconstruction.Identity)
    rng = np.random.default_rng(8)
    params = rng.normal(size=k + n_out).astype(np.float32)
    x = rng.normal(size=(1, n_in)).astype(np.float32)
    dy = rng.normal(size=(1, n_out)).astype(np.float32)
    y = np.zeros((1, n_out), dtype=np.float32)
    dx = np.zeros((1, n_in), dtype=np.float32)
    grad_element = np.full(params.size, np.nan, dtype=np.float32)
    fb.layer_pass(element, params, x, dy, 1, y, dx, grad_element, "fused", 1)
    dv = np.outer(dy[0], x[0]).astype(np.float32)  # float32 products, exact as sgemm's with k = 1
    grad = _backward(fb, funhash, params[:k].copy(), 0, n_out, 0, n_in, dv)
    np.testing.assert_array_equal(grad.view(np.uint32), grad_element[:k].view(np.uint32))


@pytest.mark.parametrize("case", ["linear-u4", "mlp-u4-h8-relu"])
def test_every_isa_and_kept_or_rehashed_slots_give_the_same_bits(fb, hn, isa, case):
    layer, _ = _layer(fb, hn, case)
    params = _params(layer, seed=9)
    row0, n_rows, col0, n_cols = _tile(int(layer.n_in), int(layer.n_out), TILES["inner-ragged"])
    dv = np.random.default_rng(10).normal(size=(n_rows, n_cols))
    v_scalar, slots_scalar = _generate(fb, layer, params, row0, n_rows, col0, n_cols, "scalar")
    v, slots = _generate(fb, layer, params, row0, n_rows, col0, n_cols, isa)
    v_alone, _ = _generate(fb, layer, params, row0, n_rows, col0, n_cols, isa, with_slots=False)
    np.testing.assert_array_equal(slots, slots_scalar)
    np.testing.assert_array_equal(v.view(np.uint32), v_scalar.view(np.uint32))
    np.testing.assert_array_equal(v_alone.view(np.uint32), v_scalar.view(np.uint32))
    kept = _backward(fb, layer, params, row0, n_rows, col0, n_cols, dv, slots, isa)
    rehashed = _backward(fb, layer, params, row0, n_rows, col0, n_cols, dv, None, isa)
    np.testing.assert_array_equal(kept.view(np.uint32), rehashed.view(np.uint32))


def test_backward_adds_into_the_gradient_and_tiles_sum_to_the_layer(fb, hn):
    """Four tiles (a 2 x 2 cut at a ragged place) added one after another give the whole layer's gradient."""
    layer, reference = _layer(fb, hn, "mlp-u2-h3-tanh")
    params = _params(layer, seed=11)
    n_in, n_out = int(layer.n_in), int(layer.n_out)
    dv = np.random.default_rng(12).normal(size=(n_out, n_in)).astype(np.float32)
    start = np.random.default_rng(13).normal(size=params.size).astype(np.float32)
    grad = start.copy()
    for row0, n_rows in [(0, 13), (13, n_out - 13)]:
        for col0, n_cols in [(0, 7), (7, n_in - 7)]:
            tile_dv = dv[row0 : row0 + n_rows, col0 : col0 + n_cols]
            _backward(fb, layer, params, row0, n_rows, col0, n_cols, tile_dv, grad=grad)
    expected = start + reference.gradient(params, dv)
    np.testing.assert_allclose(grad, expected, rtol=1e-4, atol=1e-5 * max(1.0, float(np.abs(expected).max())))


@pytest.mark.parametrize("case", ["linear-u4", "mlp-u3-h1-sigmoid", "mlp-u16-h32-tanh"])
def test_per_element_reconstruct_backward_equals_reference(fb, hn, case):
    layer, reference = _layer(fb, hn, case)
    alpha = _params(layer, seed=14)[int(layer.n_buckets) :]
    u = int(layer.n_hashes)
    rng = np.random.default_rng(15)
    for _ in range(5):
        z = rng.normal(size=u).astype(np.float32)
        dv = np.float32(rng.normal())
        dz = np.full(u, np.nan, dtype=np.float32)
        dalpha = np.zeros(alpha.size, dtype=np.float32)
        fb.funhash_reconstruct_backward(layer, alpha, z, float(dv), dz, dalpha)
        args = (reference.kind, alpha, z[:, None])
        expected_dz, expected_dalpha = funhash_reconstruct_backward(*args, [float(dv)], reference.hidden,
                                                                    reference.activation)  # fmt: skip
        np.testing.assert_allclose(dz, expected_dz[:, 0], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(dalpha, expected_dalpha, rtol=1e-5, atol=1e-6)
        assert np.isfinite(funhash_reconstruct(*args, reference.hidden, reference.activation)).all()


def test_initial_reconstruction(fb, hn):
    """LINEAR starts at a_u = 1/sqrt(U) (U = 1: HashedNets); MLP starts with V about as spread as the
    buckets, its hidden units used beyond their linear range, the same for the same seed."""
    linear = fb.make_funhash_layout(300, 200, 5000, 1, 4, hn.Reconstruction.Linear)
    alpha = np.zeros(4, dtype=np.float32)
    hn.initialize_reconstruction(linear, 0.05, 7, alpha)
    np.testing.assert_array_equal(alpha, np.full(4, 0.5, dtype=np.float32))

    mlp = fb.make_funhash_layout(300, 200, 5000, 1, 4, hn.Reconstruction.Mlp, 8, hn.Activation.Tanh)
    params = np.zeros(5000 + int(mlp.n_alpha()), dtype=np.float32)
    params[:5000] = np.random.default_rng(16).normal(scale=0.05, size=5000)
    hn.initialize_reconstruction(mlp, 0.05, 7, params[5000:])
    again = np.zeros(int(mlp.n_alpha()), dtype=np.float32)
    hn.initialize_reconstruction(mlp, 0.05, 7, again)
    np.testing.assert_array_equal(again, params[5000:])
    v, _ = _generate(fb, mlp, params, 0, 200, 0, 300)
    assert 0.6 * 0.05 < v.std() < 1.5 * 0.05
    alpha = params[5000:]
    pre = alpha[:32].reshape(8, 4) @ (0.05 * np.ones(4))
    assert np.abs(pre).max() > 0.3  # pre-activations of unit scale, not of the buckets' 0.05
    np.testing.assert_array_equal(alpha[32:40], 0.0)  # b
    assert alpha[-1] == 0.0  # d


@pytest.mark.parametrize(
    "args, message",
    [
        ((10, 10, 50, 1, 0, "Linear", 0), r"hash count U must be in \[1, 16\], got 0"),
        ((10, 10, 50, 1, 17, "Mlp", 4), r"hash count U must be in \[1, 16\], got 17"),
        ((10, 10, 50, 1, 2, "Identity", 0), "IDENTITY takes exactly one hash"),
        ((10, 10, 50, 1, 2, "Mlp", 0), r"hidden units in \[1, 32\], got 0"),
        ((10, 10, 50, 1, 2, "Mlp", 33), r"hidden units in \[1, 32\], got 33"),
        ((10, 10, 50, 1, 2, "Linear", 3), "LINEAR has no hidden units"),
        ((10, 10, 0, 1, 1, "Identity", 0), r"bucket count must be in \[1, 2\^31\), got 0"),
        ((0, 10, 5, 1, 1, "Identity", 0), "shape must be positive"),
    ],
)
def test_bad_layouts_are_clear_errors(fb, hn, args, message):
    from tmva_hashednet._errors import translate_errors

    n_in, n_out, k, seed, u, g, h = args
    with pytest.raises(ValueError, match=message), translate_errors():
        fb.make_funhash_layout(n_in, n_out, k, seed, u, getattr(hn.Reconstruction, g), h)


def test_tile_outside_the_layer_is_a_clear_error(fb, hn):
    from tmva_hashednet._errors import translate_errors

    layer, _ = _layer(fb, hn, "linear-u4")
    params = _params(layer)
    with pytest.raises(ValueError, match="outside the 47 x 61 layer"), translate_errors():
        _generate(fb, layer, params, 40, 8, 0, 10)
