#include "driver/status_line.h"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace mstap {

namespace {
void writeAll(int fd, const std::string &text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0)
      return; // a terminal gone: nothing to tell
    done += static_cast<size_t>(n);
  }
}
const char *const kEraseLine = "\r\033[K";
} // namespace

StatusLine::StatusLine(int fd, bool enabled, std::chrono::milliseconds delay) : fd_(fd), delay_(delay) {
  stopped_ = !enabled;
}

StatusLine::~StatusLine() { clear(); }

bool StatusLine::wanted(int verbose) {
  const char *term = std::getenv("TERM");
  return verbose == 0 && isatty(STDERR_FILENO) && term && std::strcmp(term, "dumb") != 0;
}

void StatusLine::show(std::string what) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopped_)
    return;
  what_ = std::move(what);
  since_ = std::chrono::steady_clock::now();
  if (!thread_.joinable())
    thread_ = std::thread([this] { run(); });
  wake_.notify_all();
}

void StatusLine::clear() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (drawn_)
      writeAll(fd_, kEraseLine);
    drawn_ = false;
    stopped_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id())
    thread_.join();
}

void StatusLine::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  auto next = since_ + delay_;
  while (!stopped_) {
    if (wake_.wait_until(lock, next, [&] { return stopped_; }))
      break;
    auto now = std::chrono::steady_clock::now();
    if (now < next)
      continue;
    long seconds = static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(now - since_).count());
    writeAll(fd_, fmt::format("{}mstap: {}... {}s", kEraseLine, what_, seconds));
    drawn_ = true;
    // Redraw when the next whole second since the start comes.
    next = since_ + std::chrono::seconds(seconds + 1);
  }
}

} // namespace mstap
