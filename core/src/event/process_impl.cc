// Child processes on uv_spawn: stdout/stderr are pipes read line by line; onExit is delivered
// after the exit callback AND both pipes reached EOF (so every line comes first), or at most
// kOutputGrace after the exit if a grandchild keeps a pipe open.
//
// ProcessOptions::dieWithParent (Linux): uv_spawn cannot run code in the child between fork and
// exec, so such children are forked here instead: the child sets PR_SET_PDEATHSIG(SIGKILL),
// checks its parent is still there, resets signal dispositions and mask (as uv_spawn does) and
// execs. Its pipes are then opened as libuv pipes (same reading path as uv_spawn's), and its exit
// is reaped with waitpid(pid) on SIGCHLD (libuv only reaps the pids it spawned itself).

#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "event/dispatcher_impl.h"
#include "event/line_splitter.h"
#include "event/uv_status.h"
#include "gateway/event/process.h"

extern char** environ;

namespace gateway::event {

namespace {

constexpr std::chrono::milliseconds kOutputGrace{500};

// An errno as a Status (libuv's uv_strerror leaks its text for codes it does not know, such as
// ENOEXEC).
Status errnoStatus(int e, const std::string& what) {
  std::string message = what + ": " + std::strerror(e);
  if (e == ENOENT) {
    return {StatusCode::NotFound, std::move(message)};
  }
  return unavailable(std::move(message));
}

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
    *alive_ = false;
    childWatcher_.reset();
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
#ifdef __linux__
    if (options.dieWithParent) {
      delete process_;  // Never initialised: no uv_process_t for a child forked here.
      process_ = nullptr;
      Status forked = forkExec(options, argv, env);
      if (!forked.isOk()) {
        return forked;
      }
    } else
#endif
    {
      int rc = uv_spawn(dispatcher_.loop(), &process_->handle, &opts);
      if (rc != 0) {
        return uvStatus(rc, "spawn " + options.argv[0]);  // The destructor closes the handles.
      }
      pid_ = process_->handle.pid;
    }
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
    if (forked_) {
      return ::kill(pid_, signum) == 0 ? Status::ok() : errnoStatus(errno, "kill");
    }
    return uvStatus(uv_process_kill(&process_->handle, signum), "kill");
  }

private:
#ifdef __linux__
  // argv[0] as execvp would find it (resolved before fork: the child only makes
  // async-signal-safe calls).
  static std::string resolveProgram(const std::string& program) {
    if (program.find('/') != std::string::npos) {
      return program;
    }
    const char* path = ::getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
    size_t start = 0;
    while (start <= dirs.size()) {
      size_t end = dirs.find(':', start);
      if (end == std::string::npos) {
        end = dirs.size();
      }
      std::string dir = dirs.substr(start, end - start);
      std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + program;
      if (::access(candidate.c_str(), X_OK) == 0) {
        return candidate;
      }
      start = end + 1;
    }
    return {};
  }

  Status forkExec(const ProcessOptions& options, std::vector<char*>& argv, std::vector<char*>& env) {
    const std::string program = resolveProgram(options.argv[0]);
    if (program.empty()) {
      return errnoStatus(ENOENT, "spawn " + options.argv[0]);
    }
    int out[2] = {-1, -1};
    int err[2] = {-1, -1};
    int status[2] = {-1, -1};  // The child reports an exec failure (errno) here.
    auto closeAll = [&] {
      for (int* p : {out, err, status}) {
        for (int i = 0; i < 2; ++i) {
          if (p[i] >= 0) {
            ::close(p[i]);
            p[i] = -1;
          }
        }
      }
    };
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0 ||
        ::pipe2(status, O_CLOEXEC) != 0) {
      const int e = errno;
      closeAll();
      return errnoStatus(e, "spawn " + options.argv[0]);
    }
    const int devNull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const char* cwd = options.workingDirectory.empty() ? nullptr
                                                        : options.workingDirectory.c_str();
    const pid_t parent = ::getpid();
    // Watch SIGCHLD before the child can exit.
    forked_ = true;
    childWatcher_ = watchSignal(dispatcher_, SIGCHLD, [this] { reapChild(); });

    const pid_t pid = ::fork();
    if (pid == 0) {
      // Child: async-signal-safe calls only.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      int code = 0;
      if (::getppid() != parent) {
        ::_exit(127);  // The parent died before prctl.
      }
      if ((devNull >= 0 && ::dup2(devNull, 0) < 0) || ::dup2(out[1], 1) < 0 ||
          ::dup2(err[1], 2) < 0) {
        code = errno;
      }
      if (code == 0 && cwd != nullptr && ::chdir(cwd) != 0) {
        code = errno;
      }
      if (code == 0) {
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        for (int sig = 1; sig < NSIG; ++sig) {
          if (sig != SIGKILL && sig != SIGSTOP) {
            ::sigaction(sig, &dfl, nullptr);
          }
        }
        sigset_t none;
        sigemptyset(&none);
        ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
        ::execve(program.c_str(), argv.data(), env.data());
        code = errno;
      }
      ssize_t ignored = ::write(status[1], &code, sizeof(code));
      (void)ignored;
      ::_exit(127);
    }
    const int forkErrno = errno;
    if (devNull >= 0) {
      ::close(devNull);
    }
    if (pid < 0) {
      closeAll();
      childWatcher_.reset();
      return errnoStatus(forkErrno, "spawn " + options.argv[0]);
    }
    pid_ = pid;
    ::close(out[1]);
    ::close(err[1]);
    ::close(status[1]);
    out[1] = err[1] = status[1] = -1;
    // Exec succeeded when the status pipe closes without data (CLOEXEC).
    int childErrno = 0;
    ssize_t n;
    do {
      n = ::read(status[0], &childErrno, sizeof(childErrno));
    } while (n < 0 && errno == EINTR);
    ::close(status[0]);
    status[0] = -1;
    if (n == static_cast<ssize_t>(sizeof(childErrno))) {
      int wstatus = 0;
      ::waitpid(pid, &wstatus, 0);
      closeAll();
      childWatcher_.reset();
      return errnoStatus(childErrno, "spawn " + options.argv[0]);
    }
    uv_pipe_open(&pipes_[0]->handle, out[0]);
    uv_pipe_open(&pipes_[1]->handle, err[0]);
    return Status::ok();
  }

  void reapChild() {
    if (!running_ || exited_) {
      return;
    }
    int wstatus = 0;
    pid_t r;
    do {
      r = ::waitpid(pid_, &wstatus, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r != pid_) {
      return;
    }
    const int64_t exitStatus = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 0;
    const int termSignal = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
    onExited(exitStatus, termSignal);
  }
#endif

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
    std::shared_ptr<bool> alive = self->alive_;
    self->closePipe(index);
    if (!*alive) {
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
    self->onExited(exitStatus, termSignal);
  }

  void onExited(int64_t exitStatus, int termSignal) {
    running_ = false;
    exited_ = true;
    exitStatus_ = exitStatus;
    termSignal_ = termSignal;
    if (pipes_[0] != nullptr || pipes_[1] != nullptr) {
      graceTimer_->enable(kOutputGrace);
    }
    maybeDeliverExit();  // May destroy this.
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
    std::shared_ptr<bool> alive = alive_;
    for (int i = 0; i < 2; ++i) {
      closePipe(i);
      if (!*alive) {
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
  std::shared_ptr<bool> alive_{std::make_shared<bool>(true)};  // False once destroyed.
  bool forked_{false};            // dieWithParent: forked here, not by uv_spawn.
  SignalWatcherPtr childWatcher_; // dieWithParent: SIGCHLD -> waitpid(pid_).
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
