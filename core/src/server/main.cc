// gantry: the gateway binary. Parses the command line and runs one command (cli.h); the server
// itself is server.h.

#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "server/cli.h"
#include "server/pid_file.h"
#include "server/plugin_runtime.h"
#include "server/server.h"

#ifndef GANTRY_VERSION
#define GANTRY_VERSION "unknown"
#endif

int main(int argc, char** argv) {
  using namespace gateway::server;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = parseCli(args);
  if (!parsed.isOk()) {
    std::cerr << "gantry: " << parsed.status().message() << "\n\n" << usageText();
    return 2;
  }
  CliOptions options = std::move(parsed.value());
  switch (options.command) {
  case Command::Help:
    std::cout << usageText();
    return 0;
  case Command::Version:
    std::cout << "gantry " << GANTRY_VERSION << "\n";
    return 0;
  case Command::Check:
    // Files with plugins are validated against the plugin servers' schemas (started and
    // stopped here); others by the config loader alone.
    return runCheckWithPlugins(options.configPath, std::cout);
  case Command::Reload: {
    gateway::Status sent = signalPidFile(options.pidFile, SIGHUP);
    if (!sent.isOk()) {
      std::cerr << "gantry reload: " << sent.message() << "\n";
      return 1;
    }
    std::cout << "gantry reload: SIGHUP sent\n";
    return 0;
  }
  case Command::Start: {
    Server server(std::move(options));
    return server.run();
  }
  }
  return 2;
}
