// mstap: translates a SystemTap script to a kernel module and runs it.
#include "driver/options.h"
#include "driver/session.h"

#include <cstdio>
#include <exception>

int main(int argc, char **argv) {
  try {
    mstap::Options options;
    std::string error;
    if (!mstap::parseOptions(argc, argv, options, error)) {
      std::fprintf(stderr, "mstap: error: %s\n(mstap --help shows the options)\n", error.c_str());
      return 1;
    }
    return mstap::Session(std::move(options)).run();
  } catch (const std::bad_alloc &) {
    std::fprintf(stderr, "mstap: error: out of memory\n");
  } catch (const std::exception &e) {
    std::fprintf(stderr, "mstap: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "mstap: internal error: unexpected exception\n");
  }
  return 1;
}
