"""``python -m tmva_hashednet info``: what this install holds and why.

What it is: a report of the installed core (library, BLAS, hash), whether
the TMVA method (libTMVAHashedDNN) was built and, if not, why (the reason
CMake recorded at build time: pip shows no CMake output unless run with
``-v``), and which TMVA ``from tmva_hashednet import TMVA`` gives now. What
it is not: a build tool (README.md, "Build the TMVA method against your ROOT").
"""

from __future__ import annotations

import argparse
import sys

from . import __version__

__all__ = ["main", "tmva_method_status"]

_STATUS_FILE = "hashednet_tmva_method.txt"  # written by cmake/HashednetTmva.cmake, installed next to the core


def tmva_method_status() -> dict:
    """``{"built": "yes"|"no"|"unknown", "detail": ...}`` as CMake recorded it when the package was built."""
    from ._core import _prefix

    path = _prefix() / "lib" / _STATUS_FILE
    if not path.exists():
        return {"built": "unknown", "detail": f"{path} is missing (a build from before this record existed)"}
    items = dict(line.split(": ", 1) for line in path.read_text().splitlines() if ": " in line)
    return {"built": items.get("built", "unknown"), "detail": items.get("detail", "")}


def _tmva_now() -> str:
    from .tmva import locate_tmva

    try:
        found = locate_tmva()
    except FileNotFoundError as error:
        return f"error: {error}"
    if found is None:
        return "no TMVA found (ROOT has no libTMVA): `from tmva_hashednet import TMVA` gives the compatible workflow"
    return f"{found[0]}: `from tmva_hashednet import TMVA` gives ROOT's TMVA with HashedDNN registered"


def info() -> str:
    from ._core import library_path

    status = tmva_method_status()
    method = {"yes": f"built {status['detail']}",
              "no": f"not built ({status['detail']}); the compatible workflow (tmva_hashednet.tmva) is used",
              "unknown": f"unknown: {status['detail']}"}[status["built"]]  # fmt: skip
    lines = [f"tmva-hashednet {__version__}", f"core library:  {library_path()}", f"TMVA method:   {method}",
             f"TMVA now:      {_tmva_now()}"]  # fmt: skip
    if status["built"] != "yes":
        lines.append("To build the method against a ROOT with TMVA (conda, LCG, a source build): set up ROOT's "
                     "environment (root-config on PATH), then\n  pip install --no-build-isolation "
                     "-C cmake.define.HASHEDNET_TMVA=ON <tmva-hashednet source>\n(README.md, 'Build the TMVA method "
                     "against your ROOT')")  # fmt: skip
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tmva_hashednet", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["info"], help="info: what was built and why")
    parser.parse_args(argv)
    print(info())
    return 0


if __name__ == "__main__":
    sys.exit(main())
