"""The CUDA backend's sources (cpp/cuda/, not the hashed products) compile
with nvcc, and its coarse kernels neither spill nor use local memory (ptxas -v).

The coarse kernels (backend_kernels.cu: elementwise.h and activation.h on the
device) need only the CUDA toolkit and run in every test run with nvcc; the
backend, its optimizers and entry points include cuBLAS's headers (the
nvidia-cublas wheel, installed by gpu-check) and the kernels' launch API,
and are compiled when both are present. Nothing here launches a kernel.

Limits (ptxas for sm_75, the oldest target): no spill stores or loads, and
at most 64 registers per thread, so that every elementwise kernel can run
256-thread blocks at full occupancy of a Turing SM's 64K registers (4 blocks
= 1024 threads x 64 registers): these are memory-bound loops, which need
occupancy, not registers. The loss kernel is one block of 256 threads per
batch (a fixed-order reduction): its limit is 128 registers (32K of the
SM's 64K), and its double exp/log may use a stack frame.

The image-layer kernels (image_kernels.cu: image_gather.h on the device) are
compiled for every architecture of the fat binary (HASHEDNET_PTXAS_ARCHS
restricts them, as for tests/test_cuda_kernels.py) within the elementwise
limits: no spills, no stack frame, at most 64 registers (image_kernels.cu
asks for it with __launch_bounds__(256, 4); without that nvcc unrolled
col2im's loops into 96 registers on sm_100 and newer)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tmva_hashednet._core import include_path

NVCC = shutil.which("nvcc")
CUDA = Path(__file__).resolve().parents[1] / "cpp" / "cuda"
FLAGS = ["-std=c++17", "-arch=sm_75", "-fmad=false", "-Xcompiler=-Wall,-Wextra,-Werror", "-c"]
MAX_REGISTERS = 64
MAX_REGISTERS_LOSS = 128


def cublas_include():
    try:
        import nvidia.cu13
    except ImportError:
        return None
    include = Path(list(nvidia.cu13.__path__)[0]) / "include"
    return include if (include / "cublas_v2.h").exists() else None


def nvcc(source: Path, out: Path, *extra: str) -> str:
    if NVCC is None:
        pytest.skip("nvcc is not installed")
    result = subprocess.run([NVCC, *FLAGS, *extra, f"-I{include_path()}", str(source), "-o", str(out)],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stderr


def ptxas_figures(report: str) -> dict:
    """kernel (mangled) -> {registers, spill_stores, spill_loads, stack}, from ptxas -v."""
    figures, kernel = {}, None
    for line in report.splitlines():
        if m := re.search(r"Compiling entry function '(\w+)'", line):
            kernel = m.group(1)
            figures[kernel] = {}
        elif kernel and (m := re.search(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads", line)):
            figures[kernel].update(stack=int(m.group(1)), spill_stores=int(m.group(2)), spill_loads=int(m.group(3)))
        elif kernel and (m := re.search(r"Used (\d+) registers", line)):
            figures[kernel]["registers"] = int(m.group(1))
    return figures


def test_coarse_kernels_compile_within_the_limits(tmp_path):
    report = nvcc(CUDA / "backend_kernels.cu", tmp_path / "backend_kernels.o", "-Xptxas=-v")
    figures = ptxas_figures(report)
    expected = {"transform_rows", "gather_rows", "fill", "activation_forward", "activation_backward", "dropout",
                "multiply", "loss", "sigmoid", "softmax", "sgd", "adam"}  # fmt: skip
    found = {name for name in expected if any(f"{name}_kernel" in k for k in figures)}
    assert found == expected, sorted(figures)
    for kernel, f in figures.items():
        loss = "loss_kernel" in kernel
        assert f["spill_stores"] == 0 and f["spill_loads"] == 0, (kernel, f)
        assert f["registers"] <= (MAX_REGISTERS_LOSS if loss else MAX_REGISTERS), (kernel, f)
        assert f["stack"] == 0 or loss, (kernel, f)


@pytest.mark.parametrize("name", ["cuda_backend", "cuda_optimizers", "cuda_entry"])
def test_backend_sources_compile(tmp_path, name):
    include = cublas_include()
    if include is None:
        pytest.skip("cuBLAS headers absent (pip install nvidia-cublas; gpu-check installs them)")
    if not (CUDA / "hashed_product.h").exists():
        pytest.skip("the hashed products' launch API (cpp/cuda/hashed_product.h) is not in this tree")
    nvcc(CUDA / f"{name}.cu", tmp_path / f"{name}.o", f"-I{include}", "-Xcompiler=-fPIC")


IMAGE_KERNELS = {"im2col", "col2im", "transpose_blocks", "accumulate", "max_pool_forward", "max_pool_backward"}


def image_kernel_architectures():
    import os

    from test_cuda_kernels import architectures

    archs = architectures()
    if subset := os.environ.get("HASHEDNET_PTXAS_ARCHS"):
        archs = [a for a in archs if a in subset.split(",")]
    return archs


@pytest.mark.parametrize("arch", image_kernel_architectures())
def test_image_kernels_compile_within_the_limits_for_every_architecture(tmp_path, arch):
    if NVCC is None:
        pytest.skip("nvcc is not installed")
    result = subprocess.run([NVCC, "-std=c++17", "-cubin", f"-arch={arch}", "-fmad=false", "-Xptxas=-v",
                             f"-I{include_path()}", str(CUDA / "image_kernels.cu"), "-o", str(tmp_path / "k.cubin")],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    figures = ptxas_figures(result.stderr)
    found = {name for name in IMAGE_KERNELS if any(f"{len(name) + 7}{name}_kernel" in k for k in figures)}
    assert found == IMAGE_KERNELS and len(figures) == len(IMAGE_KERNELS), sorted(figures)
    for kernel, f in figures.items():
        assert f["spill_stores"] == 0 and f["spill_loads"] == 0 and f["stack"] == 0, (arch, kernel, f)
        assert f["registers"] <= MAX_REGISTERS, (arch, kernel, f)
