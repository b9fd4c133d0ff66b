// libFuzzer target for pass 1: the bytes are a script. Every input must be
// either refused with at least one error, or parsed; a parsed script must
// print (-p1) to text that parses again, with no errors, and prints to the
// very same text (the "# file ..." header, which names the file, aside).
// Any other outcome abort()s, which libFuzzer reports as a crash.
//
// Built two ways (tests/fuzz/CMakeLists.txt): as `frontend_fuzzer` with
// -fsanitize=fuzzer,address,undefined when MSTAP_FUZZ is ON, and always as
// `frontend_fuzz_regress`, which replays tests/fuzz/corpus (ctest
// fuzz_regression).
#include "ast/printer.h"
#include "parse/parser.h"
#include "support/diagnostics.h"
#include "support/source.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace mstap;

namespace {

// The printed script without its "# file NAME" header line.
std::string withoutFileHeader(const std::string &printed) {
  std::string out;
  size_t pos = 0;
  bool dropped = false;
  while (pos < printed.size()) {
    size_t end = printed.find('\n', pos);
    size_t next = end == std::string::npos ? printed.size() : end + 1;
    if (!dropped && printed.compare(pos, 7, "# file ") == 0)
      dropped = true;
    else
      out.append(printed, pos, next - pos);
    pos = next;
  }
  return out;
}

// Long texts are cut in the report: the reproducer file has them whole.
std::string shortened(const std::string &text) {
  constexpr size_t keep = 3000;
  if (text.size() <= keep)
    return text;
  return text.substr(0, keep) + "\n[... " + std::to_string(text.size() - keep) + " more bytes]";
}

[[noreturn]] void fail(const char *what, const std::string &input, const std::string &detail) {
  std::fprintf(stderr,
               "\n=== frontend_fuzzer: %s ===\n--- input (%zu bytes) ---\n%s\n--- detail ---\n%s\n"
               "=== end ===\n",
               what, input.size(), shortened(input).c_str(), shortened(detail).c_str());
  std::abort();
}

ParseOptions fuzzOptions() {
  ParseOptions options;
  options.args = {"sometext", "42"};
  options.guru = false;
  return options;
}

// Formats every diagnostic both ways, and checks the basic promise of
// parseScript: a null result comes with an error, a script with none.
void checkDiagnostics(const Diagnostics &diags, bool parsed, const std::string &input) {
  std::string rendered = diags.render();
  size_t coloured = 0;
  for (const Diagnostic &d : diags.all())
    coloured += formatDiagnostic(d, true).size();
  if (!parsed && !diags.hasErrors())
    fail("parseScript returned null without an error", input, rendered);
  if (parsed && diags.hasErrors())
    fail("parseScript returned a script and reported errors", input, rendered);
  if (diags.hasErrors() && rendered.empty())
    fail("errors rendered as no text", input, std::to_string(coloured));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const ParseOptions options = fuzzOptions();
  std::string text(reinterpret_cast<const char *>(data), size);

  SourceFile file("fuzz.stp", text);
  Diagnostics diags;
  std::unique_ptr<ast::Script> script = parseScript(file, options, diags);
  checkDiagnostics(diags, script != nullptr, text);
  if (!script)
    return 0;

  // The round trip: print, parse the printout, print again.
  std::string first = ast::printScript(*script);
  SourceFile again("roundtrip.stp", first);
  Diagnostics againDiags;
  std::unique_ptr<ast::Script> reparsed = parseScript(again, options, againDiags);
  checkDiagnostics(againDiags, reparsed != nullptr, first);
  if (!reparsed)
    fail("the -p1 output of a script does not parse", text,
         "--- errors ---\n" + againDiags.render() + "--- printed ---\n" + first);
  std::string second = ast::printScript(*reparsed);
  if (withoutFileHeader(first) != withoutFileHeader(second))
    fail("the -p1 output of a script prints differently when parsed again", text,
         "--- first print ---\n" + first + "--- second print ---\n" + second);
  return 0;
}
