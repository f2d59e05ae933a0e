// The items array of a page as JSON text (pure C++, unit-tested), for pgfast.offset_page.
#pragma once

#include <string>
#include <vector>

namespace pgfast {

// `items` (each a JSON value's text) as a JSON array appended to `out`.
void append_json_array(std::string& out, const std::vector<std::string>& items);

}  // namespace pgfast
