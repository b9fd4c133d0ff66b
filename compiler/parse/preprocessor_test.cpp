// Macros (@define) and their expansion, through parseScript and
// parseMacroFile on scripts in memory. The conditionals' own cases are in
// tests/lang/accept/conditionals.stp and tests/lang/reject/conditionals.stp.
#include "ast/printer.h"
#include "parse/parser.h"
#include "parse/preprocessor.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

using namespace mstap;

namespace {

struct Parsed {
  std::unique_ptr<SourceFile> file;
  std::unique_ptr<ast::Script> script;
  Diagnostics diags;
};

std::unique_ptr<Parsed> parse(const std::string &text, const MacroTable *library = nullptr,
                              MacroTable *defined = nullptr) {
  auto p = std::make_unique<Parsed>();
  p->file = std::make_unique<SourceFile>("t.stp", text);
  ParseOptions options;
  ConditionContext conditions;
  conditions.kernelRelease = "6.1.0-57-amd64";
  options.conditions = &conditions;
  options.libraryMacros = library;
  options.definedMacros = defined;
  p->script = parseScript(*p->file, options, p->diags);
  return p;
}

// The script printed back (-p1) without its header and the ';' that end
// statements, or its diagnostics.
std::string printed(const std::string &text, const MacroTable *library = nullptr) {
  auto p = parse(text, library);
  if (!p->script)
    return "(errors)\n" + p->diags.render();
  std::string out = ast::printScript(*p->script), lines;
  for (size_t i = 0; i < out.size();) {
    size_t end = out.find('\n', i);
    std::string line = out.substr(i, end - i);
    i = end == std::string::npos ? out.size() : end + 1;
    if (line.rfind("# ", 0) == 0 || (lines.empty() && line.empty()))
      continue;
    if (!line.empty() && line.back() == ';')
      line.pop_back();
    lines += line + "\n";
  }
  return lines;
}

// The statements of `probe begin { BODY }`, printed back, one a line.
std::string body(const std::string &prelude, const std::string &statements, const MacroTable *library = nullptr) {
  std::string out = printed(prelude + "\nprobe begin {\n" + statements + "\n}\n", library);
  size_t open = out.find("probe begin {\n");
  if (open == std::string::npos)
    return out;
  out = out.substr(open + 14);
  out = out.substr(0, out.rfind("}"));
  // Unindent.
  std::string lines;
  for (size_t i = 0; i < out.size();) {
    size_t end = out.find('\n', i);
    std::string line = out.substr(i, end - i);
    line.erase(0, line.find_first_not_of(' '));
    lines += line + "\n";
    i = end == std::string::npos ? out.size() : end + 1;
  }
  return lines;
}

// Every diagnostic as "SEVERITY LINE:COL MESSAGE", one a line.
std::string diagnostics(const Diagnostics &diags) {
  std::string out;
  for (const Diagnostic &d : diags.all()) {
    const char *severity = d.severity == Severity::Error ? "error" : d.severity == Severity::Warning ? "warning" : "note";
    out += fmt::format("{} {}{}:{} {}\n", severity, d.file ? d.file->name() + ":" : "", d.loc.line, d.loc.column,
                       d.message);
  }
  return out;
}

std::string errors(const std::string &text, const MacroTable *library = nullptr) {
  auto p = parse(text, library);
  EXPECT_EQ(p->script, nullptr) << text;
  return diagnostics(p->diags);
}

} // namespace

TEST(Macros, ParameterlessAndWithParameters) {
  // The langref's example: parameters are used as @NAME in the body.
  EXPECT_EQ(body("@define foo %( x %)\n@define add(a,b) %( ((@a)+(@b)) %)", "@foo = @add(2,2)"),
            "x = 2 + 2\n");
  // An argument is any tokens, brackets balanced: ',' inside () or [] does
  // not end it.
  EXPECT_EQ(body("@define first(a, b) %( @a %)", "x = @first(f(1, 2), 3)\ny = @first(m[1, 2], 3)"),
            "x = f(1, 2)\ny = m[1, 2]\n");
  // An empty argument is no tokens.
  EXPECT_EQ(body("@define p(a) %( print(@a) %)", "@p()"), "print()\n");
  // A parameter used twice is expanded twice, as tokens: no parentheses
  // are added (1 + 2 * 1 + 2). One not used is never expanded.
  EXPECT_EQ(body("@define sq(x, unused) %( @x * @x %)", "y = @sq(1 + 2, @nosuch(\"\"))"), "y = 1 + 2 * 1 + 2\n");
}

TEST(Macros, ExpandAnywhereTokensGo) {
  // Statements, a probe point, a whole declaration, a function's name.
  EXPECT_EQ(printed("@define point %( timer.ms(100) %)\n"
                    "@define counter(name) %( global @name %)\n"
                    "@counter(hits)\n"
                    "probe @point { hits++ }\n"),
            "global hits\n\nprobe timer.ms(100) {\n  hits++\n}\n");
  // Definitions may sit inside a probe's body, and count from there on.
  EXPECT_EQ(body("", "@define one %( 1 %)\nx = @one"), "x = 1\n");
  // A macro without parameters leaves parentheses after it alone.
  EXPECT_EQ(body("@define fn %( println %)", "@fn(\"a\")"), "println(\"a\")\n");
}

TEST(Macros, MacrosUseMacrosAndArgumentsExpandInTheCallersContext) {
  EXPECT_EQ(body("@define twice(x) %( (@x + @x) %)\n"
                 "@define quad(y) %( @twice(@twice(@y)) %)",
                 "z = @quad(k)"),
            "z = k + k + (k + k)\n");
  // A use inside an argument: expanded where the body uses it.
  EXPECT_EQ(body("@define one %( 1 %)\n@define neg(x) %( -@x %)", "z = @neg(@one)"), "z = -1\n");
  // The same macro in its own argument is no recursion.
  EXPECT_EQ(body("@define neg(x) %( (-@x) %)", "z = @neg(@neg(k))"), "z = - -k\n");
  // A parameter's name means the parameter, in the body; in an argument,
  // the caller's.
  EXPECT_EQ(body("@define x %( 7 %)\n@define id(x) %( @x %)\n@define wrap(y) %( @id(@x + @y) %)",
                 "z = @wrap(1)"),
            "z = 7 + 1\n");
}

TEST(Macros, ConditionalsInBodiesAndAroundDefinitions) {
  // A conditional in a body is resolved where the macro is used.
  EXPECT_EQ(body("@define bits %( %( arch == \"x86_64\" %? 64 %: 32 %) %)", "x = @bits"), "x = 64\n");
  // Definitions in a branch not taken do not count: no redefinition.
  EXPECT_EQ(body("%( arch == \"x86_64\" %? @define w %( 64 %) %: @define w %( 32 %) %)", "x = @w"), "x = 64\n");
  // A macro in a condition.
  EXPECT_EQ(body("@define target %( kernel_v %)", "%( @target >= \"6.0\" %? x = 1 %: x = 2 %)"), "x = 1\n");
  // Macro uses in a branch not taken are not expanded (not even checked).
  EXPECT_EQ(body("", "%( arch == \"s390\" %? @undefined_macro(1, %: x = 3 %)"), "x = 3\n");
}

TEST(Macros, OtherAtNamesAreNotMacros) {
  EXPECT_EQ(body("global s", "println(@#, $#)"), "println(\"0\", 0)\n");
  EXPECT_EQ(body("global s", "s <<< 1\nx = @count(s) + @sum(s) + @max(s)"), "s <<< 1\nx = @count(s) + @sum(s) + @max(s)\n");
  // An unknown @name goes to the parser, which names it.
  std::string e = errors("probe begin { x = @nosuch(1) }");
  EXPECT_NE(e.find("error t.stp:1:19 unknown operator '@nosuch'"), std::string::npos) << e;
}

TEST(Macros, Redefinition) {
  EXPECT_EQ(errors("@define m %( 1 %)\n@define m %( 2 %)\nprobe begin { x = @m }"),
            "error t.stp:2:9 macro '@m' is defined twice in this file\n"
            "note t.stp:1:9 its first definition is here\n");
  // Hiding an operator is allowed, with a warning (as stap).
  auto p = parse("@define count(x) %( 42 %)\nprobe begin { y = @count(z) }");
  ASSERT_NE(p->script, nullptr) << p->diags.render();
  EXPECT_EQ(diagnostics(p->diags), "warning t.stp:1:9 macro '@count' hides the operator '@count'\n");
  EXPECT_EQ(ast::printScript(*p->script), "# parse tree dump\n# file t.stp\n\nprobe begin {\n  y = 42;\n}\n");
  EXPECT_EQ(errors("@define define %( 1 %)"), "error t.stp:1:9 '@define' cannot be redefined\n");
}

TEST(Macros, MalformedDefinitions) {
  EXPECT_EQ(errors("@define %( 1 %)\nprobe begin {}"),
            "error t.stp:1:9 expected a macro name after '@define', found '%('\n");
  EXPECT_EQ(errors("@define m() %( 1 %)\nprobe begin {}"),
            "error t.stp:1:11 expected a parameter name in the definition of macro '@m', found ')'\n");
  EXPECT_EQ(errors("@define m(a b) %( 1 %)\nprobe begin {}"),
            "error t.stp:1:13 expected ',' or ')' after parameter 'a' of macro '@m', found 'b'\n");
  EXPECT_EQ(errors("@define m 1\nprobe begin {}"),
            "error t.stp:1:11 expected '(' or '%(' to begin the body of macro '@m', found '1'\n");
  EXPECT_EQ(errors("@define m %( %( 1 %)\nprobe begin {}"),
            "error t.stp:1:9 the body of macro '@m' has no closing '%)'\n");
  // Unterminated tokens in a body are reported where they are.
  EXPECT_EQ(errors("@define m %( \"abc %)\n%)\nprobe begin {}"),
            "error t.stp:1:14 unterminated string: a '\"' is missing on this line\n");
  // No @define inside a macro's body: found when it expands, as in stap.
  EXPECT_EQ(errors("@define m %( @define n %( 1 %) %)\nprobe begin { @m }"),
            "error t.stp:2:15 '@define' in a macro's body or arguments: macros are defined at the top of a file only\n"
            "note t.stp:1:14 in expansion of macro '@m' defined at t.stp:1:9\n");
  auto unused = parse("@define m %( @define n %( 1 %) %)\nprobe begin { }");
  EXPECT_NE(unused->script, nullptr) << unused->diags.render();
}

TEST(Macros, WrongArguments) {
  const char *defs = "@define two(a, b) %( @a + @b %)\n";
  EXPECT_EQ(errors(std::string(defs) + "probe begin { x = @two(1, 2, 3) }"),
            "error t.stp:2:28 too many arguments for macro '@two': it takes 2\n"
            "note t.stp:1:9 macro '@two' is defined here\n");
  EXPECT_EQ(errors(std::string(defs) + "probe begin { x = @two(1) }"),
            "error t.stp:2:25 too few arguments for macro '@two': it takes 2, not 1\n"
            "note t.stp:1:9 macro '@two' is defined here\n");
  EXPECT_EQ(errors(std::string(defs) + "probe begin { x = @two + 1 }"),
            "error t.stp:2:19 macro '@two' takes 2 arguments: '(' must follow its name\n"
            "note t.stp:1:9 macro '@two' is defined here\n");
  EXPECT_EQ(errors(std::string(defs) + "probe begin { x = @two(1, (2) }"),
            "error t.stp:2:19 the arguments of macro '@two' have no closing ')'\n"
            "note t.stp:1:9 macro '@two' is defined here\n");
}

TEST(Macros, RecursionIsAnErrorNotAHang) {
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(errors("@define r %( 1 + @r %)\nprobe begin { x = @r }"),
            "error t.stp:2:19 macro '@r' uses itself: its expansion would never end\n"
            "note t.stp:1:18 in expansion of macro '@r' defined at t.stp:1:9\n");
  EXPECT_EQ(errors("@define a(x) %( @b(@x) %)\n@define b(y) %( @a(@y) %)\nprobe begin { x = @a(1) }"),
            "error t.stp:3:19 macro '@a' uses itself: its expansion would never end\n"
            "note t.stp:2:17 in expansion of macro '@b' defined at t.stp:2:9\n"
            "note t.stp:1:17 in expansion of macro '@a' defined at t.stp:1:9\n");
  // Growth that is no recursion is bounded too: each level doubles.
  std::string text = "@define d0 %( x %)\n";
  for (int i = 1; i <= 24; ++i)
    text += fmt::format("@define d{} %( @d{} @d{} %)\n", i, i - 1, i - 1);
  text += "probe begin { @d24 }\n";
  std::string e = errors(text);
  EXPECT_EQ(e.substr(0, e.find('\n')), fmt::format("error t.stp:26:15 macros expand to more than {} tokens here: "
                                                   "the expansion stops",
                                                   maxExpandedTokens));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(Macros, ErrorsInsideABodyAreAtTheUseWithNotes) {
  // A syntax error in what a body expands to: at the use, with a note at
  // the token in the body, naming the macro and its definition.
  EXPECT_EQ(errors("@define bad(a) %( (@a + ) %)\nprobe begin {\n  x = @bad(1)\n}"),
            "error t.stp:3:7 expected an expression, found ')'\n"
            "note t.stp:1:25 in expansion of macro '@bad' defined at t.stp:1:9\n");
  // Through a macro used by a macro: innermost first.
  EXPECT_EQ(errors("@define inner %( ) %)\n@define outer %( 1 + @inner %)\nprobe begin {\n  x = @outer\n}"),
            "error t.stp:4:7 expected an expression, found ')'\n"
            "note t.stp:1:18 in expansion of macro '@inner' defined at t.stp:1:9\n"
            "note t.stp:2:22 in expansion of macro '@outer' defined at t.stp:2:9\n");
  // An argument's tokens keep their own places.
  EXPECT_EQ(errors("@define id(a) %( @a %)\nprobe begin {\n  x = @id((1 + ))\n}"),
            "error t.stp:3:16 expected an expression, found ')'\n");
  // An error a later step finds (here the transform) gets the note too.
  EXPECT_EQ(errors("@define h %( @hist_log(s, 1) %)\nglobal s\nprobe begin {\n  print(@h)\n}"),
            "error t.stp:4:9 @hist_log takes 1 argument, not 2\n"
            "note t.stp:1:9 in expansion of macro '@h' defined at t.stp:1:9\n");
  // A conditional's error inside a body.
  EXPECT_EQ(errors("@define c %( %( nosuch == 1 %? 1 %: 2 %) %)\nprobe begin { x = @c }"),
            "error t.stp:2:19 unknown %( %) condition 'nosuch': mstap knows kernel_v, kernel_vr, arch, runtime, "
            "systemtap_v, systemtap_privilege, guru_mode, CONFIG_NAME, $# and @#\n"
            "note t.stp:1:17 in expansion of macro '@c' defined at t.stp:1:9\n");
}

TEST(Macros, ADefinitionSeesNoLaterMacroButItsUsesDo) {
  // Bodies are expanded where used: a macro defined after another's
  // definition, before its use, is there.
  EXPECT_EQ(body("@define a %( @b %)\n@define b %( 2 %)", "x = @a"), "x = 2\n");
  // A use before the definition is no macro use.
  std::string e = errors("probe begin { x = @late }\n@define late %( 1 %)");
  EXPECT_EQ(e, "error t.stp:1:25 expected '(', found '}'\n");
}

// ------------------------------------------------------------ library macros

namespace {

struct Library {
  std::vector<std::unique_ptr<SourceFile>> files;
  MacroTable macros;
  Diagnostics diags;
  bool add(const std::string &name, const std::string &text) {
    files.push_back(std::make_unique<SourceFile>(name, text));
    ParseOptions options;
    options.libraryMacros = &macros;
    return parseMacroFile(*files.back(), options, diags, macros);
  }
};

} // namespace

TEST(LibraryMacros, VisibleToEveryScriptAfterItsOwn) {
  Library lib;
  ASSERT_TRUE(lib.add("a.stpm", "@define lib_one %( 1 %)\n@define lib_twice(x) %( @x * 2 %)\n"))
      << lib.diags.render();
  ASSERT_TRUE(lib.add("b.stpm", "%( arch == \"x86_64\" %? @define lib_arch %( \"x86\" %) %)\n"
                                "@define lib_uses %( @lib_twice(@lib_one) %)\n"))
      << lib.diags.render();
  EXPECT_EQ(lib.macros.size(), 4u);
  EXPECT_TRUE(lib.macros.find("lib_twice")->library);
  EXPECT_EQ(lib.macros.find("lib_twice")->params, (std::vector<std::string>{"x"}));
  EXPECT_EQ(body("", "x = @lib_one + @lib_twice(3)\ny = @lib_arch\nz = @lib_uses", &lib.macros),
            "x = 1 + 3 * 2\ny = \"x86\"\nz = 1 * 2\n");
  // A script's own macro of a library macro's name hides it, in the script.
  EXPECT_EQ(body("@define lib_one %( 100 %)", "x = @lib_one\ny = @lib_uses", &lib.macros),
            "x = 100\ny = 1 * 2\n");
  // The library's bodies see library macros only.
  std::string e = errors("@define helper %( 5 %)\nprobe begin { x = @lib_calls }",
                         [&] {
                           lib.add("c.stpm", "@define lib_calls %( @helper %)\n");
                           return &lib.macros;
                         }());
  // (@helper was left as it is: an operator missing its '(')
  EXPECT_EQ(e, "error t.stp:2:30 expected '(', found '}'\n");
}

TEST(LibraryMacros, AScriptsMacrosAreItsOwn) {
  // What a script defines is collected (definedMacros), and not seen by
  // the next script.
  MacroTable defined;
  auto first = parse("@define mine(a) %( @a %)\nprobe begin { x = @mine(1) }", nullptr, &defined);
  ASSERT_NE(first->script, nullptr) << first->diags.render();
  ASSERT_EQ(defined.size(), 1u);
  EXPECT_EQ(defined.find("mine")->name, "mine");
  EXPECT_EQ(defined.find("mine")->at.line, 1u);
  EXPECT_EQ(defined.find("mine")->at.column, 9u);
  EXPECT_FALSE(defined.find("mine")->library);
  std::string e = errors("probe begin { x = @mine(1) }");
  EXPECT_NE(e.find("unknown operator '@mine'"), std::string::npos) << e;
}

TEST(LibraryMacros, MacroFilesHoldDefinitionsOnlyAndNamesOnce) {
  Library lib;
  ASSERT_TRUE(lib.add("a.stpm", "@define x %( 1 %)\n"));
  EXPECT_FALSE(lib.add("b.stpm", "@define y %( 2 %)\n@define x %( 3 %)\n"));
  EXPECT_EQ(diagnostics(lib.diags), "error b.stpm:2:9 macro '@x' is already defined by the library\n"
                                    "note a.stpm:1:9 its first definition is here\n");
  // All or none: y did not go in.
  EXPECT_EQ(lib.macros.find("y"), nullptr);
  Library other;
  EXPECT_FALSE(other.add("c.stpm", "@define z %( 1 %)\nprobe begin { }\n"));
  EXPECT_EQ(diagnostics(other.diags),
            "error c.stpm:2:1 a library macro file holds @define and %( %) conditionals only, not 'probe'\n");
  EXPECT_EQ(other.macros.find("z"), nullptr);
}

// SystemTap's own library macro files (Debian's systemtap-common), when
// installed: each reads without error, and what they define expands.
TEST(LibraryMacros, StapsOwnMacroFilesRead) {
  namespace fs = std::filesystem;
  const fs::path tapset = "/usr/share/systemtap/tapset";
  if (!fs::is_directory(tapset))
    GTEST_SKIP() << tapset << " is not installed";
  std::vector<fs::path> paths;
  for (const fs::path &dir : {tapset, tapset / "linux"})
    for (const auto &entry : fs::directory_iterator(dir))
      if (entry.path().extension() == ".stpm")
        paths.push_back(entry.path());
  std::sort(paths.begin(), paths.end());
  ASSERT_GE(paths.size(), 10u);
  Library lib;
  for (const fs::path &path : paths) {
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_TRUE(lib.add(path.string(), text)) << lib.diags.render();
  }
  for (const char *name : {"choose_defined", "container_of", "module_container_of", "json_output_data_start",
                           "prometheus_dump_array1", "this1", "SYSC_CLONE_CLONE_FLAGS_ARGNO"})
    EXPECT_NE(lib.macros.find(name), nullptr) << name;
  EXPECT_EQ(body("", "x = @choose_defined(y, 0)", &lib.macros), "x = @defined(y) ? y : 0\n");
}
