"""FRESH (FreshNets, freshnets.h / freshnets_scheme.h): the DCT against scipy.fft and a float64 numpy
DCT matrix, the virtual matrix against a float64 reference built with the xxhash package
(tests/reference.py FreshReference), one layer's forward, dx and dparams against scipy's dctn/idctn
and finite differences on the CPU and the reference backend, the band budgets, the weight file,
predict_one against the standalone class bit for bit, and every bad option a clear error.
(Whole networks on each backend: tests/test_backends.py's fresh-* cases.)"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import scipy.fft
from reference import FreshReference, dct_matrix, hash_table
from test_block_mode import _with_checksum

from tmva_hashednet import HashedNetwork

GXX = shutil.which("g++")


def _fresh_net(n_inputs=36, layout="TANH|18,SIGMOID|36,LINEAR", fresh_slice="3x2", seed=3, **kw):
    kw = {"compression": 1 / 4, "hash_output_layer": True, **kw}
    return HashedNetwork(n_inputs, layout, hash_mode="FRESH", fresh_slice=fresh_slice, seed=seed, num_threads=1, **kw)


def _layout(hn, n_in, n_out, fh, fw, k, seed=4321, exponent=1.0):
    return hn.make_fresh_layout(n_in, n_out, fh, fw, k, seed, exponent)


# ------------------------------------------------------------------ the DCT


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 16])
def test_dct_basis_equals_numpy_and_scipy(hn, n):
    """C_n[k][x] from dct_cos (no libm) is the float64 DCT matrix rounded to float, and that matrix is
    scipy's orthonormal DCT-II."""
    c = dct_matrix(n)
    np.testing.assert_allclose(c, scipy.fft.dct(np.eye(n), norm="ortho", axis=0), atol=1e-15)
    got = np.array([[hn.dct_basis(n, k, x) for x in range(n)] for k in range(n)])
    # float64 rounded to float, exact zeros where the cosine is 0 (numpy's cos gives about 1e-16 there)
    np.testing.assert_array_equal(got, np.where(np.abs(c) < 1e-12, 0.0, c).astype(np.float32))
    cos = np.array([hn.dct_cos(m, n) for m in range(8 * n + 3)])
    np.testing.assert_allclose(cos, np.cos(np.pi * np.arange(8 * n + 3) / (2 * n)), rtol=0, atol=2e-15)


@pytest.mark.parametrize(("fh", "fw"), [(3, 3), (5, 5), (3, 2), (1, 4), (16, 16)])
def test_slice_is_scipy_idctn_and_gradient_is_dctn(hn, fh, fw):
    """spatial_slice is idctn(P, norm="ortho") of the slice's hashed coefficients, and
    coefficient_gradient is dctn(dV, norm="ortho"), to float rounding."""
    n_in, n_out = 4 * fh * fw, 3
    layer = _layout(hn, n_in, n_out, fh, fw, max(fh + fw - 1, n_in * n_out // 4))
    rng = np.random.default_rng(fh * 17 + fw)
    w = rng.normal(size=int(layer.n_buckets)).astype(np.float32)
    coefficients = np.zeros(fh * fw, dtype=np.float32)
    out = np.zeros(fh * fw, dtype=np.float32)
    for i, c in [(0, 0), (2, 3), (1, 2)]:
        layer.coefficients(w, i, c, coefficients)
        layer.spatial_slice(w, i, c, out)
        expected = scipy.fft.idctn(coefficients.reshape(fh, fw).astype(np.float64), norm="ortho")
        np.testing.assert_allclose(out.reshape(fh, fw), expected, rtol=0, atol=2e-6 * np.abs(expected).max())
    dv = rng.normal(size=fh * fw).astype(np.float32)
    dp = np.zeros(fh * fw, dtype=np.float32)
    layer.coefficient_gradient(dv, dp)
    expected = scipy.fft.dctn(dv.reshape(fh, fw).astype(np.float64), norm="ortho")
    np.testing.assert_allclose(dp.reshape(fh, fw), expected, rtol=0, atol=2e-6 * np.abs(expected).max())


# ------------------------------------------------------------------ the virtual matrix


@pytest.mark.parametrize(("fresh_slice", "exponent"), [("3x2", 1.0), ("3x3", 0.0), ("1x2", 3.0), ("2x9", 0.5)])
def test_virtual_matrix_equals_xxhash_reference(fresh_slice, exponent):
    # 2x9 has 10 bands: more than the 36 x 1 output layer's 9 buckets at 1/4, so that layer stays dense
    net = _fresh_net(fresh_slice=fresh_slice, fresh_band_exponent=exponent, hash_output_layer=fresh_slice != "2x9")
    params = net.params.astype(np.float64)
    for l in range(net.n_layers):
        info = net.layer_info(l)
        if not info["hashed"]:
            continue
        assert info["scheme"] == "FRESH" and info["fresh_slice"] == tuple(map(int, fresh_slice.split("x")))
        ref = FreshReference(info["n_in"], info["n_out"], *info["fresh_slice"], info["weight_seed"],
                             info["fresh_band_buckets"])  # fmt: skip
        w = params[info["offset"] : info["offset"] + info["n_buckets"]]
        v = net.virtual_weights(l)
        np.testing.assert_allclose(v, ref.virtual_matrix(w), rtol=0, atol=1e-6 * np.abs(v).max())


def test_1x1_slices_are_element_hashing_bit_for_bit():
    """A 1x1 slice has one band and C = [1]: FRESH's V is ELEMENT's for the same seeds and buckets."""
    fresh = _fresh_net(fresh_slice="1x1", seed=8)
    element = HashedNetwork(36, "TANH|18,SIGMOID|36,LINEAR", compression=1 / 4, hash_output_layer=True, seed=8,
                            num_threads=1)  # fmt: skip
    assert np.array_equal(fresh.params, element.params)
    for l in range(fresh.n_layers):
        assert np.array_equal(fresh.virtual_weights(l), element.virtual_weights(l))


def test_initial_virtual_weights_have_the_xavier_variance():
    """Buckets drawn as a hashed layer's: the orthonormal DCT and independent signs keep each V entry's
    variance 2 / (n_in + n_out)."""
    net = HashedNetwork(450, "TANH|300,LINEAR", compression=1 / 8, hash_mode="FRESH", fresh_slice="5x5", seed=2)
    v = net.virtual_weights(0)
    assert np.var(v) == pytest.approx(2 / 750, rel=0.1)
    assert abs(np.mean(v)) < 0.1 * np.std(v)


# ------------------------------------------------------------------ one layer: forward, dx, dparams

# id -> (n_in, n_out, fh, fw, compression, batch); 256-wide tiles and 2 threads' 16-multiples cut slices
LAYERS = {
    "3x3-small": (36, 10, 3, 3, 1 / 4, 5),
    "5x5-ragged-tiles": (25 * 13, 270, 5, 5, 1 / 16, 7),
    "3x2-parallel": (630, 306, 3, 2, 1 / 8, 16),
}


def _scipy_layer_reference(layer, fh, fw, params, x, dy):
    """(y, dx, dparams) in float64: V's slices idctn of the hashed coefficients (xxhash), dparams the
    signed scatter of dctn of dV's slices (scipy.fft)."""
    n_in, n_out, k = int(layer.n_in), int(layer.n_out), int(layer.n_buckets)
    budgets = [int(layer.band_begin[b + 1] - layer.band_begin[b]) for b in range(int(layer.n_bands))]
    ref = FreshReference(n_in, n_out, fh, fw, int(layer.weight_seed), budgets)
    w, b = params[:k].astype(np.float64), params[k:].astype(np.float64)
    p = ref.coefficients(w)
    v = scipy.fft.idctn(p, axes=(2, 3), norm="ortho").reshape(n_out, n_in)
    x, dy = x.astype(np.float64), dy.astype(np.float64)
    dp = scipy.fft.dctn((dy.T @ x).reshape(p.shape), axes=(2, 3), norm="ortho")
    grad_w = np.bincount(ref.bucket, weights=ref.sign * dp.ravel(), minlength=k)
    return x @ v.T + b, dy @ v, np.concatenate([grad_w, dy.sum(axis=0)])


def _fresh_pass(hn, bench, case, method, threads=2):
    n_in, n_out, fh, fw, compression, batch = LAYERS[case]
    k = max(fh + fw - 1, round(compression * n_in * n_out))
    layout = bench.make_layout(n_in, n_out, k, 4321)
    rng = np.random.default_rng(7)
    params = rng.normal(size=k + n_out).astype(np.float32)
    x = rng.normal(size=(batch, n_in)).astype(np.float32)
    dy = rng.normal(size=(batch, n_out)).astype(np.float32)
    y = np.zeros((batch, n_out), dtype=np.float32)
    dx = np.zeros((batch, n_in), dtype=np.float32)
    grad = np.full(params.size, np.nan, dtype=np.float32)
    bench.fresh_layer_pass(layout, fh, fw, 1.0, params, x, dy, batch, y, dx, grad, method, threads)
    return (y, dx, grad), (layout, fh, fw, params, x, dy)


@pytest.mark.parametrize("case", LAYERS)
def test_layer_forward_dx_and_dparams_equal_scipy_reference(hn, bench, backend, case):
    got, (layout, fh, fw, params, x, dy) = _fresh_pass(hn, bench, case, {"reference": "reference", "cpu": "fused"}[backend])
    layer = _layout(hn, int(layout.n_in), int(layout.n_out), fh, fw, int(layout.n_buckets))
    expected = _scipy_layer_reference(layer, fh, fw, params, x, dy)
    for name, a, b in zip(("y", "dx", "dparams"), got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * max(1.0, np.abs(b).max()), err_msg=name)


@pytest.mark.parametrize("case", LAYERS)
def test_layer_dparams_equal_finite_differences(hn, bench, backend, case):
    """L = sum(y * dy) is linear in the parameters: central differences of the backend's own forward pass
    are its gradient to float32 rounding."""
    method = {"reference": "reference", "cpu": "fused"}[backend]
    (_, _, grad), (layout, fh, fw, params, x, dy) = _fresh_pass(hn, bench, case, method)
    batch, n_in, n_out = x.shape[0], x.shape[1], dy.shape[1]

    def loss(p):
        y = np.zeros((batch, n_out), dtype=np.float32)
        bench.fresh_layer_pass(layout, fh, fw, 1.0, p, x, hn_null(), batch, y, hn_null(), hn_null(), method, 2)
        return float(np.sum(y.astype(np.float64) * dy))

    eps = 0.5
    for k in np.random.default_rng(3).choice(params.size, size=12, replace=False):
        up, down = params.copy(), params.copy()
        up[k] += eps
        down[k] -= eps
        assert grad[k] == pytest.approx((loss(up) - loss(down)) / (2 * eps), rel=1e-3, abs=1e-3), f"parameter {k}"


def hn_null():
    import ROOT

    return ROOT.nullptr


def test_layer_cpu_and_reference_agree_and_cpu_is_deterministic(hn, bench):
    cpu, _ = _fresh_pass(hn, bench, "3x2-parallel", "fused")
    again, _ = _fresh_pass(hn, bench, "3x2-parallel", "fused")
    ref, _ = _fresh_pass(hn, bench, "3x2-parallel", "reference")
    for name, a, b, c in zip(("y", "dx", "dparams"), cpu, again, ref):
        assert np.array_equal(a, b), name
        np.testing.assert_allclose(a, c, rtol=2e-5, atol=2e-6 * max(1.0, np.abs(c).max()), err_msg=name)


# ------------------------------------------------------------------ band budgets


@pytest.mark.parametrize(("fh", "fw"), [(3, 3), (5, 5), (3, 2), (1, 7), (11, 11)])
@pytest.mark.parametrize("exponent", [0.0, 0.5, 1.0, 2.0])
@pytest.mark.parametrize("fraction", [0.0, 0.01, 1 / 16, 1 / 3, 0.9, 1.0])
def test_band_budgets_sum_to_k_and_share_more_at_high_frequencies(hn, fh, fw, exponent, fraction):
    n_bands, n_slices = fh + fw - 1, 37
    count = np.bincount((np.arange(fh)[:, None] + np.arange(fw)[None, :]).ravel(), minlength=n_bands)
    capacity = n_slices * count
    k = max(n_bands, round(fraction * capacity.sum()))
    budget = np.array(list(hn.fresh_band_budgets(fh, fw, n_slices, k, exponent)))
    assert budget.size == n_bands and budget.sum() == k
    assert (budget >= 1).all() and (budget <= capacity).all()
    ratio = budget / capacity  # buckets per coefficient
    # never more buckets per coefficient at a higher band, up to one bucket of rounding
    assert (ratio[1:] <= ratio[:-1] + 1 / capacity[1:] + 1e-12).all(), budget
    if exponent == 0.0:  # every band alike: within one bucket of the equal share (or at a bound)
        share = k * capacity / capacity.sum()
        assert (np.abs(budget - share) <= 1 + 1e-9).all() or k <= n_bands, budget


def test_band_budgets_known_case_and_bounds(hn):
    """3x2 slices, 108 per band-count: shares 162 * (108, 108, 72, 27) / 315 = (55.5, 55.5, 37.0, 13.9),
    rounded down (55, 55, 37, 13), the 2 left over to the largest remainders (band 3, then band 0)."""
    assert list(hn.fresh_band_budgets(3, 2, 108, 162, 1.0)) == [56, 55, 37, 14]
    assert list(hn.fresh_band_budgets(3, 3, 10, 5, 1.0)) == [1, 1, 1, 1, 1]  # K = bands: one each
    assert list(hn.fresh_band_budgets(3, 3, 10, 90, 2.0)) == [10, 20, 30, 20, 10]  # K = D: every band full
    # a large exponent caps the DC band at its 10 coefficients and gives the rest to the next bands
    budget = list(hn.fresh_band_budgets(3, 3, 10, 40, 8.0))
    assert budget[0] == 10 and sum(budget) == 40 and budget[-1] == 1


# ------------------------------------------------------------------ files, event path, memory


def test_weight_file_round_trip_and_line(tmp_path):
    net = _fresh_net(fresh_band_exponent=0.75, hashed_bias=True)
    text = net.to_text()
    assert "hash_mode FRESH 3x2 0.75" in text
    assert "layer 0 TANH 18 FULLY_CONNECTED FRESH 162 " in text and " 3x2 " in text
    back = HashedNetwork.from_text(text, num_threads=1)
    assert back.to_text() == text and back.hash_mode == "FRESH"
    x = np.random.default_rng(2).normal(size=(20, 36)).astype(np.float32)
    assert np.array_equal(back.predict(x), net.predict(x))
    line = next(l for l in text.splitlines() if l.startswith("layer 0 "))
    bands = line.split()[-1]
    broken = _with_checksum(text.replace(line, line.replace(bands, "1," + bands)))
    with pytest.raises(ValueError, match="layer 0"):
        HashedNetwork.from_text(broken)
    with pytest.raises(ValueError, match="'3y2' is not a FRESH slice; give <height>x<width>"):
        HashedNetwork.from_text(_with_checksum(text.replace("hash_mode FRESH 3x2", "hash_mode FRESH 3y2")))
    with pytest.raises(ValueError, match="band exponent"):
        HashedNetwork.from_text(_with_checksum(text.replace("hash_mode FRESH 3x2 0.75", "hash_mode FRESH 3x2 -1")))
    with pytest.raises(ValueError, match="allowed: .*FUNHASH <U> <g>, or FRESH <fh>x<fw>"):
        HashedNetwork.from_text(_with_checksum(text.replace("hash_mode FRESH", "hash_mode FRESHER")))


def test_memory_report_names_the_scheme():
    net = _fresh_net()
    rows = net.memory_report().layers
    assert [r.scheme for r in rows] == ["FRESH"] * 3
    assert rows[0].real_params == 162 + 18 and rows[0].virtual_weights == 36 * 18 + 18


def test_predict_one_equals_batch_predict_to_rounding():
    from event_cases import events, predict_one

    net = _fresh_net(fresh_slice="3x3", layout="TANH|18,LINEAR", hashed_bias=True)
    net.params = net.params + np.random.default_rng(1).normal(0, 0.05, net.n_params).astype(np.float32)
    x = events(net, 50)
    np.testing.assert_allclose(predict_one(net, x)[:, 0], net.predict(x), rtol=2e-6, atol=1e-7)


@pytest.mark.skipif(GXX is None, reason="no g++")
@pytest.mark.parametrize("flags", [["-O2"], ["-O3", "-march=native"]], ids=["O2", "O3-march-native"])
def test_standalone_class_equals_predict_one_bit_for_bit(hn, tmp_path, flags):
    """The class makes each FRESH layer's filters once, at first use (a dense V), the core's
    predict_one generates them row by row: the same bits."""
    import ROOT
    from event_cases import events, predict_one
    from test_standalone_class import _assert_bit_for_bit, _class_source, _compile_and_run

    assert ROOT.gInterpreter.Declare('#include "hashednet/standalone_class.h"')
    net = _fresh_net(fresh_slice="3x3", n_inputs=45, layout="TANH|27,SOFTSIGN|18,LINEAR", task="multiclass",
                     n_outputs=3, hashed_bias=True)  # fmt: skip
    net.set_input_transform(np.full(45, 0.1, dtype=np.float32), np.full(45, 0.9, dtype=np.float32))
    net.params = net.params + np.random.default_rng(4).normal(0, 0.05, net.n_params).astype(np.float32)
    x = events(net, 200)
    source = _class_source(hn, net)
    assert "FRESH: " in source and "filters0()" in source
    _assert_bit_for_bit(_compile_and_run(source, net, x, tmp_path, GXX, flags), predict_one(net, x))


def test_fresh_network_trains():
    from tmva_hashednet import TrainingConfig

    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 36)).astype(np.float32)
    y = (x[:, 0] + x[:, 7] - x[:, 20] > 0).astype(np.float32)
    net = _fresh_net(layout="TANH|18,LINEAR", hash_output_layer=False)
    before = net.loss(x, y)
    net.fit(x, y, validation_fraction=0.0, training=TrainingConfig(max_epochs=5, batch_size=32, seed=1),
            standardize=False, verbose=False)  # fmt: skip
    assert net.loss(x, y) < 0.9 * before


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        (dict(fresh_slice="0x3"), "'0x3' is not a FRESH slice; give <height>x<width>, each in \\[1, 16\\]"),
        (dict(fresh_slice="17x1"), "'17x1' is not a FRESH slice"),
        (dict(fresh_slice="3x"), "'3x' is not a FRESH slice"),
        (dict(fresh_slice="three"), "'three' is not a FRESH slice"),
        (dict(fresh_slice="3x3", fresh_band_exponent=-1), "FreshBandExponent"),
        (dict(fresh_slice="3x3", fresh_band_exponent=17), "FreshBandExponent"),
        (dict(fresh_slice="3x3", fresh_band_exponent="nan"), "FreshBandExponent"),
        (dict(), "HashMode=FRESH: a hashed fully connected layer \\(18 x 36\\) in a network without CONV layers "
                 "needs FreshSlice=<height>x<width>"),
        (dict(fresh_slice="5x1"), "n_in = 36 is not a multiple of 5"),
        (dict(fresh_slice="3x3", compression=1 / 400), "needs at least 5 \\(one per frequency band\\)"),
    ],
)
def test_bad_fresh_options_are_clear_errors(keywords, message):
    kw = {"compression": 1 / 4, **keywords}
    with pytest.raises(ValueError, match=message):
        HashedNetwork(36, "TANH|18,LINEAR", hash_mode="FRESH", **kw)


def test_option_string_door_and_large_layer_limit(hn):
    from tmva_hashednet.options import parse_options

    opts = parse_options("HashMode=FRESH:FreshSlice=3X3:FreshBandExponent=0.5")
    assert "FreshSlice=3x3" in opts.canonical and "FreshBandExponent=0.5" in opts.canonical
    assert "FreshSlice=NONE" in parse_options("").canonical
    with pytest.raises(ValueError, match="FreshSlice.*'4x0' is not a FRESH slice"):
        parse_options("HashMode=FRESH:FreshSlice=4x0")
    with pytest.raises(ValueError, match="at most 16777216 virtual weights"):
        HashedNetwork(4608, "TANH|4096,LINEAR", compression=1 / 64, hash_mode="FRESH", fresh_slice="3x3")


def test_fresh_scheme_of_another_scheme_is_an_error(hn):
    from tmva_hashednet._errors import translate_errors

    net = HashedNetwork(36, "TANH|18,LINEAR", compression=1 / 4)
    with pytest.raises(ValueError, match="the layer's weight scheme is ELEMENT, not FRESH"), translate_errors():
        hn.fresh_scheme(net._model.network().fully_connected(0))


def test_hash_table_helper_agrees_with_fresh_reference_on_one_band():
    """FreshReference with a single band reduces each hash as hash_table does (the two references agree)."""
    ref = FreshReference(4, 3, 1, 1, 99, [5])
    bucket, sign = hash_table(12, 99, 5)
    assert np.array_equal(ref.bucket, bucket) and np.array_equal(ref.sign, sign)
