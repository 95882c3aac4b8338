"""atheris target: the TMVA XML weight-file reader (tmva_hashednet/tmva/weights_xml.py).

What it is: one input is one weight file. ``read_weight_file`` must either
refuse it with a ValueError or return its content; a file it accepts must
then load as a method (``MethodResponse``: network text, variables,
transform) and evaluate one event, or be refused there with a ValueError.
Any other exception, a hang or a blow-up of memory is a finding.
What it is not: a fuzzer of the network text inside (a changed byte there
fails its checksum; fuzz_network_text.cpp fuzzes that reader under ASan).
atheris instruments the package's Python code for coverage; the C++ core
runs uninstrumented behind PyROOT.

Usage (libFuzzer's flags): python tests/fuzz/fuzz_weights_xml.py [-max_total_time=S] CORPUS_DIR...
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings

import atheris

with atheris.instrument_imports(include=["tmva_hashednet"]):
    from tmva_hashednet.tmva.response import MethodResponse
    from tmva_hashednet.tmva.weights_xml import read_weight_file

import numpy as np  # noqa: E402

PATH = os.path.join(tempfile.mkdtemp(prefix="fuzz_weights_xml."), "input.weights.xml")


def load_and_evaluate(data: bytes) -> None:
    with open(PATH, "wb") as out:
        out.write(data)
    try:
        content = read_weight_file(PATH)
    except ValueError:
        return
    try:
        method = MethodResponse(content, num_threads=1)
    except ValueError:
        return
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            method.evaluate(np.zeros((1, method.n_variables), np.float32))
        except ValueError:
            return


def main() -> None:
    import ROOT  # loaded before fuzzing starts: its start-up is not part of any input's time

    ROOT.gROOT.SetBatch(True)
    atheris.Setup(sys.argv, load_and_evaluate)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
