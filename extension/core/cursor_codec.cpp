// Authenticated page cursors (see cursor_codec.hpp).
//
// Decoding checks, in this order: text length, base64url form (canonical: no padding, no length
// that is 1 modulo 4, unused low bits of the last character zero, so every text has exactly one
// decoding and every change to the text changes the bytes), minimum size, the MAC (constant-time),
// the version, the fingerprint, then the values with bounds checks on every length. Checking the
// MAC before anything inside the payload means an altered cursor is always reported as a
// signature mismatch, whichever byte was changed. An encrypted cursor (first byte 2) is checked by
// its GCM tag instead, before anything in it is read; a failed tag is the same signature mismatch.
#include "core/cursor_codec.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <memory>

#include "core/error.hpp"

namespace pgfast {
namespace {

constexpr size_t kDigestSize = 32;
// version + fingerprint + count (at least one byte) + MAC
constexpr size_t kMinCursorBytes = 1 + kDigestSize + 1 + kDigestSize;

constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;
// version + nonce + count (at least one byte) + tag
constexpr size_t kMinEncryptedBytes = 1 + kNonceSize + 1 + kTagSize;
constexpr char kEncryptionLabel[] = "pgfast cursor encryption v2";

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int decode_char(char ch) {
  if (ch >= 'A' && ch <= 'Z') return ch - 'A';
  if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
  if (ch >= '0' && ch <= '9') return ch - '0' + 52;
  if (ch == '-') return 62;
  if (ch == '_') return 63;
  return -1;
}

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

[[noreturn]] void invalid(const std::string& what, std::string hint = {}) {
  throw Error(sqlstate::kInvalidParameterValue, "invalid cursor: " + what, {}, std::move(hint));
}

// Reads the authenticated payload; every read is bounds-checked.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}

  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

  uint8_t byte(const char* what) {
    if (p_ == end_) invalid(std::string("truncated ") + what);
    return *p_++;
  }

  // Unsigned LEB128, at most 64 bits, shortest form only.
  uint64_t varint(const char* what) {
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      uint8_t b = byte(what);
      if (shift == 63 && b > 1) invalid(std::string("malformed ") + what);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        if (b == 0 && shift > 0) invalid(std::string("malformed ") + what);
        return v;
      }
    }
  }

  std::string bytes(size_t n) {
    std::string out(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return out;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

void require_secret(std::string_view secret) {
  if (secret.empty()) throw Error(sqlstate::kInternalError, "cursor secret is empty");
}

[[noreturn]] void signature_mismatch() {
  invalid("signature mismatch",
          "The cursor was altered, or it was made with another pgfast.cursor_secret.");
}

// Value count and values (the part of a cursor the encrypted form hides).
std::string values_body(const CursorPosition& position) {
  std::string body;
  put_varint(body, position.values.size());
  for (const auto& value : position.values) {
    if (!value) {
      body.push_back('\0');
      continue;
    }
    body.push_back('\1');
    put_varint(body, value->size());
    body += *value;
  }
  return body;
}

// Reads what values_body wrote, checking the count and every length; consumes all of `r`.
CursorPosition read_values(Reader& r, size_t expected_values) {
  uint64_t count = r.varint("value count");
  if (count != expected_values) {
    invalid("it holds " + std::to_string(count) + " values, expected " +
            std::to_string(expected_values));
  }
  CursorPosition position;
  position.values.reserve(expected_values);
  for (uint64_t i = 0; i < count; ++i) {
    uint8_t flag = r.byte("value flag");
    if (flag == 0) {
      position.values.emplace_back(std::nullopt);
      continue;
    }
    if (flag != 1) invalid("bad value flag");
    uint64_t len = r.varint("value length");
    if (len > r.remaining()) invalid("a value overruns the cursor");
    position.values.emplace_back(r.bytes(static_cast<size_t>(len)));
  }
  if (r.remaining() != 0) invalid("trailing bytes");
  return position;
}

struct CipherContextFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextFree>;

[[noreturn]] void crypto_failure(const char* what) {
  throw Error(sqlstate::kInternalError, std::string("AES-256-GCM ") + what + " failed in OpenSSL");
}

Sha256Digest encryption_key(std::string_view secret) {
  return hmac_sha256(secret, kEncryptionLabel);
}

// The associated data: version byte and fingerprint.
std::string associated_data(const Sha256Digest& fingerprint) {
  std::string ad(1, static_cast<char>(kEncryptedCursorVersion));
  ad.append(reinterpret_cast<const char*>(fingerprint.data()), fingerprint.size());
  return ad;
}

std::string encrypt(std::string_view plain, const Sha256Digest& fingerprint,
                    std::string_view secret) {
  Sha256Digest key = encryption_key(secret);
  std::string out(1, static_cast<char>(kEncryptedCursorVersion));
  unsigned char nonce[kNonceSize];
  if (RAND_bytes(nonce, sizeof nonce) != 1) crypto_failure("nonce generation");
  out.append(reinterpret_cast<const char*>(nonce), sizeof nonce);
  CipherContext ctx(EVP_CIPHER_CTX_new());
  std::string ad = associated_data(fingerprint);
  std::string cipher(plain.size() + 16, '\0');
  int len = 0;
  int total = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(ad.data()),
                        static_cast<int>(ad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(cipher.data()), &len,
                        reinterpret_cast<const unsigned char*>(plain.data()),
                        static_cast<int>(plain.size())) != 1) {
    crypto_failure("encryption");
  }
  total = len;
  if (EVP_EncryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(cipher.data()) + total,
                          &len) != 1) {
    crypto_failure("encryption");
  }
  total += len;
  cipher.resize(static_cast<size_t>(total));
  unsigned char tag[kTagSize];
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, sizeof tag, tag) != 1) {
    crypto_failure("encryption");
  }
  out += cipher;
  out.append(reinterpret_cast<const char*>(tag), sizeof tag);
  return out;
}

// The plaintext of an encrypted cursor `raw` (version byte included); a signature mismatch if
// the tag does not verify (altered, another secret or another fingerprint).
std::string decrypt(const std::string& raw, const Sha256Digest& fingerprint,
                    std::string_view secret) {
  if (raw.size() < kMinEncryptedBytes) invalid("too short");
  Sha256Digest key = encryption_key(secret);
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  const unsigned char* nonce = bytes + 1;
  const unsigned char* cipher = nonce + kNonceSize;
  size_t cipher_size = raw.size() - 1 - kNonceSize - kTagSize;
  unsigned char tag[kTagSize];
  for (size_t i = 0; i < kTagSize; ++i) tag[i] = bytes[raw.size() - kTagSize + i];
  CipherContext ctx(EVP_CIPHER_CTX_new());
  std::string ad = associated_data(fingerprint);
  std::string plain(cipher_size + 16, '\0');
  int len = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(ad.data()),
                        static_cast<int>(ad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len, cipher,
                        static_cast<int>(cipher_size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, sizeof tag, tag) != 1) {
    crypto_failure("decryption");
  }
  int total = len;
  if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + total,
                          &len) != 1) {
    signature_mismatch();
  }
  total += len;
  plain.resize(static_cast<size_t>(total));
  return plain;
}

}  // namespace

Sha256Digest sha256(std::string_view data) {
  Sha256Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != out.size()) {
    throw Error(sqlstate::kInternalError, "SHA-256 failed in OpenSSL");
  }
  return out;
}

Sha256Digest hmac_sha256(std::string_view key, std::string_view data) {
  static const unsigned char kNoKey = 0;  // OpenSSL wants a non-null pointer even for 0 bytes
  Sha256Digest out{};
  unsigned int len = 0;
  const void* key_ptr = key.empty() ? static_cast<const void*>(&kNoKey) : key.data();
  if (HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
           &len) == nullptr ||
      len != out.size()) {
    throw Error(sqlstate::kInternalError, "HMAC-SHA256 failed in OpenSSL");
  }
  return out;
}

bool digests_equal(const Sha256Digest& a, const Sha256Digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  size_t i = 0;
  auto at = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t v = at(i) << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
  } else if (rest == 2) {
    uint32_t v = (at(i) << 16) | (at(i + 1) << 8);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (char ch : text) {
    int v = decode_char(ch);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
      acc &= (1u << bits) - 1;
    }
  }
  // 2 or 4 leftover bits (a length of 2 or 3 modulo 4) must be zero: only one text per byte string.
  if (acc != 0) return std::nullopt;
  return out;
}

Sha256Digest cursor_fingerprint(uint32_t relation_oid, std::string_view canonical_order_by,
                                std::string_view canonical_filter) {
  // Domain tag, then the oid big-endian, then each string prefixed by its 8-byte big-endian length.
  std::string buf("pgfast cursor fingerprint v1");
  buf.push_back('\0');
  for (int shift = 24; shift >= 0; shift -= 8) {
    buf.push_back(static_cast<char>((relation_oid >> shift) & 0xff));
  }
  for (std::string_view s : {canonical_order_by, canonical_filter}) {
    uint64_t n = s.size();
    for (int shift = 56; shift >= 0; shift -= 8)
      buf.push_back(static_cast<char>((n >> shift) & 0xff));
    buf.append(s.data(), s.size());
  }
  return sha256(buf);
}

std::string encode_cursor(const CursorPosition& position, const Sha256Digest& fingerprint,
                          std::string_view secret, CursorForm form) {
  require_secret(secret);
  std::string payload;
  if (form == CursorForm::kEncrypted) {
    payload = encrypt(values_body(position), fingerprint, secret);
  } else {
    payload.push_back(static_cast<char>(kCursorVersion));
    payload.append(reinterpret_cast<const char*>(fingerprint.data()), fingerprint.size());
    payload += values_body(position);
    Sha256Digest mac = hmac_sha256(secret, payload);
    payload.append(reinterpret_cast<const char*>(mac.data()), mac.size());
  }
  std::string text = base64url_encode(payload);
  if (text.size() > kMaxCursorLength) {
    throw Error(sqlstate::kProgramLimitExceeded,
                "cursor too long: the key values of this row need " + std::to_string(text.size()) +
                    " characters, at most " + std::to_string(kMaxCursorLength) + " are allowed",
                {}, "Order by shorter columns.");
  }
  return text;
}

CursorPosition decode_cursor(std::string_view text, const Sha256Digest& fingerprint,
                             std::string_view secret, size_t expected_values) {
  require_secret(secret);
  if (text.empty()) invalid("it is empty");
  if (text.size() > kMaxCursorLength) {
    invalid("too long (" + std::to_string(text.size()) + " characters, at most " +
            std::to_string(kMaxCursorLength) + ")");
  }
  std::optional<std::string> decoded = base64url_decode(text);
  if (!decoded) invalid("not base64url");
  const std::string& raw = *decoded;
  if (!raw.empty() && static_cast<uint8_t>(raw[0]) == kEncryptedCursorVersion) {
    std::string plain = decrypt(raw, fingerprint, secret);
    Reader r(reinterpret_cast<const uint8_t*>(plain.data()), plain.size());
    return read_values(r, expected_values);
  }
  if (raw.size() < kMinCursorBytes) invalid("too short");

  const size_t body_size = raw.size() - kDigestSize;
  Sha256Digest mac{};
  for (size_t i = 0; i < kDigestSize; ++i) mac[i] = static_cast<uint8_t>(raw[body_size + i]);
  if (!digests_equal(mac, hmac_sha256(secret, std::string_view(raw.data(), body_size)))) {
    signature_mismatch();
  }

  Reader r(reinterpret_cast<const uint8_t*>(raw.data()), body_size);
  uint8_t version = r.byte("version");
  if (version != kCursorVersion) invalid("unsupported version " + std::to_string(version));
  Sha256Digest got{};
  for (uint8_t& b : got) b = r.byte("fingerprint");
  if (!digests_equal(got, fingerprint)) invalid("it was made for another table, order or filter");
  return read_values(r, expected_values);
}

}  // namespace pgfast
