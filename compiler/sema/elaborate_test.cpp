#include "parse/parser.h"
#include "sema/elaborate.h"
#include "sema/format.h"

#include <gtest/gtest.h>

using namespace mstap;

namespace {
struct Elaborated {
  std::unique_ptr<SourceFile> file;
  std::unique_ptr<ast::Script> script;
  Diagnostics diags;
  ElaborateResult result;
};

std::unique_ptr<Elaborated> elaborateText(const std::string &text) {
  auto e = std::make_unique<Elaborated>();
  e->file = std::make_unique<SourceFile>("t.stp", text);
  e->script = parseScript(*e->file, {}, e->diags);
  EXPECT_NE(e->script, nullptr) << e->diags.render();
  if (e->script)
    e->result = elaborate(*e->script, {}, e->diags);
  return e;
}

ast::Variable &global(Elaborated &e, const std::string &name) {
  for (auto &decl : e.script->decls)
    if (decl.kind == ast::Decl::Kind::Global)
      for (auto &g : decl.global->vars)
        if (g.name == name)
          return *g.var;
  throw std::runtime_error("no global " + name);
}
} // namespace

TEST(Elaborate, TypesFlowThroughCallsInAnyOrder) {
  // g's result is known only through f, defined after its use; a fixed point finds it.
  auto e = elaborateText("global out\nprobe begin { out = g(1) }\nfunction g(x) { return f(x) }\n"
                         "function f(y) { return sprint(y) }\n");
  ASSERT_TRUE(e->result.ok) << e->diags.render();
  EXPECT_EQ(global(*e, "out").type, ast::Type::String);
  auto &g = *e->script->decls[2].function;
  EXPECT_EQ(g.returnType, ast::Type::String);
  EXPECT_EQ(g.locals[0]->type, ast::Type::Long);
}

TEST(Elaborate, ArrayKeysAndValuesAreTyped) {
  auto e = elaborateText("global a\nprobe begin { a[\"k\", 2] <<< 5 }\n");
  ASSERT_TRUE(e->result.ok) << e->diags.render();
  auto &a = global(*e, "a");
  EXPECT_EQ(a.arity, 2);
  EXPECT_EQ(a.type, ast::Type::Stats);
  EXPECT_EQ(a.keyTypes, (std::vector<ast::Type>{ast::Type::String, ast::Type::Long}));
}

TEST(Elaborate, LocalsBelongToTheirProbe) {
  auto e = elaborateText("probe begin { x = 1 } probe end { x = \"s\" }\n");
  ASSERT_TRUE(e->result.ok) << e->diags.render(); // two different x's
  EXPECT_EQ(e->script->decls[0].probe->locals[0]->type, ast::Type::Long);
  EXPECT_EQ(e->script->decls[1].probe->locals[0]->type, ast::Type::String);
}

TEST(Elaborate, EveryErrorInOneRunInSourceOrder) {
  auto e = elaborateText("probe begin {\n  x = \"a\" . 1\n  nosuch()\n  y = 1\n  y = \"s\"\n}\n");
  EXPECT_FALSE(e->result.ok);
  std::vector<uint32_t> lines;
  for (const auto &d : e->diags.all())
    if (d.severity == Severity::Error)
      lines.push_back(d.loc.line);
  EXPECT_EQ(lines, (std::vector<uint32_t>{2, 3, 5}));
}

TEST(Elaborate, UnknownTypesAreReported) {
  auto e = elaborateText("global a\nprobe begin { foreach (k in a) print(k) }\n");
  EXPECT_FALSE(e->result.ok);
  EXPECT_NE(e->diags.render().find("could not infer the type of global 'a'"), std::string::npos)
      << e->diags.render();
}

TEST(Elaborate, KernelProbesUseTheKernelSource) {
  KernelFunctionSource source;
  source.match = [](const std::string &what, const std::string &module, const std::string &pattern,
                    std::vector<KernelMatch> &out, std::string &) {
    if (what == "function" && module.empty() && pattern == "vfs_*")
      out = {{"", "vfs_read", nullptr}, {"", "vfs_write", nullptr}};
    return true;
  };
  SourceFile file("t.stp", "probe kernel.function(\"vfs_*\").return { }\nprobe kernel.function(\"nope\")? { }\n");
  Diagnostics diags;
  auto script = parseScript(file, {}, diags);
  ASSERT_NE(script, nullptr);
  ElaborateOptions options;
  options.kernel = &source;
  auto result = elaborate(*script, options, diags);
  ASSERT_TRUE(result.ok) << diags.render();
  ASSERT_EQ(result.probes[0].size(), 2u);
  EXPECT_EQ(result.probes[0][1].point, "kernel.function(\"vfs_write\").return");
  EXPECT_TRUE(result.probes[1].empty()); // optional, no match: no error
}

TEST(Similar, EditDistance) {
  EXPECT_EQ(editDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(editDistance("", "abc"), 3u);
  // Distance 1 each, ties by name; "println" is 3 away, past the limit of 2.
  EXPECT_EQ(similarNames("prinf", {"printf", "print", "exit", "println"}), "print, printf");
}

TEST(Format, Directives) {
  std::vector<FormatDirective> d;
  std::string error;
  size_t at = 0;
  ASSERT_TRUE(parseFormat("x=%-08.3ld%%y %*s", d, error, at)) << error;
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].literal, "x=");
  EXPECT_EQ(d[1].conversion, 'd');
  EXPECT_TRUE(d[1].leftAlign);
  EXPECT_TRUE(d[1].zeroPad);
  EXPECT_EQ(d[1].width, 8);
  EXPECT_EQ(d[1].precision, 3);
  EXPECT_EQ(d[2].literal, "%y ");
  EXPECT_EQ(d[3].width, -2);
  EXPECT_FALSE(parseFormat("abc %", d, error, at));
  EXPECT_EQ(at, 4u);
  EXPECT_FALSE(parseFormat("%q", d, error, at));
}
