"""tmva_hashednet.rdf: a HashedDNN weight file as an RDataFrame column.

What it is: the scores of a trained network computed inside RDataFrame's event
loop in C++, one evaluator per slot over one shared copy of the network, so
``ROOT.EnableImplicitMT()`` runs it on every thread without locks::

    from tmva_hashednet import rdf
    scorer = rdf.Scorer("dataset/weights/job_HashedDNN.weights.xml")
    df = scorer.define(df, "score")                  # the weight file's variables as columns
    df = scorer.define(df, "score", ["x1", "x2"])    # other scalar columns, in the file's order,
    df = scorer.define(df, "score", ["inputs"])      # or one RVec<float>/RVec<double> of all inputs
    f = scorer.functor(df, ["x1", "x2"])             # or a C++ functor of (slot, columns...):
    df = df.DefineSlot("score", f, ["x1", "x2"])

The weight file's input transformation (any VarTransform chain of N, D, P, G
and U, e.g. ``N,D`` or ``G,D``; for regression the responses mapped back where
the chain took the targets) is applied in C++ as TMVA's Reader applies it
(``hashednet/input_transform.h``), values are converted to float first, and
each event's score is the Reader's ``EvaluateMVA`` bit for bit (the event
path, evaluator.h). A
classifier gives a float column, multiclass and multi-target networks an
``RVec<float>`` of all outputs (or ``output=k`` for one). :func:`distribute`
makes the same columns work on distributed RDataFrame (Dask): the workers
load the model in ROOT's distributed initialisation hook.

What it is not: a Python loop (no Python runs per event), or the batch path
(:meth:`HashedNetwork.predict` on ``AsNumpy`` arrays: equal within float
rounding). The C++ side is ``hashednet/rdf_score.h``, declared to ROOT's
interpreter on first use.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re

from ._core import core, declare_once

__all__ = ["Scorer", "distribute"]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_VECTOR_TYPE = re.compile(r"^(ROOT::(VecOps::)?RVec|std::vector|vector)<\s*(float|double)\s*>$")
_models: dict = {}  # model name -> n_slots loaded in this process
_alias_counter = itertools.count()  # unique names of the input copies (see _aliased)


def _declare() -> None:
    core()  # loads the library and the core's headers (evaluator.h)
    declare_once('#include "hashednet/rdf_score.h"', "RDataFrame scorer (hashednet/rdf_score.h)")


def _model_name(text: str) -> str:
    return "tmva_hashednet_rdf_" + hashlib.sha256(text.encode()).hexdigest()[:20]


def _load(name: str, source: str, text: str, n_slots: int) -> None:
    """The interpreter's global ``name`` (a hashednet::rdf::Model) holds the network of ``text`` with
    ``n_slots`` evaluators; made once per process (again only for more slots)."""
    import ROOT

    from .evaluator import shared_network
    from .tmva.response import WeightFileTransform
    from .tmva.weights_xml import parse_weight_text

    _declare()
    if _models.get(name, 0) >= n_slots:
        return
    content = parse_weight_text(text, source)
    shared = shared_network(content.network_text)  # the snapshot alone, no trainable network beside it
    transform = WeightFileTransform(content)
    declare_once(f"hashednet::rdf::Model {name};", name)
    getattr(ROOT, name).reset(source, shared.snapshot, transform.input_transform(), n_slots)
    _models[name] = n_slots


def _n_slots(df) -> int:
    import ROOT

    get = getattr(df, "GetNSlots", None)
    slots = int(get()) if get is not None else 0
    return max(1, slots, int(ROOT.GetThreadPoolSize()))


class Scorer:
    """The network of one TMVA weight file (HashedDNN), for RDataFrame columns."""

    def __init__(self, weight_file):
        from .evaluator import shared_network
        from .tmva.weights_xml import parse_weight_text

        path = os.fspath(weight_file)
        if not os.path.exists(path):
            raise FileNotFoundError(f"weight file {path!r} does not exist")
        with open(path, encoding="utf-8") as stream:
            self._text = stream.read()
        content = parse_weight_text(self._text, path)
        self.weight_file = path
        self.variables = [v.expression for v in content.variables]
        self.analysis_type = content.analysis_type
        self.name = _model_name(self._text)
        self.n_inputs = len(self.variables)
        self.n_outputs = shared_network(content.network_text).n_outputs

    def _columns(self, df, columns, expressions_allowed: bool) -> tuple:
        """(columns, is_vector): checked against the network's inputs and the dataframe's columns."""
        columns = list(self.variables if columns is None else columns)
        if not all(isinstance(c, str) for c in columns):
            raise TypeError(f"columns must be a list of column names (str), got {columns!r}")
        known = _column_names(df)
        for c in columns:
            if _IDENTIFIER.match(c) and known is not None and c not in known:
                raise ValueError(f"column '{c}' is not in the dataframe; its columns: {', '.join(sorted(known))}")
            if not _IDENTIFIER.match(c) and not expressions_allowed:
                raise ValueError(f"'{c}' is not a column name; a functor takes columns only (Define the expression "
                                 "first, or use Scorer.define, which accepts expressions)")
        is_vector = len(columns) == 1 and _is_vector_column(df, columns[0], self.n_inputs)
        if not is_vector and len(columns) != self.n_inputs:
            raise ValueError(f"the network of {self.weight_file} takes {self.n_inputs} inputs "
                             f"({', '.join(self.variables)}), got {len(columns)} columns {columns}; pass one scalar "
                             "column per input, in this order, or one RVec<float>/RVec<double> column of them all")
        return columns, is_vector

    def _output(self, output) -> int | None:
        if output is None:
            return 0 if self.n_outputs == 1 else None
        if isinstance(output, bool) or not isinstance(output, int) or not 0 <= output < self.n_outputs:
            raise ValueError(f"output must be an integer in [0, {self.n_outputs - 1}] (the network has "
                             f"{self.n_outputs} outputs), got {output!r}")
        return output

    def load(self, n_slots: int = 1) -> None:
        """Loads the network into ROOT's interpreter with n_slots evaluators (define and functor call this)."""
        _load(self.name, self.weight_file, self._text, int(n_slots))

    def expression(self, columns=None, output=None) -> str:
        """The C++ expression of the score for ``df.Define(name, expression)`` (the model must be loaded)."""
        columns = list(self.variables if columns is None else columns)
        k = self._output(output)
        arguments = ", ".join(["rdfslot_", *columns])
        if k is None:
            return f"hashednet::rdf::scores({self.name}, {arguments})"
        return f"hashednet::rdf::score({self.name}, {k}, {arguments})"

    def define(self, df, name: str, columns=None, output=None):
        """``df.Define(name, ...)`` with the score; columns default to the weight file's variables
        (names or expressions, as the Reader's AddVariable), or one RVec column of the inputs."""
        columns, _ = self._columns(df, columns, expressions_allowed=True)
        self.load(_n_slots(df))
        df, arguments = _aliased(df, columns)
        return df.Define(name, self.expression(arguments, output))

    def functor(self, df, columns=None, output=None):
        """A C++ functor of (slot, columns...) for ``df.DefineSlot(name, functor, columns)``."""
        import ROOT

        columns, is_vector = self._columns(df, columns, expressions_allowed=False)
        k = self._output(output)
        if k is None:
            raise ValueError(f"the network has {self.n_outputs} outputs: pass output=k for the functor's column "
                             "(or use define, which gives an RVec of all outputs)")
        self.load(_n_slots(df))
        types = ", ".join(_cpp_type(df, c) for c in columns)
        functor_type = ROOT.hashednet.rdf.ScoreFunctor[types]
        functor = functor_type()
        functor.model = getattr(ROOT, self.name)
        functor.output = k
        return functor


def distribute(*scorers: Scorer) -> None:
    """Makes the scorers' columns work on distributed RDataFrame: registers, with
    ``ROOT.RDF.Distributed.initialize``, a function that loads their networks on every worker
    (the weight files travel with it; the workers need tmva_hashednet installed). It replaces any
    initialisation function set before (ROOT keeps one)."""
    import ROOT

    if not scorers or not all(isinstance(s, Scorer) for s in scorers):
        raise TypeError("distribute takes one or more tmva_hashednet.rdf.Scorer")
    models = [(s.name, s.weight_file, s._text) for s in scorers]
    ROOT.RDF.Distributed.initialize(_load_on_worker, models)


def _load_on_worker(models) -> None:
    """Run by ROOT's distributed initialisation on each worker (and once on the client)."""
    import ROOT

    for name, source, text in models:
        _load(name, source, text, max(1, int(ROOT.GetThreadPoolSize())))


def _aliased(df, columns: list) -> tuple:
    """(df, arguments): each plain column name replaced by a copy under a name of ours. RDataFrame's
    jitted expressions rename the columns they use to var0, var1, ... one after the other, so
    columns that are themselves called var1, var2, ... (as in TMVA's examples) can read each
    other's values (ROOT 6.40; root-project/root issue 11002); a one-column Define per input is
    immune, and so is the expression over the copies. An Alias is not: it resolves to the name."""
    arguments = []
    prefix = f"tmva_hashednet_input{next(_alias_counter)}_"
    for j, column in enumerate(columns):
        if _IDENTIFIER.match(column):
            df = df.Define(f"{prefix}{j}", column)
            column = f"{prefix}{j}"
        arguments.append(column)
    return df, arguments


def _column_names(df):
    try:
        return {str(c) for c in df.GetColumnNames()}
    except Exception:  # a dataframe that cannot list its columns here (distributed): RDF checks them
        return None


def _column_type(df, column: str):
    try:
        return str(df.GetColumnType(column))
    except Exception:
        return None


def _is_vector_column(df, column: str, n_inputs: int) -> bool:
    kind = _column_type(df, column)
    if kind is None:
        return n_inputs != 1
    if _VECTOR_TYPE.match(kind.replace(" ", "")):
        return True
    if n_inputs != 1:
        raise ValueError(f"column '{column}' is a {kind}; one column must be an RVec<float> or RVec<double> "
                         f"of the network's {n_inputs} inputs")
    return False


def _cpp_type(df, column: str) -> str:
    kind = _column_type(df, column)
    if kind is None:
        raise ValueError(f"the type of column '{column}' is unknown here; use Scorer.define")
    return kind
