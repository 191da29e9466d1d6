#include "config/check.h"

#include "gateway/config/loader.h"

namespace gateway::config {

int runCheck(const std::string& path, std::ostream& out) {
  LoadResult result = loadFile(path);
  if (result.errors.empty()) {
    out << path << ": ok\n";
    return 0;
  }
  for (const auto& e : result.errors) out << path << ": " << e.toString() << "\n";
  return 1;
}

} // namespace gateway::config
