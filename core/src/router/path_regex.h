#pragma once

// Kong regex route paths ("~/users/(?<id>\d+)") compiled to std::regex (ECMAScript).
//
// Kong's regexes are PCRE; ECMAScript has no named groups, so named groups `(?<name>...)` and
// `(?P<name>...)` are rewritten to plain groups and their names remembered by group number
// (`\k<name>` back-references become `\N`). Constructs ECMAScript lacks (lookbehind, inline
// flags, possessive quantifiers) fail to compile and are reported by compilePathRegex().

#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/common/status.h"

namespace gateway::router {

struct PathRegex {
  std::regex regex;
  // groupNames[i] is the name of capture group i + 1, or empty for an unnamed group.
  std::vector<std::string> groupNames;
};

// Rewrites a PCRE-style pattern (without the leading "~") to ECMAScript, filling groupNames.
// Returns an error for a malformed named group. Pure; used by compilePathRegex and tests.
StatusOr<std::string> rewriteNamedGroups(std::string_view pattern,
                                         std::vector<std::string>& groupNames);

// Compiles a regex path without its leading "~". Never throws: a std::regex_error becomes an
// InvalidArgument status naming the pattern.
StatusOr<PathRegex> compilePathRegex(std::string_view pattern);

} // namespace gateway::router
