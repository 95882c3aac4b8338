"""The binding layer of :mod:`tmva_hashednet.streaming`: a small C++ reader
of TTree entry ranges into float32 buffers, declared to ROOT's interpreter
once.

A column is either a leaf read by name (``TLeaf::GetValue``; any branch name,
also ones such as ``jet1_b-tag`` that are no valid formula, and fixed-size
arrays such as ``x[28]`` as one column per element) or a ``TTreeFormula``
(what TMVA and ``TTree::Draw`` evaluate: expressions, ``x[3]``, ``Sum$(x)``).
Values are computed in double and stored as float. The loop over entries is
C++; Python only checks the columns and builds the messages.
"""

from __future__ import annotations

from ._core import declare_once

__all__ = ["root", "LEAF", "FORMULA", "INVALID", "X", "Y", "W", "SELECTION"]

# column kinds (Reader::kind)
LEAF, FORMULA, INVALID = 0, 1, -1
# what a column fills (Reader::add's `target`)
X, Y, W, SELECTION = 0, 1, 2, 3

_CXX = r"""
#include "TChain.h"
#include "TFile.h"
#include "TLeaf.h"
#include "TBranch.h"
#include "TTreeFormula.h"
#include "TError.h"
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>
namespace hashednet_stream {
/// Entry ranges of a TChain into float32 buffers: x (n x width of the X columns), y (n x width of
/// the Y columns), w (n; only with a W column); the event's entry number into entry_of_row.
class Reader {
public:
   Reader(const std::string &tree, const std::vector<std::string> &files) : chain_(tree.c_str())
   {
      for (const auto &f : files)
         chain_.Add(f.c_str());
      entries_ = chain_.GetEntries();
      if (entries_ > 0)
         chain_.LoadTree(0);
   }
   std::int64_t entries() const { return entries_; }
   /// Adds a column; returns its index. kind() tells a leaf, a formula or an invalid expression.
   int add(const std::string &expression, int target)
   {
      Column c;
      c.expression = expression;
      c.target = target;
      TLeaf *leaf = target == 3 ? nullptr : chain_.GetLeaf(expression.c_str());  // a selection is a formula
      if (leaf && plain_leaf(leaf)) {
         c.kind = 0;
         c.width = leaf->GetLenStatic();
      } else {
         const int previous = gErrorIgnoreLevel;
         gErrorIgnoreLevel = kFatal;  // TTreeFormula prints its own parse errors; Python raises a clearer one
         c.formula = std::make_unique<TTreeFormula>("hashednet_column", expression.c_str(), &chain_);
         gErrorIgnoreLevel = previous;
         if (c.formula->GetNdim() == 0 || c.formula->IsString()) {
            c.kind = -1;
         } else {
            c.kind = 1;
            c.multiplicity = c.formula->GetMultiplicity();
            c.width = c.multiplicity == 2 ? c.formula->GetNdata() : 1;
         }
      }
      columns_.push_back(std::move(c));
      return static_cast<int>(columns_.size()) - 1;
   }
   int kind(int i) const { return columns_[i].kind; }
   int width(int i) const { return columns_[i].width; }
   int multiplicity(int i) const { return columns_[i].multiplicity; }
   /// Reads entries from `start` until `stop` or until `capacity` events passed the selection.
   /// Returns the events read; -1: a formula gave a number of values other than its width,
   /// -2: a leaf is missing in a file of the chain (see bad_entry/bad_column/bad_count,
   /// current_file); next_entry() is where the next read starts.
   std::int64_t read(std::int64_t start, std::int64_t stop, std::int64_t capacity, float *x, float *y, float *w,
                     std::int64_t *entry_of_row)
   {
      const std::int64_t wx = total_width(0), wy = total_width(1);
      std::int64_t rows = 0, e = start;
      for (; e < stop && rows < capacity; ++e) {
         const std::int64_t local = chain_.LoadTree(e);
         if (local < 0)
            break;
         if (chain_.GetTreeNumber() != tree_number_ && !refresh()) {
            bad_entry_ = e;
            next_ = e;
            return -2;
         }
         for (TBranch *b : branches_)
            b->GetEntry(local);
         if (!selected())
            continue;
         float *out[3] = {x + rows * wx, y ? y + rows * wy : nullptr, w ? w + rows : nullptr};
         for (std::size_t i = 0; i < columns_.size(); ++i) {
            Column &c = columns_[i];
            if (c.target == 3)
               continue;
            if (!fill(c, out[c.target])) {
               bad_entry_ = e;
               bad_column_ = static_cast<int>(i);
               next_ = e;
               return -1;
            }
            out[c.target] += c.width;
         }
         entry_of_row[rows++] = e;
      }
      next_ = e;
      return rows;
   }
   std::int64_t next_entry() const { return next_; }
   std::int64_t bad_entry() const { return bad_entry_; }
   int bad_column() const { return bad_column_; }
   int bad_count() const { return bad_count_; }
   std::string current_file() const { return chain_.GetFile() ? chain_.GetFile()->GetName() : ""; }

private:
   struct Column {
      std::string expression;
      int target = 0, kind = -1, width = 0, multiplicity = 0;
      TLeaf *leaf = nullptr;
      std::unique_ptr<TTreeFormula> formula;
   };
   static bool plain_leaf(TLeaf *leaf)
   {
      static const std::vector<std::string> numeric = {"TLeafF", "TLeafD", "TLeafI", "TLeafL", "TLeafS", "TLeafB",
                                                       "TLeafO", "TLeafF16", "TLeafD32", "TLeafG"};
      return !leaf->GetLeafCount() && leaf->GetLenStatic() >= 1 &&
             std::find(numeric.begin(), numeric.end(), leaf->ClassName()) != numeric.end();
   }
   std::int64_t total_width(int target) const
   {
      std::int64_t n = 0;
      for (const Column &c : columns_)
         if (c.target == target)
            n += c.width;
      return n;
   }
   /// After the chain moved to another file: leaves and formulas point into the new tree;
   /// false (bad_column) when a leaf is missing there.
   bool refresh()
   {
      tree_number_ = chain_.GetTreeNumber();
      branches_.clear();
      for (std::size_t i = 0; i < columns_.size(); ++i) {
         Column &c = columns_[i];
         if (c.kind == 0) {
            c.leaf = chain_.GetLeaf(c.expression.c_str());
            if (!c.leaf || !plain_leaf(c.leaf)) {
               bad_column_ = static_cast<int>(i);
               return false;
            }
            TBranch *b = c.leaf->GetBranch();
            if (std::find(branches_.begin(), branches_.end(), b) == branches_.end())
               branches_.push_back(b);
         } else if (c.kind == 1) {
            c.formula->UpdateFormulaLeaves();
         }
      }
      return true;
   }
   bool selected()
   {
      for (Column &c : columns_) {
         if (c.target != 3)
            continue;
         if (c.formula->GetNdata() < 1 || c.formula->EvalInstance(0) == 0)
            return false;
      }
      return true;
   }
   bool fill(Column &c, float *out)
   {
      if (c.kind == 0) {
         for (int k = 0; k < c.width; ++k)
            out[k] = static_cast<float>(c.leaf->GetValue(k));
         return true;
      }
      const int n = c.formula->GetNdata();
      if (n != c.width) {
         bad_count_ = n;
         return false;
      }
      for (int k = 0; k < n; ++k)
         out[k] = static_cast<float>(c.formula->EvalInstance(k));
      return true;
   }
   TChain chain_;
   std::int64_t entries_ = 0, next_ = 0, bad_entry_ = -1;
   int tree_number_ = -1, bad_column_ = -1, bad_count_ = 0;
   std::vector<Column> columns_;
   std::vector<TBranch *> branches_;
};
}
"""


def root():
    """ROOT with ``hashednet_stream::Reader`` declared."""
    return declare_once(_CXX, "TTree chunk reader")
