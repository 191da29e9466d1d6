#include "router/path_regex.h"

#include <cctype>

namespace gateway::router {

namespace {

bool isNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Reads a group name starting at pattern[pos] up to `close`; returns the name and moves pos past
// the closing character, or returns an empty string when the name is malformed.
std::string readName(std::string_view pattern, size_t& pos, char close) {
  size_t start = pos;
  while (pos < pattern.size() && isNameChar(pattern[pos])) {
    ++pos;
  }
  if (pos == start || pos >= pattern.size() || pattern[pos] != close) {
    return {};
  }
  std::string name(pattern.substr(start, pos - start));
  ++pos;
  return name;
}

} // namespace

StatusOr<std::string> rewriteNamedGroups(std::string_view pattern,
                                         std::vector<std::string>& groupNames) {
  groupNames.clear();
  std::string out;
  out.reserve(pattern.size());
  bool inClass = false;
  size_t i = 0;
  while (i < pattern.size()) {
    char c = pattern[i];
    if (c == '\\') {
      // \k<name> back-reference: resolve to the group number when the name is known.
      if (!inClass && i + 2 < pattern.size() && pattern[i + 1] == 'k' && pattern[i + 2] == '<') {
        size_t pos = i + 3;
        std::string name = readName(pattern, pos, '>');
        size_t number = 0;
        for (size_t g = 0; g < groupNames.size(); ++g) {
          if (!name.empty() && groupNames[g] == name) {
            number = g + 1;
          }
        }
        if (number == 0) {
          return invalidArgument("regex path: unknown back-reference in '" + std::string(pattern) +
                                 "'");
        }
        out += '\\';
        out += std::to_string(number);
        i = pos;
        continue;
      }
      out += c;
      if (i + 1 < pattern.size()) {
        out += pattern[i + 1];
      }
      i += 2;
      continue;
    }
    if (inClass) {
      if (c == ']') {
        inClass = false;
      }
      out += c;
      ++i;
      continue;
    }
    if (c == '[') {
      inClass = true;
      out += c;
      ++i;
      // A ']' right after '[' or '[^' is a literal in PCRE; ECMAScript reads "[]" as an empty
      // class, so escape it to keep PCRE's meaning.
      if (i < pattern.size() && pattern[i] == '^') {
        out += '^';
        ++i;
      }
      if (i < pattern.size() && pattern[i] == ']') {
        out += "\\]";
        ++i;
      }
      continue;
    }
    if (c == '(') {
      if (i + 1 < pattern.size() && pattern[i + 1] == '?') {
        size_t pos = i + 2;
        bool named = false;
        if (pos < pattern.size() && pattern[pos] == 'P' && pos + 1 < pattern.size() &&
            pattern[pos + 1] == '<') {
          pos += 2;
          named = true;
        } else if (pos < pattern.size() && pattern[pos] == '<' && pos + 1 < pattern.size() &&
                   pattern[pos + 1] != '=' && pattern[pos + 1] != '!') {
          pos += 1;
          named = true;
        }
        if (named) {
          std::string name = readName(pattern, pos, '>');
          if (name.empty()) {
            return invalidArgument("regex path: malformed named group in '" +
                                   std::string(pattern) + "'");
          }
          groupNames.push_back(std::move(name));
          out += '(';
          i = pos;
          continue;
        }
        // (?: (?= (?! and anything else: not a capture group; copied as is.
        out += "(?";
        i += 2;
        continue;
      }
      groupNames.emplace_back();
      out += c;
      ++i;
      continue;
    }
    out += c;
    ++i;
  }
  return out;
}

StatusOr<PathRegex> compilePathRegex(std::string_view pattern) {
  PathRegex compiled;
  StatusOr<std::string> rewritten = rewriteNamedGroups(pattern, compiled.groupNames);
  if (!rewritten) {
    return rewritten.status();
  }
  try {
    compiled.regex = std::regex(rewritten.value(), std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& e) {
    return invalidArgument("regex path '~" + std::string(pattern) + "' does not compile: " +
                           e.what());
  }
  if (compiled.regex.mark_count() != compiled.groupNames.size()) {
    // Our group count disagrees with the engine's; never guess which name belongs where.
    return invalidArgument("regex path '~" + std::string(pattern) +
                           "': could not number its capture groups");
  }
  return compiled;
}

} // namespace gateway::router
