#include "build/process.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace mstap::build {

std::string ProcessResult::describeStatus() const {
  if (!started)
    return error;
  if (exitCode >= 0)
    return "exit status " + std::to_string(exitCode);
  return error.empty() ? "abnormal end" : error;
}

std::string findExecutable(const std::string &name) {
  if (name.empty())
    return "";
  if (name.find('/') != std::string::npos)
    return ::access(name.c_str(), X_OK) == 0 ? name : "";
  const char *path = std::getenv("PATH");
  std::istringstream dirs(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return "";
}

ProcessResult runProcess(const std::vector<std::string> &argv, const std::vector<std::string> &unsetEnv) {
  ProcessResult result;
  if (argv.empty()) {
    result.error = "no program to run";
    return result;
  }
  std::string program = findExecutable(argv[0]);
  if (program.empty()) {
    result.error = "cannot find '" + argv[0] + "' on $PATH";
    return result;
  }

  // Everything is prepared before fork(): between fork and exec the child
  // may only make async-signal-safe calls (other threads may hold malloc's lock).
  std::vector<char *> args;
  for (const std::string &a : argv)
    args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> envStrings;
  for (char **e = environ; *e; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    bool drop = false;
    for (const std::string &u : unsetEnv)
      drop = drop || name == u;
    if (!drop)
      envStrings.push_back(std::move(entry));
  }
  std::vector<char *> env;
  for (std::string &e : envStrings)
    env.push_back(e.data());
  env.push_back(nullptr);

  // Close-on-exec on every descriptor made here, so that a child started by
  // another thread at the same moment never holds our pipe open.
  int out[2], report[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    result.error = std::string("cannot make a pipe: ") + std::strerror(errno);
    return result;
  }
  if (::pipe2(report, O_CLOEXEC) != 0) {
    result.error = std::string("cannot make a pipe: ") + std::strerror(errno);
    ::close(out[0]);
    ::close(out[1]);
    return result;
  }
  int devNull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);

  pid_t pid = ::fork();
  if (pid == 0) {
    if (devNull >= 0)
      ::dup2(devNull, 0);
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    ::execve(program.c_str(), args.data(), env.data());
    int code = errno;
    ssize_t ignored = ::write(report[1], &code, sizeof code);
    (void)ignored;
    ::_exit(127);
  }
  int forkErrno = errno;
  ::close(out[1]);
  ::close(report[1]);
  if (devNull >= 0)
    ::close(devNull);
  if (pid < 0) {
    ::close(out[0]);
    ::close(report[0]);
    result.error = std::string("cannot start ") + argv[0] + ": " + std::strerror(forkErrno);
    return result;
  }

  char buffer[65536];
  for (;;) {
    ssize_t got = ::read(out[0], buffer, sizeof buffer);
    if (got > 0)
      result.output.append(buffer, static_cast<size_t>(got));
    else if (got == 0 || errno != EINTR)
      break;
  }
  ::close(out[0]);
  int execErrno = 0;
  ssize_t got;
  do
    got = ::read(report[0], &execErrno, sizeof execErrno);
  while (got < 0 && errno == EINTR);
  ::close(report[0]);

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (got == sizeof execErrno) {
    result.error = "cannot run " + program + ": " + std::strerror(execErrno);
    return result;
  }
  result.started = true;
  if (WIFEXITED(status))
    result.exitCode = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    result.error = "killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  return result;
}

} // namespace mstap::build
