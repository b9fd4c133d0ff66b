#include "driver/status_line.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <string>
#include <thread>
#include <unistd.h>

using namespace mstap;
using namespace std::chrono_literals;

namespace {
// What a StatusLine wrote into a pipe.
struct Pipe {
  int fds[2];
  Pipe() {
    EXPECT_EQ(pipe(fds), 0);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
  }
  ~Pipe() {
    close(fds[0]);
    close(fds[1]);
  }
  std::string read() {
    std::string text;
    char buffer[256];
    ssize_t n;
    while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0)
      text.append(buffer, static_cast<size_t>(n));
    return text;
  }
};
} // namespace

TEST(StatusLine, DrawsEachSecondAndErasesAtTheEnd) {
  Pipe pipe;
  {
    StatusLine status(pipe.fds[1], true, 0ms);
    status.show("building the module");
    std::this_thread::sleep_for(1300ms);
    status.clear();
    status.show("too late"); // after clear(): nothing more
  }
  std::string text = pipe.read();
  EXPECT_EQ(text, "\r\033[Kmstap: building the module... 0s"
                  "\r\033[Kmstap: building the module... 1s"
                  "\r\033[K");
}

TEST(StatusLine, AQuickStepShowsNothing) {
  Pipe pipe;
  {
    StatusLine status(pipe.fds[1], true, 500ms);
    status.show("building the module");
    status.clear();
  }
  EXPECT_EQ(pipe.read(), "");
}

TEST(StatusLine, DisabledWritesNothing) {
  Pipe pipe;
  {
    StatusLine status(pipe.fds[1], false, 0ms);
    status.show("booting");
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(pipe.read(), "");
}
