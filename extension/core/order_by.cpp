// Strict order_by parser (see order_by.hpp).
//
// Grammar (tokens may be separated by spaces, tabs, newlines and carriage returns):
//   order_by := key ("," key)*
//   key      := column [ASC | DESC] [NULLS (FIRST | LAST)]
//   column   := unquoted | quoted
//   unquoted := [A-Za-z_\x80-\xff][A-Za-z0-9_$\x80-\xff]*   folded to lower case (ASCII only)
//   quoted   := '"' ( any byte but '"' and NUL | '""' )+ '"'
// The keywords are case-insensitive. An unquoted column may be any other word, SQL keywords such as
// select included, but a column literally named asc, desc, nulls, first or last must be
// double-quoted ("desc"): unquoted, those words are always read as keywords.
// Positions in messages are 1-based byte offsets into the argument.
#include "core/order_by.hpp"

#include <cstdio>
#include <unordered_set>

#include "core/error.hpp"
#include "core/sql_text.hpp"

namespace pgfast {
namespace {

// PostgreSQL's NAMEDATALEN - 1: no catalog name is longer. PostgreSQL would truncate a longer
// identifier silently; here it is an error, since it can never name a column as written.
constexpr size_t kMaxIdentifierBytes = 63;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool is_ident_start(char ch) {
  auto c = static_cast<unsigned char>(ch);
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c >= 0x80;
}

bool is_ident_cont(char ch) {
  return is_ident_start(ch) || (ch >= '0' && ch <= '9') || ch == '$';
}

enum class TokenKind { kEnd, kWord, kQuoted, kComma, kOther };

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;      // kWord: folded to lower case; kQuoted: unescaped content
  std::string_view raw;  // the token as written
  size_t pos = 0;        // 0-based byte offset of its first byte
};

std::string position_text(size_t pos) {
  return "position " + std::to_string(pos + 1);
}

// How a token is shown in a message: "end of input", "(" or a byte value for control bytes; long
// tokens are cut short.
std::string describe(const Token& t) {
  if (t.kind == TokenKind::kEnd) return "end of input";
  if (t.kind == TokenKind::kOther) {
    auto c = static_cast<unsigned char>(t.raw[0]);
    if (c < 0x20 || c == 0x7f) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "byte 0x%02X", c);
      return buf;
    }
  }
  constexpr size_t kShown = 40;
  if (t.raw.size() > kShown) return "\"" + std::string(t.raw.substr(0, kShown)) + "...\"";
  return "\"" + std::string(t.raw) + "\"";
}

[[noreturn]] void syntax_error(const std::string& what, std::string hint = {}) {
  throw Error(sqlstate::kSyntaxError, "invalid order_by: " + what, {}, std::move(hint));
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  Token next() {
    while (i_ < text_.size() && is_space(text_[i_])) ++i_;
    Token t;
    t.pos = i_;
    if (i_ >= text_.size()) return t;
    char c = text_[i_];
    if (c == ',') {
      t.kind = TokenKind::kComma;
      t.raw = text_.substr(i_++, 1);
    } else if (c == '"') {
      t.kind = TokenKind::kQuoted;
      lex_quoted(t);
    } else if (is_ident_start(c)) {
      t.kind = TokenKind::kWord;
      size_t start = i_;
      while (i_ < text_.size() && is_ident_cont(text_[i_])) {
        char ch = text_[i_++];
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
        t.text.push_back(ch);
      }
      t.raw = text_.substr(start, i_ - start);
    } else {
      t.kind = TokenKind::kOther;
      t.raw = text_.substr(i_++, 1);
    }
    return t;
  }

 private:
  void lex_quoted(Token& t) {
    size_t start = i_++;
    for (;;) {
      if (i_ >= text_.size()) {
        syntax_error("unterminated quoted identifier starting at " + position_text(start));
      }
      char c = text_[i_];
      if (c == '\0') syntax_error("NUL byte in a quoted identifier at " + position_text(i_));
      if (c == '"') {
        if (i_ + 1 < text_.size() && text_[i_ + 1] == '"') {
          t.text.push_back('"');
          i_ += 2;
          continue;
        }
        ++i_;
        break;
      }
      t.text.push_back(c);
      ++i_;
    }
    t.raw = text_.substr(start, i_ - start);
    if (t.text.empty()) syntax_error("zero-length quoted identifier at " + position_text(start));
  }

  std::string_view text_;
  size_t i_ = 0;
};

bool is_word(const Token& t, const char* keyword) {
  return t.kind == TokenKind::kWord && t.text == keyword;
}

bool is_reserved(const Token& t) {
  return is_word(t, "asc") || is_word(t, "desc") || is_word(t, "nulls") || is_word(t, "first") ||
         is_word(t, "last");
}

}  // namespace

std::vector<OrderKey> parse_order_by(std::string_view text) {
  bool blank = true;
  for (char c : text) blank = blank && is_space(c);
  if (blank) {
    throw Error(sqlstate::kInvalidParameterValue, "invalid order_by: it is empty", {},
                "Pass NULL to order by the primary key.");
  }

  if (text.size() > kMaxOrderByBytes) {
    throw Error(sqlstate::kProgramLimitExceeded,
                "order_by is " + std::to_string(text.size()) + " bytes long, at most " +
                    std::to_string(kMaxOrderByBytes) + " are allowed");
  }

  Lexer lexer(text);
  std::vector<OrderKey> keys;
  std::unordered_set<std::string> seen;
  for (;;) {
    Token t = lexer.next();
    if (is_reserved(t)) {
      syntax_error(
          "expected a column name, found keyword " + describe(t) + " at " + position_text(t.pos),
          "Double-quote a column named " + t.text + ": \"" + t.text + "\".");
    }
    if (t.kind != TokenKind::kWord && t.kind != TokenKind::kQuoted) {
      syntax_error("expected a column name, found " + describe(t) + " at " + position_text(t.pos),
                   "order_by takes column names only, each optionally followed by ASC or DESC and "
                   "NULLS FIRST or NULLS LAST, separated by commas.");
    }
    if (t.text.size() > kMaxIdentifierBytes) {
      throw Error(sqlstate::kNameTooLong, "invalid order_by: column name " + describe(t) + " at " +
                                              position_text(t.pos) + " is longer than " +
                                              std::to_string(kMaxIdentifierBytes) + " bytes");
    }
    OrderKey key;
    key.column = std::move(t.text);

    bool has_direction = false;
    bool has_nulls = false;
    t = lexer.next();
    if (is_word(t, "asc") || is_word(t, "desc")) {
      key.descending = is_word(t, "desc");
      has_direction = true;
      t = lexer.next();
    }
    key.nulls_first = key.descending;
    if (is_word(t, "nulls")) {
      t = lexer.next();
      if (!is_word(t, "first") && !is_word(t, "last")) {
        syntax_error("expected FIRST or LAST after NULLS, found " + describe(t) + " at " +
                     position_text(t.pos));
      }
      key.nulls_first = is_word(t, "first");
      has_nulls = true;
      t = lexer.next();
    }
    if (t.kind != TokenKind::kEnd && t.kind != TokenKind::kComma) {
      const char* expected = has_nulls       ? "\",\""
                             : has_direction ? "NULLS or \",\""
                                             : "ASC, DESC, NULLS or \",\"";
      syntax_error(std::string("expected ") + expected + ", found " + describe(t) + " at " +
                   position_text(t.pos));
    }

    if (keys.size() == kMaxOrderByColumns) {
      throw Error(sqlstate::kProgramLimitExceeded,
                  "order_by names more than " + std::to_string(kMaxOrderByColumns) + " columns");
    }
    if (!seen.insert(key.column).second) {
      throw Error(sqlstate::kInvalidParameterValue,
                  "column \"" + key.column + "\" appears twice in order_by");
    }
    keys.push_back(std::move(key));
    if (t.kind == TokenKind::kEnd) break;
  }
  return keys;
}

std::string canonical_order_by(const std::vector<OrderKey>& keys) {
  std::string out;
  for (const OrderKey& key : keys) {
    if (!out.empty()) out += ", ";
    out += quote_identifier(key.column);
    out += key.descending ? " DESC" : " ASC";
    out += key.nulls_first ? " NULLS FIRST" : " NULLS LAST";
  }
  return out;
}

std::vector<OrderKey> reversed(const std::vector<OrderKey>& keys) {
  std::vector<OrderKey> out = keys;
  for (OrderKey& key : out) {
    key.descending = !key.descending;
    key.nulls_first = !key.nulls_first;
  }
  return out;
}

}  // namespace pgfast
