// The upstream request path: Kong's joining of service.path and the request path.
//
// postfix = the request path after the part the route matched (matchedPrefix: the plain prefix
// or the whole regex match), with a leading "./" or "../" (or a bare "." / "..") removed as Kong
// does; when the route has no paths, the request path without its leading "/".
// base = service.path, or "/" when empty.
//
// path_handling "v1" (Kong 1.x; kong/router/traditional.lua):
//   strip_path:     base + postfix, dropping one "/" when base ends and postfix starts with one.
//   not strip_path: base + request path without its leading "/".
// path_handling "v0" (Kong 0.x/2.x/3.x; kong/router/utils.lua get_upstream_uri):
//   base ends with "/":
//     strip_path:     postfix ""        -> "/" if base is "/"; base if the request ends with "/";
//                                          else base without its trailing "/"
//                     postfix "/..."    -> base without its trailing "/" + postfix
//                     otherwise         -> base + postfix
//     not strip_path: base + request path without its leading "/"
//   base does not end with "/":
//     strip_path:     postfix ""        -> base + "/" if the request is longer than "/" and ends
//                                          with "/"; else base
//                     postfix "/..."    -> base + postfix
//                     otherwise         -> base + "/" + postfix
//     not strip_path: base if the request is "/", else base + request path
//
// Kong's documented table (service "/s"), all reproduced in test/core/router/upstream_path_test.cc:
//   /fv0  false v0 /fv0req  -> /s/fv0req      /fv1  false v1 /fv1req  -> /sfv1req
//   /tv0  true  v0 /tv0req  -> /s/req         /tv1  true  v1 /tv1req  -> /sreq
//   /fv0/ false v0 /fv0/req -> /s/fv0/req     /fv1/ false v1 /fv1/req -> /sfv1/req
//   /tv0/ true  v0 /tv0/req -> /s/req         /tv1/ true  v1 /tv1/req -> /sreq

#include "gateway/router/router.h"

namespace gateway::router {

namespace {

std::string_view sanitizePostfix(std::string_view postfix) {
  if (postfix == "." || postfix == "..") {
    return {};
  }
  if (postfix.starts_with("./")) {
    return postfix.substr(2);
  }
  if (postfix.starts_with("../")) {
    return postfix.substr(3);
  }
  return postfix;
}

std::string concat(std::string_view a, std::string_view b) {
  std::string out;
  out.reserve(a.size() + b.size());
  out.append(a);
  out.append(b);
  return out;
}

std::string joinV1(std::string_view base, std::string_view postfix, std::string_view requestPath,
                   bool strip) {
  if (!strip) {
    return concat(base, requestPath.empty() ? requestPath : requestPath.substr(1));
  }
  if (base.ends_with('/') && postfix.starts_with('/')) {
    return concat(base.substr(0, base.size() - 1), postfix);
  }
  return concat(base, postfix);
}

std::string joinV0(std::string_view base, std::string_view postfix, std::string_view requestPath,
                   bool strip) {
  if (base.ends_with('/')) {
    std::string_view baseNoSlash = base.substr(0, base.size() - 1);
    if (!strip) {
      return concat(base, requestPath.empty() ? requestPath : requestPath.substr(1));
    }
    if (postfix.empty()) {
      if (base == "/") {
        return "/";
      }
      return std::string(requestPath.ends_with('/') ? base : baseNoSlash);
    }
    if (postfix.starts_with('/')) {
      return concat(baseNoSlash, postfix);
    }
    return concat(base, postfix);
  }
  if (!strip) {
    return requestPath == "/" ? std::string(base) : concat(base, requestPath);
  }
  if (postfix.empty()) {
    return (requestPath.size() > 1 && requestPath.ends_with('/')) ? concat(base, "/")
                                                                   : std::string(base);
  }
  if (postfix.starts_with('/')) {
    return concat(base, postfix);
  }
  std::string out(base);
  out += '/';
  out.append(postfix);
  return out;
}

} // namespace

std::string upstreamPath(const config::Service& service, const config::Route& route,
                         const RouteMatch& match, std::string_view requestPath) {
  std::string_view base = service.path.empty() ? std::string_view("/") : service.path;
  std::string_view postfix;
  if (!match.matchedPath.empty() && requestPath.starts_with(match.matchedPrefix)) {
    postfix = sanitizePostfix(requestPath.substr(match.matchedPrefix.size()));
  } else {
    postfix = requestPath.empty() ? requestPath : requestPath.substr(1);
  }
  if (route.pathHandling == "v1") {
    return joinV1(base, postfix, requestPath, route.stripPath);
  }
  return joinV0(base, postfix, requestPath, route.stripPath);
}

} // namespace gateway::router
