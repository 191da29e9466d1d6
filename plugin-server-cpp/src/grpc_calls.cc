#include "grpc_calls.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <iostream>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace gantry_pdk::detail {
namespace {

constexpr uint32_t kProtocolVersion = 1;
constexpr const char* kServiceName = "gateway.plugin.v1.PluginServer";

// A completion-queue tag: what to do when the operation completes.
struct Tag {
  std::function<void(bool ok)> done;
};

// ---- GetInfo, Configure, Shutdown ----------------------------------------------------------

grpc::Status getInfo(ServingState& s, const pb::GetInfoRequest& request,
                     pb::GetInfoResponse& response) {
  bool offered = request.protocol_versions().empty();
  for (uint32_t v : request.protocol_versions()) {
    offered = offered || v == kProtocolVersion;
  }
  if (!offered) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "this plugin server speaks protocol versions: 1");
  }
  response.set_protocol_version(kProtocolVersion);
  response.set_server_name(s.options.serverName);
  for (const PluginDescriptor& d : s.table.plugins()) {
    pb::PluginInfo* info = response.add_plugins();
    info->set_name(d.name);
    info->set_version(d.version);
    info->set_priority(d.priority);
    for (Phase p : d.phases) {
      info->add_phases(toProto(p));
    }
    for (Phase p : d.bodyPhases) {
      info->add_body_phases(toProto(p));
    }
    info->set_schema_json(d.schemaJson());
  }
  return grpc::Status::OK;
}

grpc::Status configure(ServingState& s, const pb::ConfigureRequest& request,
                       pb::ConfigureResponse& response) {
  std::vector<InstanceSpec> specs;
  for (const pb::InstanceConfig& c : request.instances()) {
    specs.push_back({c.instance_id(), c.plugin_name(), c.config_json()});
  }
  std::vector<uint64_t> closeIds(request.close_instance_ids().begin(),
                                 request.close_instance_ids().end());
  for (const InstanceOutcome& o : s.table.configure(specs, closeIds)) {
    pb::InstanceResult* r = response.add_results();
    r->set_instance_id(o.id);
    r->set_ok(o.ok);
    r->set_error(o.error);
  }
  return grpc::Status::OK;
}

grpc::Status shutdown(ServingState& s, const pb::ShutdownRequest& request, pb::ShutdownResponse&) {
  s.onShutdownRpc(std::chrono::milliseconds(request.grace_period_ms()));
  return grpc::Status::OK;
}

// One unary call: requested, handled (on the queue's thread or the pool), finished, deleted.
template <class Req, class Resp> class UnaryCall {
public:
  using RequestFn = void (pb::PluginServer::AsyncService::*)(
      grpc::ServerContext*, Req*, grpc::ServerAsyncResponseWriter<Resp>*, grpc::CompletionQueue*,
      grpc::ServerCompletionQueue*, void*);
  using Handler = grpc::Status (*)(ServingState&, const Req&, Resp&);

  static void accept(ServingState& s, RequestFn request, Handler handler, bool onPool) {
    auto* call = new UnaryCall(s, request, handler, onPool);
    (s.service.*request)(&call->ctx_, &call->request_, &call->responder_, s.cq.get(), s.cq.get(),
                         &call->accepted_);
  }

private:
  UnaryCall(ServingState& s, RequestFn request, Handler handler, bool onPool)
      : s_(s), requestFn_(request), handler_(handler), onPool_(onPool) {
    accepted_.done = [this](bool ok) { onAccepted(ok); };
    finished_.done = [this](bool) { delete this; };
  }

  void onAccepted(bool ok) {
    if (!ok) {  // Shutting down.
      delete this;
      return;
    }
    accept(s_, requestFn_, handler_, onPool_);
    if (onPool_) {
      s_.pool.submit([this] { handle(); });
    } else {
      handle();
    }
  }

  void handle() {
    grpc::Status status;
    try {
      status = handler_(s_, request_, response_);
    } catch (const std::exception& e) {
      status = grpc::Status(grpc::StatusCode::INTERNAL, e.what());
    }
    responder_.Finish(response_, status, &finished_);
  }

  ServingState& s_;
  LiveCall live_{s_};
  const RequestFn requestFn_;
  const Handler handler_;
  const bool onPool_;
  grpc::ServerContext ctx_;
  Req request_;
  Resp response_;
  grpc::ServerAsyncResponseWriter<Resp> responder_{&ctx_};
  Tag accepted_, finished_;
};

// ---- Events --------------------------------------------------------------------------------

// The buffers of ReplyBatches lent to gRPC without a copy: a write takes the session's buffer and
// leaves it a recycled one; gRPC frees its slice (on any thread, maybe after the write's tag came
// back) by giving the buffer back here. Process-wide and never destroyed: a slice may be freed
// by a gRPC thread at any time.
class ReplyBuffers {
public:
  static std::string* take() {
    Pool& p = pool();
    std::lock_guard lock(p.mutex);
    if (p.free.empty()) {
      return new std::string();
    }
    std::string* b = p.free.back();
    p.free.pop_back();
    return b;
  }

  static void giveBack(void* buffer) {
    auto* b = static_cast<std::string*>(buffer);
    b->clear();
    Pool& p = pool();
    {
      std::lock_guard lock(p.mutex);
      if (p.free.size() < kKeep && b->capacity() <= kKeepCapacity) {
        p.free.push_back(b);
        return;
      }
    }
    delete b;
  }

private:
  static constexpr size_t kKeep = 16;
  static constexpr size_t kKeepCapacity = 1 << 20;  // A buffer grown by big bodies is freed.
  struct Pool {
    std::mutex mutex;
    std::vector<std::string*> free;
  };
  static Pool& pool() {
    static Pool* p = new Pool();  // Leaked on purpose (see above).
    return *p;
  }
};

// One Events stream: reads on the queue's thread, writes from any thread (ReplyWriter), deleted
// on the queue's thread once the read side ended, Finish completed and gRPC said the call is
// done.
class EventsCall final : public ReplyWriter {
public:
  static void accept(ServingState& s) {
    auto* call = new EventsCall(s);
    call->ctx_.AsyncNotifyWhenDone(&call->doneTag_);
    s.service.RequestEvents(&call->ctx_, &call->stream_, s.cq.get(), s.cq.get(),
                            &call->accepted_);
  }

  void startWrite(std::string& batch) override {
    std::string* lent = ReplyBuffers::take();
    lent->swap(batch);  // gRPC gets the bytes, the session an empty buffer with capacity.
    grpc::Slice slice(lent->data(), lent->size(), &ReplyBuffers::giveBack, lent);
    stream_.Write(grpc::ByteBuffer(&slice, 1), &written_);
  }
  void finish() override { stream_.Finish(grpc::Status::OK, &finished_); }

private:
  explicit EventsCall(ServingState& s) : s_(s) {
    accepted_.done = [this](bool ok) { onAccepted(ok); };
    read_.done = [this](bool ok) { onRead(ok); };
    written_.done = [this](bool ok) { session_->onWriteDone(ok); };
    finished_.done = [this](bool) {
      finishDone_ = true;
      maybeDelete();
    };
    doneTag_.done = [this](bool) {
      callDone_ = true;
      if (ctx_.IsCancelled() && session_) {
        session_->abort();
      }
      maybeDelete();
    };
  }

  void onAccepted(bool ok) {
    if (!ok) {  // Shutting down: never matched, so no done tag comes either.
      delete this;
      return;
    }
    accept(s_);
    session_ = std::make_shared<EventSession>(s_.table, s_.pool, s_.activity, *this);
    reading_ = true;
    stream_.Read(&received_, &read_);
  }

  // Half-close by the core, the stream broke (then the done tag aborts) or a batch that is not an
  // EventBatch (as when gRPC's parser rejects one): no more reads; the calls in flight finish.
  void onRead(bool ok) {
    const bool decoded = ok && onBatch();
    if (ok && !decoded) {
      std::cerr << "gantry_pdk: an Events message is not a valid EventBatch; the stream ends\n";
    }
    if (!decoded) {
      reading_ = false;
      session_->endOfInput();
      maybeDelete();
      return;
    }
    stream_.Read(&received_, &read_);
  }

  // Hands the received bytes to the session: in place when they are one slice, else joined in
  // joined_ (whose capacity is kept: no allocation per batch).
  bool onBatch() {
    const bool dumped = received_.Dump(&slices_).ok();
    received_.Clear();
    bool ok = dumped;
    if (ok && slices_.size() == 1) {
      ok = session_->onBatch(view(slices_[0]));
    } else if (ok) {
      joined_.clear();
      for (const grpc::Slice& slice : slices_) {
        joined_.append(view(slice));
      }
      ok = session_->onBatch(joined_);
    }
    slices_.clear();
    return ok;
  }

  static std::string_view view(const grpc::Slice& slice) {
    return {reinterpret_cast<const char*>(slice.begin()), slice.size()};
  }

  void maybeDelete() {
    if (!reading_ && finishDone_ && callDone_) {
      delete this;
    }
  }

  ServingState& s_;
  LiveCall live_{s_};
  grpc::ServerContext ctx_;
  // Raw bytes both ways: EventBatches are decoded by hand (event_decoder.h).
  grpc::ServerAsyncReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer> stream_{&ctx_};
  std::shared_ptr<EventSession> session_;
  grpc::ByteBuffer received_;  // The Read in progress fills it.
  std::vector<grpc::Slice> slices_;  // onBatch's scratch, kept for its capacity.
  std::string joined_;               // Same.
  Tag accepted_, read_, written_, finished_, doneTag_;
  bool reading_ = false;     // A Read is outstanding.
  bool finishDone_ = false;  // The Finish tag came back.
  bool callDone_ = false;    // The done tag came back.
};

// ---- grpc.health.v1.Health (hand-encoded: the messages are one field each) -----------------

// HealthCheckRequest.service (field 1, string); "" when absent or malformed.
std::string healthService(const grpc::ByteBuffer& request) {
  using google::protobuf::internal::WireFormatLite;
  grpc::Slice bytes;
  if (!request.DumpToSingleSlice(&bytes).ok()) {
    return "";
  }
  google::protobuf::io::CodedInputStream in(bytes.begin(), static_cast<int>(bytes.size()));
  std::string service;
  while (const uint32_t tag = in.ReadTag()) {
    const bool read = tag == WireFormatLite::MakeTag(1, WireFormatLite::WIRETYPE_LENGTH_DELIMITED)
                          ? WireFormatLite::ReadString(&in, &service)
                          : WireFormatLite::SkipField(&in, tag);
    if (!read) {
      return "";
    }
  }
  return in.ConsumedEntireMessage() ? service : "";
}

class HealthCall {
public:
  static void accept(ServingState& s) {
    auto* call = new HealthCall(s);
    call->ctx_.AsyncNotifyWhenDone(&call->doneTag_);
    s.generic.RequestCall(&call->ctx_, &call->stream_, s.cq.get(), s.cq.get(), &call->accepted_);
  }

private:
  explicit HealthCall(ServingState& s) : s_(s) {
    accepted_.done = [this](bool ok) { onAccepted(ok); };
    read_.done = [this](bool ok) { onRead(ok); };
    opDone_.done = [this](bool) {
      --ops_;
      maybeDelete();
    };
    doneTag_.done = [this](bool) {
      callDone_ = true;
      maybeDelete();
    };
  }

  void onAccepted(bool ok) {
    if (!ok) {
      delete this;
      return;
    }
    accept(s_);
    const std::string& m = ctx_.method();
    if (m != "/grpc.health.v1.Health/Check" && m != "/grpc.health.v1.Health/Watch") {
      ++ops_;
      stream_.Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, ""), &opDone_);
      return;
    }
    ++ops_;
    stream_.Read(&buffer_, &read_);
  }

  void onRead(bool ok) {
    --ops_;
    const bool watch = ctx_.method() == "/grpc.health.v1.Health/Watch";
    const std::string service = ok ? healthService(buffer_) : "";
    const bool known = service.empty() || service == kServiceName;
    // HealthCheckResponse.status: SERVING 1, NOT_SERVING 2, SERVICE_UNKNOWN 3 (Watch only).
    const char status = !known ? 3 : s_.serving ? 1 : 2;
    const char bytes[2] = {0x08, status};
    grpc::Slice slice(bytes, 2);
    grpc::ByteBuffer response(&slice, 1);
    ++ops_;
    if (!ok) {
      stream_.Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, ""), &opDone_);
    } else if (watch) {
      stream_.Write(response, &opDone_);  // Then held open until the core or shutdown ends it.
    } else if (!known) {
      stream_.Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service"), &opDone_);
    } else {
      stream_.WriteAndFinish(response, grpc::WriteOptions(), grpc::Status::OK, &opDone_);
    }
  }

  void maybeDelete() {
    if (ops_ == 0 && callDone_) {
      delete this;
    }
  }

  ServingState& s_;
  LiveCall live_{s_};
  grpc::GenericServerContext ctx_;
  grpc::GenericServerAsyncReaderWriter stream_{&ctx_};
  grpc::ByteBuffer buffer_;
  Tag accepted_, read_, opDone_, doneTag_;
  int ops_ = 0;
  bool callDone_ = false;
};

}  // namespace

void acceptCalls(ServingState& s) {
  using Svc = pb::PluginServer::AsyncService;
  UnaryCall<pb::GetInfoRequest, pb::GetInfoResponse>::accept(s, &Svc::RequestGetInfo, &getInfo,
                                                             /*onPool=*/false);
  UnaryCall<pb::ConfigureRequest, pb::ConfigureResponse>::accept(s, &Svc::RequestConfigure,
                                                                 &configure, /*onPool=*/true);
  UnaryCall<pb::ShutdownRequest, pb::ShutdownResponse>::accept(s, &Svc::RequestShutdown,
                                                               &shutdown, /*onPool=*/false);
  EventsCall::accept(s);
  HealthCall::accept(s);
}

void runCompletionQueue(grpc::ServerCompletionQueue& cq) {
  while (pollCompletionQueue(cq)) {
  }
}

bool pollCompletionQueue(grpc::ServerCompletionQueue& cq) {
  void* tag = nullptr;
  bool ok = false;
  if (!cq.Next(&tag, &ok)) {
    return false;
  }
  static_cast<Tag*>(tag)->done(ok);
  return true;
}

}  // namespace gantry_pdk::detail
