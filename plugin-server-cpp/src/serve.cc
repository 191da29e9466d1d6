// serve(): the process entry point of a plugin server (flags, environment, READY line, signals).
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "gantry_pdk/server.h"

namespace gantry_pdk {
namespace {

constexpr auto kSignalGrace = std::chrono::milliseconds(10000);

void usage(const char* argv0) {
  std::cerr << "usage: " << argv0
            << " [--listen unix:/path | --listen host:port] [--workers N] [--dump]\n"
               "Serves the Gantry plugin protocol (docs/PROTOCOL.md). Without --listen it listens\n"
               "on $GANTRY_PLUGIN_SOCKET, as gantry sets it for the servers it starts.\n";
}

bool speaksVersion1(const char* versions) {
  if (versions == nullptr || *versions == '\0') {
    return true;
  }
  std::string list = std::string(",") + versions + ",";
  std::erase(list, ' ');
  return list.find(",1,") != std::string::npos;
}

nlohmann::json dump(const std::vector<PluginDescriptor>& plugins) {
  nlohmann::json out = nlohmann::json::array();
  for (const PluginDescriptor& d : plugins) {
    nlohmann::json phases = nlohmann::json::array(), body = nlohmann::json::array();
    for (Phase p : d.phases) phases.push_back(phaseName(p));
    for (Phase p : d.bodyPhases) body.push_back(phaseName(p));
    out.push_back({{"name", d.name},
                   {"version", d.version},
                   {"priority", d.priority},
                   {"phases", phases},
                   {"body_phases", body},
                   {"schema", d.schema ? d.schema->toKongJson(d.name) : nlohmann::json()}});
  }
  return out;
}

}  // namespace

int serve(int argc, char** argv) {
  ServerOptions options;
  bool dumpInfo = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    auto takeValue = [&](const std::string& flag) {
      if (arg.rfind(flag + "=", 0) == 0) {
        value = arg.substr(flag.size() + 1);
        return true;
      }
      if (arg == flag && i + 1 < argc) {
        value = argv[++i];
        return true;
      }
      return false;
    };
    if (takeValue("--listen")) {
      options.listen = value;
    } else if (takeValue("--workers")) {
      options.workers = static_cast<unsigned>(std::strtoul(value.c_str(), nullptr, 10));
    } else if (arg == "--dump" || arg == "-dump") {
      dumpInfo = true;
    } else if (arg == "--help" || arg == "-h") {
      usage(argv[0]);
      return 0;
    } else {
      std::cerr << "unknown argument: " << arg << "\n";
      usage(argv[0]);
      return 2;
    }
  }
  if (dumpInfo) {
    std::cout << dump(registeredPlugins()).dump(2) << std::endl;
    return 0;
  }
  if (!speaksVersion1(std::getenv("GANTRY_PLUGIN_PROTOCOL_VERSIONS"))) {
    std::cerr << "gantry offers protocol versions " << std::getenv("GANTRY_PLUGIN_PROTOCOL_VERSIONS")
              << "; this plugin server speaks 1\n";
    return 1;
  }
  if (options.listen.empty()) {
    if (const char* socket = std::getenv("GANTRY_PLUGIN_SOCKET"); socket && *socket) {
      options.listen = std::string("unix:") + socket;
    } else {
      std::cerr << "set GANTRY_PLUGIN_SOCKET or pass --listen\n";
      usage(argv[0]);
      return 2;
    }
  } else if (options.listen.rfind("unix:", 0) != 0 && options.listen.find(':') == std::string::npos) {
    std::cerr << "--listen wants unix:/path or host:port\n";
    return 2;
  }
  if (const char* name = std::getenv("GANTRY_PLUGIN_SERVER_NAME"); name && *name) {
    options.serverName = name;
  } else {
    std::string exe = argv[0];
    options.serverName = exe.substr(exe.rfind('/') + 1);
  }

  // Block SIGTERM/SIGINT before any thread starts (gRPC's threads inherit the mask); one thread
  // waits for them with sigwait.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGTERM);
  sigaddset(&stopSignals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  Server server(options, registeredPlugins());
  std::string ready;
  try {
    ready = server.start();
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  std::cout << "GANTRY_PLUGIN_READY|1|" << ready << std::endl;

  std::thread([&server, stopSignals] {
    int sig = 0;
    sigwait(&stopSignals, &sig);
    std::cerr << "signal " << sig << ": finishing in-flight calls\n";
    server.requestShutdown(kSignalGrace);
  }).detach();

  server.stop(server.waitForShutdownRequest());
  return 0;
}

}  // namespace gantry_pdk
