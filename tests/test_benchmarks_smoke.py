"""The benchmark command runs end to end (tiny sizes, one process): every
suite writes its figures to the JSON file, and the memory figures keep the
claim that the fused layer's work memory does not grow with D. No speed is
asserted here: speed targets live in benchmarks/ (these machines are shared)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import tmva_hashednet
from tmva_hashednet._core import library_path

RUN = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


def test_every_suite_runs_and_reports(tmp_path):
    out = tmp_path / "bench.json"
    # the child uses this process's package and core library
    env = dict(os.environ, TMVA_HASHEDNET_PREFIX=str(library_path().parent.parent))
    env["PYTHONPATH"] = os.pathsep.join([str(Path(tmva_hashednet.__file__).parent.parent), env.get("PYTHONPATH", "")])
    command = [sys.executable, str(RUN), "speed", "memory", "e2e", "latency", "stream", "--quick", "--threads", "1",
               "--shapes", "512", "--batches", "1", "--epochs", "1", "--stream-events", "20000", "--stream-chunk",
               "5000", "--stream-dir", str(tmp_path / "trees"), "--json", str(out)]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    results = json.loads(out.read_text())["results"]
    assert set(results) == {"speed", "memory", "e2e", "latency", "stream"}

    speed = results["speed"]
    assert speed["kernel_isa"] in ("scalar", "avx2", "avx512")
    assert speed["rows"], "speed: no rows"
    for suite in results.values():
        for target in suite.get("targets", []):
            assert isinstance(target["reached"], bool), target
            ratios = [v for k, v in target.items() if k.startswith("ratio")]
            assert all(math.isfinite(r) and r > 0 for r in ratios), target

    memory = {(row["method"], row["compression"]): row for row in results["memory"]["rows"]}
    for compression in ("1/8", "1/64"):
        fused, materialized = memory[("fused", compression)], memory[("materialized", compression)]
        assert fused["work"] <= fused["fused_bound_bytes"], fused
        assert fused["work"] < materialized["work"] / 4, (fused, materialized)  # never O(D)

    stream = results["stream"]
    assert stream["events"] == 20000 and stream["peak_rss"] > 0 and math.isfinite(stream["last_chunk_loss"])
    assert [t["reached"] for t in stream["targets"]] == [True]  # 20k events stay far below 1.5 GB
