"""The conv suite of benchmarks/run.py runs end to end at --quick size and reports every row
(PyTorch's only when torch is importable). No speed is asserted: targets live in benchmarks/."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import tmva_hashednet
from tmva_hashednet._core import library_path

RUN = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


def test_conv_suite_runs_and_reports(tmp_path):
    out = tmp_path / "conv.json"
    env = dict(os.environ, TMVA_HASHEDNET_PREFIX=str(library_path().parent.parent))
    env["PYTHONPATH"] = os.pathsep.join([str(Path(tmva_hashednet.__file__).parent.parent), env.get("PYTHONPATH", "")])
    command = [sys.executable, str(RUN), "conv", "--quick", "--threads", "1", "--rounds", "1", "--json", str(out)]
    run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    conv = json.loads(out.read_text())["results"]["conv"]
    with_torch = importlib.util.find_spec("torch") is not None
    assert conv["torch"] == with_torch
    methods = {r["method"] for r in conv["rows"]}
    ours = {"dense", "element 1/8", "block 1/8", "freshnets 1/8"}
    assert methods == ours | ({"torch conv2d"} if with_torch else set())
    assert all(math.isfinite(r["seconds"]) and r["seconds"] > 0 for r in conv["rows"])
    assert len(conv["targets"]) == (4 if with_torch else 2)  # FreshNets against our dense: always
    if not with_torch:
        assert "torch is not importable" in run.stdout
