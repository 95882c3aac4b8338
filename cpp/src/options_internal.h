// options_internal.h: the small pieces of TMVA's option syntax shared by the
// HashedDNN option parser and the declared options of the compatible workflow
// (option_table.cpp). Private to cpp/src: option_grammar.cpp defines the
// grammar helpers and the tokenizer, option_layout.cpp the Layout reader,
// options.cpp the HashedDNN tables.
//
// What it is: the one tokenizer of TMVA option strings (Key=Value, Key, !Key
// separated by ':'), string splitting, case-insensitive comparison, strict
// number parsing, "did you mean" suggestions and the width-expression evaluator.
// What it is not: it knows no option names; options.cpp and its callers own those.
#ifndef HASHEDNET_OPTIONS_INTERNAL_H
#define HASHEDNET_OPTIONS_INTERNAL_H

#include "hashednet/config.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hashednet {
namespace grammar {

std::string trim(const std::string &text);
std::string upper(const std::string &text);
bool iequals(const std::string &a, const std::string &b);

/// Pieces between separators, empty pieces kept ("a,,b" -> "a", "", "b").
std::vector<std::string> split(const std::string &text, char separator);

/// Like split, but any character of `separators` splits, and only outside parentheses.
std::vector<std::string> split_outside_parentheses(const std::string &text, const std::string &separators);

std::string join(const std::vector<std::string> &pieces, const std::string &separator);

/// Levenshtein distance, ignoring case.
std::size_t edit_distance(const std::string &a, const std::string &b);

/// The candidate nearest to `word` if its distance is <= max(2, len(word)/3), else "".
std::string nearest(const std::string &word, const std::vector<std::string> &candidates);

/// "; did you mean 'X'? " or "; " -- the glue before an allowed-values list.
std::string suggestion(const std::string &word, const std::vector<std::string> &candidates);

/// The canonical spelling of `value` among `allowed` (case-insensitive), or
/// throws: "unknown value 'v' for <what>; did you mean 'X'? Allowed values: A, B".
std::string choose(const std::string &value, const std::vector<std::string> &allowed, const std::string &what);

/// Like choose, but values in `unsupported` (TMVA choices HashedDNN lacks)
/// get their own message: "... is a TMVA choice that HashedDNN does not support".
std::string choose_supported(const std::string &value, const std::vector<std::string> &allowed,
                             const std::vector<std::string> &unsupported, const std::string &what);

/// TMVA's booleans: 1/true/ktrue/t and 0/false/kfalse/f, any case.
bool parse_bool(const std::string &value, const std::string &what);

/// One ':'-separated item of a TMVA option string as written: Key=Value, Key or !Key.
struct OptionItem {
   std::string text;  ///< the item as written (after a leading '~')
   std::string key;   ///< without '!', trimmed
   std::string value; ///< after the first '=', trimmed; "" without one
   bool has_value = false;
   bool negated = false;
};

/// The items of a TMVA option string: the text split at ':', blanks trimmed, a
/// leading '~' (TMVA's mark of an option it has parsed) dropped, empty items
/// skipped. Throws for an item with no name ("=5", "!").
std::vector<OptionItem> option_items(const std::string &text);

/// The value text an item gives a declared option, as TMVA's Configurable
/// reads it: "True"/"False" for a bare boolean Key / !Key, else the value as
/// written. Throws for !Key=Value, a negated non-boolean, a missing or empty
/// value; `example` ("Layout takes a value, e.g. Layout=TANH|64") ends those messages.
std::string item_value(const OptionItem &item, bool is_bool, const std::string &example);

/// Records that option `canonical` was given (spelled `as_written`); throws
/// "option 'v' is given twice (also as 'V')<context>; give each option once"
/// the second time. `seen` maps canonical names to their first spelling.
void check_given_once(std::vector<std::pair<std::string, std::string>> &seen, const std::string &canonical,
                      const std::string &as_written, const std::string &context);

/// A closed/open interval for range checks; `describe()` reads e.g. "in [0, 1)" or "> 0".
struct Range {
   double low;
   bool low_open;
   double high; ///< +infinity for no upper bound
   bool high_open;
   std::string describe() const;
};

/// A finite decimal number (whole text, no trailing junk) inside `range`, or throws naming `what`.
double parse_real(const std::string &value, const std::string &what, const Range &range);

/// A decimal integer (whole text) in [low, high], or throws naming `what`.
std::int64_t parse_integer(const std::string &value, const std::string &what, std::int64_t low, std::int64_t high);

/// An unsigned decimal integer in [0, high], or throws naming `what`.
std::uint64_t parse_unsigned(const std::string &value, const std::string &what, std::uint64_t high);

/// A compression ratio "1/8" or "0.125" in (0, 1], or throws naming `what`.
double parse_compression(const std::string &value, const std::string &what);

/// Shortest decimal text that reads back as exactly `value`.
std::string format_real(double value);

/// Compression as "1/8" when it is exactly 1/integer, else as format_real.
std::string format_compression(double value);

/// Evaluates a layer width: an integer or an expression in N (the number of
/// input variables) with + - * / and parentheses, e.g. "N", "N+5", "(N+100)*2".
/// The result is rounded toward zero, as TMVA does. Returns nothing when the
/// text uses N and `n_inputs` < 0 (unknown); throws on malformed text.
std::optional<std::int64_t> eval_width(const std::string &text, std::int64_t n_inputs, const std::string &what);

/// The layers of a Layout value; a width written with N while `n_inputs` < 0
/// is left as -1 (checked for syntax only). Defined in option_layout.cpp.
std::vector<LayerSpec> layout_layers(const std::string &layout, std::int64_t n_inputs);

} // namespace grammar
} // namespace hashednet

#endif // HASHEDNET_OPTIONS_INTERNAL_H
