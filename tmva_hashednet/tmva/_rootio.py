"""Small ROOT helpers: fast fills from numpy, TMVA's trees, writing objects once.

The loops run in a few lines of C++ declared to ROOT's interpreter once, so
filling 10^5 events costs no Python per event.
"""

from __future__ import annotations

import numpy as np

from .._core import declare_once

__all__ = ["root", "fill", "set_contents", "write_object", "make_dir", "write_event_tree"]

_CXX = r"""
#include "TH1.h"
#include "TH2.h"
#include "TProfile.h"
#include "TTree.h"
#include "TDirectory.h"
#include <string>
#include <vector>
#include <cstring>
namespace hashednet_tmva_io {
inline void fill1(TH1 *h, long n, const double *x, const double *w) { for (long i = 0; i < n; ++i) h->Fill(x[i], w[i]); }
inline void fill2(TH2 *h, long n, const double *x, const double *y, const double *w)
{ for (long i = 0; i < n; ++i) h->Fill(x[i], y[i], w[i]); }
inline void fillp(TProfile *h, long n, const double *x, const double *y, const double *w)
{ for (long i = 0; i < n; ++i) h->Fill(x[i], y[i], w[i]); }
inline void set_contents(TH1 *h, long n, const double *c) { for (long i = 0; i < n; ++i) h->SetBinContent(i + 1, c[i]); }
/// TMVA's TestTree/TrainTree: classID/I, className/C, then float branches of `widths` leaves each.
inline TTree *event_tree(TDirectory *dir, const char *name, long n, const int *cls,
                         const std::vector<std::string> &class_names, const std::vector<std::string> &branches,
                         const std::vector<std::string> &leaflists, const std::vector<int> &widths, const float *data)
{
   TDirectory::TContext context(dir);
   auto *tree = new TTree(name, name);
   int class_id = 0;
   char class_name[40] = {0};
   long width = 0;
   for (int w : widths) width += w;
   std::vector<float> row(width);
   tree->Branch("classID", &class_id, "classID/I");
   tree->Branch("className", class_name, "className/C");
   long offset = 0;
   for (size_t b = 0; b < branches.size(); ++b) {
      tree->Branch(branches[b].c_str(), row.data() + offset, leaflists[b].c_str());
      offset += widths[b];
   }
   for (long i = 0; i < n; ++i) {
      class_id = cls[i];
      std::strncpy(class_name, class_names[cls[i]].c_str(), 39);
      std::memcpy(row.data(), data + i * width, width * sizeof(float));
      tree->Fill();
   }
   tree->ResetBranchAddresses();
   return tree;
}
}
"""


def root():
    """ROOT with the helpers declared."""
    return declare_once(_CXX, "histogram helpers")


def _f64(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64)


def fill(hist, x, weights, y=None) -> None:
    io = root().hashednet_tmva_io
    x, w = _f64(x), _f64(weights)
    if y is None:
        io.fill1(hist, len(x), x, w)
    elif hist.InheritsFrom("TProfile"):
        io.fillp(hist, len(x), x, _f64(y), w)
    else:
        io.fill2(hist, len(x), x, _f64(y), w)


def set_contents(hist, contents) -> None:
    contents = _f64(contents)
    root().hashednet_tmva_io.set_contents(hist, len(contents), contents)


def detach(obj):
    if hasattr(obj, "SetDirectory"):
        obj.SetDirectory(root().nullptr)
    return obj


def write_object(directory, obj, name: str | None = None) -> None:
    """Writes ``obj`` under ``name`` (default: its own name), cycle 1."""
    directory.WriteTObject(obj, name or obj.GetName())


def make_dir(parent, name: str, title: str = ""):
    existing = parent.GetDirectory(name)
    if existing:
        return existing
    return parent.mkdir(name, title) if title else parent.mkdir(name)


def write_event_tree(directory, name: str, class_id, class_names, branches) -> None:
    """``branches``: (name, leaf names, (n, k) float32 values) in TMVA's order; writes and deletes the tree."""
    ROOT = root()
    names = [b[0] for b in branches]
    leaflists = [":".join(f"{leaf}/F" for leaf in b[1]) for b in branches]
    widths = [len(b[1]) for b in branches]
    data = np.ascontiguousarray(np.concatenate([np.asarray(b[2], np.float32).reshape(len(class_id), -1)
                                                for b in branches], axis=1), dtype=np.float32)
    vec = ROOT.std.vector["std::string"]
    tree = ROOT.hashednet_tmva_io.event_tree(directory, name, len(class_id), np.ascontiguousarray(class_id, np.int32),
                                              vec(class_names), vec(names), vec(leaflists),
                                              ROOT.std.vector["int"](widths), data)
    directory.cd()
    tree.Write("", ROOT.TObject.kOverwrite)
    tree.SetDirectory(ROOT.nullptr)
    ROOT.SetOwnership(tree, True)  # Python deletes it
