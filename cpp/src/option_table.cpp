// option_table.cpp: OptionTable (options.h), the declared options of the
// compatible workflow's Factory, DataLoader and Reader.
//
// What it is: a list of declared options (name, kind, default) read with the
// tokenizer and value rules of options_internal.h, the ones the HashedDNN
// options use, so `!V=True`, `V=yes`, `V:V` and `~!Silent` mean the same in
// every option string.
// What it is not: it knows none of those objects' option names; the Python
// package declares them (tmva_hashednet/tmva/_optstring.py).
#include "hashednet/common.h"
#include "hashednet/options.h"
#include "options_internal.h"

#include <limits>

namespace hashednet {

namespace {
const grammar::Range kFinite{-std::numeric_limits<double>::infinity(), true,
                             std::numeric_limits<double>::infinity(), true};
} // namespace

OptionTable::OptionTable(std::string where) : where_(std::move(where)) {}

void OptionTable::declare(Declared option)
{
   for (const Declared &other : options_)
      HASHEDNET_ASSERT(!grammar::iequals(other.name, option.name));
   options_.push_back(std::move(option));
}

void OptionTable::declare_bool(const std::string &name, bool default_value)
{
   declare({name, Kind::Bool, default_value ? "True" : "False", 0, 0, {}});
}

void OptionTable::declare_integer(const std::string &name, std::int64_t default_value, std::int64_t low,
                                  std::int64_t high)
{
   HASHEDNET_ASSERT(low <= default_value && default_value <= high);
   declare({name, Kind::Integer, std::to_string(default_value), low, high, {}});
}

void OptionTable::declare_real(const std::string &name, double default_value)
{
   declare({name, Kind::Real, grammar::format_real(default_value), 0, 0, {}});
}

void OptionTable::declare_string(const std::string &name, const std::string &default_value)
{
   declare({name, Kind::String, default_value, 0, 0, {}});
}

void OptionTable::declare_choice(const std::string &name, const std::string &default_value,
                                 const std::vector<std::string> &allowed)
{
   declare({name, Kind::Choice, grammar::choose(default_value, allowed, name), 0, 0, allowed});
}

std::string OptionTable::read(const Declared &option, const std::string &value, const std::string &key) const
{
   const std::string what = key + " in " + where_ + " options";
   switch (option.kind) {
   case Kind::Bool: return grammar::parse_bool(value, what) ? "True" : "False";
   case Kind::Integer: return std::to_string(grammar::parse_integer(value, what, option.low, option.high));
   case Kind::Real: return grammar::format_real(grammar::parse_real(value, what, kFinite));
   case Kind::Choice: return grammar::choose(value, option.allowed, what);
   case Kind::String: return value;
   }
   HASHEDNET_ASSERT(false);
   return "";
}

std::vector<std::string> OptionTable::parse(const std::string &text) const
{
   std::vector<std::string> names, values;
   for (const Declared &option : options_) {
      names.push_back(option.name);
      values.push_back(option.default_text);
   }
   std::vector<std::pair<std::string, std::string>> given;
   for (const grammar::OptionItem &item : grammar::option_items(text)) {
      std::size_t i = 0;
      while (i < options_.size() && !grammar::iequals(item.key, options_[i].name))
         ++i;
      HASHEDNET_CHECK(i < options_.size(), "unknown option '" << item.key << "' in " << where_ << " options '"
                                                               << text << "'" << grammar::suggestion(item.key, names)
                                                               << "Allowed options: " << grammar::join(names, ", "));
      const Declared &option = options_[i];
      const std::string example = option.name + " takes a value, e.g. " + option.name + "=" + option.default_text;
      const std::string value = grammar::item_value(item, option.kind == Kind::Bool, example);
      grammar::check_given_once(given, option.name, item.key, " in " + where_ + " options");
      values[i] = read(option, value, item.key);
   }
   return values;
}

} // namespace hashednet
