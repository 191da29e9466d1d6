#include "server/cli.h"

namespace gateway::server {

namespace {

// Matches "-c VALUE", "--config VALUE" and "--config=VALUE"; advances `i` past what it used.
// Returns false if args[i] is not this option.
bool takeOption(const std::vector<std::string>& args, size_t& i, const char* shortName,
                const char* longName, std::string& value, Status& error) {
  const std::string& arg = args[i];
  std::string longEq = std::string(longName) + "=";
  if (arg.rfind(longEq, 0) == 0) {
    value = arg.substr(longEq.size());
    ++i;
  } else if (arg == shortName || arg == longName) {
    if (i + 1 >= args.size()) {
      error = invalidArgument(arg + " needs a value");
      return true;
    }
    value = args[i + 1];
    i += 2;
  } else {
    return false;
  }
  if (value.empty()) {
    error = invalidArgument(arg + " needs a non-empty value");
  }
  return true;
}

} // namespace

StatusOr<CliOptions> parseCli(const std::vector<std::string>& args) {
  CliOptions options;
  if (args.empty()) {
    return invalidArgument("no command given");
  }
  const std::string& command = args[0];
  if (command == "start") {
    options.command = Command::Start;
  } else if (command == "check") {
    options.command = Command::Check;
  } else if (command == "reload") {
    options.command = Command::Reload;
  } else if (command == "version" || command == "--version" || command == "-v") {
    options.command = Command::Version;
  } else if (command == "help" || command == "--help" || command == "-h") {
    options.command = Command::Help;
  } else {
    return invalidArgument("unknown command '" + command + "'");
  }

  size_t i = 1;
  while (i < args.size()) {
    Status error;
    if (args[i] == "-h" || args[i] == "--help") {
      options.command = Command::Help;
      ++i;
      continue;
    }
    if (takeOption(args, i, "-c", "--config", options.configPath, error) ||
        takeOption(args, i, "-p", "--pid", options.pidFile, error)) {
      if (!error.isOk()) {
        return error;
      }
      continue;
    }
    return invalidArgument("unexpected argument '" + args[i] + "' for '" + command + "'");
  }

  switch (options.command) {
  case Command::Start:
  case Command::Check:
    if (options.configPath.empty()) {
      return invalidArgument("'" + command + "' needs -c FILE");
    }
    break;
  case Command::Reload:
    if (options.pidFile.empty()) {
      return invalidArgument("'reload' needs -p PIDFILE");
    }
    break;
  case Command::Version:
  case Command::Help:
    break;
  }
  return options;
}

std::string usageText() {
  return "usage:\n"
         "  gantry start  -c FILE [-p PIDFILE]   run the gateway (foreground)\n"
         "  gantry check  -c FILE                validate a configuration file\n"
         "  gantry reload -p PIDFILE             reload the configuration of a running gantry\n"
         "  gantry version                       print the version\n"
         "  gantry help                          print this help\n"
         "signals: SIGHUP reloads the configuration, SIGTERM/SIGINT drain and stop.\n";
}

} // namespace gateway::server
