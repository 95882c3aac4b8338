// option_grammar.cpp: the grammar helpers and the option tokenizer declared in
// options_internal.h (the HashedDNN options and the compatible workflow's
// Factory, DataLoader and Reader options are all split here).
#include "options_internal.h"

#include "hashednet/common.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <iomanip>
#include <limits>
#include <locale>
#include <sstream>

namespace hashednet {
namespace grammar {

std::string trim(const std::string &text)
{
   const char *blank = " \t\r\n";
   const std::size_t first = text.find_first_not_of(blank);
   if (first == std::string::npos)
      return "";
   const std::size_t last = text.find_last_not_of(blank);
   return text.substr(first, last - first + 1);
}

std::string upper(const std::string &text)
{
   std::string result = text;
   for (char &c : result)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
   return result;
}

bool iequals(const std::string &a, const std::string &b)
{
   return upper(a) == upper(b);
}

std::vector<std::string> split(const std::string &text, char separator)
{
   std::vector<std::string> pieces(1);
   for (char c : text) {
      if (c == separator)
         pieces.emplace_back();
      else
         pieces.back() += c;
   }
   return pieces;
}

std::vector<std::string> split_outside_parentheses(const std::string &text, const std::string &separators)
{
   std::vector<std::string> pieces(1);
   int depth = 0;
   for (char c : text) {
      depth += (c == '(') - (c == ')');
      if (depth == 0 && separators.find(c) != std::string::npos)
         pieces.emplace_back();
      else
         pieces.back() += c;
   }
   return pieces;
}

std::string join(const std::vector<std::string> &pieces, const std::string &separator)
{
   std::string result;
   for (std::size_t i = 0; i < pieces.size(); ++i)
      result += (i ? separator : "") + pieces[i];
   return result;
}

std::size_t edit_distance(const std::string &a, const std::string &b)
{
   const std::string x = upper(a), y = upper(b);
   std::vector<std::size_t> row(y.size() + 1);
   for (std::size_t j = 0; j <= y.size(); ++j)
      row[j] = j;
   for (std::size_t i = 1; i <= x.size(); ++i) {
      std::size_t diagonal = row[0];
      row[0] = i;
      for (std::size_t j = 1; j <= y.size(); ++j) {
         const std::size_t above = row[j];
         const std::size_t substitution = diagonal + (x[i - 1] == y[j - 1] ? 0 : 1);
         row[j] = std::min({above + 1, row[j - 1] + 1, substitution});
         diagonal = above;
      }
   }
   return row[y.size()];
}

std::string nearest(const std::string &word, const std::vector<std::string> &candidates)
{
   const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
   std::string best;
   std::size_t best_distance = limit + 1;
   for (const std::string &candidate : candidates) {
      const std::size_t d = edit_distance(word, candidate);
      if (d < best_distance) {
         best = candidate;
         best_distance = d;
      }
   }
   return best;
}

std::string suggestion(const std::string &word, const std::vector<std::string> &candidates)
{
   const std::string best = nearest(word, candidates);
   return best.empty() ? "; " : "; did you mean '" + best + "'? ";
}

std::string choose(const std::string &value, const std::vector<std::string> &allowed, const std::string &what)
{
   for (const std::string &candidate : allowed)
      if (iequals(value, candidate))
         return candidate;
   HASHEDNET_CHECK(false, "unknown value '" << value << "' for " << what << suggestion(value, allowed)
                                            << "Allowed values: " << join(allowed, ", "));
   return "";
}

std::string choose_supported(const std::string &value, const std::vector<std::string> &allowed,
                             const std::vector<std::string> &unsupported, const std::string &what)
{
   for (const std::string &name : unsupported)
      HASHEDNET_CHECK(!iequals(value, name), "value '" << value << "' for " << what
                                                        << " is a TMVA choice that HashedDNN does not support; "
                                                           "supported values: "
                                                        << join(allowed, ", "));
   return choose(value, allowed, what);
}

bool parse_bool(const std::string &value, const std::string &what)
{
   const std::string v = upper(value);
   if (v == "1" || v == "TRUE" || v == "KTRUE" || v == "T")
      return true;
   if (v == "0" || v == "FALSE" || v == "KFALSE" || v == "F")
      return false;
   HASHEDNET_CHECK(false, "bad value '" << value << "' for " << what
                                        << ": expected a boolean, True or False (also 1/0, T/F, kTRUE/kFALSE)");
   return false;
}

std::vector<OptionItem> option_items(const std::string &text)
{
   std::vector<OptionItem> items;
   for (const std::string &piece : split(text, ':')) {
      std::string trimmed = trim(piece);
      if (!trimmed.empty() && trimmed[0] == '~') // TMVA marks options it has parsed with '~'
         trimmed = trim(trimmed.substr(1));
      if (trimmed.empty())
         continue;
      OptionItem item;
      item.text = trimmed;
      const std::size_t eq = trimmed.find('=');
      item.has_value = eq != std::string::npos;
      item.key = trim(trimmed.substr(0, eq));
      item.value = item.has_value ? trim(trimmed.substr(eq + 1)) : "";
      item.negated = !item.key.empty() && item.key[0] == '!';
      if (item.negated)
         item.key = trim(item.key.substr(1));
      HASHEDNET_CHECK(!item.key.empty(), "option '" << trimmed << "' has no name; options are written Key=Value, "
                                                               "Key or !Key and separated by ':'");
      items.push_back(item);
   }
   return items;
}

std::string item_value(const OptionItem &item, bool is_bool, const std::string &example)
{
   if (is_bool && !item.has_value)
      return item.negated ? "False" : "True";
   HASHEDNET_CHECK(!item.negated || !is_bool, "option '" << item.text << "': write either !" << item.key << " or "
                                                         << item.key << "=False, not both");
   HASHEDNET_CHECK(!item.negated, "option '" << item.text << "': only boolean options can be negated with '!'; "
                                             << example);
   HASHEDNET_CHECK(item.has_value, "option '" << item.key << "' needs a value; " << example);
   HASHEDNET_CHECK(!item.value.empty(), "option '" << item.text << "' has an empty value; " << example);
   return item.value;
}

void check_given_once(std::vector<std::pair<std::string, std::string>> &seen, const std::string &canonical,
                      const std::string &as_written, const std::string &context)
{
   for (const auto &given : seen)
      HASHEDNET_CHECK(given.first != canonical, "option '" << as_written << "' is given twice (also as '"
                                                           << given.second << "')" << context
                                                           << "; give each option once");
   seen.emplace_back(canonical, as_written);
}

std::string Range::describe() const
{
   std::ostringstream s;
   s.imbue(std::locale::classic());
   if (std::isinf(high))
      s << (low_open ? "> " : ">= ") << low;
   else
      s << "in " << (low_open ? "(" : "[") << low << ", " << high << (high_open ? ")" : "]");
   return s.str();
}

namespace {
bool read_real(const std::string &text, double &value)
{
   std::istringstream s(text);
   s.imbue(std::locale::classic());
   s >> std::noskipws >> value;
   return !text.empty() && !s.fail() && s.peek() == std::char_traits<char>::eof() && std::isfinite(value);
}

bool inside(double v, const Range &r)
{
   const bool above = r.low_open ? v > r.low : v >= r.low;
   const bool below = r.high_open ? v < r.high : v <= r.high;
   return above && below;
}
} // namespace

double parse_real(const std::string &value, const std::string &what, const Range &range)
{
   double v = 0;
   HASHEDNET_CHECK(read_real(value, v),
                   "bad value '" << value << "' for " << what << ": expected a number " << range.describe());
   HASHEDNET_CHECK(inside(v, range), "value '" << value << "' for " << what
                                              << " is out of range: expected a number " << range.describe());
   return v;
}

namespace {
/// Optional '-', then decimal digits without overflow; false otherwise.
bool read_integer(const std::string &text, bool &negative, std::uint64_t &magnitude)
{
   negative = !text.empty() && text[0] == '-';
   const std::size_t start = negative ? 1 : 0;
   const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
   magnitude = 0;
   for (std::size_t i = start; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9')
         return false;
      const std::uint64_t digit = static_cast<std::uint64_t>(text[i] - '0');
      if (magnitude > (max - digit) / 10)
         return false;
      magnitude = magnitude * 10 + digit;
   }
   return text.size() > start;
}
} // namespace

std::int64_t parse_integer(const std::string &value, const std::string &what, std::int64_t low, std::int64_t high)
{
   bool negative = false;
   std::uint64_t magnitude = 0;
   const bool ok = read_integer(value, negative, magnitude) && magnitude <= 9223372036854775807ull;
   HASHEDNET_CHECK(ok, "bad value '" << value << "' for " << what << ": expected an integer in [" << low << ", "
                                     << high << "]");
   const std::int64_t v = negative ? -static_cast<std::int64_t>(magnitude) : static_cast<std::int64_t>(magnitude);
   HASHEDNET_CHECK(v >= low && v <= high, "value '" << value << "' for " << what
                                                    << " is out of range: expected an integer in [" << low
                                                    << ", " << high << "]");
   return v;
}

std::uint64_t parse_unsigned(const std::string &value, const std::string &what, std::uint64_t high)
{
   bool negative = false;
   std::uint64_t magnitude = 0;
   const bool ok = read_integer(value, negative, magnitude);
   HASHEDNET_CHECK(ok && !negative && magnitude <= high, "bad value '" << value << "' for " << what
                                                                       << ": expected an integer in [0, " << high
                                                                       << "]");
   return magnitude;
}

double parse_compression(const std::string &value, const std::string &what)
{
   const std::vector<std::string> parts = split(value, '/');
   double numerator = 0, denominator = 1;
   const bool ok = parts.size() <= 2 && read_real(trim(parts[0]), numerator) &&
                   (parts.size() == 1 || read_real(trim(parts[1]), denominator)) && denominator != 0;
   HASHEDNET_CHECK(ok, what << ": malformed compression '" << value
                            << "'; write a fraction such as 1/8 or a decimal such as 0.125, in (0, 1]");
   const double ratio = numerator / denominator;
   HASHEDNET_CHECK(ratio > 0 && ratio <= 1, what << ": compression '" << value << "' (= " << format_real(ratio)
                                                 << ") is outside (0, 1]; 1 means dense, 1/8 keeps one real "
                                                    "weight per 8 virtual ones");
   return ratio;
}

std::string format_real(double value)
{
   for (int precision = 1; precision <= 17; ++precision) {
      std::ostringstream s;
      s.imbue(std::locale::classic());
      s << std::setprecision(precision) << value;
      double back = 0;
      if (read_real(s.str(), back) && back == value)
         return s.str();
   }
   HASHEDNET_ASSERT(false);
   return "";
}

std::string format_compression(double value)
{
   const double inverse = std::round(1.0 / value);
   if (value > 0 && inverse >= 1 && inverse < 1e15 && 1.0 / inverse == value)
      return inverse == 1 ? "1" : "1/" + format_real(inverse);
   return format_real(value);
}

namespace {
/// Recursive-descent evaluator of a width expression; `n` is NaN when unknown.
///   sum := product (('+'|'-') product)*    product := factor (('*'|'/') factor)*
///   factor := '-' factor | '(' sum ')' | 'N' | 'n' | digits
/// Nesting ('(' and unary '-') stops at kMaxDepth levels: the recursion must
/// not overflow the stack on hostile text.
class WidthExpression {
public:
   WidthExpression(const std::string &text, double n) : text_(text), n_(n) {}

   bool evaluate(double &value)
   {
      value = sum();
      return ok_ && peek() == '\0';
   }
   bool uses_n() const { return uses_n_; }
   bool divides_by_zero() const { return divides_by_zero_; }
   bool too_deep() const { return too_deep_; }
   static constexpr int kMaxDepth = 64;

private:
   char peek()
   {
      while (pos_ < text_.size() && text_[pos_] == ' ')
         ++pos_;
      return pos_ < text_.size() ? text_[pos_] : '\0';
   }

   double sum()
   {
      double value = product();
      while (ok_ && (peek() == '+' || peek() == '-'))
         value = text_[pos_++] == '+' ? value + product() : value - product();
      return value;
   }

   double product()
   {
      double value = factor();
      while (ok_ && (peek() == '*' || peek() == '/')) {
         const char op = text_[pos_++];
         const double rhs = factor();
         divides_by_zero_ = divides_by_zero_ || (op == '/' && rhs == 0);
         ok_ = ok_ && !divides_by_zero_;
         value = op == '*' ? value * rhs : value / rhs;
      }
      return value;
   }

   double factor()
   {
      const char c = peek();
      if (c == '-' || c == '(' || c == 'N' || c == 'n')
         ++pos_;
      if ((c == '-' || c == '(') && depth_ == kMaxDepth) {
         too_deep_ = true;
         ok_ = false;
         return 0;
      }
      if (c == '-') {
         ++depth_;
         const double value = -factor();
         --depth_;
         return value;
      }
      if (c == 'N' || c == 'n') {
         uses_n_ = true;
         return n_;
      }
      if (c != '(')
         return digits();
      ++depth_;
      const double value = sum();
      --depth_;
      ok_ = ok_ && peek() == ')';
      ++pos_;
      return value;
   }

   double digits()
   {
      double value = 0;
      const std::size_t start = pos_;
      for (; pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9'; ++pos_)
         value = 10 * value + (text_[pos_] - '0');
      ok_ = ok_ && pos_ > start;
      return value;
   }

   const std::string &text_;
   double n_;
   std::size_t pos_ = 0;
   bool ok_ = true;
   bool uses_n_ = false;
   bool divides_by_zero_ = false;
   bool too_deep_ = false;
   int depth_ = 0;
};
} // namespace

std::optional<std::int64_t> eval_width(const std::string &text, std::int64_t n_inputs, const std::string &what)
{
   const double n = n_inputs >= 0 ? static_cast<double>(n_inputs) : std::numeric_limits<double>::quiet_NaN();
   WidthExpression expression(text, n);
   double value = 0;
   const bool ok = expression.evaluate(value);
   HASHEDNET_CHECK(!expression.divides_by_zero(), what << ": width '" << text << "' divides by zero");
   HASHEDNET_CHECK(!expression.too_deep(), what << ": width '" << text.substr(0, 80) << "...' nests '(' or '-' more than "
                                                << WidthExpression::kMaxDepth << " levels deep");
   HASHEDNET_CHECK(ok, what << ": malformed width '" << text
                            << "'; expected a positive integer or an expression in N (the number of input "
                               "variables) such as N, N+5, N*2 or (N+100)*2");
   if (expression.uses_n() && n_inputs < 0)
      return std::nullopt;
   HASHEDNET_CHECK(std::fabs(value) < 1e12, what << ": width '" << text << "' is too large");
   return static_cast<std::int64_t>(std::trunc(value));
}

} // namespace grammar
} // namespace hashednet
