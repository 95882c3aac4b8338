"""Issue 12: `pip install ".[root,test]"` said nothing when CMake found no
TMVA. The configure step now says what it did and why, records it next to
the core, and `python -m tmva_hashednet info` prints it after the install."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tmva_hashednet.__main__ as cli

SOURCE = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake is not on PATH")
def test_configure_without_tmva_says_so_and_records_why(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TMVA_HASHEDNET_TMVA_PREFIX"}
    result = subprocess.run(
        ["cmake", "-S", str(SOURCE), "-B", str(tmp_path), "-DHASHEDNET_TESTS=OFF",
         f"-DHASHEDNET_TMVA_PREFIX={tmp_path / 'no-tmva'}", f"-DPython_EXECUTABLE={sys.executable}"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    reason = f"HASHEDNET_TMVA_PREFIX={tmp_path / 'no-tmva'} has no TMVA (include/TMVA/MethodBase.h and lib/libTMVA.so)"
    assert (f"hashednet: TMVA method: not built ({reason}); the Python package's compatible workflow "
            "(tmva_hashednet.tmva) is used.") in result.stdout, result.stdout[-3000:]
    assert (tmp_path / "hashednet_tmva_method.txt").read_text() == f"built: no\ndetail: {reason}\n"


def test_info_prints_what_was_built_and_why(tmp_path, monkeypatch):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "hashednet_tmva_method.txt").write_text("built: no\ndetail: ROOT at /x has no TMVA\n")
    monkeypatch.setenv("TMVA_HASHEDNET_PREFIX", str(tmp_path))
    assert cli.tmva_method_status() == {"built": "no", "detail": "ROOT at /x has no TMVA"}
    text = cli.info()
    assert "TMVA method:   not built (ROOT at /x has no TMVA); the compatible workflow (tmva_hashednet.tmva) is used" \
           in text
    assert "pip install --no-build-isolation -C cmake.define.HASHEDNET_TMVA=ON" in text


def test_info_of_this_install_runs(tmp_path):
    # run outside the checkout: `python -m` puts the working directory first on sys.path
    result = subprocess.run([sys.executable, "-m", "tmva_hashednet", "info"], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    method = next(line for line in result.stdout.splitlines() if line.startswith("TMVA method:"))
    assert method.startswith(("TMVA method:   built against ", "TMVA method:   not built (")), result.stdout
