// cpp-hello: the C++ twin of go-hello. The access phase sets
// `x-hello-from-cpp: C++ says <message> to <host>` on the response.
#include <gantry_pdk/gantry_pdk.h>

class HelloPlugin : public gantry_pdk::Plugin {
public:
  static gantry_pdk::Schema schema() {
    return {gantry_pdk::Field::string("message").required().defaultValue("hello")};
  }

  explicit HelloPlugin(const nlohmann::json& config)
      : message_(config.at("message").get<std::string>()) {}

  void access(gantry_pdk::Pdk& kong) override {
    std::string_view host = kong.request.header("host").value_or("");
    kong.response.setHeader("x-hello-from-cpp",
                            "C++ says " + message_ + " to " + std::string(host));
  }

private:
  const std::string message_;
};

GANTRY_PLUGIN(HelloPlugin, "cpp-hello", "0.1.0", /*priority=*/1000);
