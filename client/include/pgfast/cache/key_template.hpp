// pgfast::KeyTemplate: cache keys such as "search:results:{session_id}" filled from named
// parameters, and the SCAN MATCH patterns that invalidation uses ("search:*:{session_id}").
//
// Syntax: `{name}` is a parameter (name: letters, digits, '_', not starting with a digit);
// `{{` and `}}` are literal braces; everything else is literal. A template that cannot be parsed
// (unbalanced braces, bad names) throws KeyTemplateError when constructed; filling it without a
// value for one of its parameters throws KeyTemplateError naming the parameter and the template.
// Thread safety: values; a const KeyTemplate may be used from any number of threads at once.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "pgfast/errors.hpp"

namespace pgfast {

class KeyTemplateError : public ClientError {
 public:
  using ClientError::ClientError;
};

// One parameter value as key text: strings as they are, integers in decimal, bools as
// "true"/"false".
class KeyValue {
 public:
  KeyValue(std::string text) : text_(std::move(text)) {}     // NOLINT(google-explicit-constructor)
  KeyValue(std::string_view text) : text_(text) {}           // NOLINT(google-explicit-constructor)
  KeyValue(const char* text) : text_(text) {}                // NOLINT(google-explicit-constructor)
  KeyValue(bool value) : text_(value ? "true" : "false") {}  // NOLINT(google-explicit-constructor)
  template <class Int, std::enable_if_t<std::is_integral_v<Int> && !std::is_same_v<Int, bool> &&
                                            !std::is_same_v<Int, char>,
                                        int> = 0>
  KeyValue(Int value) : text_(std::to_string(value)) {}  // NOLINT(google-explicit-constructor)

  const std::string& text() const noexcept { return text_; }

 private:
  std::string text_;
};

// Named parameter values: {{"session_id", 42}, {"kind", "web"}}. A name given twice keeps the
// last value.
class KeyParams {
 public:
  KeyParams() = default;
  KeyParams(std::initializer_list<std::pair<std::string, KeyValue>> values);

  KeyParams& set(std::string name, KeyValue value);
  // nullptr when the parameter has no value.
  const std::string* find(std::string_view name) const noexcept;
  bool empty() const noexcept { return values_.empty(); }
  std::size_t size() const noexcept { return values_.size(); }
  const std::vector<std::pair<std::string, std::string>>& values() const noexcept {
    return values_;
  }

 private:
  std::vector<std::pair<std::string, std::string>> values_;
};

class KeyTemplate {
 public:
  // Parses `text`; throws KeyTemplateError on unbalanced braces or a bad parameter name.
  explicit KeyTemplate(std::string text);

  const std::string& text() const noexcept { return text_; }
  // Parameter names in order of first appearance, without duplicates.
  const std::vector<std::string>& parameters() const noexcept { return parameters_; }

  // The key: literal text with every parameter replaced by its value.
  std::string fill(const KeyParams& params) const;

  // A Redis glob pattern (SCAN MATCH): the literal text is kept as written, so its '*', '?' and
  // '[...]' are wildcards; parameter values are escaped so that they match only themselves.
  std::string pattern(const KeyParams& params) const;

  // The pattern matching every key the template can produce: each parameter becomes '*'.
  std::string match_all_pattern() const;

  // True when the literal text has glob metacharacters (a template meant for invalidation).
  bool has_wildcards() const noexcept { return has_wildcards_; }

 private:
  struct Piece {
    bool parameter;
    std::string text;  // literal text, or the parameter name
  };
  const std::string& value_of(const Piece& piece, const KeyParams& params) const;

  std::string text_;
  std::vector<Piece> pieces_;
  std::vector<std::string> parameters_;
  bool has_wildcards_ = false;
};

// `text` with the Redis glob metacharacters (* ? [ ] \) escaped by a backslash, so that as a
// MATCH pattern it matches exactly itself.
std::string escape_glob(std::string_view text);

}  // namespace pgfast
