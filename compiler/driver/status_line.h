// A sign of life during the slow steps (pass 4's kbuild, the VM's boot and
// run): one status line on a terminal, "mstap: building the module... 3s",
// redrawn each second and erased when the step ends or before anything else
// is written, so that it never mixes with the script's output. Nothing on a
// pipe or a file, so that what tests read stays byte for byte the same.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace mstap {

class StatusLine {
public:
  // Draws on `fd` only when `enabled`; first after `delay`, so that a quick
  // step (a cache hit) shows nothing.
  StatusLine(int fd, bool enabled, std::chrono::milliseconds delay = std::chrono::milliseconds(500));
  ~StatusLine();
  StatusLine(const StatusLine &) = delete;
  StatusLine &operator=(const StatusLine &) = delete;

  // Shows `what`, with the seconds since this call.
  void show(std::string what);
  // Erases the line, for good (later show()s draw nothing). Thread-safe;
  // call it before writing anything else to the terminal.
  void clear();

  // Whether to draw: standard error is a terminal that is not "dumb", and
  // -v is not given (its lines say what happens).
  static bool wanted(int verbose);

private:
  void run();

  int fd_;
  std::chrono::milliseconds delay_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::string what_;
  std::chrono::steady_clock::time_point since_;
  bool drawn_ = false, stopped_ = false;
  std::thread thread_;
};

} // namespace mstap
