#pragma once

// Writing a plugin: derive from gantry_pdk::Plugin, override the phases you need, register it.
//
//   class Hello : public gantry_pdk::Plugin {
//   public:
//     static gantry_pdk::Schema schema() { return {gantry_pdk::Field::string("message")}; }
//     explicit Hello(const nlohmann::json& config) : message_(config.value("message", "hi")) {}
//     void access(gantry_pdk::Pdk& kong) override { kong.response.setHeader("x-hi", message_); }
//   private:
//     std::string message_;
//   };
//   GANTRY_PLUGIN(Hello, "hello", "0.1.0", /*priority=*/1000);
//   int main(int argc, char** argv) { return gantry_pdk::serve(argc, argv); }
//
// The contract for a plugin type T:
//  - Phases: the virtual methods below; the defaults do nothing. The SDK tells gantry which
//    phases T implements by checking at compile time which of them T (or a base between T and
//    Plugin) overrides: decltype(&T::access) is `void (Plugin::*)(Pdk&)` exactly when it is not
//    overridden. So don't overload a phase method name. Gantry never sends a phase that no plugin
//    implements.
//  - Config: if T has `static gantry_pdk::Schema schema()`, each config is validated against it
//    (defaults filled in) and the schema is sent to gantry as Kong schema JSON; otherwise any
//    object is accepted. T is constructed once per instance (plugin entity configuration) from
//    the validated config: T(const nlohmann::json&) if it has that constructor, else T().
//    A constructor that throws rejects the config with the exception's message.
//  - Body: `static std::vector<gantry_pdk::Phase> bodyPhases()` (optional) lists the phases in
//    which the request body should travel in the snapshot (otherwise Request::rawBody() fetches).
//  - Concurrency: one T object serves all requests of its instance, concurrently from several
//    worker threads; phase methods must be thread-safe with respect to T's own state.
//  - Errors: an exception thrown by a phase method fails that plugin for that request
//    (PluginError KIND_HANDLER with the exception's message); the server carries on.

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "gantry_pdk/pdk.h"
#include "gantry_pdk/schema.h"

namespace gantry_pdk {

class Plugin {
public:
  virtual ~Plugin() = default;
  // Before routing (global plugins only).
  virtual void rewrite(Pdk& kong) {}
  // After routing: authentication, request transformation, exit.
  virtual void access(Pdk& kong) {}
  // Whole upstream response buffered: may change status, headers and body.
  virtual void response(Pdk& kong) {}
  // The response head, before it is sent (streaming; no body).
  virtual void headerFilter(Pdk& kong) {}
  // After the response was sent; only log lines are honoured.
  virtual void log(Pdk& kong) {}
};

// Everything the SDK knows about a plugin type.
struct PluginDescriptor {
  std::string name;
  std::string version;
  int priority = 0;
  std::vector<Phase> phases;
  std::vector<Phase> bodyPhases;
  std::optional<Schema> schema;  // nullopt: any config object is accepted.
  // Makes an instance from a validated config; throws to reject the config.
  std::function<std::unique_ptr<Plugin>(const nlohmann::json& config)> create;

  // Validates `configJson` ("" means {}) and creates an instance; on failure returns null and
  // sets `error` (e.g. "message: expected a string").
  std::unique_ptr<Plugin> instantiate(const std::string& configJson, std::string& error) const;
  // PluginInfo.schema_json ("" without a schema).
  std::string schemaJson() const;
};

namespace detail {
template <class T, class M> constexpr bool overrides(M) {
  return !std::is_same_v<M, void (Plugin::*)(Pdk&)>;
}
}  // namespace detail

// The descriptor of plugin type T (see the contract above).
template <class T>
PluginDescriptor describePlugin(std::string name, std::string version, int priority) {
  static_assert(std::is_base_of_v<Plugin, T>, "a plugin derives from gantry_pdk::Plugin");
  PluginDescriptor d;
  d.name = std::move(name);
  d.version = std::move(version);
  d.priority = priority;
  if constexpr (detail::overrides<T>(&T::rewrite)) d.phases.push_back(Phase::Rewrite);
  if constexpr (detail::overrides<T>(&T::access)) d.phases.push_back(Phase::Access);
  if constexpr (detail::overrides<T>(&T::response)) d.phases.push_back(Phase::Response);
  if constexpr (detail::overrides<T>(&T::headerFilter)) d.phases.push_back(Phase::HeaderFilter);
  if constexpr (detail::overrides<T>(&T::log)) d.phases.push_back(Phase::Log);
  if constexpr (requires { T::schema(); }) {
    d.schema = Schema(T::schema());
  }
  if constexpr (requires { T::bodyPhases(); }) {
    d.bodyPhases = T::bodyPhases();
  }
  d.create = [](const nlohmann::json& config) -> std::unique_ptr<Plugin> {
    if constexpr (std::is_constructible_v<T, const nlohmann::json&>) {
      return std::make_unique<T>(config);
    } else {
      return std::make_unique<T>();
    }
  };
  return d;
}

// The process-wide registry that serve() offers. registerPlugin returns true (so it can
// initialise a static); a second plugin with the same name replaces the first.
bool registerPlugin(PluginDescriptor descriptor);
std::vector<PluginDescriptor> registeredPlugins();

}  // namespace gantry_pdk

#define GANTRY_PDK_CONCAT_INNER(a, b) a##b
#define GANTRY_PDK_CONCAT(a, b) GANTRY_PDK_CONCAT_INNER(a, b)
// Registers plugin type `Type` under `name` with `version` and `priority` (higher runs first).
#define GANTRY_PLUGIN(Type, name, version, priority)                                             \
  [[maybe_unused]] static const bool GANTRY_PDK_CONCAT(gantryPluginRegistered_, __LINE__) =      \
      ::gantry_pdk::registerPlugin(::gantry_pdk::describePlugin<Type>(name, version, priority))
