// Consumers and their credentials (nested under a consumer, or top-level with a `consumer:` ref).
// Credentials are kept generic (Credential{type, id, fields}); the auth plugins interpret the fields.

#include "config/builder.h"
#include "config/validators.h"

namespace gateway::config::detail {

namespace {

// Fields each known credential kind requires (Kong's DAO schemas; auto-generated ones excluded).
std::vector<std::string> requiredFields(const std::string& type) {
  if (type == "basicauth_credentials") return {"username", "password"};
  if (type == "acls") return {"group"};
  if (type == "hmacauth_credentials") return {"username"};
  return {};
}

std::optional<Credential> readCredential(Builder& b, const std::string& type, MapReader& m, bool nested) {
  Credential c;
  c.type = type;
  readId(m, c.id);
  m.accept("consumer");  // handled by the caller
  if (nested && m.has("consumer"))
    m.error("consumer", "must not be set on a credential nested under a consumer");
  std::vector<std::string> tags;
  readTags(m, tags);
  for (const auto& key : requiredFields(type)) {
    std::string ignored;
    m.string(key, ignored, /*required=*/true);
  }
  bool ok = true;
  c.fields = nlohmann::json::object();
  for (auto it = m.node().begin(); it != m.node().end(); ++it) {
    if (!it->first.IsScalar()) continue;  // reported by finish()
    const std::string& key = it->first.Scalar();
    if (key == "id" || key == "consumer" || key == "tags" || key == "created_at" || key == "_comment" ||
        key == "_ignore")
      continue;
    m.accept(key);
    auto v = readJson(it->second, m.fieldPath(key), b.errors);
    if (v) c.fields[key] = std::move(*v);
    else ok = false;
  }
  // Kong generates a key-auth key when none is given.
  if (type == "keyauth_credentials" && (!c.fields.contains("key") || c.fields["key"].is_null()))
    c.fields["key"] = generateUuid();
  if (!ok) return std::nullopt;
  return c;
}

} // namespace

void parseConsumer(Builder& b, const YAML::Node& node, const std::string& path) {
  MapReader m(node, path, b.errors);
  if (!m.valid()) return;
  Consumer c;
  readId(m, c.id);
  m.string("username", c.username);
  m.string("custom_id", c.customId);
  if (!m.has("username") && !m.has("custom_id"))
    b.errors.add(node.Mark(), path, "at least one of these fields must be non-empty: 'custom_id', 'username'");
  readTags(m, c.tags);
  acceptTimestamps(m);

  std::vector<Origin> origins;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar() || !isCredentialKey(it->first.Scalar())) continue;
    const std::string type = it->first.Scalar();
    YAML::Node list = m.get(type);
    if (!list) continue;
    forEach(b, list, m.fieldPath(type), [&](const YAML::Node& n, const std::string& p) {
      MapReader cm(n, p, b.errors);
      if (!cm.valid()) return;
      if (auto cred = readCredential(b, type, cm, /*nested=*/true)) {
        c.credentials.push_back(std::move(*cred));
        origins.push_back(Origin{p, n.Mark()});
      }
      cm.finish();
    });
  }
  b.config.consumers.push_back(c);
  b.consumerOrigins.push_back(Origin{path, node.Mark()});
  b.credentialOrigins.push_back(std::move(origins));
  if (YAML::Node plugins = m.get("plugins"))
    forEach(b, plugins, m.fieldPath("plugins"), [&](const YAML::Node& n, const std::string& p) {
      parsePlugin(b, n, p, Parent{Parent::Kind::Consumer, c.id});
    });
  m.finish();
}

void parseTopLevelCredential(Builder& b, const std::string& type, const YAML::Node& node,
                             const std::string& path) {
  MapReader m(node, path, b.errors);
  if (!m.valid()) return;
  auto ref = readRef(m, "consumer");
  if (!ref && !m.has("consumer")) m.missing("consumer");
  auto cred = readCredential(b, type, m, /*nested=*/false);
  m.finish();
  if (cred && ref)
    b.topLevelCredentials.push_back(Builder::PendingCredential{std::move(*cred), *ref, Origin{path, node.Mark()}});
}

} // namespace gateway::config::detail
