// Pieces of SQL text built in pure C++: identifiers are always double-quoted (DESIGN 3, rule 5);
// values never appear in SQL text, only as $n parameters.
#pragma once

#include <string>
#include <string_view>

namespace pgfast {

// "name" with embedded quotes doubled. Throws pgfast::Error (22023) for an empty name or one with
// a NUL byte.
std::string quote_identifier(std::string_view name);

// "schema"."name"
std::string quote_qualified(std::string_view schema, std::string_view name);

// A JSON string literal (RFC 8259): quotes, backslash and control characters escaped; the bytes
// are otherwise copied (the database encoding is UTF-8).
std::string json_quote(std::string_view text);

}  // namespace pgfast
