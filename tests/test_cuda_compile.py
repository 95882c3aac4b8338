"""The hash and activation headers compile with nvcc for host and device and
give, on the host, exactly what the xxhash package and the CPU library give.
(No GPU here: the kernels are compiled, not launched.)"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import xxhash

from tmva_hashednet._core import include_path

NVCC = shutil.which("nvcc")
SOURCE = Path(__file__).parent / "cuda" / "hash_host_device.cu"


def xxh32(key: int, seed: int) -> int:
    return xxhash.xxh32_intdigest(key.to_bytes(8, "little"), seed=seed)


@pytest.fixture(scope="module")
def binary(tmp_path_factory):
    if NVCC is None:
        pytest.skip("nvcc is not installed")
    binary = tmp_path_factory.mktemp("cuda") / "hash_host_device"
    subprocess.run(
        [NVCC, "-std=c++17", "-arch=sm_75", "-fmad=false", f"-I{include_path()}", str(SOURCE), "-o", str(binary)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return binary


def test_nvcc_host_device_hash_matches_xxhash(binary):
    out = subprocess.run([binary], check=True, capture_output=True, text=True).stdout
    values = [float(line) for line in out.split()]
    seed = xxh32(2 * 2, 1234)
    expected = []
    for i in range(5):
        for j in range(7):
            h = xxh32(i * 7 + j, seed)
            expected.append((-1.0 if h & 1 else 1.0) * [1.0, 2.0, 3.0, 4.0][(h * 4) >> 32])
    assert values == expected


@pytest.mark.parametrize("name", ["Tanh", "Sigmoid", "Gauss", "Softsign", "Relu"])
def test_nvcc_activations_equal_the_cpu_library_bit_for_bit(binary, hn, bench, name):
    f = getattr(hn.Activation, name)
    z = [0.0, -0.0, 1e-20, 0.3, -0.6249, 0.625, 1.7, -4.2, 9.4, 12.0, 50.0, -87.5, -100.0]
    args = [str(int(f))] + [repr(v) for v in z]
    out = subprocess.run([binary, *args], check=True, capture_output=True, text=True).stdout.split()
    nvcc = np.array([float.fromhex(v) for v in out], dtype=np.float32)
    cpu = np.array([bench.activate_scalar(f, v) for v in z], dtype=np.float32)
    np.testing.assert_array_equal(nvcc.view(np.uint32), cpu.view(np.uint32))
