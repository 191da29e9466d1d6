#include "plugin/fetch_responder.h"

#include "plugin/snapshot_builder.h"
#include "plugin/utf8.h"

namespace gateway::plugin {

bool isTrustedIp(std::string_view ip) {
  return ip == "::1" || ip.rfind("127.", 0) == 0 || ip == "::ffff:127.0.0.1";
}

FetchAnswer answerFetch(const v1::Fetch& fetch, const FetchContext& ctx, v1::FetchResult& out) {
  out.set_fetch_id(fetch.fetch_id());
  switch (fetch.what_case()) {
  case v1::Fetch::kRequestBody:
    if (!ctx.requestBodyAvailable) {
      out.set_not_found("the request body is not available in this phase");
    } else if (ctx.requestBody == nullptr) {
      return FetchAnswer::NeedsRequestBody;
    } else {
      out.set_request_body(*ctx.requestBody);
    }
    break;
  case v1::Fetch::kRoute:
    if (ctx.route != nullptr) {
      fillRoute(*out.mutable_route(), *ctx.route);
    } else {
      out.set_not_found("no route matched");
    }
    break;
  case v1::Fetch::kService:
    if (ctx.service != nullptr) {
      fillService(*out.mutable_service(), *ctx.service);
    } else {
      out.set_not_found("no service");
    }
    break;
  case v1::Fetch::kConsumer: {
    const auto& q = fetch.consumer();
    const config::Consumer* c = q.by_username() ? ctx.index->consumerByUsername(q.id_or_username())
                                                : ctx.index->consumerById(q.id_or_username());
    if (c != nullptr) {
      fillConsumer(*out.mutable_consumer(), *c);
    } else {
      out.set_not_found("no consumer \"" + q.id_or_username() + "\"");
    }
    break;
  }
  case v1::Fetch::kUriCaptures: {
    auto* caps = out.mutable_uri_captures();
    if (ctx.match != nullptr) {
      // Captures are parts of the client's path: not necessarily UTF-8 (utf8.h).
      for (const auto& u : ctx.match->unnamedCaptures) {
        setUtf8(u, [&](std::string_view v) { caps->add_unnamed(v.data(), v.size()); });
      }
      for (const auto& [k, v] : ctx.match->namedCaptures) {
        setUtf8(v, [&](std::string_view text) { (*caps->mutable_named())[k] = std::string(text); });
      }
    }
    break;
  }
  case v1::Fetch::kCredential: {
    const auto& q = fetch.credential();
    auto hit = ctx.index->findCredential(q.kind(), q.field(), q.value());
    if (hit.credential == nullptr) {
      out.set_not_found("no " + q.kind() + " credential matches");
      break;
    }
    auto* m = out.mutable_credential();
    m->mutable_credential()->set_id(hit.credential->id);
    m->mutable_credential()->set_consumer_id(hit.consumer->id);
    fillConsumer(*m->mutable_consumer(), *hit.consumer);
    m->set_fields_json(hit.credential->fields.dump());
    break;
  }
  case v1::Fetch::kNodeId:
    out.set_node_id(std::string(ctx.nodeId));
    break;
  case v1::Fetch::kIsTrustedIp:
    out.set_is_trusted_ip(isTrustedIp(fetch.is_trusted_ip()));
    break;
  case v1::Fetch::WHAT_NOT_SET:
    out.set_not_found("empty fetch");
    break;
  }
  return FetchAnswer::Answered;
}

} // namespace gateway::plugin
