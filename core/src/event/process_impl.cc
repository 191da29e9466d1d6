// Child processes on uv_spawn: stdout/stderr are pipes read line by line; onExit is delivered
// after the exit callback AND both pipes reached EOF (so every line comes first), or at most
// kOutputGrace after the exit if a grandchild keeps a pipe open.

#include <cstring>
#include <string>
#include <vector>

#include "event/dispatcher_impl.h"
#include "event/line_splitter.h"
#include "event/uv_status.h"
#include "gateway/event/process.h"

extern char** environ;

namespace gateway::event {

namespace {

constexpr std::chrono::milliseconds kOutputGrace{500};

class ProcessImpl : public Process {
public:
  using ProcessBox = HandleBox<uv_process_t, ProcessImpl>;
  struct PipeBox {
    uv_pipe_t handle{};
    ProcessImpl* owner{nullptr};
    bool isStderr{false};
    explicit PipeBox(ProcessImpl* o) : owner(o) {}
    void bind() { handle.data = this; }
    uv_handle_t* raw() { return reinterpret_cast<uv_handle_t*>(&handle); }
  };

  ProcessImpl(DispatcherImpl& dispatcher, ProcessCallbacks& callbacks)
      : dispatcher_(dispatcher), callbacks_(callbacks) {
    graceTimer_ = dispatcher.createTimer([this] { finishOutput(); });
  }

  ~ProcessImpl() override {
    if (process_ != nullptr) {
      closeBox(process_);
    }
    for (auto*& pipe : pipes_) {
      if (pipe != nullptr) {
        closeBox(pipe);
        pipe = nullptr;
      }
    }
  }

  Status start(const ProcessOptions& options) {
    if (options.argv.empty()) {
      return invalidArgument("spawn: empty argv");
    }
    for (int i = 0; i < 2; ++i) {
      pipes_[i] = new PipeBox(this);
      pipes_[i]->isStderr = i == 1;
      uv_pipe_init(dispatcher_.loop(), &pipes_[i]->handle, 0);
      pipes_[i]->bind();
    }
    std::vector<char*> argv;
    for (const auto& arg : options.argv) {
      argv.push_back(const_cast<char*>(arg.c_str()));
    }
    argv.push_back(nullptr);

    std::vector<std::string> envStrings;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      std::string entry(*e);
      std::string key = entry.substr(0, entry.find('='));
      if (options.extraEnv.count(key) == 0) {
        envStrings.push_back(std::move(entry));
      }
    }
    for (const auto& [key, value] : options.extraEnv) {
      envStrings.push_back(key + "=" + value);
    }
    std::vector<char*> env;
    for (auto& entry : envStrings) {
      env.push_back(entry.data());
    }
    env.push_back(nullptr);

    uv_stdio_container_t stdio[3];
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
    stdio[1].data.stream = reinterpret_cast<uv_stream_t*>(&pipes_[0]->handle);
    stdio[2].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
    stdio[2].data.stream = reinterpret_cast<uv_stream_t*>(&pipes_[1]->handle);

    uv_process_options_t opts{};
    opts.exit_cb = &ProcessImpl::onExitCb;
    opts.file = argv[0];
    opts.args = argv.data();
    opts.env = env.data();
    opts.cwd = options.workingDirectory.empty() ? nullptr : options.workingDirectory.c_str();
    opts.stdio_count = 3;
    opts.stdio = stdio;

    process_ = new ProcessBox(this);
    process_->handle.data = process_;
    int rc = uv_spawn(dispatcher_.loop(), &process_->handle, &opts);
    if (rc != 0) {
      return uvStatus(rc, "spawn " + options.argv[0]);  // The destructor closes the handles.
    }
    pid_ = process_->handle.pid;
    running_ = true;
    for (auto* pipe : pipes_) {
      uv_read_start(
          reinterpret_cast<uv_stream_t*>(&pipe->handle),
          [](uv_handle_t* h, size_t, uv_buf_t* buf) {
            auto* box = static_cast<PipeBox*>(h->data);
            if (box->owner == nullptr) {
              *buf = uv_buf_init(nullptr, 0);
              return;
            }
            *buf = uv_buf_init(box->owner->dispatcher_.readBuffer(),
                               DispatcherImpl::kReadBufferSize);
          },
          &ProcessImpl::onReadCb);
    }
    return Status::ok();
  }

  int pid() const override { return pid_; }
  bool running() const override { return running_; }
  Status kill(int signum) override {
    if (!running_) {
      return invalidArgument("kill: process is not running");
    }
    return uvStatus(uv_process_kill(&process_->handle, signum), "kill");
  }

private:
  static void onReadCb(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
    auto* box = static_cast<PipeBox*>(stream->data);
    ProcessImpl* self = box->owner;
    if (self == nullptr || nread == 0) {
      return;
    }
    int index = box->isStderr ? 1 : 0;
    if (nread > 0) {
      self->splitters_[index].feed(
          std::string_view(self->dispatcher_.readBuffer(), static_cast<size_t>(nread)),
          [&](std::string_view line) {
            self->callbacks_.onOutputLine(box->isStderr, line);
            return box->owner != nullptr;
          });
      return;
    }
    // EOF or error: the pipe is done.
    ProcessBox* processBox = self->process_;
    self->closePipe(index);
    if (processBox->owner == nullptr) {
      return;  // Destroyed by onOutputLine.
    }
    self->maybeDeliverExit();
  }

  static void onExitCb(uv_process_t* handle, int64_t exitStatus, int termSignal) {
    auto* box = ProcessBox::from(handle);
    ProcessImpl* self = box->owner;
    if (self == nullptr) {
      return;
    }
    self->running_ = false;
    self->exited_ = true;
    self->exitStatus_ = exitStatus;
    self->termSignal_ = termSignal;
    if (self->pipes_[0] != nullptr || self->pipes_[1] != nullptr) {
      self->graceTimer_->enable(kOutputGrace);
    }
    self->maybeDeliverExit();
  }

  // Flushes the unterminated line of pipe `index` and closes it. May destroy this (through
  // onOutputLine); callers re-check their box.
  void closePipe(int index) {
    PipeBox* pipe = pipes_[index];
    if (pipe == nullptr) {
      return;
    }
    pipes_[index] = nullptr;
    closeBox(pipe);
    bool isStderr = index == 1;
    splitters_[index].finish(
        [&](std::string_view line) { callbacks_.onOutputLine(isStderr, line); });
  }

  void finishOutput() {
    // The grace period ended with a pipe still open (a grandchild holds it).
    ProcessBox* box = process_;
    for (int i = 0; i < 2; ++i) {
      closePipe(i);
      if (box->owner == nullptr) {
        return;
      }
    }
    maybeDeliverExit();
  }

  void maybeDeliverExit() {
    if (!exited_ || exitDelivered_ || pipes_[0] != nullptr || pipes_[1] != nullptr) {
      return;
    }
    exitDelivered_ = true;
    graceTimer_->disable();
    callbacks_.onExit(exitStatus_, termSignal_);  // May destroy this.
  }

  DispatcherImpl& dispatcher_;
  ProcessCallbacks& callbacks_;
  ProcessBox* process_{nullptr};
  PipeBox* pipes_[2]{nullptr, nullptr};
  LineSplitter splitters_[2];
  TimerPtr graceTimer_;
  int pid_{0};
  bool running_{false};
  bool exited_{false};
  bool exitDelivered_{false};
  int64_t exitStatus_{0};
  int termSignal_{0};
};

} // namespace

StatusOr<ProcessPtr> spawnProcess(Dispatcher& dispatcher, const ProcessOptions& options,
                                  ProcessCallbacks& callbacks) {
  auto process = std::make_unique<ProcessImpl>(DispatcherImpl::from(dispatcher), callbacks);
  Status status = process->start(options);
  if (!status.isOk()) {
    return status;
  }
  return ProcessPtr(std::move(process));
}

} // namespace gateway::event
