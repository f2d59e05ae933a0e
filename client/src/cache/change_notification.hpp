// pgfast::ChangeNotification: one payload of pgfast.notify_changes (DESIGN 4.5), parsed.
//   {"table":"public.t","op":"UPDATE","keys":[{"id":1},{"id":2}]}
//   {"table":"public.t","op":"TRUNCATE","all":true}
// Key values become key-template parameter text: strings unquoted and unescaped, numbers as
// written, true/false, null as "null" (the way KeyValue renders the same C++ values).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pgfast/errors.hpp"
#include "pgfast/cache/key_template.hpp"

namespace pgfast {

class ChangeNotificationError : public ClientError {
 public:
  using ClientError::ClientError;
};

struct ChangeNotification {
  std::string table;  // as the trigger wrote it: format('%I.%I', schema, table)
  std::string op;     // INSERT, UPDATE, DELETE, TRUNCATE
  bool all = false;   // the whole table changed (TRUNCATE, or too many rows to list)
  std::vector<KeyParams> keys;
};

// Throws ChangeNotificationError naming the problem for malformed JSON or a payload without
// "table", or with neither "keys" nor "all".
ChangeNotification parse_change_notification(std::string_view payload);

// "t" → "public.t"; qualified names are returned unchanged. For matching registrations against
// ChangeNotification::table.
std::string qualified_table_name(const std::string& table);

}  // namespace pgfast
