#pragma once

// An ordered multimap of HTTP header fields. Names keep the case they arrived with; lookups
// are case-insensitive. Order and duplicates are preserved, as they travel on the wire.
// Value type; not thread-safe; cheap enough for ~10-50 headers (linear scans).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gateway::http {

struct HeaderField {
  std::string name;
  std::string value;
};

// ASCII case-insensitive comparison of header names.
bool iequals(std::string_view a, std::string_view b);

class HeaderMap {
public:
  using const_iterator = std::vector<HeaderField>::const_iterator;

  // Appends a field, keeping existing fields of the same name (like Kong's add_header).
  void add(std::string name, std::string value);
  // Replaces every field of this name with one field (like Kong's set_header).
  void set(std::string_view name, std::string value);
  // Removes every field of this name. Returns how many were removed.
  size_t remove(std::string_view name);
  // First value of the name, or nullopt. The view is valid until the map is modified.
  std::optional<std::string_view> get(std::string_view name) const;
  // All values of the name, in order.
  std::vector<std::string_view> getAll(std::string_view name) const;
  // Number of fields with this name.
  size_t count(std::string_view name) const;
  bool has(std::string_view name) const { return count(name) != 0; }
  // Values of the name joined with ", " (the RFC 9110 combination), or nullopt.
  std::optional<std::string> getJoined(std::string_view name) const;

  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  void clear() { fields_.clear(); }
  const_iterator begin() const { return fields_.begin(); }
  const_iterator end() const { return fields_.end(); }
  const std::vector<HeaderField>& fields() const { return fields_; }
  // Approximate number of bytes the fields take on the wire ("name: value\r\n").
  size_t byteSize() const;

private:
  std::vector<HeaderField> fields_;
};

} // namespace gateway::http
