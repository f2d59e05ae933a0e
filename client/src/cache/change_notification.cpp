#include "cache/change_notification.hpp"

#include <cstdint>

namespace pgfast {

namespace {

// A minimal JSON reader for the payloads the trigger writes (objects, arrays, strings, numbers,
// literals). Values are kept as text: that is all a key template needs.
class Reader {
 public:
  explicit Reader(std::string_view text) : s_(text) {}

  ChangeNotification notification() {
    ChangeNotification n;
    bool have_table = false, have_keys = false;
    expect('{');
    if (!consume('}')) {
      do {
        const std::string name = string();
        expect(':');
        if (name == "table") {
          n.table = string();
          have_table = true;
        } else if (name == "op") {
          n.op = string();
        } else if (name == "all") {
          n.all = literal() == "true";
        } else if (name == "keys") {
          keys(n.keys);
          have_keys = true;
        } else {
          skip_value();
        }
      } while (consume(','));
      expect('}');
    }
    space();
    if (pos_ != s_.size()) fail("unexpected text after the JSON object");
    if (!have_table) fail("no \"table\" member");
    if (!have_keys && !n.all) fail("neither \"keys\" nor \"all\": true");
    return n;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw ChangeNotificationError("change notification payload at byte " + std::to_string(pos_) +
                                  ": " + what);
  }
  void space() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool consume(char c) {
    space();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!consume(c)) fail(std::string("expected '") + c + "'");
  }
  char peek() {
    space();
    if (pos_ >= s_.size()) fail("unexpected end");
    return s_[pos_];
  }

  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::uint32_t hex4() {
    if (pos_ + 4 > s_.size()) fail("truncated \\u escape");
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        fail("bad \\u escape");
      }
    }
    return v;
  }

  std::string string() {
    expect('"');
    std::string out;
    while (true) {
      if (pos_ >= s_.size()) fail("unterminated string");
      const char c = s_[pos_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) fail("unterminated string");
      const char e = s_[pos_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          std::uint32_t cp = hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF && pos_ + 1 < s_.size() && s_[pos_] == '\\' &&
              s_[pos_ + 1] == 'u') {
            pos_ += 2;
            const std::uint32_t low = hex4();
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default:
          fail("bad escape");
      }
    }
  }

  // A number or true/false/null, as written.
  std::string literal() {
    space();
    const std::size_t start = pos_;
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\t' || c == '\r') {
        break;
      }
      ++pos_;
    }
    if (pos_ == start) fail("expected a value");
    return std::string(s_.substr(start, pos_ - start));
  }

  // A scalar as key text; objects and arrays (composite values) as their JSON text.
  std::string scalar_text() {
    const char c = peek();
    if (c == '"') return string();
    if (c == '{' || c == '[') {
      const std::size_t start = pos_;
      skip_value();
      return std::string(s_.substr(start, pos_ - start));
    }
    return literal();
  }

  void skip_value() {
    const char c = peek();
    if (c == '"') {
      string();
    } else if (c == '{') {
      expect('{');
      if (consume('}')) return;
      do {
        string();
        expect(':');
        skip_value();
      } while (consume(','));
      expect('}');
    } else if (c == '[') {
      expect('[');
      if (consume(']')) return;
      do skip_value();
      while (consume(','));
      expect(']');
    } else {
      literal();
    }
  }

  void keys(std::vector<KeyParams>& out) {
    expect('[');
    if (consume(']')) return;
    do {
      KeyParams key;
      expect('{');
      if (!consume('}')) {
        do {
          std::string name = string();
          expect(':');
          key.set(std::move(name), scalar_text());
        } while (consume(','));
        expect('}');
      }
      out.push_back(std::move(key));
    } while (consume(','));
    expect(']');
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

}  // namespace

ChangeNotification parse_change_notification(std::string_view payload) {
  return Reader(payload).notification();
}

std::string qualified_table_name(const std::string& table) {
  // A '.' outside double quotes means the name is qualified already.
  bool quoted = false;
  for (char c : table) {
    if (c == '"') quoted = !quoted;
    if (c == '.' && !quoted) return table;
  }
  return "public." + table;
}

}  // namespace pgfast
