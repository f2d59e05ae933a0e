#include "pgfast/cache/key_template.hpp"

namespace pgfast {

KeyParams::KeyParams(std::initializer_list<std::pair<std::string, KeyValue>> values) {
  for (const auto& [name, value] : values) set(name, value);
}

KeyParams& KeyParams::set(std::string name, KeyValue value) {
  for (auto& entry : values_) {
    if (entry.first == name) {
      entry.second = value.text();
      return *this;
    }
  }
  values_.emplace_back(std::move(name), value.text());
  return *this;
}

const std::string* KeyParams::find(std::string_view name) const noexcept {
  for (const auto& entry : values_) {
    if (entry.first == name) return &entry.second;
  }
  return nullptr;
}

namespace {

bool name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool name_char(char c) {
  return name_start(c) || (c >= '0' && c <= '9');
}
bool glob_meta(char c) {
  return c == '*' || c == '?' || c == '[' || c == ']' || c == '\\';
}

[[noreturn]] void bad_template(const std::string& text, const std::string& problem) {
  throw KeyTemplateError("invalid key template \"" + text + "\": " + problem);
}

}  // namespace

std::string escape_glob(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (glob_meta(c)) out += '\\';
    out += c;
  }
  return out;
}

KeyTemplate::KeyTemplate(std::string text) : text_(std::move(text)) {
  std::string literal;
  auto flush_literal = [&] {
    if (!literal.empty()) pieces_.push_back({false, std::move(literal)});
    literal.clear();
  };
  for (std::size_t i = 0; i < text_.size(); ++i) {
    const char c = text_[i];
    if (c == '{') {
      if (i + 1 < text_.size() && text_[i + 1] == '{') {
        literal += '{';
        ++i;
        continue;
      }
      const std::size_t close = text_.find('}', i + 1);
      if (close == std::string::npos) {
        bad_template(text_, "'{' at position " + std::to_string(i) + " is never closed");
      }
      const std::string name = text_.substr(i + 1, close - i - 1);
      if (name.empty())
        bad_template(text_, "empty parameter name at position " + std::to_string(i));
      if (!name_start(name[0])) {
        bad_template(text_, "parameter name \"" + name + "\" must start with a letter or '_'");
      }
      for (char n : name) {
        if (!name_char(n)) {
          bad_template(text_, "parameter name \"" + name +
                                  "\" may contain only letters, digits and '_' (a '{' inside "
                                  "braces is unbalanced)");
        }
      }
      flush_literal();
      pieces_.push_back({true, name});
      bool seen = false;
      for (const auto& p : parameters_) seen = seen || p == name;
      if (!seen) parameters_.push_back(name);
      i = close;
    } else if (c == '}') {
      if (i + 1 < text_.size() && text_[i + 1] == '}') {
        literal += '}';
        ++i;
        continue;
      }
      bad_template(text_, "'}' at position " + std::to_string(i) + " has no matching '{'");
    } else {
      if (c == '*' || c == '?' || c == '[') has_wildcards_ = true;
      literal += c;
    }
  }
  flush_literal();
}

const std::string& KeyTemplate::value_of(const Piece& piece, const KeyParams& params) const {
  const std::string* value = params.find(piece.text);
  if (value == nullptr) {
    throw KeyTemplateError("key template \"" + text_ + "\" needs parameter \"" + piece.text +
                           "\", which was not given");
  }
  return *value;
}

std::string KeyTemplate::fill(const KeyParams& params) const {
  std::string out;
  for (const auto& piece : pieces_) out += piece.parameter ? value_of(piece, params) : piece.text;
  return out;
}

std::string KeyTemplate::pattern(const KeyParams& params) const {
  std::string out;
  for (const auto& piece : pieces_) {
    out += piece.parameter ? escape_glob(value_of(piece, params)) : piece.text;
  }
  return out;
}

std::string KeyTemplate::match_all_pattern() const {
  std::string out;
  for (const auto& piece : pieces_) out += piece.parameter ? std::string("*") : piece.text;
  return out;
}

}  // namespace pgfast
