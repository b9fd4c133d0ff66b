#include "ast/printer.h"
#include "parse/parser.h"
#include "parse/literals.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

using namespace mstap;

namespace {

struct Parsed {
  std::unique_ptr<SourceFile> file;
  std::unique_ptr<ast::Script> script;
  Diagnostics diags;
};

std::unique_ptr<Parsed> parse(const std::string &text, std::vector<std::string> args = {},
                              bool guru = false) {
  auto p = std::make_unique<Parsed>();
  p->file = std::make_unique<SourceFile>("t.stp", text);
  ParseOptions options;
  options.args = std::move(args);
  options.guru = guru;
  p->script = parseScript(*p->file, options, p->diags);
  return p;
}

// The first error, as "LINE:COL: MESSAGE".
std::string firstError(const std::string &text, std::vector<std::string> args = {}) {
  auto p = parse(text, std::move(args));
  EXPECT_EQ(p->script, nullptr);
  if (p->diags.all().empty())
    return "(no error)";
  const Diagnostic &d = p->diags.all().front();
  return std::to_string(d.loc.line) + ":" + std::to_string(d.loc.column) + ": " + d.message;
}

ast::Expr &firstExpr(ast::Script &script) {
  auto &body = *script.decls.at(0).probe->body;
  return *static_cast<ast::ExprStmt &>(*body.statements.at(0)).expr;
}

} // namespace

TEST(Parse, HelloWorld) {
  auto p = parse("probe begin { printf(\"hello world\\n\") exit() }");
  ASSERT_NE(p->script, nullptr) << p->diags.render();
  ASSERT_EQ(p->script->decls.size(), 1u);
  auto &probe = *p->script->decls[0].probe;
  ASSERT_EQ(probe.points.size(), 1u);
  EXPECT_EQ(probe.points[0].components[0].name, "begin");
  ASSERT_EQ(probe.body->statements.size(), 2u); // no ';' needed between statements
  auto &call = dynamic_cast<ast::CallExpr &>(firstExpr(*p->script));
  EXPECT_EQ(call.function, "printf");
  EXPECT_EQ(dynamic_cast<ast::StringLiteral &>(*call.args[0]).value, "hello world\n");
}

TEST(Parse, Precedence) {
  auto p = parse("probe begin { x = 1 + 2 * 3 << 1 == 14 && a || b }");
  ASSERT_NE(p->script, nullptr) << p->diags.render();
  auto &assign = dynamic_cast<ast::AssignExpr &>(firstExpr(*p->script));
  auto &logOr = dynamic_cast<ast::BinaryExpr &>(*assign.rhs);
  EXPECT_EQ(logOr.op, ast::BinaryOp::LogOr);
  auto &logAnd = dynamic_cast<ast::BinaryExpr &>(*logOr.lhs);
  EXPECT_EQ(logAnd.op, ast::BinaryOp::LogAnd);
  auto &eq = dynamic_cast<ast::BinaryExpr &>(*logAnd.lhs);
  EXPECT_EQ(eq.op, ast::BinaryOp::Eq);
  auto &shl = dynamic_cast<ast::BinaryExpr &>(*eq.lhs);
  EXPECT_EQ(shl.op, ast::BinaryOp::Shl);
  auto &add = dynamic_cast<ast::BinaryExpr &>(*shl.lhs);
  EXPECT_EQ(add.op, ast::BinaryOp::Add);
  EXPECT_EQ(dynamic_cast<ast::BinaryExpr &>(*add.rhs).op, ast::BinaryOp::Mul);
}

TEST(Parse, AssignmentIsRightAssociativeAndConcatIsAdditive) {
  auto p = parse("probe begin { a = b .= \"x\" . \"y\" + 1 }");
  ASSERT_NE(p->script, nullptr) << p->diags.render();
  auto &outer = dynamic_cast<ast::AssignExpr &>(firstExpr(*p->script));
  auto &inner = dynamic_cast<ast::AssignExpr &>(*outer.rhs);
  EXPECT_EQ(inner.op, ast::AssignOp::Concat);
  // "." and "+" share a level and associate left: ("x" . "y") + 1
  auto &plus = dynamic_cast<ast::BinaryExpr &>(*inner.rhs);
  EXPECT_EQ(plus.op, ast::BinaryOp::Add);
  EXPECT_EQ(dynamic_cast<ast::BinaryExpr &>(*plus.lhs).op, ast::BinaryOp::Concat);
}

TEST(Parse, DotIsAMemberOnlyWhenGluedIntoATargetChain) {
  auto p = parse("probe begin { $file->f_path.dentry; $a.b; $a . b; $a .b; $a. b; $a.\"s\"; a.b; $a[1].c }");
  ASSERT_NE(p->script, nullptr) << p->diags.render();
  auto &body = *p->script->decls.at(0).probe->body;
  auto at = [&](size_t i) -> ast::Expr & { return *static_cast<ast::ExprStmt &>(*body.statements.at(i)).expr; };
  auto &chain = dynamic_cast<ast::TargetExpr &>(at(0));
  ASSERT_EQ(chain.components.size(), 2u);
  EXPECT_EQ(chain.components[0].member, "f_path");
  EXPECT_FALSE(chain.components[0].dot);
  EXPECT_EQ(chain.components[1].member, "dentry");
  EXPECT_TRUE(chain.components[1].dot);
  auto &glued = dynamic_cast<ast::TargetExpr &>(at(1));
  ASSERT_EQ(glued.components.size(), 1u);
  EXPECT_TRUE(glued.components[0].dot);
  for (size_t i : {2, 3, 4, 5, 6})
    EXPECT_EQ(dynamic_cast<ast::BinaryExpr &>(at(i)).op, ast::BinaryOp::Concat) << "statement " << i;
  auto &indexed = dynamic_cast<ast::TargetExpr &>(at(7));
  ASSERT_EQ(indexed.components.size(), 2u);
  EXPECT_TRUE(indexed.components[0].index != nullptr);
  EXPECT_EQ(indexed.components[1].member, "c");
}

TEST(Parse, IntegerLiterals) {
  auto p = parse("probe begin { x = 0x10 + 010 + 9223372036854775807 + -9223372036854775808 + "
                 "0xffffffffffffffff }");
  ASSERT_NE(p->script, nullptr) << p->diags.render();
  EXPECT_EQ(ast::printExpr(firstExpr(*p->script)),
            "x = 16 + 8 + 9223372036854775807 + -9223372036854775808 + -1");
  EXPECT_EQ(firstError("probe begin { x = 18446744073709551616 }"),
            "1:19: number '18446744073709551616' is out of range: more than 64 bits");
  EXPECT_EQ(firstError("probe begin { x = 12ab }"), "1:19: invalid number '12ab'");
  EXPECT_EQ(firstError("probe begin { x = 09 }"), "1:19: invalid number '09'");
}

TEST(Parse, StringEscapes) {
  auto p = parse(R"(probe begin { x = "a\tb\\c\"d\101\x41\n" })");
  ASSERT_NE(p->script, nullptr) << p->diags.render();
  auto &assign = dynamic_cast<ast::AssignExpr &>(firstExpr(*p->script));
  EXPECT_EQ(dynamic_cast<ast::StringLiteral &>(*assign.rhs).value, "a\tb\\c\"dAA\n");
  EXPECT_EQ(firstError(R"(probe begin { x = "ab\q" })"), "1:22: unknown escape sequence '\\q' in string");
}

TEST(Parse, CommandLineArguments) {
  auto p = parse("probe begin { printf(\"%s %d %d %s\", @1, $2, $#, @#) }", {"sometext", "42"});
  ASSERT_NE(p->script, nullptr) << p->diags.render();
  EXPECT_EQ(ast::printExpr(firstExpr(*p->script)), "printf(\"%s %d %d %s\", \"sometext\", 42, 2, \"2\")");
  EXPECT_EQ(firstError("probe begin { x = $3 }", {"a", "1"}),
            "1:19: command line argument index 3 out of range [1-2]");
  EXPECT_EQ(firstError("probe begin { x = $1 }", {"abc"}),
            "1:19: command line argument $1 is 'abc', not a number (use @1 for a string)");
  auto negative = parse("probe timer.ms($1) { x = -$2 }", {"100", "-7"});
  ASSERT_NE(negative->script, nullptr) << negative->diags.render();
  EXPECT_EQ(*negative->script->decls[0].probe->points[0].components[1].number, 100);
  EXPECT_EQ(ast::printExpr(firstExpr(*negative->script)), "x = 7");
}

TEST(Parse, ForeachForms) {
  auto p = parse("probe end { foreach (v = [a, b-] in arr limit 5) x = v; foreach (k in arr+) y = k }");
  ASSERT_NE(p->script, nullptr) << p->diags.render();
  auto &body = *p->script->decls[0].probe->body;
  auto &first = dynamic_cast<ast::ForeachStmt &>(*body.statements[0]);
  EXPECT_EQ(first.valueVar, "v");
  ASSERT_EQ(first.keys.size(), 2u);
  EXPECT_EQ(first.keys[1].sort, ast::SortOrder::Descending);
  EXPECT_TRUE(first.bracketedKeys);
  EXPECT_NE(first.limit, nullptr);
  auto &second = dynamic_cast<ast::ForeachStmt &>(*body.statements[1]);
  EXPECT_EQ(second.valueSort, ast::SortOrder::Ascending);
  EXPECT_FALSE(second.bracketedKeys);
  EXPECT_EQ(firstError("probe end { foreach ([a+, b-] in arr) x = 1 }"),
            "1:28: a foreach can sort by one thing only: remove all but one '+' or '-'");
}

// Issue 13's smaller forms reach the tree: a wrapping global, private
// declarations (private to the parsed file), glued strings with @N in
// them, a foreach sorted by an extractor, @variance with its shift, '>>>'.
TEST(Parse, WrapPrivateGluedStringsAggregateSortAndUnsignedShift) {
  auto p = parse("global w%[3], plain\nprivate x, y\nprivate function f() { }\n"
                 "probe begin { s = \"a\" /* c */ \"b\" @1 @# foreach (k in w @avg- limit 2) {} "
                 "v = @variance(w[1], 4) u = -1 >>> 60 }\n",
                 {"one"});
  ASSERT_NE(p->script, nullptr) << p->diags.render();
  auto &decls = p->script->decls;
  ASSERT_EQ(decls.size(), 4u);
  EXPECT_TRUE(decls[0].global->vars[0].wrap);
  EXPECT_EQ(decls[0].global->vars[0].arraySize, 3);
  EXPECT_FALSE(decls[0].global->vars[1].wrap);
  EXPECT_EQ(decls[0].global->vars[0].privateTo, nullptr);
  EXPECT_EQ(decls[1].global->vars.size(), 2u);
  EXPECT_EQ(decls[1].global->vars[1].privateTo, p->file.get());
  EXPECT_EQ(decls[2].function->privateTo, p->file.get());
  EXPECT_EQ(decls[3].file, p->file.get());
  auto &body = decls[3].probe->body->statements;
  auto *glued = ast::dyn<ast::StringLiteral>(
      ast::dyn<ast::AssignExpr>(ast::dyn<ast::ExprStmt>(body[0].get())->expr.get())->rhs.get());
  ASSERT_NE(glued, nullptr);
  EXPECT_EQ(glued->value, "abone1");
  auto *fe = ast::dyn<ast::ForeachStmt>(body[1].get());
  ASSERT_NE(fe, nullptr);
  EXPECT_EQ(fe->sortAggregate, ast::AtOp::Avg);
  EXPECT_EQ(fe->valueSort, ast::SortOrder::Descending);
  ASSERT_NE(fe->limit, nullptr);
  auto *variance = ast::dyn<ast::AtExpr>(
      ast::dyn<ast::AssignExpr>(ast::dyn<ast::ExprStmt>(body[2].get())->expr.get())->rhs.get());
  ASSERT_NE(variance, nullptr);
  EXPECT_EQ(variance->op, ast::AtOp::Variance);
  EXPECT_EQ(variance->args.size(), 2u);
  auto *shift = ast::dyn<ast::BinaryExpr>(
      ast::dyn<ast::AssignExpr>(ast::dyn<ast::ExprStmt>(body[3].get())->expr.get())->rhs.get());
  ASSERT_NE(shift, nullptr);
  EXPECT_EQ(shift->op, ast::BinaryOp::UShr);
}

TEST(Parse, ProbePoints) {
  auto p = parse("probe kernel.function(\"vfs_*\").return?, module(\"ext4\").function(\"ext4_file_open\"),"
                 " syscall.*!, timer.ms(100), begin(-1) {}");
  ASSERT_NE(p->script, nullptr) << p->diags.render();
  auto &points = p->script->decls[0].probe->points;
  ASSERT_EQ(points.size(), 5u);
  EXPECT_EQ(points[0].components[2].name, "return");
  EXPECT_TRUE(points[0].optional);
  EXPECT_EQ(*points[1].components[0].string, "ext4");
  EXPECT_EQ(points[2].components[1].name, "*");
  EXPECT_TRUE(points[2].sufficient);
  EXPECT_EQ(*points[4].components[0].number, -1);
  EXPECT_EQ(firstError("probe sys *.x {}"), "1:11: a probe point name cannot contain spaces");
}

TEST(Parse, EmbeddedCodeNeedsGuruMode) {
  const char *script = "%{ #include <linux/sched.h> %}\nfunction f:long () %{ STAP_RETURN(1); %}\n";
  EXPECT_EQ(firstError(script), "1:1: embedded C code is allowed only in guru mode: use -g");
  auto p = parse(script, {}, true);
  ASSERT_NE(p->script, nullptr) << p->diags.render();
  EXPECT_EQ(*p->script->decls[1].function->embeddedCode, " STAP_RETURN(1); ");
}

TEST(Parse, SyntaxErrorsInPlainWords) {
  EXPECT_EQ(firstError("probe begin { printf(\"x\" }"), "1:26: expected ')' after function arguments, found '}'");
  EXPECT_EQ(firstError("function f(a, b {}"), "1:17: expected ')' after function parameters, found '{'");
  EXPECT_EQ(firstError("probe begin { x = }"), "1:19: expected an expression, found '}'");
  EXPECT_EQ(firstError("probe begin {\n  x = 1\n"), "3:1: expected '}' before end of file: a block is not closed");
  EXPECT_EQ(firstError("probe begin { if (x > 1 { } }"), "1:25: expected ')' after the condition, found '{'");
  EXPECT_EQ(firstError("foo bar"), "1:1: expected 'probe', 'global', 'private' or 'function', found 'foo'");
  EXPECT_EQ(firstError("probe begin { s = \"abc }"), "1:19: unterminated string: a '\"' is missing on this line");
  EXPECT_EQ(firstError("probe begin { } /* never closed"), "1:17: unterminated comment: '*/' is missing");
  EXPECT_EQ(firstError("probe begin { x = 1 ` }"), "1:21: invalid character '`'");
  EXPECT_EQ(firstError("probe begin { x = @kast(p, \"t\") }"),
            "1:19: unknown operator '@kast': mstap knows @count, @sum, @min, @max, @avg, @variance, @hist_log, "
            "@hist_linear, @defined, @entry, @cast, @container_of, @module_container_of and @var");
  EXPECT_EQ(firstError("probe begin { x = @cast(p) }"),
            "1:19: @cast takes a pointer, a type name and optionally a module (@cast(p, \"struct T\"[, "
            "\"kernel\"])), not 1 argument");
  EXPECT_EQ(firstError("probe begin { x = &p }"),
            "1:19: '&' takes the address of a target variable or @cast member ('&$p->member', "
            "'&@cast(p, \"struct T\")->member'), not of other expressions");
  EXPECT_EQ(firstError("probe begin { x = @hist_linear(s, 1) }"), "1:19: @hist_linear takes 4 arguments, not 2");
}

TEST(Parse, SeveralErrorsInOneRun) {
  auto p = parse("probe begin { x = }\nprobe end { y = ) }\nfunction f( {}\n");
  EXPECT_EQ(p->script, nullptr);
  EXPECT_GE(p->diags.errorCount(), 3u) << p->diags.render();
}

TEST(Parse, HostileInputIsRefusedNotFatal) {
  EXPECT_NE(firstError("probe begin { x = " + std::string(100000, '(') + " }").find("nests too deeply"),
            std::string::npos);
  std::string minuses;
  for (int i = 0; i < 50000; ++i)
    minuses += "- ";
  EXPECT_NE(firstError("probe begin { x = " + minuses + "1 }").find("nests too deeply"), std::string::npos);
  std::string sum = "probe begin { x = 1", product = sum;
  for (int i = 0; i < 20000; ++i)
    sum += "+1", product += "*1";
  EXPECT_NE(firstError(sum + " }").find("nests too deeply"), std::string::npos);
  EXPECT_NE(firstError(product + " }").find("nests too deeply"), std::string::npos);
  // Long chains below the depth bound parse in linear time, inside brackets or not.
  std::string bracketed = "probe begin { x = (1", many = "probe begin {";
  std::string flat = "probe begin { x = 1", increments = "probe begin { x";
  for (int i = 0; i < 2000; ++i)
    bracketed += "+1", flat += "-1", many += " x = x + 1 - 1", increments += "++";
  EXPECT_NE(parse(bracketed + ") }")->script, nullptr);
  EXPECT_NE(parse(flat + " }")->script, nullptr);
  EXPECT_NE(parse(increments + " }")->script, nullptr);
  EXPECT_NE(parse(many + " }")->script, nullptr);
  EXPECT_NE(firstError(std::string("probe begin { x = \"\xff\" }")).find("not UTF-8"), std::string::npos);
  EXPECT_EQ(firstError(std::string("probe begin { x = 1\0 }", 23)), "1:20: invalid character U+0000");
}

// A syntax tree too deep, though no chain is too long nor nesting too deep:
// that is the one error, even after a declaration the transform rejects
// (each declaration is turned into the AST as soon as it is parsed).
TEST(Parse, TreeDepthComesBeforeTransformErrors) {
  std::string deep = "((1";
  for (int i = 0; i < 2000; ++i)
    deep += "+1";
  deep += ")";
  for (int i = 0; i < 2000; ++i)
    deep += "+1";
  deep += ")";
  auto p = parse("probe begin { z = \"bad \\q\" }\nprobe end { y = " + deep + " }\n");
  EXPECT_EQ(p->script, nullptr);
  ASSERT_EQ(p->diags.all().size(), 1u) << p->diags.render();
  const Diagnostic &d = p->diags.all().front();
  EXPECT_EQ(d.loc.line, 2u);
  EXPECT_NE(d.message.find("its syntax tree is more than 3000 levels deep"), std::string::npos) << d.message;
  // The transform's errors, in order, when the tree is not too deep.
  EXPECT_EQ(firstError("probe begin { z = \"bad \\q\" }\nprobe end { y = \"\\w\" }\n"),
            firstError("probe begin { z = \"bad \\q\" }\n"));
  auto two = parse("probe begin { z = \"bad \\q\" }\nprobe end { y = \"\\w\" }\n");
  ASSERT_EQ(two->diags.all().size(), 2u) << two->diags.render();
  EXPECT_EQ(two->diags.all()[0].loc.line, 1u);
  EXPECT_EQ(two->diags.all()[1].loc.line, 2u);
}

// parseScript answers most of ANTLR's prediction requests itself from
// ANTLR's DFA (parser.cpp); every answer must be ANTLR's. Every script in the
// tree, cut short (which sends the parse to full LL after SLL fails), and
// the fuzz corpus; each twice, the second time with the DFA warm.
TEST(Parse, OwnPredictionsAgreeWithAntlrs) {
  namespace fs = std::filesystem;
  fs::path root = fs::path(__FILE__).parent_path().parent_path().parent_path(); // compiler/parse/parser_test.cpp
  std::vector<std::string> texts;
  for (const char *dir : {"examples", "tests"})
    for (const auto &entry : fs::recursive_directory_iterator(root / dir)) {
      bool script = entry.path().extension() == ".stp";
      bool corpus = entry.path().parent_path().filename() == "corpus";
      if (!entry.is_regular_file() || (!script && !corpus))
        continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      texts.push_back(text);
      if (script)
        for (size_t cut : {text.size() / 3, text.size() / 2, text.size() * 2 / 3})
          texts.push_back(text.substr(0, cut));
    }
  ASSERT_GT(texts.size(), 400u);
  PredictionCheck &check = predictionCheck();
  check = {};
  check.enabled = true;
  for (int round = 0; round < 2; ++round)
    for (const std::string &text : texts)
      parse(text, {"sometext", "42"}, true);
  check.enabled = false;
  EXPECT_GT(check.checked, 10000u);
  EXPECT_EQ(check.mismatches, 0u) << "of " << check.checked;
}

TEST(ParseInteger, Forms) {
  int64_t v = 0;
  EXPECT_EQ(parseInteger("0", v), "");
  EXPECT_EQ(v, 0);
  EXPECT_EQ(parseInteger("0777", v), "");
  EXPECT_EQ(v, 511);
  EXPECT_EQ(parseInteger("0XfF", v), "");
  EXPECT_EQ(v, 255);
  EXPECT_NE(parseInteger("0x", v), "");
  EXPECT_NE(parseInteger("", v), "");
}
