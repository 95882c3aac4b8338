"""TMVA's Reader for the compatible workflow: applies HashedDNN weight files.

PyROOT style as in TMVA's tutorials: variables are bound to one-element
buffers (``array('f', [0.])`` or numpy), ``EvaluateMVA(title)`` reads their
current values. ``EvaluateMVA(values, title)`` takes the values directly, and
:meth:`Reader.evaluate_batch` (an extra, not in TMVA) evaluates many events.
``GetProba`` and ``GetRarity`` use the MVA PDFs of a weight file trained with
``CreateMVAPdfs``.

One event goes through the event path (``tmva_hashednet.evaluator``): the
responses of the real method's ``GetMvaValue`` bit for bit. Each thread that
evaluates gets its own evaluator of one network shared by all, so one Reader
(or several) may run ``EvaluateMVA(values, title)`` in many threads; the bound
variables of ``EvaluateMVA(title)`` are, as in TMVA, one set per Reader.
``evaluate_batch`` takes the batch path (equal within float rounding).
"""

from __future__ import annotations

import numpy as np

from . import _optstring, pdf
from ._log import Logger, set_global_style
from .response import MethodResponse
from .weights_xml import TRANSFORMATIONS_CHECKSUM
from .variables import make_variable

__all__ = ["Reader"]

_READER_OPTIONS = {"V": False, "Silent": False, "Color": True, "VerboseLevel": "Info", "Verbose": False}
_MISSING = -999.0  # TMVA's answer to a NaN input (Reader::EvaluateMVA), here to NaN and inf alike
_FROM_INPUTS = -9999999  # Reader::GetProba/GetRarity: "evaluate the bound variables"


class _Bound:
    def __init__(self, expression, buffer):
        self.info = make_variable(expression)
        if buffer is not None and len(buffer) < 1:
            raise ValueError(f"the buffer of variable '{expression}' is empty; use array('f', [0.])")
        self.buffer = buffer

    def value(self) -> float:
        if self.buffer is None:
            raise ValueError(f"variable '{self.info.expression}' has no buffer; pass one to AddVariable or call "
                             "EvaluateMVA(values, title)")
        return float(np.asarray(self.buffer).reshape(-1)[0])


class Reader:
    """``TMVA.Reader("!Color:!Silent")``."""

    def __init__(self, options: str = "", verbose: bool = False):
        self.options = _optstring.parse(options, _READER_OPTIONS, "Reader")
        set_global_style(self.options["Color"], self.options["Silent"])
        self.variables: list = []
        self.spectators: list = []
        self.methods: dict = {}
        self.log = Logger("Reader")

    def AddVariable(self, expression, buffer=None) -> None:
        self.variables.append(_Bound(expression, buffer))

    def AddSpectator(self, expression, buffer=None) -> None:
        self.spectators.append(_Bound(expression, buffer))

    def BookMVA(self, title: str, weight_file):
        """Reads a HashedDNN weight file; the variables must match it by expression and order."""
        response = MethodResponse.from_file(str(weight_file))
        self._check(response.content.variables, self.variables, "variables", "AddVariable")
        self._check(response.content.spectators, self.spectators, "spectators", "AddSpectator")
        self.log.info(f"Booking \"{title}\" of type \"{response.content.method_type}\" from {weight_file}.")
        if not response.content.transformations_checked:
            self.log.warning(f"{weight_file} has no {TRANSFORMATIONS_CHECKSUM} (written before it existed): its "
                             "<Transformations> section is read unverified; write the file again to protect it")
        self.methods[str(title)] = response
        self.log.info(f"Booked classifier \"{response.content.title}\" of type: \"{response.content.method_type}\"")
        return response

    @staticmethod
    def _check(in_file: list, declared: list, what: str, call: str) -> None:
        file_names = [v.expression for v in in_file]
        reader_names = [b.info.expression for b in declared]
        if file_names != reader_names:
            raise ValueError(f"the {what} declared in the Reader ({call}) do not match the weight file (name or "
                             f"order): Reader: {reader_names}; weight file: {file_names}")

    def _method(self, title: str) -> MethodResponse:
        if str(title) not in self.methods:
            raise ValueError(f"no method '{title}' is booked in the Reader; booked: {', '.join(self.methods) or 'none'}")
        return self.methods[str(title)]

    def _values(self, args) -> tuple:
        """(values, title) from (title) or (values, title)."""
        if len(args) >= 2 and not isinstance(args[0], str):
            return np.asarray(list(args[0]), np.float32), str(args[1])
        if not args:
            raise TypeError("EvaluateMVA needs the method title")
        return np.array([b.value() for b in self.variables], np.float32), str(args[0])

    def _evaluate(self, args, analysis: str) -> np.ndarray | None:
        values, title = self._values(args)
        method = self._method(title)
        if method.analysis_type != analysis:
            raise ValueError(f"method '{title}' was trained for {method.analysis_type}, not {analysis}")
        if values.size != len(method.content.variables):
            raise ValueError(f"method '{title}' needs {len(method.content.variables)} values, got {values.size}")
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            name = method.content.variables[bad[0]].expression
            answer = f"return MVA value {_MISSING}" if analysis == "Classification" else "return NaN for every output"
            self.log.error(f"{bad[0]}-th variable of the event ('{name}') is {values[bad[0]]} --> {answer}; "
                           "please fix or remove this event")
            return None
        out = method.evaluate_one(values)  # the event path: TMVA's Reader's (GetMvaValue's) bits
        return out[0] if analysis == "Classification" else out

    def EvaluateMVA(self, *args) -> float:
        """``EvaluateMVA(title)`` or ``EvaluateMVA(values, title)``: P(signal) of one event; -999 (with an
        ERROR line, as TMVA's Reader) when an input is NaN or inf."""
        out = self._evaluate(args[:2], "Classification")
        return _MISSING if out is None else float(out)

    def _mva_pdfs(self, title: str, caller: str, warning: str) -> tuple | None:
        method = self._method(title)
        if method.analysis_type != "Classification":
            raise ValueError(f"{caller}: method '{title}' was trained for {method.analysis_type}, not Classification")
        if method.content.mva_pdfs is None:
            self.log.warning(warning)
        return method.content.mva_pdfs

    def _value(self, title: str, mva_value: float) -> float | None:
        if mva_value != _FROM_INPUTS:
            return float(mva_value)
        out = self._evaluate((title,), "Classification")
        return None if out is None else float(out)

    def GetProba(self, title: str, ap_sig: float = 0.5, mvaVal: float = _FROM_INPUTS) -> float:
        """TMVA's Reader::GetProba: the signal probability p_s ap / (p_s ap + p_b (1 - ap)) from the MVA PDFs
        (CreateMVAPdfs) at mvaVal, by default the response of the bound variables; -1 (with a WARNING) without
        PDFs, -999 when an input is NaN or inf."""
        pdfs = self._mva_pdfs(title, "GetProba", "<GetProba> MVA PDFs for Signal and Background don't exist")
        if pdfs is None:
            return -1.0
        value = self._value(title, mvaVal)
        return _MISSING if value is None else float(pdf.proba(*pdfs, value, ap_sig))

    def GetRarity(self, title: str, mvaVal: float = _FROM_INPUTS) -> float:
        """TMVA's Reader::GetRarity: the integral of the background MVA PDF up to mvaVal (by default the response
        of the bound variables); 0 (with a WARNING) without PDFs, -999 when an input is NaN or inf."""
        pdfs = self._mva_pdfs(title, "GetRarity", "<GetRarity> Required MVA PDF for Signal or Background does not "
                                                  "exist: select option \"CreateMVAPdfs\"")
        if pdfs is None:
            return 0.0
        value = self._value(title, mvaVal)
        return _MISSING if value is None else float(pdfs[1].rarity(value))

    def EvaluateMulticlass(self, *args) -> list:
        """One probability per class; NaN for every class (with an ERROR line) when an input is NaN or inf."""
        title = args[1] if len(args) >= 2 else args[0] if args else ""
        out = self._evaluate(args[:2], "Multiclass")
        return [float(v) for v in out] if out is not None else [float("nan")] * self._n_outputs(title)

    def EvaluateRegression(self, *args) -> list:
        """One value per target; NaN for every target (with an ERROR line) when an input is NaN or inf."""
        title = args[1] if len(args) >= 2 else args[0] if args else ""
        out = self._evaluate(args[:2], "Regression")
        return [float(v) for v in np.reshape(out, -1)] if out is not None else [float("nan")] * self._n_outputs(title)

    def _n_outputs(self, title) -> int:
        return int(self._method(str(title)).n_outputs)

    def evaluate_batch(self, title: str, x) -> np.ndarray:
        """Responses of many events at once (not in TMVA): x is (n, n_variables)."""
        method = self._method(title)
        x = np.asarray(x, np.float32)
        if x.ndim != 2 or x.shape[1] != len(method.content.variables):
            raise ValueError(f"x must have shape (n, {len(method.content.variables)}), got {x.shape}")
        return method.evaluate(x)
