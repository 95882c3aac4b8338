"""Training data from TTrees in chunks: the memory of one chunk, whatever the
number of events.

What it is: readers that go through a TTree (one file or a chain of files)
in consecutive entry ranges and yield float32 numpy arrays ready for
:meth:`HashedNetwork.partial_fit` and :meth:`HashedNetwork.fit_stream`, and
:func:`input_moments`, the inputs' mean and spread from one pass over chunks.

What it is not: a general ROOT-to-numpy converter (``datasets.read_tree``
reads a whole tree at once; ``ROOT.RDataFrame(...).AsNumpy`` does the rest).

Variables, targets, weights and the selection are what TMVA accepts
(``TTreeFormula``, the syntax of ``TTree::Draw``):

- a branch (leaf) name, read as it is, whatever characters it holds
  (``jet1_b-tag``); a fixed-size array branch (``x[28]/F``) given by its name
  is one column per element, named ``x[0]`` ... ``x[27]`` (multi-dimensional
  arrays flattened in storage order);
- an expression: ``log(pt)``, ``x[3]``, ``Sum$(x)``, ``a*b``. Expressions are
  computed in double, as TMVA does, and stored as float32. An expression over
  a fixed-size array without an index (``2*x``) is one column per element too;
  one over a variable-length array must give exactly one value per event.

Entries come in order; a chunk holds ``chunk_size`` events passing the
selection (the last one fewer). The reader is the package's one TTree reader
(``_tree_source.py``, also behind ``datasets.read_tree`` and the compatible
DataLoader, so expressions and the NaN/inf rule are the same there), a few
lines of C++ declared to ROOT's interpreter (``_treereader.py``); it reads about 3M
events/s of 29 float columns from a file in the page cache, ten times what
per-chunk ``RDataFrame.Range`` + ``AsNumpy`` manages, and its memory does not
grow with the number of chunks.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from ._moments import Moments
from ._tree_source import Column, TreeSource, expression_list
from ._treereader import SELECTION, W, X, Y

__all__ = ["DEFAULT_CHUNK_SIZE", "TreeChunk", "TreeChunks", "tree_chunks", "two_class_chunks", "input_moments"]

#: Events per chunk: 58 MB of float32 for 28 variables and a label.
DEFAULT_CHUNK_SIZE = 500_000


@dataclass(frozen=True, eq=False)
class TreeChunk:
    """One chunk of events; unpacks as ``x, y, w = chunk``."""

    x: np.ndarray  # (n, d) float32, C-contiguous
    y: np.ndarray | None  # (n,) float32, (n, T) for several targets; None without a target
    w: np.ndarray | None  # (n,) float32; None without a weight expression
    entries: int  # tree entries read for this chunk (events, and entries the selection rejected)
    source: str  # which entries of which tree, for messages

    def __iter__(self):
        return iter((self.x, self.y, self.w))

    @property
    def events(self) -> int:
        return int(self.x.shape[0])


# ---------------------------------------------------------------------- one tree
def _source(path, tree: str, variables, target, weight, selection: str) -> TreeSource:
    """The tree with its columns checked: variables into x, targets into y, the weight, the selection."""
    columns = [Column("variable", v, X) for v in variables] + [Column("target", t, Y) for t in target]
    columns += [Column("weight", weight, W)] if weight is not None else []
    columns += [Column("selection", selection, SELECTION)] if selection else []
    return TreeSource.from_files(path, tree, columns)


def _positive_int(name: str, value, meaning: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive integer ({meaning}), got {value!r}")
    return int(value)


class TreeChunks:
    """Chunks of events from one tree, or from a signal and a background tree
    (see :func:`tree_chunks`, :func:`two_class_chunks`).

    Iterable any number of times (each pass reads the tree again from the
    start), so it serves several epochs and a first pass for the inputs'
    mean and spread. ``columns`` names the columns of x, ``n_entries`` is the
    number of tree entries one pass reads.
    """

    def __init__(self, trees: list, labels: list, chunk_size: int, start: int, stop: int):
        self._trees, self._labels = trees, labels
        self.chunk_size, self.start, self.stop = chunk_size, start, stop
        self.columns = list(trees[0].names[X])
        self.targets = list(trees[0].names[Y]) if labels[0] is None else ["class (1 signal, 0 background)"]
        self.weighted = trees[0].weighted

    @property
    def n_variables(self) -> int:
        return len(self.columns)

    @property
    def n_entries(self) -> int:
        """Tree entries one pass reads (events before the selection)."""
        if len(self._trees) == 1:
            return self.stop - self.start
        return sum(t.entries for t in self._trees)

    def __iter__(self) -> Iterator[TreeChunk]:
        return self._one_tree() if len(self._trees) == 1 else self._interleaved()

    def __repr__(self) -> str:
        trees = " + ".join(t.label for t in self._trees)
        return f"TreeChunks({trees}, {self.n_variables} columns, {self.n_entries:,} entries, chunk_size={self.chunk_size:,})"

    def _buffers(self, n: int) -> tuple:
        """Fresh x, y, w for n events (y: None without a target, (n,) for one, (n, T) for several)."""
        targets = len(self.targets)
        y = None if targets == 0 else np.empty(n if targets == 1 else (n, targets), np.float32)
        w = np.empty(n, np.float32) if self.weighted else None
        return np.empty((n, self.n_variables), np.float32), y, w

    def _one_tree(self) -> Iterator[TreeChunk]:
        tree, entry = self._trees[0], self.start
        while entry < self.stop:
            x, y, w = self._buffers(min(self.chunk_size, self.stop - entry))
            rows, following, _ = tree.read(entry, self.stop, len(x), x, y, w)
            if rows:
                yield TreeChunk(x[:rows], None if y is None else y[:rows], None if w is None else w[:rows],
                                following - entry, f"entries {entry}-{following - 1} of {tree.label}")  # fmt: skip
            entry = following

    def _interleaved(self) -> Iterator[TreeChunk]:
        """Chunk i holds the i-th of k equal slices of every tree, so each
        chunk has all classes in the proportion of their entries."""
        k = max(1, math.ceil(self.n_entries / self.chunk_size))
        for i in range(k):
            slices = [(t.entries * i // k, t.entries * (i + 1) // k) for t in self._trees]
            x, y, w = self._buffers(sum(b - a for a, b in slices))
            rows, parts = 0, []
            for tree, label, (a, b) in zip(self._trees, self._labels, slices):
                if b > a:
                    n, _, _ = tree.read(a, b, b - a, x[rows:], None, None if w is None else w[rows:])
                    y[rows : rows + n] = label
                    rows += n
                    parts.append(f"entries {a}-{b - 1} of {tree.label}")
            if rows:
                yield TreeChunk(x[:rows], y[:rows], None if w is None else w[:rows], sum(b - a for a, b in slices),
                                " and ".join(parts))  # fmt: skip


def _range(start, stop, entries: int, label: str) -> tuple:
    if isinstance(start, bool) or not isinstance(start, (int, np.integer)) or not 0 <= start < max(entries, 1):
        raise ValueError(f"start must be an entry number in [0, {max(entries - 1, 0)}] ({label} has {entries} "
                         f"entries), got {start!r}")  # fmt: skip
    if stop is None:
        return int(start), entries
    if isinstance(stop, bool) or not isinstance(stop, (int, np.integer)) or stop <= start:
        raise ValueError(f"stop must be None (the end) or an entry number above start={start}, got {stop!r}")
    return int(start), min(int(stop), entries)


def _checked_arguments(variables, chunk_size, selection, weight) -> tuple:
    """(variables as a list, chunk_size as an int), or a clear error for any of the four."""
    variables = expression_list("variables", variables, allow_none=False)
    if not variables:
        raise ValueError("variables is empty: give at least one branch name or expression")
    chunk_size = _positive_int("chunk_size", chunk_size, "events per chunk")
    if not isinstance(selection, str):
        raise TypeError(f"selection must be a string (a TTree cut, '' for none), got {type(selection).__name__}")
    if weight is not None and not isinstance(weight, str):
        raise TypeError(f"weight must be an expression string or None, got {type(weight).__name__}")
    return variables, chunk_size


def tree_chunks(
    path,
    tree: str,
    variables,
    *,
    target=None,
    weight: str | None = None,
    selection: str = "",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    start: int = 0,
    stop: int | None = None,
) -> TreeChunks:
    """Chunks ``(x, y, w)`` of a TTree, in the memory of one chunk.

    path : a ROOT file, or a list of files holding the same tree (a chain).
    tree : the TTree's name.
    variables : branch names or expressions (see the module's docstring); an
        array branch given by its name is one column per element.
    target : None (y is None), a branch or expression (y of shape (n,)), or a
        list of them (regression with several targets, y of shape (n, T)).
    weight : an expression for the event weight (w), or None (w is None).
    selection : events with a non-zero value pass (``TTree::Draw``'s rule;
        TMVA's DataLoader keeps values >= 0.5); "" keeps all. A selection
        that is NaN or inf at an entry is a ValueError.
    chunk_size : events per chunk (passing the selection).
    start, stop : the entry range read; stop=None reads to the last entry.

    Every chunk is checked: a NaN or inf raises ``ValueError`` naming the
    variable, target or weight, the tree, the file and the entry.
    """
    variables, chunk_size = _checked_arguments(variables, chunk_size, selection, weight)
    source = _source(path, tree, variables, expression_list("target", target, allow_none=True), weight, selection)
    if source.entries == 0:
        raise ValueError(f"{source.label} has no entries")
    start, stop = _range(start, stop, source.entries, source.label)
    return TreeChunks([source], [None], chunk_size, start, stop)


def two_class_chunks(
    path,
    signal_tree: str,
    background_tree: str,
    variables,
    *,
    background_path=None,
    weight: str | None = None,
    selection: str = "",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> TreeChunks:
    """Chunks ``(x, y, w)`` of a signal and a background tree, y = 1 for
    signal and 0 for background (TMVA's two-class habit).

    Each chunk holds the next slice of both trees, in proportion to their
    entries (signal first; partial_fit shuffles within a chunk), so no chunk
    is of one class only. ``background_path`` defaults to ``path``; the other
    arguments are those of :func:`tree_chunks` and apply to both trees.
    """
    variables, chunk_size = _checked_arguments(variables, chunk_size, selection, weight)
    signal = _source(path, signal_tree, variables, [], weight, selection)
    background = _source(path if background_path is None else background_path, background_tree, variables, [],
                         weight, selection)  # fmt: skip
    for source in (signal, background):
        if source.entries == 0:
            raise ValueError(f"{source.label} has no entries")
    if signal.names[X] != background.names[X]:
        raise ValueError(f"the variables give different columns on the two trees: {signal.names[X]} on "
                         f"{signal.label}, {background.names[X]} on {background.label}")  # fmt: skip
    return TreeChunks([signal, background], [1.0, 0.0], chunk_size, 0, signal.entries + background.entries)


# ---------------------------------------------------------------------- statistics over chunks
def _unpack(chunk) -> tuple:
    """(x, y, w) of a TreeChunk or of an (x, y) / (x, y, w) tuple."""
    if isinstance(chunk, TreeChunk):
        return chunk.x, chunk.y, chunk.w
    if isinstance(chunk, (tuple, list)) and len(chunk) in (2, 3):
        return chunk[0], chunk[1], chunk[2] if len(chunk) == 3 else None
    raise TypeError(f"a chunk must be a TreeChunk or a tuple (x, y) or (x, y, weights), got {type(chunk).__name__}"
                    + (f" of length {len(chunk)}" if isinstance(chunk, (tuple, list)) else ""))  # fmt: skip


def input_moments(chunks) -> tuple:
    """(mean, std) of each input variable over all chunks, event-weighted when
    the chunks carry weights, in one pass and in float64.

    ``chunks``: a :class:`TreeChunks` or any iterable of (x, y[, w]). The
    standard deviation is the population one (``np.average((x - mean)**2,
    weights=w)``, as :meth:`HashedNetwork.standardize_inputs`); negative
    weights are allowed, weights summing to zero or less are a ValueError
    (the package's one rule, ``_moments.Moments``).
    """
    moments = Moments("the chunks")
    for i, chunk in enumerate(chunks):
        x, _, w = _unpack(chunk)
        moments.add(x, w, f"chunk {i} x", f"chunk {i} weights")
    return moments.mean_std()


# ---------------------------------------------------------------------- progress of fit_stream
class _Progress:
    """Progress lines of HashedNetwork.fit_stream, as TMVA prints its training:
    at most one per ``every`` seconds (and each epoch's first chunk), then a
    summary per epoch."""

    def __init__(self, chunks, epochs: int, every: float = 5.0):
        self.total = getattr(chunks, "n_entries", None)  # entries per pass, when the chunks know it
        self.epochs, self.every = epochs, every
        self.start = self.last = time.perf_counter()
        self.events = 0

    def chunk(self, epoch: int, record, entries_done: int) -> None:
        self.events += record.events
        now = time.perf_counter()
        if record.chunk > 0 and now - self.last < self.every:
            return
        self.last, elapsed = now, max(now - self.start, 1e-9)
        where = f"{self.events:,} events"
        if self.total:
            done, total = (epoch - 1) * self.total + entries_done, self.epochs * self.total
            where = f"{done:,}/{total:,} entries ({100 * done / total:.1f}%), {elapsed / done * (total - done):.0f} s left"
        print(f"HashedDNN: epoch {epoch}/{self.epochs}, chunk {record.chunk + 1}: {where}, "
              f"{self.events / elapsed:,.0f} events/s, chunk loss {record.loss:.5f}", flush=True)  # fmt: skip

    def epoch_done(self, record, events: int, read_seconds: float, train_seconds: float) -> None:
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        print(f"HashedDNN: epoch {record.epoch}/{self.epochs} done: {events:,} events in {record.seconds:.1f} s, "
              f"mean chunk loss {record.train_loss:.5f}; so far {self.events / elapsed:,.0f} events/s (reading "
              f"{read_seconds:.1f} s, training {train_seconds:.1f} s)", flush=True)  # fmt: skip
