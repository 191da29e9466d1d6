#include "gateway/http/header_map.h"

#include <algorithm>

namespace gateway::http {

namespace {
inline char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
} // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

void HeaderMap::add(std::string name, std::string value) {
  fields_.push_back(HeaderField{std::move(name), std::move(value)});
}

void HeaderMap::set(std::string_view name, std::string value) {
  auto it = std::find_if(fields_.begin(), fields_.end(),
                         [&](const HeaderField& f) { return iequals(f.name, name); });
  if (it == fields_.end()) {
    fields_.push_back(HeaderField{std::string(name), std::move(value)});
    return;
  }
  it->value = std::move(value);
  // Remove any later duplicates.
  auto tail = std::remove_if(it + 1, fields_.end(),
                             [&](const HeaderField& f) { return iequals(f.name, name); });
  fields_.erase(tail, fields_.end());
}

size_t HeaderMap::remove(std::string_view name) {
  auto tail = std::remove_if(fields_.begin(), fields_.end(),
                             [&](const HeaderField& f) { return iequals(f.name, name); });
  size_t removed = static_cast<size_t>(fields_.end() - tail);
  fields_.erase(tail, fields_.end());
  return removed;
}

std::optional<std::string_view> HeaderMap::get(std::string_view name) const {
  for (const auto& f : fields_) {
    if (iequals(f.name, name)) {
      return std::string_view(f.value);
    }
  }
  return std::nullopt;
}

std::vector<std::string_view> HeaderMap::getAll(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& f : fields_) {
    if (iequals(f.name, name)) {
      out.emplace_back(f.value);
    }
  }
  return out;
}

size_t HeaderMap::count(std::string_view name) const {
  size_t n = 0;
  for (const auto& f : fields_) {
    if (iequals(f.name, name)) {
      ++n;
    }
  }
  return n;
}

std::optional<std::string> HeaderMap::getJoined(std::string_view name) const {
  std::optional<std::string> out;
  for (const auto& f : fields_) {
    if (!iequals(f.name, name)) {
      continue;
    }
    if (!out) {
      out = f.value;
    } else {
      out->append(", ").append(f.value);
    }
  }
  return out;
}

size_t HeaderMap::byteSize() const {
  size_t n = 0;
  for (const auto& f : fields_) {
    n += f.name.size() + f.value.size() + 4;
  }
  return n;
}

} // namespace gateway::http
