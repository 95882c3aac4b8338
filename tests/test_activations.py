"""The activation functions: the vectorised array kernels of every
instruction set against activation.h's scalar functions (bit for bit), and
those, which approximate exp and tanh, against float64 numpy."""

from __future__ import annotations

import numpy as np
import pytest

ACTIVATIONS = ["Tanh", "Relu", "SymmRelu", "Sigmoid", "Softsign", "Gauss", "Linear"]
SPECIAL = [0.0, -0.0, 1e-30, -1e-30, 1e-8, 0.3, 0.625, -0.625, 0.62499997, 1.0, 9.5, -9.5, 9.6, 20.0, 87.0, -87.0,
           87.4, -87.4, 88.0, -88.0, 89.0, -89.0, 200.0, -200.0, 3e38, -3e38, np.inf, -np.inf]  # fmt: skip


def _inputs(n=200_003, seed=0):
    """Special values, a wide sweep and random values (an odd count: vector tails too)."""
    rng = np.random.default_rng(seed)
    z = np.concatenate([SPECIAL, np.linspace(-30, 30, 100_001), rng.normal(scale=2.0, size=n - 100_001 - len(SPECIAL))])
    return z.astype(np.float32)


def _forward(bench, hn, name, z, isa="scalar"):
    a = np.full_like(z, 123.0)
    bench.activation_forward(getattr(hn.Activation, name), z, a, z.size, isa)
    return a


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_array_kernels_equal_scalar_functions_bit_for_bit(bench, hn, isa, name):
    f = getattr(hn.Activation, name)
    z = _inputs()
    a = _forward(bench, hn, name, z, isa)
    expected = np.array([bench.activate_scalar(f, float(v)) for v in z[:20_000]], dtype=np.float32)
    np.testing.assert_array_equal(a[:20_000].view(np.uint32), expected.view(np.uint32))
    # every instruction set gives the scalar variant's bits on the whole array
    np.testing.assert_array_equal(a.view(np.uint32), _forward(bench, hn, name, z, "scalar").view(np.uint32))

    da = np.random.default_rng(1).normal(size=z.size).astype(np.float32)
    dz = np.full_like(z, np.nan)
    bench.activation_backward(f, z, a, da, dz, z.size, isa)
    expected_dz = np.array([np.float32(d) * np.float32(bench.activation_derivative_scalar(f, float(v), float(y)))
                            for v, y, d in zip(z[:20_000], a[:20_000], da[:20_000])], dtype=np.float32)  # fmt: skip
    np.testing.assert_array_equal(dz[:20_000].view(np.uint32), expected_dz.view(np.uint32))
    in_place = da.copy()
    bench.activation_backward(f, z, a, in_place, in_place, z.size, isa)
    np.testing.assert_array_equal(in_place.view(np.uint32), dz.view(np.uint32))


REFERENCES = {  # name: (float64 function, largest absolute error, largest error in ulp where |f| > 1e-30)
    "Tanh": (np.tanh, 1e-7, 1.5),
    "Sigmoid": (lambda z: np.exp(-np.logaddexp(0.0, -z)), 1e-7, 3.0),
    # exp(-z^2): z^2 rounded to float already moves the result by up to 2 |z|^2 ulp (as numpy's float32 does)
    "Gauss": (lambda z: np.exp(-z * z), 1e-7, None),
    "Softsign": (lambda z: z / (1.0 + np.abs(z)), 1.2e-7, 2.0),
}


@pytest.mark.parametrize("name", REFERENCES)
def test_approximations_against_float64(bench, hn, name):
    reference, max_abs, max_ulp = REFERENCES[name]
    z = _inputs(1_000_003, seed=2)
    z = z[np.isfinite(z)]  # infinities: test_exp_based_functions_at_the_edges
    a = _forward(bench, hn, name, z).astype(np.float64)
    r = reference(z.astype(np.float64))
    err = np.abs(a - r)
    assert err.max() <= max_abs, f"{name}: largest error {err.max():.3g} at z = {z[np.argmax(err)]}"
    if max_ulp is not None:
        big = np.abs(r) > 1e-30
        ulp = err[big] / np.spacing(np.abs(r[big]).astype(np.float32)).astype(np.float64)
        assert ulp.max() <= max_ulp, f"{name}: {ulp.max():.2f} ulp at z = {z[big][np.argmax(ulp)]}"


def test_exp_based_functions_at_the_edges(bench, hn):
    z = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1e-30, 100.0, -100.0], dtype=np.float32)
    tanh = _forward(bench, hn, "Tanh", z)
    np.testing.assert_array_equal(tanh[[0, 1, 6, 7]], [1, -1, 1, -1])
    assert np.isnan(tanh[2]), "NaN must stay NaN (a diverged training run is then detected)"
    assert tanh[3] == 0 and not np.signbit(tanh[3]) and np.signbit(tanh[4]) and tanh[5] == np.float32(1e-30)
    sigmoid = _forward(bench, hn, "Sigmoid", z)
    np.testing.assert_array_equal(sigmoid[[0, 3, 6]], [1, 0.5, 1])
    assert np.isnan(sigmoid[2]) and 0 <= sigmoid[1] < 1e-38 and 0 <= sigmoid[7] < 1e-38  # e^-z capped at e^88
    gauss = _forward(bench, hn, "Gauss", z)
    np.testing.assert_array_equal(gauss[[0, 1, 3, 4, 6, 7]], [0, 0, 1, 1, 0, 0])
    assert np.isnan(gauss[2])


def test_tanh_is_odd_and_monotonic(bench, hn):
    z = np.sort(_inputs(300_001, seed=3))
    z = z[np.isfinite(z)]
    a = _forward(bench, hn, "Tanh", z)
    minus = _forward(bench, hn, "Tanh", -z)
    np.testing.assert_array_equal(minus, -a)
    assert np.all(np.diff(a) >= 0), "tanh must not decrease (e.g. where the two formulas meet at |z| = 0.625)"


def _splitmix64(seed: int, count: int) -> np.ndarray:
    """SplitMix64's numbers 0 .. count-1 of `seed`, the textbook sequential way (Python integers)."""
    out, state, mask = [], seed, (1 << 64) - 1
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        out.append(z ^ (z >> 31))
    return np.array(out, dtype=np.uint64)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout_mask_is_splitmix64_sequence(bench, isa, p):
    """Element e is dropped when number e of the sequence, as a uniform double (53 bits), is below p; pieces of the
    mask (as threads make them) give the same mask."""
    n, seed = 20_001, 0xDEADBEEF12345
    x = np.random.default_rng(2).normal(size=n).astype(np.float32)
    y, keep = np.full_like(x, np.nan), np.full_like(x, np.nan)
    bench.dropout(x, y, keep, n, p, seed, 0, isa)
    uniform = (_splitmix64(seed, n) >> np.uint64(11)).astype(np.float64) * 2.0**-53
    expected_keep = np.where(uniform < p, np.float32(0), np.float32(1.0 / (1.0 - p)))
    np.testing.assert_array_equal(keep, expected_keep)
    np.testing.assert_array_equal(y, x * expected_keep)
    assert abs((keep == 0).mean() - p) < 4 * np.sqrt(p * (1 - p) / n)
    cut = 7_777
    tail_y, tail_keep = np.empty(n - cut, np.float32), np.empty(n - cut, np.float32)
    bench.dropout(x[cut:], tail_y, tail_keep, n - cut, p, seed, cut, isa)
    np.testing.assert_array_equal(tail_keep, keep[cut:])
