#include "call_state.h"

#include <algorithm>

#include "gantry_pdk/pdk.h"

namespace gantry_pdk::detail {
namespace {
const Headers kNoHeaders;
}

bool headerNameEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

void applyHeader(Headers& headers, HeaderAction action, std::string_view name,
                 std::string_view value) {
  if (action == HeaderAction::Set || action == HeaderAction::Clear) {
    std::erase_if(headers, [&](const Header& h) { return headerNameEquals(h.name, name); });
  }
  if (action == HeaderAction::Set || action == HeaderAction::Add) {
    headers.push_back({std::string(name), std::string(value)});
  }
}

ResponseSnapshot& CallState::response() {
  if (!input_.response) {
    input_.response.emplace();
  }
  return *input_.response;
}

const Headers& CallState::responseHeaders() const {
  return input_.response ? input_.response->headers : kNoHeaders;
}

void CallState::record(MutationOp op) {
  if (exited_) {
    return;
  }
  // Apply to the snapshot copy so later getters (and later plugins of the call) see it.
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, mutation::RequestHeader>) {
          applyHeader(input_.request.headers, m.action, m.name, m.value);
        } else if constexpr (std::is_same_v<T, mutation::ResponseHeader>) {
          applyHeader(response().headers, m.action, m.name, m.value);
        } else if constexpr (std::is_same_v<T, mutation::ResponseStatus>) {
          response().status = m.status;
        } else if constexpr (std::is_same_v<T, mutation::ResponseBody>) {
          response().body = m.body;
        } else if constexpr (std::is_same_v<T, mutation::SharedSet>) {
          if (m.jsonValue.empty()) {
            input_.shared.erase(m.key);
          } else {
            input_.shared[m.key] = m.jsonValue;
          }
        } else if constexpr (std::is_same_v<T, mutation::Authenticate>) {
          if (m.consumer) {
            input_.consumer = m.consumer;
          }
          if (m.credential) {
            input_.credential = m.credential;
          }
        } else if constexpr (std::is_same_v<T, mutation::Exit>) {
          // Exit is not allowed in the log phase (gantry rejects it); it stops nothing there.
          exited_ = input_.phase != Phase::Log;
        }
      },
      op);
  mutations_.push_back({currentInstance_, std::move(op)});
}

FetchAnswer CallState::fetch(FetchRequest request) {
  if (fetcher_.cancelled()) {
    throw Cancelled();
  }
  return fetcher_.fetch(std::move(request));
}

}  // namespace gantry_pdk::detail
