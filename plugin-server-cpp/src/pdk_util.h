#pragma once

// Helpers shared by the PDK areas: header lookups and query strings.

#include <optional>
#include <string>
#include <string_view>

#include "gantry_pdk/types.h"

namespace gantry_pdk::detail {

std::optional<std::string_view> findHeader(const Headers& headers, std::string_view name);
HeaderMap groupHeaders(const Headers& headers);
std::string percentDecode(std::string_view s);
std::string percentEncode(std::string_view s);
// Parses "a=1&b=x%20y&a=2" into {a: [1, 2], b: ["x y"]} ('+' decodes to a space).
HeaderMap parseQuery(std::string_view rawQuery);
std::string encodeQuery(const HeaderMap& args);

}  // namespace gantry_pdk::detail
