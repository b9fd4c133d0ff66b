#include "support/process.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace mstap::support {

Fd &Fd::operator=(Fd &&other) noexcept {
  if (this != &other)
    reset(other.release());
  return *this;
}

int Fd::release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void Fd::reset(int fd) {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = fd;
}

std::string makePipe(Pipe &pipe) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return std::string("cannot make a pipe: ") + std::strerror(errno);
  pipe.read.reset(fds[0]);
  pipe.write.reset(fds[1]);
  return "";
}

ChildProcess::ChildProcess(ChildProcess &&other) noexcept : pid_(other.pid_), status_(other.status_) {
  other.pid_ = -1;
}

ChildProcess &ChildProcess::operator=(ChildProcess &&other) noexcept {
  if (this != &other) {
    if (running())
      kill();
    pid_ = other.pid_;
    status_ = other.status_;
    other.pid_ = -1;
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  if (running())
    kill();
}

ChildProcess ChildProcess::spawn(const Options &options, std::string &error) {
  ChildProcess child;
  if (options.argv.empty()) {
    error = "nothing to run";
    return child;
  }
  // Everything the child touches is prepared before fork(): between fork and
  // exec only async-signal-safe calls are allowed.
  std::vector<char *> argv;
  for (const std::string &word : options.argv)
    argv.push_back(const_cast<char *>(word.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> envStrings;
  std::vector<char *> env;
  if (!options.unsetEnv.empty()) {
    for (char **e = environ; *e; ++e) {
      std::string entry(*e);
      std::string name = entry.substr(0, entry.find('='));
      bool drop = false;
      for (const std::string &u : options.unsetEnv)
        drop = drop || name == u;
      if (!drop)
        envStrings.push_back(std::move(entry));
    }
    for (std::string &e : envStrings)
      env.push_back(e.data());
    env.push_back(nullptr);
  }
  Fd devNull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devNull.valid()) {
    error = std::string("cannot open /dev/null: ") + std::strerror(errno);
    return child;
  }
  // The child reports a failed exec through this pipe, which exec closes.
  Pipe execReport;
  if (std::string message = makePipe(execReport); !message.empty()) {
    error = message;
    return child;
  }
  int standard[3] = {options.stdinFd >= 0 ? options.stdinFd : devNull.get(),
                     options.stdoutFd >= 0 ? options.stdoutFd : devNull.get(),
                     options.stderrFd >= 0 ? options.stderrFd : devNull.get()};
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    error = std::string("cannot fork: ") + std::strerror(errno);
    return child;
  }
  if (pid == 0) {
    if (options.dieWithParent) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent)
        ::_exit(127);
    }
    for (int target = 0; target < 3; ++target) {
      if (standard[target] == target)
        ::fcntl(target, F_SETFD, 0);
      else
        ::dup2(standard[target], target);
    }
    for (int fd : options.inheritFds)
      ::fcntl(fd, F_SETFD, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction defaultAction {};
    defaultAction.sa_handler = SIG_DFL;
    ::sigaction(SIGPIPE, &defaultAction, nullptr);
    if (env.empty())
      ::execv(argv[0], argv.data());
    else
      ::execve(argv[0], argv.data(), env.data());
    int code = errno;
    ssize_t ignored = ::write(execReport.write.get(), &code, sizeof code);
    (void)ignored;
    ::_exit(127);
  }
  child.pid_ = pid;
  execReport.write.reset();
  int code = 0;
  ssize_t got;
  do
    got = ::read(execReport.read.get(), &code, sizeof code);
  while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof code)) {
    child.wait();
    error = "cannot run " + options.argv[0] + ": " + std::strerror(code);
  }
  return child;
}

bool ChildProcess::poll() {
  if (!running())
    return true;
  int status = 0;
  pid_t got = ::waitpid(pid_, &status, WNOHANG);
  if (got == 0)
    return false;
  if (got == pid_)
    status_ = status;
  pid_ = -1;
  return true;
}

void ChildProcess::wait() {
  if (!running())
    return;
  int status = 0;
  pid_t got;
  do
    got = ::waitpid(pid_, &status, 0);
  while (got < 0 && errno == EINTR);
  if (got == pid_)
    status_ = status;
  pid_ = -1;
}

void ChildProcess::kill() {
  if (!running())
    return;
  ::kill(pid_, SIGKILL);
  wait();
}

std::string ChildProcess::describeStatus() const {
  if (WIFEXITED(status_))
    return "exit status " + std::to_string(WEXITSTATUS(status_));
  if (WIFSIGNALED(status_))
    return "killed by signal " + std::to_string(WTERMSIG(status_)) + " (" + strsignal(WTERMSIG(status_)) + ")";
  return "status " + std::to_string(status_);
}

std::string Captured::describeStatus() const {
  if (!started)
    return error;
  if (exitCode >= 0)
    return "exit status " + std::to_string(exitCode);
  return error.empty() ? "abnormal end" : error;
}

Captured runAndCapture(const std::vector<std::string> &argv, const CaptureOptions &captureOptions) {
  Captured result;
  if (argv.empty()) {
    result.error = "no program to run";
    return result;
  }
  std::string program = findInPath(argv[0]);
  if (program.empty()) {
    result.error = "cannot find '" + argv[0] + "'" + (argv[0].find('/') == std::string::npos ? " on $PATH" : "");
    return result;
  }
  Pipe out;
  if (std::string message = makePipe(out); !message.empty()) {
    result.error = message;
    return result;
  }
  ChildProcess::Options options;
  options.argv = argv;
  options.argv[0] = program;
  options.unsetEnv = captureOptions.unsetEnv;
  options.stdoutFd = out.write.get();
  if (captureOptions.mergeStderr)
    options.stderrFd = out.write.get();
  ChildProcess child = ChildProcess::spawn(options, result.error);
  out.write.reset();
  if (!result.error.empty())
    return result;
  result.started = true;
  char buffer[65536];
  for (;;) {
    ssize_t got = ::read(out.read.get(), buffer, sizeof buffer);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      break;
    result.out.append(buffer, static_cast<size_t>(got));
  }
  child.wait();
  if (WIFEXITED(child.status()))
    result.exitCode = WEXITSTATUS(child.status());
  else
    result.error = child.describeStatus();
  return result;
}

std::string findInPath(const std::string &name) {
  auto executable = [](const std::string &path) {
    struct stat info;
    return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(path.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos)
    return executable(name) ? name : "";
  const char *path = std::getenv("PATH");
  std::string directories = path && *path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
  size_t start = 0;
  while (start <= directories.size()) {
    size_t end = directories.find(':', start);
    if (end == std::string::npos)
      end = directories.size();
    std::string directory = directories.substr(start, end - start);
    if (directory.empty())
      directory = ".";
    std::string candidate = directory + "/" + name;
    if (executable(candidate))
      return candidate;
    start = end + 1;
  }
  return "";
}

} // namespace mstap::support
