"""The GPU hashed products run on the CPU: the CUDA drivers and block programs
of cpp/cuda (the same source nvcc compiles) through tests/cuda/emulated_device.h,
compiled by the host C++ compiler, checked against the float64 numpy
reference (tests/reference.py, hashes from the xxhash package) for forward,
dx and dparams at shapes that cross the 64 x 64 x 16 kernel tiles and the
materialised tiles. What this proves and what not: docs/cuda.md, "What the
emulation proves" (no GPU, no real scheduling, no races, no warps)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from reference import FunHashReference, block_table, hash_table

ROOT_DIR = Path(__file__).resolve().parents[1]
SOURCE = ROOT_DIR / "tests" / "cuda" / "emulate_products.cpp"
CXX = os.environ.get("CXX") or shutil.which("g++") or shutil.which("clang++")
ACTIVATION_TANH = 0  # hashednet::Activation::Tanh (config.h)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    if CXX is None:
        pytest.skip("no host C++ compiler (g++ or clang++) to build the emulation")
    binary = tmp_path_factory.mktemp("emulation") / "emulate_products"
    subprocess.run(
        [CXX, "-std=c++17", "-O2", "-Wall", "-Wextra", "-Werror", f"-I{ROOT_DIR / 'cpp' / 'include'}",
         f"-I{ROOT_DIR / 'cpp' / 'cuda'}", str(SOURCE), "-o", str(binary)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return binary


class Case:
    """One layer, its parameters and a batch, with the float64 reference of the three products."""

    def __init__(self, n_in, n_out, mode, buckets=0, block=0, funhash=None, bias_buckets=0, batch=5, offset=0,
                 seed=0):  # fmt: skip
        self.n_in, self.n_out, self.mode, self.batch, self.offset = n_in, n_out, mode, batch, offset
        self.args = {"n_in": n_in, "n_out": n_out, "mode": mode, "seed": 4242 + seed, "offset": offset,
                     "batch": batch, "bias_buckets": bias_buckets, "bias_seed": 99}  # fmt: skip
        d = n_in * n_out
        k = d if mode == "dense" else buckets
        if mode == "block":
            self.args["block"] = block
        self.funhash = None
        n_weight = k
        if mode == "funhash":
            hashes, kind, hidden = funhash
            self.args.update(hashes=hashes, reconstruction=kind.lower(), hidden=hidden, activation=ACTIVATION_TANH)
            self.funhash = FunHashReference(n_in, n_out, k, 4242 + seed, hashes, kind, hidden)
            n_weight = k + {"IDENTITY": 0, "LINEAR": hashes, "MLP": hidden * (hashes + 2) + 1}[kind]
        self.args["buckets"] = k
        self.k, self.n_weight = k, n_weight
        self.n_bias = bias_buckets or n_out
        rng = np.random.default_rng(seed)
        self.params = rng.normal(size=offset + n_weight + self.n_bias + 3).astype(np.float32)
        if mode == "funhash" and funhash[1] == "MLP":  # a gentler MLP: tanh in its curved range
            self.params[offset + k : offset + n_weight] *= 0.5
        self.x = rng.normal(size=(batch, n_in)).astype(np.float32)
        self.dy = rng.normal(size=(batch, n_out)).astype(np.float32)

    def reference(self):
        n_in, n_out, k = self.n_in, self.n_out, self.k
        p = self.params.astype(np.float64)[self.offset :]
        w, wb = p[: self.n_weight], p[self.n_weight : self.n_weight + self.n_bias]
        x, dy = self.x.astype(np.float64), self.dy.astype(np.float64)
        dv = dy.T @ x
        if self.mode == "funhash":
            v = self.funhash.virtual_matrix(w)
            gw = self.funhash.gradient(w, dv)
        else:
            if self.mode == "dense":
                bucket, sign = np.arange(n_in * n_out), np.ones(n_in * n_out)
            elif self.mode == "block":
                bucket, sign = block_table(n_in, n_out, self.args["seed"], k, self.args["block"])
            else:
                bucket, sign = hash_table(n_in * n_out, self.args["seed"], k)
            v = (sign * w[bucket]).reshape(n_out, n_in)
            gw = np.bincount(bucket, weights=sign * dv.ravel(), minlength=k)
        if self.args["bias_buckets"]:
            b_bucket, b_sign = hash_table(n_out, self.args["bias_seed"], self.n_bias)
        else:
            b_bucket, b_sign = np.arange(n_out), np.ones(n_out)
        b = b_sign * wb[b_bucket]
        gb = np.bincount(b_bucket, weights=b_sign * dy.sum(axis=0), minlength=self.n_bias)
        return x @ v.T + b, dy @ v, np.concatenate([gw, gb])

    def run(self, emulator, tmp_path, **extra):
        files = {"params": self.params, "x": self.x, "dy": self.dy}
        for name, array in files.items():
            array.tofile(tmp_path / f"{name}.bin")
        args = {**self.args, **extra, **{name: tmp_path / f"{name}.bin" for name in files}, "out": tmp_path / "out"}
        subprocess.run([emulator, *(f"{key}={value}" for key, value in args.items())], check=True,
                       capture_output=True, text=True)  # fmt: skip
        y = np.fromfile(tmp_path / "out.y", dtype=np.float32).reshape(self.batch, self.n_out)
        dx = np.fromfile(tmp_path / "out.dx", dtype=np.float32).reshape(self.batch, self.n_in)
        grad = np.fromfile(tmp_path / "out.grad", dtype=np.float32)
        return y, dx, grad


def check(case, got):
    y, dx, grad = got
    n = case.n_weight + case.n_bias
    outside = np.concatenate([grad[: case.offset], grad[case.offset + n :]])
    assert np.isnan(outside).all(), "dparams wrote outside the layer's slice"
    for name, a, b in zip(("y", "dx", "grad"), (y, dx, grad[case.offset : case.offset + n]), case.reference()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-5 * max(1.0, np.abs(b).max()), err_msg=name)


# (n_in, n_out, batch): 53 x 37 fits one 64 x 64 tile but not the 16-wide k slices;
# 130 x 70 and 70 x 200 cross the block tiles in both directions, batch 70 too.
SHAPES = [(53, 37, 5), (53, 37, 1), (130, 70, 33), (70, 200, 70)]
SCHEMES = {
    "dense": dict(mode="dense"),
    "element-1/8": dict(mode="element", buckets=1 / 8),
    "element-K3": dict(mode="element", buckets=3),  # every entry of a tile collides in the table
    "element-1/2": dict(mode="element", buckets=1 / 2, bias_buckets=5),  # more buckets than table slots
    "block-B1": dict(mode="block", buckets=1 / 8, block=1),
    "block-B3": dict(mode="block", buckets=1 / 4, block=3),  # blocks cross the 4-wide segments
    "block-B16": dict(mode="block", buckets=1 / 8, block=16, bias_buckets=7),
    "block-B100": dict(mode="block", buckets=1 / 16, block=100),  # a block longer than a row
    "funhash-identity": dict(mode="funhash", buckets=1 / 8, funhash=(1, "IDENTITY", 0)),
    "funhash-linear": dict(mode="funhash", buckets=1 / 8, funhash=(3, "LINEAR", 0)),
    "funhash-mlp": dict(mode="funhash", buckets=1 / 4, funhash=(2, "MLP", 3), bias_buckets=4),
}


def make_case(scheme, shape, offset=11, seed=0):
    n_in, n_out, batch = shape
    spec = dict(SCHEMES[scheme])
    if isinstance(spec.get("buckets"), float):
        spec["buckets"] = max(1, round(spec["buckets"] * n_in * n_out))
    return Case(n_in, n_out, batch=batch, offset=offset, seed=seed, **spec)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("method", ["fused", "materialize"])
def test_emulated_products_equal_float64_reference(emulator, tmp_path, method, scheme, shape):
    case = make_case(scheme, shape)
    # materialised tiles of 16 x 24 cross rows and columns of V at every shape here
    check(case, case.run(emulator, tmp_path, method=method, tile_rows=16, tile_cols=24))


@pytest.mark.parametrize("scheme", ["element-1/8", "block-B3"])
def test_materialized_default_tiles_equal_reference(emulator, tmp_path, scheme):
    case = make_case(scheme, (600, 530, 3))  # the 512 x 512 production tiles, crossed
    check(case, case.run(emulator, tmp_path, method="materialize"))


@pytest.mark.parametrize("scheme", ["dense", "element-1/8", "element-K3", "element-1/2", "block-B3", "block-B16"])
@pytest.mark.parametrize("method", ["fused", "materialize"])
def test_deterministic_dparams_equal_reference_and_ignore_block_order(emulator, tmp_path, method, scheme):
    case = make_case(scheme, (130, 70, 33))
    forward = case.run(emulator, tmp_path, method=method, deterministic=1, tile_rows=16, tile_cols=24)
    check(case, forward)
    reverse = case.run(emulator, tmp_path, method=method, deterministic=1, tile_rows=16, tile_cols=24, reverse=1)
    np.testing.assert_array_equal(forward[2].view(np.uint32), reverse[2].view(np.uint32))


def im2col(images, window):
    """The patch rows (n_images * positions x depth*fh*fw) of image_window.h's order, zeros in the padding."""
    depth, height, width, fh, fw, sr, sc, pr, pc = window
    padded = np.pad(images.reshape(-1, depth, height, width), ((0, 0), (0, 0), (pr, pr), (pc, pc)))
    out_h, out_w = (height + 2 * pr - fh) // sr + 1, (width + 2 * pc - fw) // sc + 1
    rows = [padded[:, :, oy * sr : oy * sr + fh, ox * sc : ox * sc + fw].reshape(len(padded), -1)
            for oy in range(out_h) for ox in range(out_w)]  # fmt: skip
    return np.stack(rows, axis=1).reshape(-1, depth * fh * fw)


# A CONV layer's products are the hashed products on its filter matrix (filters x depth*fh*fw) with
# im2col's rows as the batch (conv2d.cpp): (window as in tests/test_gpu_image_ops.py, images, filters).
# 3 x 42 = 126 rows of 18 taps cross the 64-row tiles; 4 x 20 rows of 30 taps into 70 filters cross both.
CONV_SHAPES = {"3x3 pad 1": ((2, 7, 6, 3, 3, 1, 1, 1, 1), 3, 6),
               "5x2 stride 2x3": ((3, 9, 11, 5, 2, 2, 3, 2, 1), 4, 70)}


@pytest.mark.parametrize("conv", list(CONV_SHAPES))
@pytest.mark.parametrize("scheme", ["dense", "element-1/8", "block-B3", "funhash-linear"])
@pytest.mark.parametrize("method", ["fused", "materialize"])
def test_emulated_conv_filter_products_equal_float64_reference(emulator, tmp_path, method, scheme, conv):
    """The products on im2col rows with the padding's zero taps; the image ops themselves: test_gpu_image_ops.py."""
    window, n_images, filters = CONV_SHAPES[conv]
    images = np.random.default_rng(3).normal(size=(n_images, window[0] * window[1] * window[2])).astype(np.float32)
    cols = im2col(images, window)
    assert (cols == 0).any()  # the padding is in the batch
    case = make_case(scheme, (cols.shape[1], filters, cols.shape[0]))
    case.x = np.ascontiguousarray(cols)
    check(case, case.run(emulator, tmp_path, method=method, tile_rows=16, tile_cols=24))
