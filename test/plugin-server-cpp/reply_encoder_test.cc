// The hand-written Reply encoder against protobuf's serializer of toProto's messages (the
// reference): the same bytes for every mutation and fetch kind; invalid UTF-8 repaired.
#include <catch2/catch.hpp>

#include <string>

#include "convert.h"
#include "reply_encoder.h"

using namespace gantry_pdk;
namespace pb = detail::pb;

namespace {

std::string referenceResult(uint64_t requestId, uint32_t seq, const PhaseOutput& output) {
  pb::ReplyBatch batch;
  pb::Reply* r = batch.add_replies();
  r->set_request_id(requestId);
  r->set_seq(seq);
  detail::toProto(output, *r->mutable_result());
  return batch.SerializeAsString();
}

std::string encodedResult(uint64_t requestId, uint32_t seq, const PhaseOutput& output) {
  std::string out;
  detail::appendResultReply(requestId, seq, output, out);
  return out;
}

PhaseOutput everyMutation() {
  PhaseOutput out;
  const std::string longValue(300, 'x');  // Lengths that need two varint bytes.
  std::vector<MutationOp> ops = {
      mutation::RequestHeader{HeaderAction::Set, "x-a", longValue},
      mutation::RequestPath{""},  // A oneof member holding the default is still sent.
      mutation::RequestRawQuery{"a=1"},
      mutation::RequestMethod{"PUT"},
      mutation::RequestScheme{"https"},
      mutation::RequestBody{std::string("\xff\x00", 2)},
      mutation::Target{"backend", 8080},
      mutation::Upstream{"pool"},
      mutation::ResponseHeader{HeaderAction::Clear, "x-b", ""},
      mutation::ResponseStatus{0},
      mutation::ResponseBody{longValue},
      mutation::SharedSet{"k", "{\"v\":1}"},
      mutation::Exit{-1, std::nullopt, {{"a", "b"}, {"", ""}}},
      mutation::Exit{403, std::string(), {}},
      mutation::Log{LogLevel::Warn, "careful"},
      mutation::Authenticate{Consumer{"id", "user", "", {"t1", ""}}, Credential{"c", "id"}},
      mutation::Authenticate{std::nullopt, std::nullopt},
  };
  uint64_t instance = 0;
  for (MutationOp& op : ops) {
    out.mutations.push_back({instance++, std::move(op)});
  }
  out.completed = 2;
  out.error = PhaseError{PhaseError::Kind::UnknownInstance, 9, "unknown instance 9"};
  return out;
}

}  // namespace

TEST_CASE("ReplyEncoder: results are byte for byte protobuf's", "[encoder]") {
  CHECK(encodedResult(1, 2, PhaseOutput{}) == referenceResult(1, 2, PhaseOutput{}));
  const PhaseOutput all = everyMutation();
  CHECK(encodedResult(uint64_t{1} << 50, 7, all) == referenceResult(uint64_t{1} << 50, 7, all));
  // Several replies appended make one ReplyBatch.
  std::string two = encodedResult(1, 1, all) + encodedResult(2, 1, PhaseOutput{});
  pb::ReplyBatch parsed;
  REQUIRE(parsed.ParseFromString(two));
  CHECK(parsed.replies_size() == 2);
  CHECK(parsed.replies(0).result().mutations_size() == static_cast<int>(all.mutations.size()));
}

TEST_CASE("ReplyEncoder: fetches are byte for byte protobuf's", "[encoder]") {
  std::vector<FetchRequest> requests = {
      fetch::RequestBody{}, fetch::Route{}, fetch::Service{},
      fetch::Consumer{"alice", true}, fetch::UriCaptures{},
      fetch::Credential{"key-auth", "key", "secret"}, fetch::NodeId{}, fetch::IsTrustedIp{""}};
  uint32_t fetchId = 1;
  for (const FetchRequest& request : requests) {
    pb::ReplyBatch batch;
    pb::Reply* r = batch.add_replies();
    r->set_request_id(5);
    r->set_seq(1);
    detail::toProto(request, fetchId, *r->mutable_fetch());
    std::string out;
    detail::appendFetchReply(5, 1, request, fetchId, out);
    CHECK(out == batch.SerializeAsString());
    ++fetchId;
  }
}

TEST_CASE("ReplyEncoder: invalid UTF-8 in strings is replaced by U+FFFD, bytes are kept",
          "[encoder]") {
  CHECK(detail::repairUtf8("ok") == "ok");
  CHECK(detail::repairUtf8("a\xff\xfe" "b") == "a\xef\xbf\xbd" "b");   // One per run.
  CHECK(detail::repairUtf8("\xc3(") == "\xef\xbf\xbd(");              // Truncated sequence.
  CHECK(detail::repairUtf8("\xed\xa0\x80") == "\xef\xbf\xbd");        // A surrogate.
  CHECK(detail::repairUtf8("\xe2\x82\xac") == "\xe2\x82\xac");        // The euro sign stays.
  PhaseOutput bad;
  bad.mutations.push_back({1, mutation::ResponseHeader{HeaderAction::Set, "x\xff", "v\xc3"}});
  bad.mutations.push_back({1, mutation::ResponseBody{"\xff"}});
  bad.mutations.push_back({1, mutation::Log{LogLevel::Info, "\x80 line"}});
  pb::ReplyBatch parsed;
  REQUIRE(parsed.ParseFromString(encodedResult(1, 1, bad)));  // protobuf checks UTF-8.
  const pb::PhaseResult& r = parsed.replies(0).result();
  CHECK(r.mutations(0).response_header().name() == "x\xef\xbf\xbd");
  CHECK(r.mutations(0).response_header().value() == "v\xef\xbf\xbd");
  CHECK(r.mutations(1).response_body() == "\xff");
  CHECK(r.mutations(2).log().message() == "\xef\xbf\xbd line");
}
