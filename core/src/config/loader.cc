// loadFile/loadString: YAML text -> Builder (parse_*.cc) -> resolve() -> Config, plus the Config
// lookup helpers. yaml-cpp throws; this file is the boundary where its exceptions become errors.

#include "gateway/config/loader.h"

#include <fstream>
#include <set>
#include <sstream>

#include "config/builder.h"

namespace gateway::config {

namespace {

using detail::Builder;
using detail::MapReader;

// Top-level Kong sections gantry does not implement: accepted only when empty.
const char* const kUnsupportedSections[] = {"certificates", "ca_certificates", "snis", "vaults",
                                            "key_sets", "keys", "parameters", "filter_chains"};

bool isSection(const std::string& key) {
  static const std::set<std::string> kSections = {"gantry", "plugin_servers", "services", "routes",
                                                  "upstreams", "targets", "consumers", "plugins"};
  return kSections.count(key) > 0 || detail::isCredentialKey(key);
}

void readFormatVersion(Builder& b, MapReader& m) {
  YAML::Node n = m.get("_format_version");
  if (!n) {
    m.missing("_format_version");
    return;
  }
  // Quoted as in Kong's docs, but a plain 3.0 is accepted too.
  std::string v = n.IsScalar() ? n.Scalar() : "";
  if (v != "3.0" && v != "2.1" && v != "1.1") {
    m.error("_format_version", "expected one of: \"3.0\", \"2.1\", \"1.1\"");
    return;
  }
  b.config.formatVersion = v;
  b.legacyFormat = v != "3.0";
}

void parseDocument(Builder& b, const YAML::Node& root) {
  if (!root.IsDefined() || root.IsNull()) {
    b.errors.add("", "the file is empty (expected at least _format_version: \"3.0\")");
    return;
  }
  MapReader m(root, "", b.errors);
  if (!m.valid()) return;
  readFormatVersion(b, m);
  m.boolean("_transform", b.config.transform);
  for (const char* key : kUnsupportedSections) m.unsupported(key);

  // Sections in file order, so that nested and top-level routes get their order from the file.
  std::set<std::string> seen;
  for (auto it = root.begin(); it != root.end(); ++it) {
    if (!it->first.IsScalar()) continue;  // reported by finish()
    const std::string key = it->first.Scalar();
    if (!isSection(key) || !seen.insert(key).second) continue;  // unknown/duplicate: finish()
    m.accept(key);
    const YAML::Node value = it->second;
    if (value.IsNull()) continue;
    auto each = [&](auto&& fn) { detail::forEach(b, value, key, fn); };
    if (key == "gantry") {
      detail::parseGatewaySettings(b, value, key);
    } else if (key == "plugin_servers") {
      each([&](const YAML::Node& n, const std::string& p) { detail::parsePluginServer(b, n, p); });
    } else if (key == "services") {
      each([&](const YAML::Node& n, const std::string& p) { detail::parseService(b, n, p); });
    } else if (key == "routes") {
      each([&](const YAML::Node& n, const std::string& p) { detail::parseRoute(b, n, p, nullptr); });
    } else if (key == "upstreams") {
      each([&](const YAML::Node& n, const std::string& p) { detail::parseUpstream(b, n, p); });
    } else if (key == "targets") {
      each([&](const YAML::Node& n, const std::string& p) { detail::parseTopLevelTarget(b, n, p); });
    } else if (key == "consumers") {
      each([&](const YAML::Node& n, const std::string& p) { detail::parseConsumer(b, n, p); });
    } else if (key == "plugins") {
      each([&](const YAML::Node& n, const std::string& p) { detail::parsePlugin(b, n, p, detail::Parent{}); });
    } else {
      each([&](const YAML::Node& n, const std::string& p) { detail::parseTopLevelCredential(b, key, n, p); });
    }
  }
  m.finish();
}

} // namespace

LoadResult loadString(const std::string& text, const std::string& name) {
  LoadResult result;
  Builder b;
  b.config.sourcePath = name;
  try {
    YAML::Node root = YAML::Load(text);
    parseDocument(b, root);
    detail::resolve(b);  // also when parsing found errors: report every problem at once
  } catch (const YAML::Exception& e) {
    LoadError err;
    err.message = e.mark.is_null() ? e.msg
                                   : "line " + std::to_string(e.mark.line + 1) + ", column " +
                                         std::to_string(e.mark.column + 1) + ": " + e.msg;
    if (!e.mark.is_null()) {
      err.line = e.mark.line + 1;
      err.column = e.mark.column + 1;
    }
    result.errors = b.errors.sorted();
    result.errors.push_back(std::move(err));
    return result;
  } catch (const std::exception& e) {
    result.errors = b.errors.sorted();
    result.errors.push_back(LoadError{"", std::string("internal error while loading: ") + e.what()});
    return result;
  }
  result.errors = b.errors.sorted();
  if (result.errors.empty()) result.config = std::make_shared<const Config>(std::move(b.config));
  return result;
}

LoadResult loadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult result;
    result.errors.push_back(LoadError{"", "cannot open file '" + path + "'"});
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    LoadResult result;
    result.errors.push_back(LoadError{"", "cannot read file '" + path + "'"});
    return result;
  }
  return loadString(text.str(), path);
}

const Service* Config::findService(const std::string& id) const {
  for (const auto& s : services)
    if (s.id == id) return &s;
  return nullptr;
}

const Upstream* Config::findUpstream(const std::string& name) const {
  for (const auto& u : upstreams)
    if (u.name == name) return &u;
  return nullptr;
}

const Consumer* Config::findConsumer(const std::string& id) const {
  for (const auto& c : consumers)
    if (c.id == id) return &c;
  return nullptr;
}

} // namespace gateway::config
