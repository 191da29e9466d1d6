// A manual benchmark driver (not a test; built only on request: `ninja proxy_bench_main`): one
// ProxyWorker on one thread, listening on 127.0.0.1:<listen>, with one route "/" to
// 127.0.0.1:<upstream>, access log off. Point wrk at it and compare with nginx (bench/README.md).
//   proxy_bench_main <listen-port> <upstream-port>

#include <cstdio>
#include <cstdlib>

#include "gateway/event/dispatcher.h"
#include "gateway/proxy/worker.h"
#include "gateway/router/router.h"

using namespace gateway;

namespace {
struct NullSink : proxy::AccessLogSink {
  void write(std::string&&) override {}
};
} // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <listen-port> <upstream-port>\n", argv[0]);
    return 2;
  }
  auto config = std::make_shared<config::Config>();
  config->gateway.log.accessLog = "off";
  config::Service service;
  service.id = "s";
  service.host = "127.0.0.1";
  service.port = static_cast<uint16_t>(std::atoi(argv[2]));
  config->services.push_back(service);
  config::Route route;
  route.id = "r";
  route.serviceId = "s";
  route.paths = {"/"};
  config->routes.push_back(route);
  auto snapshot = std::make_shared<proxy::ConfigSnapshot>();
  snapshot->config = config;
  snapshot->router = router::createRouter(*config);
  snapshot->generation = 1;
  auto dispatcher = event::createDispatcher();
  NullSink sink;
  auto worker = proxy::createProxyWorker(*dispatcher, snapshot, nullptr, sink);
  auto listener = dispatcher->listenTcp("127.0.0.1", static_cast<uint16_t>(std::atoi(argv[1])),
                                        1024, [&](event::TcpStreamPtr s) {
                                          worker->onAccept(std::move(s));
                                        });
  if (!listener.isOk()) {
    std::fprintf(stderr, "listen: %s\n", listener.status().message().c_str());
    return 1;
  }
  dispatcher->run();
  return 0;
}
