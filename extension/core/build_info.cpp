#include "core/build_info.hpp"

namespace pgfast {

std::string build_description(const std::string& server_version) {
  std::string out = std::string("pgfast ") + kVersion + " (";
  if (!server_version.empty()) out += "PostgreSQL " + server_version + ", ";
#if defined(__clang__)
  out += "clang++ " __clang_version__;
#elif defined(__GNUC__)
  out += "g++ " __VERSION__;
#else
  out += "C++ compiler";
#endif
  out += ", C++" + std::to_string(__cplusplus / 100 % 100);
  out += ")";
  return out;
}

}  // namespace pgfast
