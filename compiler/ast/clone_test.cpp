#include "ast/clone.h"

#include "ast/printer.h"
#include "parse/parser.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace mstap {
namespace {

// Every script of tests/lang, the library and the examples that parses: a copy of each body and point
// prints as the original does. A field a copy forgets shows up here as soon
// as a language case uses it.
TEST(Clone, CopiesEveryLanguageCase) {
  namespace fs = std::filesystem;
  size_t scripts = 0, bodies = 0;
  std::vector<fs::path> files;
  for (const char *dir : {"tests/lang", "tapset", "examples"})
    if (fs::is_directory(fs::path(MSTAP_SOURCE_DIR) / dir))
      for (const auto &entry : fs::recursive_directory_iterator(fs::path(MSTAP_SOURCE_DIR) / dir))
        files.push_back(entry.path());
  for (const fs::path &path : files) {
    if (path.extension() != ".stp")
      continue;
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    SourceFile file(path.string(), text.str());
    Diagnostics diags;
    ParseOptions options;
    options.guru = true;
    options.args = {"1", "2", "3", "4"};
    std::unique_ptr<ast::Script> script = parseScript(file, options, diags);
    if (!script)
      continue;
    ++scripts;
    for (const ast::Decl &decl : script->decls) {
      const ast::BlockStmt *body = nullptr;
      if (decl.kind == ast::Decl::Kind::Probe) {
        body = decl.probe->body.get();
        for (const ast::ProbePoint &pp : decl.probe->points) {
          ast::ProbePoint copy = ast::clone(pp);
          EXPECT_EQ(ast::printProbePoint(copy), ast::printProbePoint(pp)) << path;
          EXPECT_EQ(copy.optional, pp.optional);
          EXPECT_EQ(copy.sufficient, pp.sufficient);
        }
      } else if (decl.kind == ast::Decl::Kind::Function) {
        body = decl.function->body.get();
      } else if (decl.kind == ast::Decl::Kind::Alias) {
        body = decl.alias->body.get();
      }
      if (!body)
        continue;
      ++bodies;
      std::unique_ptr<ast::BlockStmt> copy = ast::cloneBlock(*body);
      EXPECT_EQ(ast::printBlock(*copy), ast::printBlock(*body)) << path;
      EXPECT_EQ(copy->range.begin.line, body->range.begin.line);
      EXPECT_EQ(copy->range.begin.file, body->range.begin.file);
    }
  }
  // The corpus is there: a wrong path would make this test vacuous.
  EXPECT_GT(scripts, 60u);
  EXPECT_GT(bodies, 180u);
}

} // namespace
} // namespace mstap
