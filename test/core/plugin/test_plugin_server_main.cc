// The test plugin server as a managed child process: listens on $GANTRY_PLUGIN_SOCKET and
// prints the handshake line, as docs/PROTOCOL.md asks of every plugin server.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "test_plugin_server.h"

int main() {
  const char* socket = std::getenv("GANTRY_PLUGIN_SOCKET");
  if (socket == nullptr) {
    std::fprintf(stderr, "GANTRY_PLUGIN_SOCKET is not set\n");
    return 2;
  }
  gateway::plugin::testing::TestPluginServer server(std::string("unix:") + socket);
  std::printf("starting test plugin server\nGANTRY_PLUGIN_READY|1|unix|%s\n", socket);
  std::fflush(stdout);
  server.wait();
  return 0;
}
