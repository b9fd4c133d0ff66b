// One run of mstap: the options, the script and what each pass made of it.
#pragma once

#include "ast/ast.h"
#include "driver/options.h"
#include "sema/elaborate.h"
#include "support/diagnostics.h"

#include <cstdio>
#include <memory>

namespace mstap {

class Library;

class Session {
public:
  explicit Session(Options options);
  ~Session();

  // Runs the passes up to options.lastPass; returns the process exit status.
  int run();

private:
  bool loadScript();
  bool pass1();
  bool pass2();
  bool pass3();
  bool pass4();
  int pass5();
  bool chooseVmKernel();
  std::string scriptName() const;
  static std::string searchPath();
  int listProbes();
  int dumpLibrary();
  int checkEnvironment();
  void printDiagnostics();
  bool warningsAreErrors();

  Options options_;
  Diagnostics diags_;
  bool colour_ = false;
  // The library scripts' text, which the linked script's nodes point into:
  // declared first, destroyed last.
  std::unique_ptr<Library> library_;
  std::unique_ptr<SourceFile> file_;
  std::unique_ptr<ast::Script> script_;
  ElaborateResult elaborated_;
  std::string generatedC_; // pass 3
  std::string modulePath_; // pass 4
  std::string release_;    // the target kernel's, from pass 4
  std::string scratchDir_; // a module built only to be run here
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
