// One run of mstap: the options, the script and what each pass made of it.
#pragma once

#include "ast/ast.h"
#include "driver/options.h"
#include "support/diagnostics.h"

#include <cstdio>
#include <memory>

namespace mstap {

class Session {
public:
  explicit Session(Options options);

  // Runs the passes up to options.lastPass; returns the process exit status.
  int run();

private:
  bool loadScript();
  bool pass1();
  bool pass2();
  int listProbes();
  int checkEnvironment();
  void printDiagnostics();

  Options options_;
  Diagnostics diags_;
  bool colour_ = false;
  std::unique_ptr<SourceFile> file_;
  std::unique_ptr<ast::Script> script_;
};

// Timing and memory for the "-v" lines, in stap's words:
// "in 10usr/0sys/12real ms." and "using 1234virt/567res/89shr/100data kb".
class PassTimer {
public:
  PassTimer();
  std::string elapsed() const;
  static std::string memoryUse();

private:
  long userMs_, sysMs_;
  double realStart_;
};

} // namespace mstap
