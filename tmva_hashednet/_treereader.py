"""The binding layer of the package's one TTree reader (:mod:`._tree_source`):
a small C++ reader of TTree entry ranges into float32 buffers (float64 for
the event weight), declared to ROOT's interpreter once.

A column is either a leaf read by name (``TLeaf::GetValue``; any branch name,
also ones such as ``jet1_b-tag`` that are no valid formula, and fixed-size
arrays such as ``x[28]`` as one column per element) or a ``TTreeFormula``
(what TMVA and ``TTree::Draw`` evaluate: expressions, ``var4^2``, ``x[3]``,
``Sum$(x)``, ``Entry$``). Values are computed in double and stored as float;
a selection that is NaN or inf stops the read (TMVA's DataSetFactory rule),
the values read are checked by the caller in one numpy pass (a per-value
check in the loop costs 20% here: cling's code is not optimised). The loop
over entries is C++; Python checks the columns and the values and builds the
messages.
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
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>
namespace hashednet_stream {
/// Entry ranges of a tree into buffers: x (n x width of the X columns, float), y (n x width of the
/// Y columns, float), w (n, double; only with a W column); the event's entry number into entry_of_row.
/// A selection that is NaN or inf stops the read (TMVA's rule for cuts); the values stored
/// are checked by the caller.
class Reader {
public:
   /// A chain of `files` holding `tree`, owned by the reader.
   Reader(const std::string &tree, const std::vector<std::string> &files)
       : owned_(std::make_unique<TChain>(tree.c_str()))
   {
      for (const auto &f : files)
         owned_->Add(f.c_str());
      tree_ = owned_.get();
      begin();
   }
   /// A tree (TTree or TChain) owned by the caller, who keeps it alive while the reader is used.
   explicit Reader(TTree *tree) : tree_(tree) { begin(); }
   std::int64_t entries() const { return entries_; }
   /// Selections pass when non-zero (TTree::Draw's rule) or, after use_tmva_cuts(), when >= 0.5
   /// (TMVA's DataSetFactory: `if (cutVal < 0.5) continue;`).
   void use_tmva_cuts() { tmva_cuts_ = true; }
   /// Adds a column; returns its index. kind() tells a leaf, a formula or an invalid expression.
   int add(const std::string &expression, int target)
   {
      Column c;
      c.expression = expression;
      c.target = target;
      TLeaf *leaf = target == 3 ? nullptr : tree_->GetLeaf(expression.c_str());  // a selection is a formula
      if (leaf && plain_leaf(leaf)) {
         c.kind = 0;
         c.width = leaf->GetLenStatic();
      } else {
         const int previous = gErrorIgnoreLevel;
         gErrorIgnoreLevel = kFatal;  // TTreeFormula prints its own parse errors; Python raises a clearer one
         c.formula = std::make_unique<TTreeFormula>("hashednet_column", expression.c_str(), tree_);
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
   /// Returns the events read; on a problem (see bad_entry/bad_column/bad_value/bad_count,
   /// current_file): -1 a formula gave a number of values other than its width, -2 a leaf is
   /// missing in a file of the chain, -3 a selection is NaN or inf. next_entry() is where the
   /// next read starts. Python checks the values read (one numpy pass per read).
   std::int64_t read(std::int64_t start, std::int64_t stop, std::int64_t capacity, float *x, float *y, double *w,
                     std::int64_t *entry_of_row)
   {
      const std::int64_t wx = total_width(0), wy = total_width(1);
      std::int64_t rows = 0, e = start;
      for (; e < stop && rows < capacity; ++e) {
         const std::int64_t local = tree_->LoadTree(e);
         if (local < 0)
            break;
         if (tree_->GetTreeNumber() != tree_number_ && !refresh())
            return failed(e, rows, kMissingLeaf);
         for (TBranch *b : branches_)
            b->GetEntry(local);
         const int pass = selected();
         if (pass != 1) {
            if (pass < 0)
               return failed(e, rows, kNotFinite);
            continue;
         }
         float *out[2] = {x + rows * wx, y ? y + rows * wy : nullptr};
         for (std::size_t i = 0; i < columns_.size(); ++i) {
            Column &c = columns_[i];
            if (c.target == 3)
               continue;
            if (!(c.target == 2 ? fill(c, w + rows) : fill(c, out[c.target]))) {
               bad_column_ = static_cast<int>(i);
               return failed(e, rows, kCount);
            }
            if (c.target < 2)
               out[c.target] += c.width;
         }
         entry_of_row[rows++] = e;
      }
      next_ = e;
      rows_ = rows;
      return rows;
   }
   std::int64_t next_entry() const { return next_; }
   /// Events read by the last read (also when it failed: those before bad_entry).
   std::int64_t rows_read() const { return rows_; }
   std::int64_t bad_entry() const { return bad_entry_; }
   int bad_column() const { return bad_column_; }
   int bad_count() const { return bad_count_; }
   double bad_value() const { return bad_value_; }
   std::string current_file() const { return tree_->GetCurrentFile() ? tree_->GetCurrentFile()->GetName() : ""; }
   /// The file holding `entry` (for messages; moves the tree to that entry).
   std::string file_of(std::int64_t entry) { return tree_->LoadTree(entry) < 0 ? "" : current_file(); }

private:
   enum Status { kCount = -1, kMissingLeaf = -2, kNotFinite = -3 };
   struct Column {
      std::string expression;
      int target = 0, kind = -1, width = 0, multiplicity = 0;
      TLeaf *leaf = nullptr;
      std::unique_ptr<TTreeFormula> formula;
   };
   void begin()
   {
      entries_ = tree_->GetEntries();
      if (entries_ > 0)
         tree_->LoadTree(0);
   }
   std::int64_t failed(std::int64_t entry, std::int64_t rows, int status)
   {
      bad_entry_ = entry;
      next_ = entry;
      rows_ = rows;
      return status;
   }
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
      tree_number_ = tree_->GetTreeNumber();
      branches_.clear();
      for (std::size_t i = 0; i < columns_.size(); ++i) {
         Column &c = columns_[i];
         if (c.kind == 0) {
            c.leaf = tree_->GetLeaf(c.expression.c_str());
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
   /// 1 if the entry passes every selection, 0 if not, -1 if a selection is NaN or inf (bad_column).
   int selected()
   {
      for (std::size_t i = 0; i < columns_.size(); ++i) {
         Column &c = columns_[i];
         if (c.target != 3)
            continue;
         if (c.formula->GetNdata() < 1)
            return 0;
         const double v = c.formula->EvalInstance(0);
         if (!std::isfinite(v)) {
            bad_column_ = static_cast<int>(i);
            bad_value_ = v;
            return -1;
         }
         if (tmva_cuts_ ? v < 0.5 : v == 0)
            return 0;
      }
      return 1;
   }
   /// The column's values into out (float for x and y, double for the weight); false (bad_count)
   /// when a formula gives another number of values than its width.
   template <class T>
   bool fill(Column &c, T *out)
   {
      if (c.kind == 0) {
         for (int k = 0; k < c.width; ++k)
            out[k] = static_cast<T>(c.leaf->GetValue(k));
         return true;
      }
      const int n = c.formula->GetNdata();
      if (n != c.width) {
         bad_count_ = n;
         return false;
      }
      for (int k = 0; k < n; ++k)
         out[k] = static_cast<T>(c.formula->EvalInstance(k));
      return true;
   }
   std::unique_ptr<TChain> owned_;
   TTree *tree_ = nullptr;
   bool tmva_cuts_ = false;
   std::int64_t entries_ = 0, next_ = 0, rows_ = 0, bad_entry_ = -1;
   int tree_number_ = -1, bad_column_ = -1, bad_count_ = 0;
   double bad_value_ = 0;
   std::vector<Column> columns_;
   std::vector<TBranch *> branches_;
};
}
"""



def root():
    """ROOT with ``hashednet_stream::Reader`` declared."""
    return declare_once(_CXX, "TTree chunk reader")
