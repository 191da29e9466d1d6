#include "config/builder.h"

#include "config/validators.h"

namespace gateway::config::detail {

namespace {

// What identifies an entity declared without an id across reloads: its place in the file and its
// name. Editing an entity's fields keeps its id; moving it to another place changes it.
std::string stableKey(const MapReader& m) {
  const YAML::Node& node = m.node();
  std::string name;
  for (const char* key : {"name", "username", "target"}) {
    if (node.IsMap() && node[key] && node[key].IsScalar()) {
      name = node[key].Scalar();
      break;
    }
  }
  return m.path() + "#" + name;
}

} // namespace

void readId(MapReader& m, std::string& id) {
  if (m.string("id", id)) {
    std::string err = checkUuid(id);
    if (!err.empty()) m.error("id", err);
  }
  if (id.empty()) id = stableUuid(stableKey(m));
}

void readTags(MapReader& m, std::vector<std::string>& tags) {
  if (!m.stringList("tags", tags)) return;
  YAML::Node n = m.get("tags");
  for (size_t i = 0; i < tags.size(); ++i) {
    std::string err = checkTag(tags[i]);
    if (!err.empty()) m.errors().add(n[i].Mark(), indexPath(m.fieldPath("tags"), i), err);
  }
}

std::optional<Ref> readRef(MapReader& m, const std::string& key) {
  YAML::Node n = m.get(key);
  if (!n) return std::nullopt;
  Ref ref;
  ref.origin = Origin{m.fieldPath(key), n.Mark()};
  if (n.IsMap()) {
    MapReader r(n, m.fieldPath(key), m.errors());
    bool hasId = r.string("id", ref.value);
    if (hasId) ref.by = Ref::By::Id;
    std::string name;
    if (r.string("name", name) || r.string("username", name)) {
      if (hasId) {
        r.error("name", "set either id or name, not both");
        r.finish();
        return std::nullopt;
      }
      ref.value = name;
      ref.by = Ref::By::Name;
    }
    r.finish();
    if (ref.value.empty()) {
      m.errors().add(n.Mark(), m.fieldPath(key), "expected a reference: {id: ...} or {name: ...}");
      return std::nullopt;
    }
    return ref;
  }
  auto v = readString(n, m.fieldPath(key), m.errors());
  if (!v) return std::nullopt;
  ref.value = *v;
  return ref;
}

void acceptTimestamps(MapReader& m) {
  m.accept("created_at");
  m.accept("updated_at");
}

bool isCredentialKey(const std::string& key) {
  if (key == "jwt_secrets" || key == "acls") return true;
  const std::string suffix = "_credentials";
  return key.size() > suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace gateway::config::detail
