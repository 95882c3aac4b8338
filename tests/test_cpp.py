"""Runs the C++ test programs of tests/cpp, compiled against the installed core."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tmva_hashednet._core import include_path, library_path

CXX = shutil.which("g++") or shutil.which("c++")
PROGRAMS = sorted((Path(__file__).parent / "cpp").glob("test_*.cpp"))


@pytest.mark.skipif(CXX is None, reason="no C++ compiler")
@pytest.mark.parametrize("source", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_cpp_program(source, tmp_path):
    binary = tmp_path / source.stem
    lib = library_path()
    subprocess.run(
        [CXX, "-std=c++17", "-O1", f"-I{include_path()}", str(source), str(lib), f"-Wl,-rpath,{lib.parent}",
         "-o", str(binary)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    result = subprocess.run([binary], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " passed, 0 failed" in result.stdout
