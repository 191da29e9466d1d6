#pragma once

// The process-wide error log: one line per message,
//   2026-11-23T23:00:00.123Z [warn] message
// to stderr (default), stdout or a file. Thread-safe; lines from different threads never
// interleave. Messages below the configured level (default notice) are dropped before
// formatting when callers check enabled() first.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/common/status.h"

namespace gateway::log {

enum class Level { Debug, Info, Notice, Warn, Error, Crit };

const char* levelName(Level level);  // "debug", "info", "notice", "warn", "error", "crit".
std::optional<Level> parseLevel(std::string_view name);

// Sends the log to "stdout", "stderr" or a file path (created if missing, appended to).
// On error the previous output is kept.
Status setOutput(const std::string& target);
void setLevel(Level level);
Level level();
inline bool enabled(Level l) { return l >= level(); }

// Writes one line (embedded newlines are escaped as "\n" so each entry stays one line).
void write(Level level, std::string_view message);

inline void debug(std::string_view m) { write(Level::Debug, m); }
inline void info(std::string_view m) { write(Level::Info, m); }
inline void notice(std::string_view m) { write(Level::Notice, m); }
inline void warn(std::string_view m) { write(Level::Warn, m); }
inline void error(std::string_view m) { write(Level::Error, m); }
inline void crit(std::string_view m) { write(Level::Crit, m); }

// The line write() would produce at `when` (without the trailing newline); for tests.
std::string formatLine(std::chrono::system_clock::time_point when, Level level,
                       std::string_view message);
// "2026-11-23T23:00:00.123Z" (UTC, milliseconds).
std::string formatTimestamp(std::chrono::system_clock::time_point when);

} // namespace gateway::log
