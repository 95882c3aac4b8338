"""The CUDA backend's BNORM kernels and whole filter matrices (FRESH included)
as the host runs them: tests/cuda/emulate_whole_ops.cpp compiles the same
block programs and drivers nvcc compiles (cpp/cuda/batch_norm_phases.cuh,
cpp/cuda/whole_matrix.cuh) with the host compiler (-ffp-contract=off, as the
GPU build's -fmad=false), runs every thread of every block (phases thread by
thread, shared memory filled with 0x7F first, blocks and elementwise indices
last first), and writes the results beside the CPU backend's and (for the
filter matrices) the float64 reference backend's, which this file compares.

Tolerances, and why:
- BNORM inference and FRESH / ELEMENT / BLOCK / FUNHASH filter matrices V:
  bit for bit (the same host/device functions, no contraction, no sums in
  another order);
- BNORM training and backward (statistics, xhat, y, dx, dgamma, dbeta):
  the device sums a feature in double in a fixed tree (batch_norm_phases.cuh),
  the host in event order: the doubles differ in their last bits, so a float
  rounded from them can differ by one ulp: rtol 1e-6 (atol 1e-6 of the
  largest value for dx, a difference of sums), and at least 90 % of the
  values must be the host's bits;
- bucket gradients from dV: float atomics (or fixed point) in another order
  than the CPU's tiles: rtol 1e-5, atol 1e-5 of the largest, against the
  float64 reference backend and the CPU backend; the deterministic mode
  gives the same bits with the blocks in either order.

What this proves: the index math, the phases' use of shared memory, the sum
orders and the hash calls of these kernels. What it does not: races between
threads of one phase, the launches, the device's arithmetic, a GPU run
(tests/test_gpu.py, marked gpu, does that)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tmva_hashednet._core import library_path

ROOT_DIR = Path(__file__).resolve().parents[1]
SOURCE = ROOT_DIR / "tests" / "cuda" / "emulate_whole_ops.cpp"
CXX = os.environ.get("CXX") or shutil.which("g++") or shutil.which("clang++")


def _blas_dirs() -> list[str]:
    try:
        import scipy_openblas32
    except ImportError:
        return []
    return [str(Path(scipy_openblas32.__file__).parent / "lib")]


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    if CXX is None:
        pytest.skip("no host C++ compiler (g++ or clang++) to build the emulation")
    binary = tmp_path_factory.mktemp("whole_ops") / "emulate_whole_ops"
    lib = library_path()
    rpaths = [f"-Wl,-rpath,{d}" for d in [str(lib.parent), *_blas_dirs()]]
    result = subprocess.run(
        [CXX, "-std=c++17", "-O1", "-ffp-contract=off", "-Wall", "-Wextra", "-Werror",
         f"-I{ROOT_DIR / 'cpp' / 'include'}", f"-I{ROOT_DIR / 'cpp' / 'cuda'}", f"-I{ROOT_DIR / 'tests' / 'cuda'}",
         str(SOURCE), "-o", str(binary), str(lib), *rpaths],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    return binary


def run(emulator, tmp_path, **args):
    out = tmp_path / "out"
    result = subprocess.run([emulator, *(f"{k}={v}" for k, v in args.items()), f"out={out}"],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return lambda name: np.fromfile(f"{out}.{name}", dtype=np.float32)


def bits(a):
    return a.view(np.uint32)


# ---------------------------------------------------------------- BNORM

# (features, spatial, batch): dense layers (spatial 1; fewer values per feature than the block's
# 256 threads, and more), CONV channels whose values cross the 256-wide strides many times
BNORM_SHAPES = {
    "dense-37x5": (37, 1, 5),
    "dense-3x700": (3, 1, 700),
    "channels-3x49x11": (3, 49, 11),
    "channels-2x300x4": (2, 300, 4),
    "one-value": (4, 1, 1),
}
RUNNING = {"first-batch": (-1.0, 0), "cumulative": (-1.0, 5), "momentum-0.9": (0.9, 3)}


@pytest.mark.parametrize("running", list(RUNNING))
@pytest.mark.parametrize("shape", list(BNORM_SHAPES))
def test_bnorm_kernels_match_the_cpu(emulator, tmp_path, shape, running):
    features, spatial, batch = BNORM_SHAPES[shape]
    momentum, trained = RUNNING[running]
    out = run(emulator, tmp_path, op="bnorm", features=features, spatial=spatial, batch=batch, momentum=momentum,
              epsilon=1e-4, trained=trained, seed=features * 1000 + spatial + batch)  # fmt: skip
    np.testing.assert_array_equal(bits(out("gpu.infer")), bits(out("cpu.infer")), err_msg="inference")
    for name in ("stats", "running", "xhat", "y", "grad", "dx"):
        gpu, cpu = out(f"gpu.{name}"), out(f"cpu.{name}")
        assert len(gpu) == len(cpu) > 0 and np.isfinite(gpu).all() and np.isfinite(cpu).all(), name
        atol = 1e-6 * np.abs(cpu).max() if name == "dx" else 0.0
        np.testing.assert_allclose(gpu, cpu, rtol=1e-6, atol=atol, err_msg=name)
        assert np.mean(bits(gpu) == bits(cpu)) >= 0.9, name
    # the test sees something: normalised values spread around 0 with unit variance per feature
    xhat = out("gpu.xhat").reshape(batch, features, spatial)
    if batch * spatial > 1:
        np.testing.assert_allclose(xhat.var(axis=(0, 2)), 1.0, rtol=1e-2)


# ---------------------------------------------------------------- whole filter matrices

# A CONV layer's filter matrix: n_out filters x n_in = depth * fh * fw
WHOLE = {
    "fresh-3x3": dict(mode="fresh", n_out=6, n_in=2 * 9, buckets=40, fh=3, fw=3),
    "fresh-5x5-e0": dict(mode="fresh", n_out=8, n_in=3 * 25, buckets=150, fh=5, fw=5, exponent=0),
    "fresh-2x3-wide": dict(mode="fresh", n_out=70, n_in=22 * 6, buckets=700, fh=2, fw=3, bias_buckets=9),
    "fresh-1x1": dict(mode="fresh", n_out=5, n_in=7, buckets=9, fh=1, fw=1),
    "element": dict(mode="element", n_out=70, n_in=130, buckets=1100),
    "element-K3": dict(mode="element", n_out=9, n_in=27, buckets=3, bias_buckets=4),
    "block-B3": dict(mode="block", n_out=70, n_in=130, buckets=2000, block=3),
    "funhash-linear": dict(mode="funhash", n_out=66, n_in=72, buckets=500, hashes=3),
}


def whole(emulator, tmp_path, case, **extra):
    spec = {"seed": 31, **WHOLE[case], **extra}
    return spec, run(emulator, tmp_path, op="whole", **spec)


OFFSET = 5  # emulate_whole_ops puts the layer at parameter 5


def layer_slice(grad, spec):
    n_weights = spec["buckets"] + (spec["hashes"] if spec["mode"] == "funhash" else 0)
    n = n_weights + (spec.get("bias_buckets") or spec["n_out"])
    outside = np.concatenate([grad[:OFFSET], grad[OFFSET + n :]])
    assert np.isnan(outside).all(), "the gradient was written outside the layer's slice"
    return grad[OFFSET : OFFSET + n]


@pytest.mark.parametrize("case", list(WHOLE))
def test_whole_filter_matrix_and_its_gradient_match_the_cpu(emulator, tmp_path, case):
    spec, out = whole(emulator, tmp_path, case)
    vb, cpu_vb = out("gpu.vb"), out("cpu.vb")
    assert len(vb) == spec["n_out"] * (spec["n_in"] + 1) and np.isfinite(vb).all()
    if spec["mode"] == "funhash":  # g's arithmetic: the CPU's tile kernel against funhash.h per entry
        np.testing.assert_allclose(vb, cpu_vb, rtol=1e-6, atol=1e-7)
    else:
        np.testing.assert_array_equal(bits(vb), bits(cpu_vb))
    np.testing.assert_array_equal(bits(out("ref.vb")), bits(cpu_vb))  # the CPU's V is the reference's
    grad, ref, cpu = (layer_slice(out(f"{b}.grad"), spec) for b in ("gpu", "ref", "cpu"))
    for name, expected in (("reference", ref), ("cpu", cpu)):
        np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-5 * np.abs(ref).max(), err_msg=name)
    assert np.count_nonzero(grad) > 0.5 * len(grad)  # the test sees something


@pytest.mark.parametrize("case", ["fresh-3x3", "fresh-2x3-wide", "element", "block-B3"])
def test_deterministic_gradient_is_the_same_bits_in_any_block_order(emulator, tmp_path, case):
    (tmp_path / "in-order").mkdir()
    (tmp_path / "reversed").mkdir()
    spec, forward = whole(emulator, tmp_path / "in-order", case, deterministic=1, reverse=0)
    _, backward = whole(emulator, tmp_path / "reversed", case, deterministic=1, reverse=1)
    first, second = layer_slice(forward("gpu.grad"), spec), layer_slice(backward("gpu.grad"), spec)
    np.testing.assert_array_equal(bits(first), bits(second))
    ref = layer_slice(forward("ref.grad"), spec)
    np.testing.assert_allclose(first, ref, rtol=1e-5, atol=1e-5 * np.abs(ref).max())
