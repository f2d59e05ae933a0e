// pgfast::CommitPosition: the read-your-writes token of the read-replica API (docs/scale-out.md,
// "Read replicas (client)"). A position in the primary's write-ahead log taken after a write
// committed: a replica that replayed up to it shows that write. A plain value: copyable,
// comparable, and printable as PostgreSQL's pg_lsn text ("16/B374D848") so it can travel with a
// user's session (a cookie, a header) to another process of the application.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pgfast {

class Connection;

class CommitPosition {
 public:
  CommitPosition() noexcept = default;  // 0/0: before everything
  explicit CommitPosition(std::uint64_t lsn) noexcept : lsn_(lsn) {}

  // pg_lsn text: two hexadecimal numbers of 1 to 8 digits separated by '/'. Anything else is a
  // ConversionError quoting the text.
  static CommitPosition parse(std::string_view text);

  std::uint64_t lsn() const noexcept { return lsn_; }
  std::string to_string() const;

  friend bool operator==(CommitPosition a, CommitPosition b) noexcept { return a.lsn_ == b.lsn_; }
  friend bool operator!=(CommitPosition a, CommitPosition b) noexcept { return a.lsn_ != b.lsn_; }
  friend bool operator<(CommitPosition a, CommitPosition b) noexcept { return a.lsn_ < b.lsn_; }
  friend bool operator<=(CommitPosition a, CommitPosition b) noexcept { return a.lsn_ <= b.lsn_; }
  friend bool operator>(CommitPosition a, CommitPosition b) noexcept { return a.lsn_ > b.lsn_; }
  friend bool operator>=(CommitPosition a, CommitPosition b) noexcept { return a.lsn_ >= b.lsn_; }

 private:
  std::uint64_t lsn_ = 0;
};

// The primary's WAL insert position now, read on `connection` (which must be on the primary, and
// outside the write's transaction: call it after COMMIT). Every transaction committed before the
// call lies at or before it, whatever synchronous_commit is. Throws UsageError on a server in
// recovery (a replica's position is no token of the primary's writes).
CommitPosition commit_position(Connection& connection);

}  // namespace pgfast
