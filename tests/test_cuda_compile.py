"""The hash header compiles with nvcc for host and device and gives, on the
host, exactly what the xxhash package gives. (No GPU here: the kernel is
compiled, not launched.)"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import xxhash

from tmva_hashednet._core import include_path

NVCC = shutil.which("nvcc")
SOURCE = Path(__file__).parent / "cuda" / "hash_host_device.cu"


def xxh32(key: int, seed: int) -> int:
    return xxhash.xxh32_intdigest(key.to_bytes(8, "little"), seed=seed)


@pytest.mark.skipif(NVCC is None, reason="nvcc is not installed")
def test_nvcc_host_device_hash_matches_xxhash(tmp_path):
    binary = tmp_path / "hash_host_device"
    subprocess.run(
        [NVCC, "-std=c++17", "-arch=sm_75", f"-I{include_path()}", str(SOURCE), "-o", str(binary)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    values = [float(line) for line in subprocess.run([binary], check=True, capture_output=True, text=True).stdout.split()]
    seed = xxh32(2 * 2, 1234)
    expected = []
    for i in range(5):
        for j in range(7):
            h = xxh32(i * 7 + j, seed)
            expected.append((-1.0 if h & 1 else 1.0) * [1.0, 2.0, 3.0, 4.0][(h * 4) >> 32])
    assert values == expected
