// libFuzzer target for the cursor codec (tests/fuzz/run.sh builds and runs it). The first input
// byte picks a mode; the rest is the data:
//   0: decode_cursor on arbitrary text: only pgfast::Error 22023 may come out; a text base64url
//      accepts re-encodes to itself (one text per byte string).
//   1: an arbitrary payload, correctly signed (with a valid version + fingerprint header when bit 2
//      of the mode byte is set), so the parser behind the MAC check is reached; a payload that
//      decodes must re-encode to the same cursor.
//   2: round trip: values derived from the data are encoded (encrypted when bit 2 of the mode byte
//      is set) and decoded back unchanged, and a one-character change of the cursor is rejected.
//   3: base64url round trip of arbitrary bytes.
// A broken property calls __builtin_trap(), which libFuzzer reports as a crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/cursor_codec.hpp"
#include "core/error.hpp"

namespace {

const std::string kSecret = "pgfast fuzz secret";
const pgfast::Sha256Digest kFingerprint =
    pgfast::cursor_fingerprint(16384, "\"id\" ASC NULLS LAST", "{\"a\":1}");

void require(bool ok) {
  if (!ok) __builtin_trap();
}

void require_invalid_cursor(const pgfast::Error& e) {
  require(e.sqlstate() == "22023");
  require(std::string_view(e.what()).substr(0, 16) == "invalid cursor: ");
}

void decode_any(std::string_view text, size_t expected) {
  try {
    pgfast::CursorPosition p = pgfast::decode_cursor(text, kFingerprint, kSecret, expected);
    require(p.values.size() == expected);
    require(pgfast::encode_cursor(p, kFingerprint, kSecret) == text);
  } catch (const pgfast::Error& e) {
    require_invalid_cursor(e);
  }
}

void signed_payload(std::string_view data, bool with_header, size_t expected) {
  std::string body;
  if (with_header) {
    body.push_back(static_cast<char>(pgfast::kCursorVersion));
    body.append(kFingerprint.begin(), kFingerprint.end());
  }
  body.append(data);
  pgfast::Sha256Digest mac = pgfast::hmac_sha256(kSecret, body);
  std::string text = pgfast::base64url_encode(body + std::string(mac.begin(), mac.end()));
  if (text.size() > pgfast::kMaxCursorLength) return;
  decode_any(text, expected);
}

void round_trip(std::string_view data, pgfast::CursorForm form) {
  pgfast::CursorPosition p;
  size_t i = 0;
  while (i < data.size()) {
    auto b = static_cast<uint8_t>(data[i++]);
    if (b % 5 == 0) {
      p.values.emplace_back(std::nullopt);
      continue;
    }
    size_t len = b % 64 < data.size() - i ? b % 64 : data.size() - i;
    p.values.emplace_back(std::string(data.substr(i, len)));
    i += len;
  }
  std::string text = pgfast::encode_cursor(p, kFingerprint, kSecret, form);
  pgfast::CursorPosition back = pgfast::decode_cursor(text, kFingerprint, kSecret, p.values.size());
  require(back.values == p.values);

  // One changed character, at a position and to a character the data chooses.
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t pos = data.empty() ? 0 : static_cast<uint8_t>(data[0]) * 7919u % text.size();
  char replacement = kAlphabet[(data.size() + (data.empty() ? 0 : data.back())) & 63];
  if (replacement == text[pos]) replacement = replacement == 'A' ? 'B' : 'A';
  std::string changed = text;
  changed[pos] = replacement;
  try {
    pgfast::decode_cursor(changed, kFingerprint, kSecret, p.values.size());
    require(false);
  } catch (const pgfast::Error& e) {
    require_invalid_cursor(e);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t expected = (mode >> 3) % 4;
  switch (mode % 4) {
    case 0: {
      decode_any(in, expected);
      if (auto decoded = pgfast::base64url_decode(in)) {
        require(pgfast::base64url_encode(*decoded) == in);
      }
      break;
    }
    case 1:
      signed_payload(in, (mode & 4) != 0, expected);
      break;
    case 2:
      round_trip(in,
                 (mode & 4) != 0 ? pgfast::CursorForm::kEncrypted : pgfast::CursorForm::kSigned);
      break;
    case 3: {
      std::string text = pgfast::base64url_encode(in);
      auto back = pgfast::base64url_decode(text);
      require(back.has_value() && *back == in);
      break;
    }
  }
  return 0;
}
