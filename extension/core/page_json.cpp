#include "core/page_json.hpp"

namespace pgfast {

void append_json_array(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += items[i];
  }
  out += ']';
}

}  // namespace pgfast
