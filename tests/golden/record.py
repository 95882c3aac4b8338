"""Records the golden fixtures (run by hand, never by pytest).

What it is: runs every case of ``cases.py`` with the tmva_hashednet that Python
imports and writes ``tests/data/golden/recordings/<identity>.npz`` (arrays
per case, keyed by the CPU's BLAS kernel identity) and, unless
``--responses-only``, the weight-format-1 files into ``tests/data/golden/format1/``.
The fixtures in the repository come from main at 5673110; see
``tests/golden/README.md`` for recording on another CPU.

What it is not: part of the test suite (``tests/test_golden.py`` compares
against what this wrote).

Usage (from the root of the checkout whose build is recorded):
    .venv/bin/python <this checkout>/tests/golden/record.py [--output DIR] [--responses-only]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from golden import cases  # noqa: E402

from tmva_hashednet import HashedNetwork  # noqa: E402

DATA = Path(__file__).resolve().parent.parent / "data" / "golden"


def key(*parts: str) -> str:
    return "::".join(parts)


def record_cases(arrays: dict, format1: Path, write_files: bool) -> None:
    for name, run in cases.CASES.items():
        result, net, x_held_out = run()
        for field, value in result.items():
            arrays[key(name, field)] = value
        file_name = cases.FORMAT1_FILES.get(name)
        if file_name is None:
            continue
        if write_files:
            net.save(format1 / file_name)
        loaded = HashedNetwork.load(format1 / file_name, num_threads=1)
        arrays[key("format1", file_name, "inputs")] = x_held_out
        arrays[key("format1", file_name, "responses")] = loaded.predict(x_held_out)
        print(f"recorded {name} ({net.n_params} parameters) and {file_name}")


def record_tmva(arrays: dict, format1: Path, write_files: bool) -> None:
    result, weight_xml, test_tree = cases.tmva_workflow()
    for field, value in result.items():
        arrays[key("tmva-workflow", field)] = value
    path = format1 / cases.TMVA_FILE
    if write_files:
        path.write_text(weight_xml)
    inputs = np.stack([test_tree[v] for v in cases.TMVA_VARIABLES], axis=1)
    arrays[key("format1", cases.TMVA_FILE, "inputs")] = inputs
    arrays[key("format1", cases.TMVA_FILE, "responses")] = cases.reader_responses(path, inputs)
    print(f"recorded tmva-workflow and {cases.TMVA_FILE}")


def git_head() -> str:
    run = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True)
    return run.stdout.strip() if run.returncode == 0 else "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DATA, help=f"fixture folder (default {DATA})")
    parser.add_argument("--responses-only", action="store_true",
                        help="keep the format-1 files of --output (another CPU: only the responses are new)")
    args = parser.parse_args()
    format1 = args.output / "format1"
    recordings = args.output / "recordings"
    format1.mkdir(parents=True, exist_ok=True)
    recordings.mkdir(parents=True, exist_ok=True)
    identity = cases.blas_identity()
    arrays = {"identity": np.array(identity), "recorded_from": np.array(git_head())}
    record_cases(arrays, format1, not args.responses_only)
    record_tmva(arrays, format1, not args.responses_only)
    path = recordings / f"{cases.identity_file_stem(identity)}.npz"
    with tempfile.NamedTemporaryFile(dir=recordings, suffix=".npz", delete=False) as handle:
        np.savez_compressed(handle, **arrays)
    shutil.move(handle.name, path)
    print(json.dumps({"identity": identity, "recording": str(path), "arrays": len(arrays)}))


if __name__ == "__main__":
    main()
