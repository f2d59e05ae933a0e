// Opaque, authenticated page cursors (pure C++; HMAC-SHA256 from OpenSSL's libcrypto).
//
// Wire format, base64url without padding:
//   version (1 byte, kCursorVersion)
//   fingerprint (32 bytes: SHA-256 of what the cursor is bound to)
//   value count (varint)
//   per value: flag (0 NULL, 1 present), then for a present value: length (varint), bytes
//   HMAC-SHA256 over everything before it (32 bytes)
// Encrypted form (version 2, chosen by pgfast.cursor_encryption), base64url without padding:
//   version (1 byte, kEncryptedCursorVersion)
//   nonce (12 random bytes)
//   AES-256-GCM ciphertext of: value count (varint), then the values as above
//   GCM tag (16 bytes), authenticating the ciphertext and, as associated data, version +
//   fingerprint
// The key is HMAC-SHA256(secret, "pgfast cursor encryption v2"): the same secret, another key.
// Nothing in it but its length says anything about the values.
// A cursor marks a position; whether a page starts after or ends before it is the caller's choice
// (pgfast.page's `after` / `before`). Values are the key columns' binary send representation, so
// they round-trip exactly (timestamps to the microsecond, numerics exactly) whatever the session's
// DateStyle or TimeZone.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgfast {

inline constexpr uint8_t kCursorVersion = 1;
inline constexpr uint8_t kEncryptedCursorVersion = 2;
// Longest cursor text accepted by decode_cursor (anything longer is rejected before any work).
inline constexpr size_t kMaxCursorLength = 64 * 1024;

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest sha256(std::string_view data);
Sha256Digest hmac_sha256(std::string_view key, std::string_view data);
// Constant-time equality, for MACs.
bool digests_equal(const Sha256Digest& a, const Sha256Digest& b);

std::string base64url_encode(std::string_view bytes);
// Returns nullopt for any character outside the base64url alphabet, padding, or an impossible
// length.
std::optional<std::string> base64url_decode(std::string_view text);

// What a cursor is bound to: relation, canonical order and filter, so that a cursor of another
// table, order or filter is rejected.
Sha256Digest cursor_fingerprint(uint32_t relation_oid, std::string_view canonical_order_by,
                                std::string_view canonical_filter);

struct CursorPosition {
  std::vector<std::optional<std::string>> values;  // binary key values; nullopt = SQL NULL
};

enum class CursorForm { kSigned, kEncrypted };

std::string encode_cursor(const CursorPosition& position, const Sha256Digest& fingerprint,
                          std::string_view secret, CursorForm form = CursorForm::kSigned);

// Throws pgfast::Error with SQLSTATE 22023 ("invalid cursor: ...") for anything but a cursor this
// secret made for this fingerprint with `expected_values` values, in either form (a signed cursor
// stays valid when encryption is turned on, and an encrypted one when it is turned off): malformed
// base64url, wrong version, truncated or trailing bytes, bad MAC (tampered or another secret),
// another fingerprint (another table, order or filter), wrong value count. Never reads out of
// bounds.
CursorPosition decode_cursor(std::string_view text, const Sha256Digest& fingerprint,
                             std::string_view secret, size_t expected_values);

}  // namespace pgfast
