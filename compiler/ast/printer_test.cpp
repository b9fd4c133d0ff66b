#include "ast/printer.h"
#include "parse/parser.h"

#include <gtest/gtest.h>

using namespace mstap;

namespace {
// Parses one expression statement and prints it back.
std::string roundTrip(const std::string &expr) {
  SourceFile file("t.stp", "probe begin { " + expr + " }");
  Diagnostics diags;
  auto script = parseScript(file, {}, diags);
  if (!script)
    return "error: " + diags.render();
  auto &body = *script->decls[0].probe->body;
  return ast::printExpr(*static_cast<ast::ExprStmt &>(*body.statements[0]).expr);
}
} // namespace

TEST(Printer, KeepsOnlyNeededParentheses) {
  EXPECT_EQ(roundTrip("x = (1 + 2) * 3"), "x = (1 + 2) * 3");
  EXPECT_EQ(roundTrip("x = 1 + (2 * 3)"), "x = 1 + 2 * 3");
  EXPECT_EQ(roundTrip("x = 1 - (2 - 3)"), "x = 1 - (2 - 3)");
  EXPECT_EQ(roundTrip("x = (1 - 2) - 3"), "x = 1 - 2 - 3");
  EXPECT_EQ(roundTrip("x = a ? b : c ? d : e"), "x = a ? b : c ? d : e");
  EXPECT_EQ(roundTrip("x = (a ? b : c) ? d : e"), "x = (a ? b : c) ? d : e");
  EXPECT_EQ(roundTrip("(x = 1) + 2"), "(x = 1) + 2");
  EXPECT_EQ(roundTrip("x = !(a && b)"), "x = !(a && b)");
  EXPECT_EQ(roundTrip("x = (k in arr) + 1"), "x = (k in arr) + 1");
  EXPECT_EQ(roundTrip("x = [a, b] in arr"), "x = [a, b] in arr");
}

TEST(Printer, SignsDoNotRunTogether) {
  EXPECT_EQ(roundTrip("x = - -y"), "x = - -y");
  EXPECT_EQ(roundTrip("x = -(--y)"), "x = - --y");
  EXPECT_EQ(roundTrip("x = -(-5)"), "x = 5");
  EXPECT_EQ(roundTrip("x = 2 - -5"), "x = 2 - -5");
  EXPECT_EQ(roundTrip("x = (-5)++"), "x = (-5)++");
}

TEST(Printer, StringsAreEscaped) {
  EXPECT_EQ(roundTrip(R"(s = "a\"b\\c\n\t\001x")"), R"(s = "a\"b\\c\n\t\001x")");
}

TEST(Printer, BytesThatAreNotUtf8AreEscaped) {
  EXPECT_EQ(roundTrip(R"(s = "\377\xe6x")"), R"(s = "\377\346x")");
  EXPECT_EQ(roundTrip("s = \"\xe6\x97\xa5 ok\""), "s = \"\xe6\x97\xa5 ok\""); // UTF-8 stays as it is
}

TEST(Printer, TargetsAndStatistics) {
  EXPECT_EQ(roundTrip("x = $file->f_path->dentry[0]"), "x = $file->f_path->dentry[0]");
  EXPECT_EQ(roundTrip("s <<< $count"), "s <<< $count");
  EXPECT_EQ(roundTrip("print(@hist_linear(s, 0, 100, 10))"), "print(@hist_linear(s, 0, 100, 10))");
  EXPECT_EQ(roundTrip("x = @entry($$parms)"), "x = @entry($$parms)");
}
