"""Shared pieces of the TMVA-workflow tests: running the macros in a folder."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

MACROS = Path(__file__).resolve().parent.parent / "macros"

# A macro's run() in a child process: argv[1] is JSON {name, args, kwargs, options}.
_CHILD = """
import json, sys
sys.path.insert(0, {tests!r})
from tmva_helpers import macro
job = json.loads(sys.argv[1])
module = macro(job["name"])
if job["options"] is not None:
    module.method_options = lambda *args, **kwargs: job["options"]
print("RESULT " + json.dumps(module.run(*job["args"], **job["kwargs"])))
"""


def macro(name: str, compat: bool = False):
    """A module of macros/ (the TMVA-style scripts are the code under test); `compat` makes it use
    the compatible workflow even where ROOT has TMVA (for tests of the compatible workflow's files:
    a real TMVA job belongs in a process of its own, see run_macro)."""
    spec = importlib.util.spec_from_file_location(f"macro_{name}", MACROS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if compat:
        from tmva_hashednet.tmva import compat_namespace

        module.TMVA = compat_namespace()
    return module


def run_macro(folder: Path, name: str, *args, options: str | None = None, compat: bool = False, **kwargs):
    """``macro(name).run(*args, **kwargs)`` with `folder` as working directory; `options` replaces
    what its method_options returns; `compat` runs it on the compatible workflow even where ROOT
    has TMVA. In this process with the compatible workflow; in a child process with ROOT's real
    TMVA, where a TMVA job per process is the rule (a TMVA 4.2.1 development build keeps
    DataLoader names for the life of the process: tmva_hashednet/tmva/_dataloader_names.py),
    as a user runs the macros."""
    from tmva_hashednet.tmva import _real_tmva, compat_namespace

    if compat or _real_tmva() is None:
        import pytest

        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(folder)
            module = macro(name, compat=True)
            if options is not None:
                patch.setattr(module, "method_options", lambda *a, **k: options)
            return module.run(*args, **kwargs)
    job = json.dumps({"name": name, "args": list(args), "kwargs": kwargs, "options": options})
    code = _CHILD.format(tests=str(Path(__file__).resolve().parent))
    run = subprocess.run([sys.executable, "-c", code, job], cwd=folder, capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return json.loads([line for line in run.stdout.splitlines() if line.startswith("RESULT ")][-1][len("RESULT "):])


def keys(directory) -> list:
    return [(k.GetName(), k.GetClassName(), k.GetCycle()) for k in directory.GetListOfKeys()]


def tree_columns(tree, names) -> dict:
    import ROOT

    return {k: v for k, v in ROOT.RDataFrame(tree).AsNumpy(list(names)).items()}
