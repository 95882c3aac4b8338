"""Today's outputs, bit for bit: the golden runs of main at 5673110.

Every case of ``tests/golden/cases.py`` (HIGGS, TMVA's toy, multiclass and
regression data; dense, ELEMENT and BLOCK layouts; hashed biases and output
layer; dropout; Adam and SGD; one and two threads; two training phases;
partial_fit; the TMVA-compatible workflow) is trained again with its seeds and
compared with the recording of main at 5673110: final parameters, responses on
a held-out sample, loss histories. The weight-format-1 files written by that
main (``tests/data/golden/format1``) must load and give the recorded responses.

Bit-identity holds for a given sgemm summation order, which OpenBLAS picks by
CPU: recordings are keyed by the BLAS identity (``cases.blas_identity()``).
On a CPU without a recording of its own the comparison uses the tolerances
below instead, and the run says that bit-identity was not checked (to record
for this CPU, see tests/golden/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from golden import cases

from tmva_hashednet import HashedNetwork

DATA = Path(__file__).resolve().parent / "data" / "golden"
FORMAT1 = DATA / "format1"
RECORDINGS = DATA / "recordings"

#: (rtol, atol) where this CPU's BLAS kernel differs from the recorded one. Evidence (README.md): OpenBLAS's
#: Sandybridge and Katmai kernels forced on the recording CPU (OPENBLAS_CORETYPE) use at most 20% of these.
TOLERANCE = {
    "responses": (1e-4, 1e-5),  # after training (measured: 6e-7 absolute at most)
    "params": (1e-4, 1e-5),  # after training (measured: 2.4e-7 absolute at most)
    "train_loss": (1e-5, 0.0),  # measured: 1.2e-7 relative at most
    "validation_loss": (1e-5, 0.0),  # measured: 2.2e-7 relative at most
    "loaded responses": (1e-5, 1e-6),  # the same parameters, sgemm's rounding only (measured: 6e-7 absolute)
}


@dataclass
class Recording:
    arrays: dict
    identity: str  # this machine's BLAS kernel
    recorded: str  # the recording's
    exact: bool

    def get(self, *parts: str):
        name = "::".join(parts)
        assert name in self.arrays, f"the recording {self.recorded!r} has no {name!r}; re-record (README.md)"
        return self.arrays[name]

    def fields(self, case: str) -> set:
        return {k.split("::", 1)[1] for k in self.arrays if k.startswith(f"{case}::")}


@pytest.fixture(scope="module")
def recording(request):
    identity = cases.blas_identity()
    own = RECORDINGS / f"{cases.identity_file_stem(identity)}.npz"
    files = sorted(RECORDINGS.glob("*.npz"))
    assert files, f"no recordings in {RECORDINGS}"
    with np.load(own if own.exists() else files[0]) as npz:
        arrays = {k: npz[k] for k in npz.files}
    return Recording(arrays, identity, str(arrays["identity"]), own.exists())


@pytest.fixture
def check(recording, request):
    """check(what, got, recorded, tolerance_name): bit for bit where the BLAS kernel is the recorded one."""
    if not recording.exact:
        request.node.user_properties.append(("golden", _not_bit_identical(recording)))
    return lambda what, got, want, tolerance: assert_same(what, got, want, recording, tolerance)


def _not_bit_identical(recording) -> str:
    return (f"golden: bit-identity was NOT checked because the BLAS kernel differs (here {recording.identity!r}, "
            f"recorded {recording.recorded!r}); compared within the tolerances of tests/test_golden.py")  # fmt: skip


def assert_same(what: str, got, want, recording: Recording, tolerance: str) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, recorded {want.shape}"
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype}, recorded {want.dtype}"
    if recording.exact or got.dtype.kind not in "f":
        differ = _bits(got) != _bits(want)
        assert not differ.any(), (f"{what}: {int(differ.sum())} of {differ.size} values differ bit for bit from the "
                                  f"recording of main at 5673110 ({recording.recorded}){_max_difference(got, want)}")
        return
    rtol, atol = TOLERANCE[tolerance]
    differ = ~np.isclose(got, want, rtol=rtol, atol=atol)
    assert not differ.any(), (f"{what}: {int(differ.sum())} of {differ.size} values differ from the recording by "
                              f"more than rtol={rtol}, atol={atol}{_max_difference(got, want)}. "
                              f"{_not_bit_identical(recording)}")


def _bits(a: np.ndarray) -> np.ndarray:
    """Elementwise raw bits (so -0.0 differs from 0.0), or the values for non-numeric arrays."""
    return a.view(f"u{a.dtype.itemsize}") if a.dtype.kind in "fiu" else a


def _max_difference(got, want) -> str:
    if got.dtype.kind not in "fiu" or got.size == 0:
        return ""
    return f"; max |difference| {np.max(np.abs(got.astype(np.float64) - want.astype(np.float64))):.3g}"


# ---------------------------------------------------------------------- training runs


@pytest.mark.parametrize("case", list(cases.CASES))
def test_training_run_equals_the_recording(case, recording, check):
    result, _, _ = cases.CASES[case]()
    assert set(result) == recording.fields(case), f"{case}: the run and the recording hold different fields"
    check(f"{case}: data inputs (the ROOT data file changed, not the code)", result.pop("inputs"),
          recording.get(case, "inputs"), "")  # fmt: skip
    for field, value in result.items():
        check(f"{case}: {field}", value, recording.get(case, field), field if field in TOLERANCE else "")


def test_two_thread_case_is_above_the_parallel_threshold():
    """The 2-thread HIGGS case: its 256 x 256 layer at batch 128 is 2^23 multiply-adds per pass, so the CPU
    backend really runs it on 2 threads (kParallelWork = 2^21 in cpp/src/cpu_backend.cpp)."""
    net = HashedNetwork(28, cases.PARALLEL_LAYOUT, compression=1 / 8, hash_mode="BLOCK")
    work = max(net.layer_info(i)["n_in"] * net.layer_info(i)["n_out"] for i in range(net.n_layers))
    assert cases.PARALLEL_BATCH * work >= 4 * cases.PARALLEL_WORK


def test_tmva_workflow_equals_the_recording(recording, check):
    result, _, _ = cases.tmva_workflow()
    check("tmva-workflow: TestTree inputs (the data or the split changed)", result["inputs"],
          recording.get("tmva-workflow", "inputs"), "")  # fmt: skip
    check("tmva-workflow: TestTree responses", result["responses"], recording.get("tmva-workflow", "responses"),
          "responses")  # fmt: skip
    text, recorded_text = str(result["network_text"]), str(recording.get("tmva-workflow", "network_text"))
    if recording.exact:  # recorded in format 1: compared as this version writes it (format 2), every bit of it
        assert recorded_text.startswith("HASHEDNET 1\n") and text.startswith("HASHEDNET 2\n")
        assert text == HashedNetwork.from_text(recorded_text).to_text(), \
            "tmva-workflow: the weight file's network text differs from the recording"
    check("tmva-workflow: weight file parameters", HashedNetwork.from_text(text).params,
          HashedNetwork.from_text(recorded_text).params, "params")  # fmt: skip


# ---------------------------------------------------------------------- weight format 1


@pytest.mark.parametrize("file_name", sorted(cases.FORMAT1_FILES.values()))
def test_format1_network_file_loads_with_the_recorded_responses(file_name, recording, check):
    net = HashedNetwork.load(FORMAT1 / file_name, num_threads=1)
    assert net.to_text().startswith("HASHEDNET 2\n")  # read as format 1, written as format 2
    responses = net.predict(recording.get("format1", file_name, "inputs"))
    check(f"{file_name}: responses", responses, recording.get("format1", file_name, "responses"), "loaded responses")


def test_format1_tmva_weight_file_loads_with_the_recorded_responses(recording, check):
    path = FORMAT1 / cases.TMVA_FILE
    responses = cases.reader_responses(path, recording.get("format1", cases.TMVA_FILE, "inputs"))
    check(f"{cases.TMVA_FILE}: Reader responses", responses, recording.get("format1", cases.TMVA_FILE, "responses"),
          "loaded responses")  # fmt: skip


def test_every_recorded_array_is_checked(recording):
    """The recording holds exactly the cases and files the tests above check (none is silently left out)."""
    groups = {k.split("::")[0] for k in recording.arrays if "::" in k}
    assert groups == set(cases.CASES) | {"tmva-workflow", "format1"}
    files = {k.split("::")[1] for k in recording.arrays if k.startswith("format1::")}
    assert files == set(cases.FORMAT1_FILES.values()) | {cases.TMVA_FILE}
    assert files == {p.name for p in FORMAT1.iterdir()}
