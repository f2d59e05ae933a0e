// Cursor codec (extension/core): SHA-256 / HMAC-SHA256 test vectors, base64url, and the cursor
// format's round trip and rejection of everything else (tampering, truncation, foreign secrets or
// fingerprints, malformed payloads).
#include "core/cursor_codec.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace {

using pgfast::base64url_decode;
using pgfast::base64url_encode;
using pgfast::CursorPosition;
using pgfast::decode_cursor;
using pgfast::encode_cursor;
using pgfast::Sha256Digest;

std::string hex(const Sha256Digest& d) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : d) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string bytes_of(const Sha256Digest& d) {
  return std::string(d.begin(), d.end());
}

const std::string kSecret = "0123456789abcdef0123456789abcdef";
const Sha256Digest kFingerprint =
    pgfast::cursor_fingerprint(16384, "\"created_at\" DESC NULLS FIRST, \"id\" ASC NULLS LAST", "");

CursorPosition position(std::vector<std::optional<std::string>> values) {
  CursorPosition p;
  p.values = std::move(values);
  return p;
}

const CursorPosition kSample =
    position({std::string("\x00\x02\xb5\x6e\x1c\x9a\x40\x00", 8), std::nullopt, std::string("42")});

// The error decode_cursor throws; a test failure if it accepts the text.
pgfast::Error decode_error(std::string_view text, const Sha256Digest& fingerprint = kFingerprint,
                           const std::string& secret = kSecret, size_t expected = 3) {
  try {
    decode_cursor(text, fingerprint, secret, expected);
  } catch (const pgfast::Error& e) {
    return e;
  }
  ADD_FAILURE() << "accepted cursor: " << text.substr(0, 200);
  return pgfast::Error("XX000", "accepted");
}

void expect_invalid(std::string_view text, const std::string& message,
                    const Sha256Digest& fingerprint = kFingerprint,
                    const std::string& secret = kSecret, size_t expected = 3) {
  pgfast::Error e = decode_error(text, fingerprint, secret, expected);
  EXPECT_EQ(e.sqlstate(), "22023") << e.what();
  EXPECT_EQ(std::string(e.what()), message);
}

// A cursor whose payload (everything before the MAC) is `body`, correctly signed: reaches the
// checks after the MAC.
std::string signed_cursor(const std::string& body, const std::string& secret = kSecret) {
  return base64url_encode(body + bytes_of(pgfast::hmac_sha256(secret, body)));
}

std::string body_prefix(uint8_t version = pgfast::kCursorVersion,
                        const Sha256Digest& fingerprint = kFingerprint) {
  return std::string(1, static_cast<char>(version)) + bytes_of(fingerprint);
}

// ---------------------------------------------------------------------------------------------
// Primitives.

TEST(CursorCodec, Sha256Vectors) {
  // FIPS 180-2 examples.
  EXPECT_EQ(hex(pgfast::sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex(pgfast::sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex(pgfast::sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hex(pgfast::sha256(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(CursorCodec, HmacSha256Rfc4231Vectors) {
  EXPECT_EQ(hex(pgfast::hmac_sha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hex(pgfast::hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hex(pgfast::hmac_sha256(std::string(20, '\xaa'), std::string(50, '\xdd'))),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  std::string key4;
  for (int i = 1; i <= 25; ++i) key4.push_back(static_cast<char>(i));
  EXPECT_EQ(hex(pgfast::hmac_sha256(key4, std::string(50, '\xcd'))),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  EXPECT_EQ(hex(pgfast::hmac_sha256(std::string(131, '\xaa'),
                                    "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(hex(pgfast::hmac_sha256(
                std::string(131, '\xaa'),
                "This is a test using a larger than block-size key and a larger than block-size "
                "data. The key needs to be hashed before being used by the HMAC algorithm.")),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST(CursorCodec, DigestsEqual) {
  Sha256Digest a = pgfast::sha256("x");
  Sha256Digest b = a;
  EXPECT_TRUE(pgfast::digests_equal(a, b));
  for (size_t i = 0; i < b.size(); ++i) {
    Sha256Digest c = a;
    c[i] ^= 0x01;
    EXPECT_FALSE(pgfast::digests_equal(a, c)) << i;
  }
}

TEST(CursorCodec, Base64urlRfc4648Vectors) {
  const std::vector<std::pair<std::string, std::string>> vectors{
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64url_encode(plain), encoded);
    EXPECT_EQ(base64url_decode(encoded), plain) << encoded;
  }
}

TEST(CursorCodec, Base64urlUsesTheUrlSafeAlphabet) {
  EXPECT_EQ(base64url_encode("\xfb\xef\xbe"), "----");
  EXPECT_EQ(base64url_encode("\xff\xff\xff"), "____");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_decode("-_8"), std::string("\xfb\xff"));
  EXPECT_EQ(base64url_encode(std::string("\0\0\0", 3)), "AAAA");
}

TEST(CursorCodec, Base64urlRejects) {
  for (const std::string& bad : std::vector<std::string>{
           "Zg==", "Zm8=", "Z", "Zm9vY", "+/8", "ab/c", "Zm9v Yg", " Zg", "Zg\n", "Zm.v", "Zh",
           "Zm9", "Zm-", std::string("Zg\0", 3), "\xc3\xa9\xc3\xa9"}) {
    EXPECT_EQ(base64url_decode(bad), std::nullopt) << bad;
  }
}

TEST(CursorCodec, Base64urlRoundTripsAndIsCanonical) {
  std::mt19937 rng(7);
  for (size_t len = 0; len < 200; ++len) {
    std::string bytes;
    for (size_t i = 0; i < len; ++i) bytes.push_back(static_cast<char>(rng() & 0xff));
    std::string text = base64url_encode(bytes);
    EXPECT_EQ(text.size(), (len * 4 + 2) / 3);
    EXPECT_EQ(base64url_decode(text), bytes);
  }
  // Every 2- and 3-character text: it decodes only when re-encoding gives it back.
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t accepted = 0;
  for (char a : alphabet) {
    for (char b : alphabet) {
      for (std::string text : {std::string{a, b}, std::string{a, b, 'A'}, std::string{a, b, 'B'}}) {
        auto decoded = base64url_decode(text);
        if (decoded) {
          EXPECT_EQ(base64url_encode(*decoded), text);
          ++accepted;
        }
      }
    }
  }
  // 2 characters: 64 * 4 canonical; "xyA": all 64 * 64; "xyB": none (its low bits are not zero).
  EXPECT_EQ(accepted, 64u * 4u + 64u * 64u);
}

TEST(CursorCodec, FingerprintSeparatesItsInputs) {
  auto fp = pgfast::cursor_fingerprint;
  EXPECT_EQ(hex(fp(1, "a", "b")), hex(fp(1, "a", "b")));
  EXPECT_NE(hex(fp(1, "a", "b")), hex(fp(2, "a", "b")));
  EXPECT_NE(hex(fp(1, "a", "b")), hex(fp(1, "a", "c")));
  EXPECT_NE(hex(fp(1, "ab", "c")), hex(fp(1, "a", "bc")));
  EXPECT_NE(hex(fp(1, "", "x")), hex(fp(1, "x", "")));
  EXPECT_NE(hex(fp(0x01020304, "", "")), hex(fp(0x04030201, "", "")));
}

// ---------------------------------------------------------------------------------------------
// Cursors.

TEST(CursorCodec, RoundTripsValues) {
  std::string text = encode_cursor(kSample, kFingerprint, kSecret);
  for (char c : text)
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
  CursorPosition back = decode_cursor(text, kFingerprint, kSecret, 3);
  EXPECT_EQ(back.values, kSample.values);
  // Deterministic.
  EXPECT_EQ(encode_cursor(kSample, kFingerprint, kSecret), text);
}

TEST(CursorCodec, RoundTripsEdgeValues) {
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  const std::vector<CursorPosition> cases{
      position({}),
      position({std::nullopt}),
      position({std::string()}),
      position({std::string(), std::nullopt, std::string()}),
      position({std::string("\0\0\0", 3), binary}),
      position({std::string(127, 'x'), std::string(128, 'y'), std::string(16384, 'z')}),
      position({std::string(40000, '\xff')}),
  };
  for (const CursorPosition& p : cases) {
    std::string text = encode_cursor(p, kFingerprint, kSecret);
    EXPECT_EQ(decode_cursor(text, kFingerprint, kSecret, p.values.size()).values, p.values);
  }
}

TEST(CursorCodec, RoundTripsAThousandValues) {
  std::vector<std::optional<std::string>> values;
  for (int i = 0; i < 1000; ++i) {
    if (i % 7 == 0) {
      values.emplace_back(std::nullopt);
    } else {
      values.emplace_back(std::string(static_cast<size_t>(i % 13), static_cast<char>(i)));
    }
  }
  std::string text = encode_cursor(position(values), kFingerprint, kSecret);
  EXPECT_EQ(decode_cursor(text, kFingerprint, kSecret, 1000).values, values);
  expect_invalid(text, "invalid cursor: it holds 1000 values, expected 999", kFingerprint, kSecret,
                 999);
}

TEST(CursorCodec, RandomRoundTrips) {
  std::mt19937 rng(42);
  for (int iter = 0; iter < 300; ++iter) {
    std::vector<std::optional<std::string>> values(rng() % 6);
    for (auto& v : values) {
      if (rng() % 4 == 0) continue;
      std::string s(rng() % 40, '\0');
      for (char& c : s) c = static_cast<char>(rng());
      v = s;
    }
    std::string secret(1 + rng() % 64, '\0');
    for (char& c : secret) c = static_cast<char>(rng());
    Sha256Digest fp = pgfast::sha256(std::to_string(iter));
    std::string text = encode_cursor(position(values), fp, secret);
    EXPECT_EQ(decode_cursor(text, fp, secret, values.size()).values, values);
  }
}

TEST(CursorCodec, TooLongToEncode) {
  try {
    encode_cursor(position({std::string(pgfast::kMaxCursorLength, 'x')}), kFingerprint, kSecret);
    ADD_FAILURE() << "encoded an over-long cursor";
  } catch (const pgfast::Error& e) {
    EXPECT_EQ(e.sqlstate(), "54000");
    EXPECT_EQ(std::string(e.what()).rfind("cursor too long: ", 0), 0u) << e.what();
  }
  // The longest encodable cursor decodes.
  const size_t overhead_bytes = 1 + 32 + 1 + 1 + 3 + 32;
  size_t value_size = pgfast::kMaxCursorLength / 4 * 3 - overhead_bytes;
  std::string text = encode_cursor(position({std::string(value_size, 'v')}), kFingerprint, kSecret);
  EXPECT_EQ(text.size(), pgfast::kMaxCursorLength);
  EXPECT_EQ(decode_cursor(text, kFingerprint, kSecret, 1).values[0]->size(), value_size);
}

TEST(CursorCodec, EverySingleCharacterChangeIsRejected) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  // Text lengths 0, 2 and 3 modulo 4: the last two have unused low bits in the last character.
  std::set<size_t> remainders;
  for (const CursorPosition& p :
       {kSample, position({}), position({std::string("xy")}), position({std::string("xyz")})}) {
    std::string text = encode_cursor(p, kFingerprint, kSecret);
    remainders.insert(text.size() % 4);
    size_t changes = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      for (char c : alphabet) {
        if (c == text[i]) continue;
        std::string changed = text;
        changed[i] = c;
        pgfast::Error e = decode_error(changed, kFingerprint, kSecret, p.values.size());
        ASSERT_EQ(e.sqlstate(), "22023") << "position " << i << " char " << c;
        std::string what = e.what();
        ASSERT_TRUE(what == "invalid cursor: signature mismatch" ||
                    what == "invalid cursor: not base64url")
            << "position " << i << " char " << c << ": " << what;
        ++changes;
      }
    }
    EXPECT_EQ(changes, text.size() * 63);
  }
  EXPECT_EQ(remainders, (std::set<size_t>{0, 2, 3}));
}

TEST(CursorCodec, EveryByteFlipIsASignatureMismatch) {
  std::string text = encode_cursor(kSample, kFingerprint, kSecret);
  std::string raw = *base64url_decode(text);
  for (size_t i = 0; i < raw.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string changed = raw;
      changed[i] = static_cast<char>(changed[i] ^ (1 << bit));
      expect_invalid(base64url_encode(changed), "invalid cursor: signature mismatch");
    }
  }
}

TEST(CursorCodec, TruncationsAndExtensionsAreRejected) {
  std::string text = encode_cursor(kSample, kFingerprint, kSecret);
  for (size_t len = 0; len < text.size(); ++len) {
    pgfast::Error e = decode_error(text.substr(0, len));
    EXPECT_EQ(e.sqlstate(), "22023") << len;
  }
  for (const char* suffix : {"A", "AA", "AAA", "AAAA", "Zm9v", "="}) {
    EXPECT_EQ(decode_error(text + suffix).sqlstate(), "22023") << suffix;
  }
  EXPECT_EQ(decode_error(text.substr(1)).sqlstate(), "22023");
  EXPECT_EQ(decode_error("A" + text).sqlstate(), "22023");
}

TEST(CursorCodec, ForeignSecretFingerprintOrCount) {
  std::string text = encode_cursor(kSample, kFingerprint, kSecret);
  expect_invalid(text, "invalid cursor: signature mismatch", kFingerprint, "another secret");
  expect_invalid(text, "invalid cursor: signature mismatch", kFingerprint, kSecret + "x");
  expect_invalid(text, "invalid cursor: it was made for another table, order or filter",
                 pgfast::cursor_fingerprint(16385,
                                            "\"created_at\" DESC NULLS FIRST, \"id\" ASC "
                                            "NULLS LAST",
                                            ""));
  expect_invalid(text, "invalid cursor: it was made for another table, order or filter",
                 pgfast::cursor_fingerprint(16384, "\"id\" ASC NULLS LAST", ""));
  expect_invalid(text, "invalid cursor: it holds 3 values, expected 2", kFingerprint, kSecret, 2);
  expect_invalid(text, "invalid cursor: it holds 3 values, expected 4", kFingerprint, kSecret, 4);
}

TEST(CursorCodec, SignatureMismatchHasAHint) {
  std::string text = encode_cursor(kSample, kFingerprint, kSecret);
  pgfast::Error e = decode_error(text, kFingerprint, "other");
  EXPECT_NE(e.hint().find("pgfast.cursor_secret"), std::string::npos);
}

TEST(CursorCodec, GarbageEmptyAndHugeInputs) {
  expect_invalid("", "invalid cursor: it is empty");
  expect_invalid("not a cursor!", "invalid cursor: not base64url");
  expect_invalid("eyJpZCI6IDQyfQ==", "invalid cursor: not base64url");
  expect_invalid("eyJpZCI6IDQyfQ", "invalid cursor: too short");
  expect_invalid("A", "invalid cursor: not base64url");
  expect_invalid(std::string(88, 'A'), "invalid cursor: signature mismatch");
  expect_invalid(std::string(pgfast::kMaxCursorLength, 'A'), "invalid cursor: signature mismatch");
  expect_invalid(std::string(pgfast::kMaxCursorLength + 1, 'A'),
                 "invalid cursor: too long (65537 characters, at most 65536)");
  expect_invalid(std::string(10 * 1024 * 1024, '_'),
                 "invalid cursor: too long (10485760 characters, at most 65536)");
  std::mt19937 rng(1);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 300, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    EXPECT_EQ(decode_error(s).sqlstate(), "22023");
  }
}

TEST(CursorCodec, EmptySecretIsAnInternalError) {
  EXPECT_THROW(encode_cursor(kSample, kFingerprint, ""), pgfast::Error);
  std::string text = encode_cursor(kSample, kFingerprint, kSecret);
  try {
    decode_cursor(text, kFingerprint, "", 3);
    ADD_FAILURE();
  } catch (const pgfast::Error& e) {
    EXPECT_EQ(e.sqlstate(), "XX000");
  }
}

// Correctly signed payloads that are malformed after the MAC: the parser's own checks.
TEST(CursorCodec, MalformedSignedPayloads) {
  const std::string one_null = std::string("\x01\x00", 2);  // count 1, NULL
  EXPECT_EQ(decode_cursor(signed_cursor(body_prefix() + one_null), kFingerprint, kSecret, 1)
                .values.size(),
            1u);
  // Version 2 is the encrypted form: a signed body under it fails its GCM tag.
  expect_invalid(signed_cursor(body_prefix(2) + one_null), "invalid cursor: signature mismatch",
                 kFingerprint, kSecret, 1);
  expect_invalid(signed_cursor(body_prefix(3) + one_null), "invalid cursor: unsupported version 3",
                 kFingerprint, kSecret, 1);
  expect_invalid(signed_cursor(body_prefix(0) + one_null), "invalid cursor: unsupported version 0",
                 kFingerprint, kSecret, 1);
  expect_invalid(signed_cursor(body_prefix(1, pgfast::sha256("x")) + one_null),
                 "invalid cursor: it was made for another table, order or filter", kFingerprint,
                 kSecret, 1);
  expect_invalid(signed_cursor(body_prefix() + "\x01\x02"), "invalid cursor: bad value flag",
                 kFingerprint, kSecret, 1);
  expect_invalid(signed_cursor(body_prefix() + "\x01"), "invalid cursor: truncated value flag",
                 kFingerprint, kSecret, 1);
  expect_invalid(signed_cursor(body_prefix() + "\x01\x01"),
                 "invalid cursor: truncated value length", kFingerprint, kSecret, 1);
  expect_invalid(signed_cursor(body_prefix() + "\x01\x01\x05" + "abcd"),
                 "invalid cursor: a value overruns the cursor", kFingerprint, kSecret, 1);
  expect_invalid(signed_cursor(body_prefix() + "\x01\x01\x04" + "abcde"),
                 "invalid cursor: trailing bytes", kFingerprint, kSecret, 1);
  expect_invalid(signed_cursor(body_prefix() + one_null + std::string(1, '\0')),
                 "invalid cursor: trailing bytes", kFingerprint, kSecret, 1);
  // Varints: non-minimal, over 64 bits, huge lengths and counts.
  expect_invalid(signed_cursor(body_prefix() + std::string("\x81\x00\x00", 3)),
                 "invalid cursor: malformed value count", kFingerprint, kSecret, 1);
  expect_invalid(signed_cursor(body_prefix() + std::string("\x01\x01\x80\x00", 4)),
                 "invalid cursor: malformed value length", kFingerprint, kSecret, 1);
  expect_invalid(signed_cursor(body_prefix() + "\x01\x01" + std::string(9, '\xff') + "\x01"),
                 "invalid cursor: a value overruns the cursor", kFingerprint, kSecret, 1);
  expect_invalid(signed_cursor(body_prefix() + "\x01\x01" + std::string(9, '\xff') + "\x02"),
                 "invalid cursor: malformed value length", kFingerprint, kSecret, 1);
  expect_invalid(signed_cursor(body_prefix() + "\x01\x01" + std::string(20, '\xff')),
                 "invalid cursor: malformed value length", kFingerprint, kSecret, 1);
  expect_invalid(signed_cursor(body_prefix() + std::string(9, '\xff') + "\x01"),
                 "invalid cursor: it holds 18446744073709551615 values, expected 1", kFingerprint,
                 kSecret, 1);
  expect_invalid(signed_cursor(body_prefix() + "\xff"), "invalid cursor: truncated value count",
                 kFingerprint, kSecret, 1);
  // Too short to hold a MAC and the fixed header.
  expect_invalid(base64url_encode(std::string(65, 'x')), "invalid cursor: too short");
}

// Encrypted cursors (pgfast.cursor_encryption): same positions, values unreadable.
std::string encrypted(const CursorPosition& p, const Sha256Digest& fp = kFingerprint,
                      const std::string& secret = kSecret) {
  return encode_cursor(p, fp, secret, pgfast::CursorForm::kEncrypted);
}

TEST(CursorCodec, EncryptedRoundTripsAndHidesTheValues) {
  const std::string secret_value = "salary:123456789";
  CursorPosition p = position({secret_value, std::nullopt, std::string("42")});
  std::string text = encrypted(p);
  std::string raw = *base64url_decode(text);
  EXPECT_EQ(static_cast<uint8_t>(raw[0]), pgfast::kEncryptedCursorVersion);
  EXPECT_EQ(raw.find(secret_value), std::string::npos);
  EXPECT_EQ(raw.find("salary"), std::string::npos);
  EXPECT_EQ(decode_cursor(text, kFingerprint, kSecret, 3).values, p.values);
  // A fresh nonce each time: two cursors of one position differ, both decode.
  std::string again = encrypted(p);
  EXPECT_NE(again, text);
  EXPECT_EQ(decode_cursor(again, kFingerprint, kSecret, 3).values, p.values);
  for (const CursorPosition& edge :
       {position({}), position({std::string()}), position({std::nullopt}),
        position({std::string(5000, 'x')})}) {
    EXPECT_EQ(decode_cursor(encrypted(edge), kFingerprint, kSecret, edge.values.size()).values,
              edge.values);
  }
}

TEST(CursorCodec, BothFormsDecodeWhateverTheSetting) {
  std::string plain = encode_cursor(kSample, kFingerprint, kSecret);
  std::string hidden = encrypted(kSample);
  EXPECT_EQ(decode_cursor(plain, kFingerprint, kSecret, 3).values, kSample.values);
  EXPECT_EQ(decode_cursor(hidden, kFingerprint, kSecret, 3).values, kSample.values);
}

TEST(CursorCodec, EncryptedEveryByteFlipIsASignatureMismatch) {
  std::string raw = *base64url_decode(encrypted(kSample));
  for (size_t i = 0; i < raw.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string changed = raw;
      changed[i] = static_cast<char>(changed[i] ^ (1 << bit));
      pgfast::Error e = decode_error(base64url_encode(changed));
      ASSERT_EQ(e.sqlstate(), "22023") << i << " " << bit;
    }
  }
  for (size_t len = 0; len < raw.size(); ++len) {
    EXPECT_EQ(decode_error(base64url_encode(raw.substr(0, len))).sqlstate(), "22023") << len;
  }
}

TEST(CursorCodec, EncryptedForeignSecretFingerprintOrCount) {
  std::string text = encrypted(kSample);
  expect_invalid(text, "invalid cursor: signature mismatch", kFingerprint, "another secret");
  expect_invalid(text, "invalid cursor: signature mismatch",
                 pgfast::cursor_fingerprint(16384, "\"id\" ASC NULLS LAST", ""));
  expect_invalid(text, "invalid cursor: it holds 3 values, expected 2", kFingerprint, kSecret, 2);
  // The encryption key is not the MAC key: a signed body under version 2 does not decrypt.
  std::string raw = *base64url_decode(encode_cursor(kSample, kFingerprint, kSecret));
  raw[0] = static_cast<char>(pgfast::kEncryptedCursorVersion);
  expect_invalid(base64url_encode(raw), "invalid cursor: signature mismatch");
}

}  // namespace
