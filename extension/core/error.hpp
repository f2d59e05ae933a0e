// pgfast::Error: a failure that carries a PostgreSQL SQLSTATE. Pure C++ (no PostgreSQL header), so
// core code and its unit tests can use it; the SQL entry guard (extension/pg/guard.hpp) turns it
// into ereport(ERROR) with the same SQLSTATE, message, detail and hint, and the PostgreSQL call
// guard turns a PostgreSQL error into one of these.
#pragma once

#include <stdexcept>
#include <string>

namespace pgfast {

// SQLSTATE codes pgfast raises itself (the full list is PostgreSQL's errcodes.txt).
namespace sqlstate {
inline constexpr char kInternalError[] = "XX000";
inline constexpr char kOutOfMemory[] = "53200";
inline constexpr char kInvalidParameterValue[] = "22023";
inline constexpr char kInvalidTextRepresentation[] = "22P02";
inline constexpr char kNullValueNotAllowed[] = "22004";
inline constexpr char kUndefinedColumn[] = "42703";
inline constexpr char kUndefinedTable[] = "42P01";
inline constexpr char kSyntaxError[] = "42601";
inline constexpr char kFeatureNotSupported[] = "0A000";
inline constexpr char kObjectNotInPrerequisiteState[] = "55000";
inline constexpr char kQueryCanceled[] = "57014";
inline constexpr char kProgramLimitExceeded[] = "54000";
inline constexpr char kInsufficientPrivilege[] = "42501";
inline constexpr char kWrongObjectType[] = "42809";
inline constexpr char kDuplicateColumn[] = "42701";
inline constexpr char kDuplicateTable[] = "42P07";
inline constexpr char kInvalidColumnReference[] = "42P10";
inline constexpr char kNameTooLong[] = "42622";
inline constexpr char kDatatypeMismatch[] = "42804";
inline constexpr char kGeneratedAlways[] = "428C9";
inline constexpr char kNotNullViolation[] = "23502";
inline constexpr char kUniqueViolation[] = "23505";
inline constexpr char kCardinalityViolation[] = "21000";
inline constexpr char kActiveSqlTransaction[] = "25001";
inline constexpr char kReadOnlySqlTransaction[] = "25006";
inline constexpr char kLockNotAvailable[] = "55P03";
inline constexpr char kTriggerProtocolViolated[] = "39P01";
}  // namespace sqlstate

// True when `code` is five characters from [0-9A-Z], the form of every SQLSTATE.
bool is_valid_sqlstate(const std::string& code) noexcept;

class Error : public std::runtime_error {
 public:
  // An invalid `sqlstate` is replaced by XX000 (internal error) rather than thrown about.
  Error(std::string sqlstate, const std::string& message, std::string detail = {},
        std::string hint = {});

  const std::string& sqlstate() const noexcept { return sqlstate_; }
  const std::string& detail() const noexcept { return detail_; }
  const std::string& hint() const noexcept { return hint_; }

 private:
  std::string sqlstate_;
  std::string detail_;
  std::string hint_;
};

// The message, and the detail in parentheses when there is one: an error as one line of text
// (what a background job records).
std::string message_and_detail(const Error& e);

}  // namespace pgfast
