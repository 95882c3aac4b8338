"""The package's one TTree reader: columns of a tree checked once, then read
in entry ranges into numpy arrays.

What it is: :class:`TreeSource`, used by :mod:`.streaming` (chunks),
:func:`.datasets.read_tree` (a whole tree) and the compatible DataLoader
(``tmva/trees.py``). Columns are evaluated as TMVA's DataSetFactory does,
with ``TTreeFormula`` (a branch by name, or ``var4^2``, ``x[3]``, ``Sum$(x)``,
``Entry$`` ...), in double, stored as float32 (float64 for the weight).
The same rules hold for every caller:

- an expression that is no branch and no valid formula is a ``ValueError``
  naming it, the tree and file, and listing the tree's branches;
- a value that is NaN or inf (as a float32) in an event passing the
  selection is a ``ValueError`` naming the variable, target, spectator,
  weight or cut, the tree (and file) and the entry; entries the selection
  rejects are not checked (TMVA warns about those and goes on);
- a selection passes when non-zero (``TTree::Draw``), or when >= 0.5 with
  ``tmva_cuts=True`` (TMVA's ``cutVal < 0.5`` rejects, used by the DataLoader).

What it is not: a converter of arbitrary branch types (numeric leaves and
formulas only) or a loop in Python: the entry loop is C++ (``_treereader``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ._treereader import FORMULA, INVALID, LEAF, SELECTION, W, X, Y, root
from .files import open_root_file

__all__ = ["Column", "TreeSource", "file_list", "expression_list", "check_tree_in"]

_READ_BLOCK = 1 << 20  # entries per read of read_all: its memory beyond the result is one block

# what Reader::read returns on a problem
_COUNT, _MISSING_LEAF, _NOT_FINITE = -1, -2, -3
_FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass(frozen=True)
class Column:
    """One expression to read: ``what`` names it in messages ("variable",
    "target", "spectator", "weight", "selection", "cut"); ``into`` is X, Y, W
    or SELECTION."""

    what: str
    expression: str
    into: int


def file_list(path) -> list:
    """A list of file names from one name or a list of them."""
    if isinstance(path, (str, os.PathLike)):
        return [os.fspath(path)]
    try:
        files = [os.fspath(p) for p in path]
    except TypeError:
        raise TypeError(f"path must be a file name or a list of file names, got {type(path).__name__}") from None
    if not files:
        raise ValueError("path is an empty list: give at least one ROOT file")
    return files


def expression_list(name: str, values, allow_none: bool) -> list:
    """A list of non-empty strings from one string or a list of them."""
    if values is None and allow_none:
        return []
    items = [values] if isinstance(values, str) else values
    try:
        items = list(items)
    except TypeError:
        raise TypeError(f"{name} must be a string or a list of strings, got {type(values).__name__}") from None
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise TypeError(f"{name} must hold non-empty strings (branch names or expressions), got {item!r}")
    return items


def check_tree_in(path: str, tree: str) -> None:
    """ValueError unless ``path`` holds a TTree called ``tree``; FileNotFoundError for a missing file."""
    handle = open_root_file(path)
    try:
        found = handle.Get(tree)
        if not found:
            keys = [str(k.GetName()) for k in handle.GetListOfKeys()]
            raise ValueError(f"tree {tree!r} is not in {path!r}; it holds: {', '.join(keys) or 'nothing'}")
        if not found.InheritsFrom("TTree"):
            raise ValueError(f"{tree!r} in {path!r} is a {found.ClassName()}, not a TTree")
    finally:
        handle.Close()


def _leaves(tree) -> list:
    """The leaves of a TTree object, arrays with their size: ``x[28]``, ``v[n]``."""
    leaves = []
    for leaf in tree.GetListOfLeaves():
        count = leaf.GetLeafCount()
        size = f"[{count.GetName()}]" if count else (f"[{leaf.GetLenStatic()}]" if leaf.GetLenStatic() > 1 else "")
        leaves.append(f"{leaf.GetName()}{size}")
    return leaves


def _leaves_in_file(path: str, tree: str) -> list:
    handle = open_root_file(path)
    try:
        return _leaves(handle.Get(tree))
    finally:
        handle.Close()


def tree_object_label(tree) -> str:
    """``tree 'TreeS' (file.root)`` for a TTree object, ``(memory)`` for one in no file."""
    directory = tree.GetDirectory()
    where = directory.GetFile().GetName() if directory and directory.GetFile() else "memory"
    return f"tree '{tree.GetName()}' ({where})"


class TreeSource:
    """A tree with its columns compiled (see the module's docstring).

    Build it with :meth:`from_files` (a file or a chain of files) or
    :meth:`from_tree` (a TTree object the caller keeps open). ``names[into]``
    lists the column names of X and Y (an array column expanded to one name
    per element), ``whats[into]`` what each of them is.
    """

    def __init__(self, reader, label: str, columns: list, shapes: list, keep_alive=None):
        # keep_alive: the TTree object a borrowing reader points into
        self.reader, self.label, self.columns = reader, label, list(columns)
        self.entries = int(reader.entries())
        self._keep_alive = keep_alive
        self.names, self.whats = {X: [], Y: []}, {X: [], Y: []}
        for column, (width, kind) in zip(self.columns, shapes):
            if column.into not in (X, Y):
                continue
            if width == 1:
                self.names[column.into].append(column.expression)
            else:  # an array: one column per element
                stem = column.expression if kind == LEAF else f"({column.expression})"
                self.names[column.into].extend(f"{stem}[{k}]" for k in range(width))
            self.whats[column.into].extend([column.what] * width)
        self.weighted = any(c.into == W for c in self.columns)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_files(cls, path, tree: str, columns: list, *, one_value: bool = False, tmva_cuts: bool = False):
        """The tree ``tree`` of one file or of a chain of files; every file must give the same columns."""
        if not isinstance(tree, str) or not tree:
            raise TypeError(f"tree must be the name of a TTree, got {tree!r}")
        files = file_list(path)
        for file in files:
            check_tree_in(file, tree)
        label = f"tree {tree!r} of " + (repr(files[0]) if len(files) == 1 else
                                        f"{len(files)} files from {files[0]!r}")  # fmt: skip
        reader = _chain_reader(tree, files, tmva_cuts)
        shapes = _compile(reader, columns, label, lambda: _leaves_in_file(files[0], tree), one_value)
        for file in files[1:]:  # a chain: every file must give the same columns
            other = _compile(_chain_reader(tree, [file], tmva_cuts), columns, f"tree {tree!r} of {file!r}",
                             lambda file=file: _leaves_in_file(file, tree), one_value)  # fmt: skip
            if other != shapes:
                raise ValueError(f"the variables give other columns on tree {tree!r} of {file!r} than on "
                                 f"{files[0]!r}: a chain needs the same branches in every file")  # fmt: skip
        return cls(reader, label, columns, shapes)

    @classmethod
    def from_tree(cls, tree, columns: list, *, one_value: bool = False, tmva_cuts: bool = False):
        """A TTree (or TChain) object, e.g. the DataLoader's; the caller keeps its file open while reading."""
        if not (hasattr(tree, "GetListOfLeaves") and hasattr(tree, "GetEntries")):
            raise TypeError(f"expected a ROOT TTree, got {type(tree).__name__} (a null pointer means the tree was "
                            "not found)")  # fmt: skip
        reader = root().hashednet_stream.Reader(tree)
        if tmva_cuts:
            reader.use_tmva_cuts()
        label = tree_object_label(tree)
        shapes = _compile(reader, columns, label, lambda: _leaves(tree), one_value)
        return cls(reader, label, columns, shapes, keep_alive=tree)

    # ------------------------------------------------------------------ reading
    def buffers(self, n: int) -> tuple:
        """Fresh x (n, width of X) float32, y (n, width of Y) float32 or None, w (n,) float64 or None."""
        y = np.empty((n, len(self.names[Y])), np.float32) if self.names[Y] else None
        return np.empty((n, len(self.names[X])), np.float32), y, np.empty(n, np.float64) if self.weighted else None

    def read(self, start: int, stop: int, capacity: int, x, y, w) -> tuple:
        """Fills x, y, w (C-contiguous, at least ``capacity`` rows; w float32 or float64) from entries
        start.. until stop or capacity events; returns (events, next entry, entry numbers)."""
        import ROOT

        entry_of_row = np.empty(capacity, np.int64)
        weights = w if w is None or w.dtype == np.float64 else np.empty(capacity, np.float64)
        null = ROOT.nullptr
        status = int(self.reader.read(start, stop, capacity, x, null if y is None else y,
                                      null if weights is None else weights, entry_of_row))  # fmt: skip
        rows = int(self.reader.rows_read())
        entry_of_row = entry_of_row[:rows]
        self._check_finite(x[:rows], None if y is None else y[:rows], None if weights is None else weights[:rows],
                           entry_of_row)  # fmt: skip
        if status < 0:  # after the values read before the entry at fault, which come first
            raise ValueError(self._problem(status))
        if weights is not w:
            w[:rows] = weights[:rows]
        return rows, int(self.reader.next_entry()), entry_of_row

    def _check_finite(self, x, y, w, entry_of_row) -> None:
        """ValueError naming the first NaN or inf (as a float32) in entry order: variables, targets, the weight."""
        parts = [(X, x)] + ([(Y, y.reshape(len(y), -1))] if y is not None else [])
        bad = [~np.isfinite(a) for _, a in parts]
        if w is not None:
            bad.append(~(np.abs(w) <= _FLOAT32_MAX).reshape(-1, 1))  # NaN compares False
        if not any(b.any() for b in bad):
            return
        firsts = [int(np.argmax(b.any(axis=1))) if b.any() else len(entry_of_row) for b in bad]
        part = int(np.argmin(firsts))  # the earliest row; at a tie variables, then targets, then the weight
        row = firsts[part]
        column = int(np.argmax(bad[part][row]))
        if part < len(parts):
            into, values = parts[part]
            what, name, value = self.whats[into][column], self.names[into][column], float(values[row, column])
        else:
            weight = next(c for c in self.columns if c.into == W)
            what, name, value = weight.what, weight.expression, float(w[row])
        shown = f"{value}" + (" (beyond float32's range)" if np.isfinite(value) else "")
        raise ValueError(f"{what} {name!r} is {shown} at {self._where(int(entry_of_row[row]))}; values must be finite "
                         f"(no NaN or inf): exclude such entries with the selection (cut)")  # fmt: skip

    def read_all(self, start: int = 0, stop: int | None = None) -> tuple:
        """(x, y, w) of the events of entries start..stop (all by default) passing the selection."""
        stop = self.entries if stop is None else min(stop, self.entries)
        parts, entry = [], start
        while entry < stop:
            x, y, w = self.buffers(min(stop - entry, _READ_BLOCK))
            rows, entry, _ = self.read(entry, stop, len(x), x, y, w)
            parts.append((x[:rows], None if y is None else y[:rows], None if w is None else w[:rows]))
        if not parts:
            x, y, w = self.buffers(0)
            return x, y, w
        if len(parts) == 1:
            return parts[0]
        return tuple(None if p[0] is None else np.concatenate(p) for p in zip(*parts))

    # ------------------------------------------------------------------ messages
    def _where(self, entry: int) -> str:
        where = f"entry {entry} of {self.label}"
        file = str(self.reader.file_of(entry))
        return where + (f" (in file {file!r})" if file and file not in self.label else "")

    def _problem(self, status: int) -> str:
        """The message for a failed read (Reader::read's negative status)."""
        column = self.columns[int(self.reader.bad_column())]
        what, expression, where = column.what, column.expression, self._where(int(self.reader.bad_entry()))
        if status == _MISSING_LEAF:
            file = str(self.reader.file_of(int(self.reader.bad_entry())))
            return f"{what} {expression!r} is not a leaf of the tree in {file!r} ({where})"
        if status == _COUNT:
            return (f"{what} {expression!r} gives {int(self.reader.bad_count())} values at {where}, where one is "
                    f"needed; reduce it to one value (e.g. an element that always exists, Sum$(...), Max$(...)) or "
                    f"exclude such entries with the selection")  # fmt: skip
        assert status == _NOT_FINITE, status
        return (f"{what} {expression!r} is {float(self.reader.bad_value())} at {where}; values must be finite (no "
                f"NaN or inf): guard the expression (e.g. y != 0 && x/y > 1)")  # fmt: skip


def _chain_reader(tree: str, files: list, tmva_cuts: bool):
    reader = root().hashednet_stream.Reader(tree, root().std.vector["std::string"](files))
    if tmva_cuts:
        reader.use_tmva_cuts()
    return reader


def _compile(reader, columns: list, label: str, leaves, one_value: bool) -> list:
    """Adds every column to ``reader``; their (width, kind); errors name the column and list the branches."""
    shapes = []
    for column in columns:
        what, expression = column.what, column.expression
        index = int(reader.add(expression, column.into))
        width, kind = int(reader.width(index)), int(reader.kind(index))
        if kind == INVALID:
            raise ValueError(f"{what} {expression!r} cannot be evaluated on {label}: it is neither a branch nor a "
                             f"valid TTreeFormula expression; its branches are: {', '.join(leaves())}")  # fmt: skip
        if width == 0:
            raise ValueError(f"{what} {expression!r} gives no value on {label} (an index beyond an array?)")
        if width != 1 and column.into in (Y, W, SELECTION):
            raise ValueError(f"{what} {expression!r} gives {width} values per entry on {label}; a {what} must "
                             f"give one (pick an array element such as x[0], or reduce with Sum$(), Max$(), "
                             f"Length$() ...)")  # fmt: skip
        if width != 1 and one_value:
            raise ValueError(f"{what} {expression!r} gives {width} values per entry on {label}; here each "
                             f"expression must give one (TMVA would make one event per array element, which this "
                             f"workflow does not do): pick an element such as x[0], or reduce with Sum$(), Max$(), "
                             f"Length$() ...")  # fmt: skip
        assert kind in (LEAF, FORMULA), kind
        shapes.append((width, kind))
    return shapes
