#pragma once

// The command line of the gantry binary:
//   gantry start  -c FILE [-p PIDFILE]   run the gateway in the foreground
//   gantry check  -c FILE                validate a configuration file and exit
//   gantry reload -p PIDFILE             send SIGHUP to the running gantry
//   gantry version | help
// Options also have long forms: --config FILE, --config=FILE, --pid FILE, --pid=FILE.

#include <string>
#include <vector>

#include "gateway/common/status.h"

namespace gateway::server {

enum class Command { Start, Check, Reload, Version, Help };

struct CliOptions {
  Command command{Command::Help};
  std::string configPath;  // -c; required by start and check.
  std::string pidFile;     // -p; optional for start, required by reload.
};

// Parses the arguments after the program name. Errors are InvalidArgument with a message meant
// for the user (the caller prints it with the usage and exits 2).
StatusOr<CliOptions> parseCli(const std::vector<std::string>& args);

std::string usageText();

} // namespace gateway::server
