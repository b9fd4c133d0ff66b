// Child processes and file descriptors, owned so that nothing outlives an
// early return: a descriptor is closed, and a child still running is killed
// and reaped, when its owner goes away. Used by pass 4 (kbuild) and by the
// VM runner (qemu, busybox).
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace mstap::support {

class Fd {
public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd &&other) noexcept : fd_(other.release()) {}
  Fd &operator=(Fd &&other) noexcept;
  Fd(const Fd &) = delete;
  Fd &operator=(const Fd &) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release();
  void reset(int fd = -1);

private:
  int fd_ = -1;
};

// A pipe whose two ends are close-on-exec; an error message on failure.
struct Pipe {
  Fd read, write;
};
std::string makePipe(Pipe &pipe);

class ChildProcess {
public:
  struct Options {
    std::vector<std::string> argv; // argv[0] is the program's path
    std::vector<std::string> unsetEnv; // variables removed from the child's environment
    int stdinFd = -1;              // -1: /dev/null
    int stdoutFd = -1;             // -1: /dev/null
    int stderrFd = -1;             // -1: /dev/null
    std::vector<int> inheritFds;   // kept open, with the same numbers, in the child
    bool dieWithParent = true;     // SIGKILL when the calling thread ends
  };

  ChildProcess() = default;
  ChildProcess(ChildProcess &&other) noexcept;
  ChildProcess &operator=(ChildProcess &&other) noexcept;
  ChildProcess(const ChildProcess &) = delete;
  ChildProcess &operator=(const ChildProcess &) = delete;
  ~ChildProcess();

  // Starts argv[0]; on failure (including a failed exec) the returned
  // process is not running and `error` says why.
  static ChildProcess spawn(const Options &options, std::string &error);

  bool running() const { return pid_ > 0; }
  // Reaps the child if it has ended; true when it has (or never ran).
  bool poll();
  void wait();
  // SIGKILL, then reap.
  void kill();
  // The wait() status once ended.
  int status() const { return status_; }
  // "exit status N" or "killed by signal N".
  std::string describeStatus() const;

private:
  pid_t pid_ = -1;
  int status_ = 0;
};

// The output of a command run to its end, stdin from /dev/null.
struct Captured {
  bool started = false; // false: it could not run at all, `error` says why
  int exitCode = -1;    // -1 when it did not exit normally (`error` says how)
  std::string out;      // standard output, and standard error when merged
  std::string error;
  // "exit status N", or why it did not run or exit.
  std::string describeStatus() const;
};
struct CaptureOptions {
  bool mergeStderr = false; // false: stderr is dropped
  std::vector<std::string> unsetEnv;
};
// argv[0] is searched on $PATH when it holds no '/'.
Captured runAndCapture(const std::vector<std::string> &argv, const CaptureOptions &options = {});

// The path of an executable `name` on $PATH, or "" when there is none.
std::string findInPath(const std::string &name);

} // namespace mstap::support
