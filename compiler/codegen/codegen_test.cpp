// Pass 3 units: what the generated C must contain for a few small scripts,
// and the errors pass 3 itself reports. The whole files are built against
// real kernel headers by tests/codegen/build-clean.sh and run in the VM by
// tests/e2e.
#include "codegen/codegen.h"
#include "parse/parser.h"
#include "sema/pass2.h"

#include <gtest/gtest.h>

#include <map>

using namespace mstap;

namespace {
struct Translated {
  std::unique_ptr<SourceFile> file;
  std::unique_ptr<ast::Script> script;
  Diagnostics diags;
  bool analyzed = false; // pass 2 accepted it (else pass 3 did not run)
  codegen::CodegenResult result;
};

std::unique_ptr<Translated> translate(const std::string &text) {
  auto t = std::make_unique<Translated>();
  t->file = std::make_unique<SourceFile>("t.stp", text);
  t->script = parseScript(*t->file, {}, t->diags);
  if (!t->script)
    return t;
  ElaborateResult elaborated = analyzeScript(*t->script, {}, nullptr, t->diags);
  t->analyzed = elaborated.ok;
  if (!elaborated.ok)
    return t;
  t->result = codegen::generateC(*t->script, elaborated, "t.stp", t->diags);
  return t;
}

bool contains(const std::string &text, const std::string &part) { return text.find(part) != std::string::npos; }
} // namespace

TEST(Codegen, CStringLiteralsHoldExactlyTheBytes) {
  EXPECT_EQ(codegen::cStringLiteral("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
  // Three octal digits, so that a digit after the byte cannot join the escape.
  EXPECT_EQ(codegen::cStringLiteral(std::string("\x01" "7", 2)), "\"\\0017\"");
  EXPECT_EQ(codegen::cStringLiteral("\xff"), "\"\\377\"");
  // No trigraph can form.
  EXPECT_EQ(codegen::cStringLiteral("?\?="), "\"\\?\\?=\"");
}

// Reads a literal cStringLiteral wrote back into its bytes, the way a C
// compiler does (only the escapes it uses: \" \\ \n \t \? \ooo); false
// when the literal is not one a compiler would read so.
bool readCLiteral(const std::string &literal, std::string &bytes) {
  if (literal.size() < 2 || literal.front() != '"' || literal.back() != '"')
    return false;
  for (size_t i = 1; i + 1 < literal.size(); ++i) {
    unsigned char ch = static_cast<unsigned char>(literal[i]);
    if (ch == '"' || ch < 0x20 || ch >= 0x7f)
      return false; // an unescaped quote ends the literal early; raw bytes are not portable
    if (ch != '\\') {
      bytes += static_cast<char>(ch);
      continue;
    }
    char e = literal[++i];
    if (e == '"' || e == '\\' || e == '?')
      bytes += e;
    else if (e == 'n')
      bytes += '\n';
    else if (e == 't')
      bytes += '\t';
    else if (e >= '0' && e <= '7' && i + 2 < literal.size() - 1) {
      bytes += static_cast<char>((e - '0') * 64 + (literal[i + 1] - '0') * 8 + (literal[i + 2] - '0'));
      i += 2;
    } else
      return false;
  }
  return true;
}

TEST(Codegen, CStringLiteralsHoldEveryByte) {
  // Each byte alone, then each between digits and quotes.
  for (int b = 0; b < 256; ++b) {
    for (const std::string &bytes : {std::string(1, char(b)), "7" + std::string(1, char(b)) + "7\"?"}) {
      std::string back;
      ASSERT_TRUE(readCLiteral(codegen::cStringLiteral(bytes), back)) << b;
      EXPECT_EQ(back, bytes) << b;
    }
  }
}

TEST(Codegen, CommentsEndWhereTheyShould) {
  EXPECT_EQ(codegen::cComment("probe begin at a.stp:1:1"), "/* probe begin at a.stp:1:1 */");
  EXPECT_EQ(codegen::cComment("a*/ x; /*b"), "/* a*\\/ x; /\\*b */");
  EXPECT_EQ(codegen::cComment("b*\\\n/c"), "/* b*\\\\\\x0a/c */");
  // Every pair of bytes, and each byte at both ends: one comment opener, at
  // the start; one closer, at the end; only printable ASCII; no backslash
  // that could splice a line.
  for (int a = 0; a < 256; ++a)
    for (int b = 0; b < 256; ++b) {
      std::string text{char(a), char(b)};
      std::string c = codegen::cComment(text);
      ASSERT_EQ(c.find("/*"), 0u) << a << " " << b;
      ASSERT_EQ(c.find("/*", 1), std::string::npos) << a << " " << b;
      ASSERT_EQ(c.find("*/"), c.size() - 2) << a << " " << b;
      for (char ch : c)
        ASSERT_TRUE(ch >= 0x20 && ch < 0x7f) << a << " " << b;
    }
}

TEST(Codegen, LocksCoverWhatAHandlerTouchesThroughItsCalls) {
  // The probe reads `a` and, through f, writes `b`: shared lock on a (0),
  // exclusive on b (1); `c` (2), untouched, is not locked.
  auto t = translate("global a, b, c\nfunction f() { b = 2 }\n"
                     "probe begin { x = a + 0; f(); println(x) }\nprobe end { c = 1; println(c) }\n");
  ASSERT_TRUE(t->result.ok) << t->diags.render();
  const std::string &c = t->result.c;
  EXPECT_TRUE(contains(c, "static const struct mstap_lock_use probe_0_begin_locks[] = { { 0, 0 }, { 1, 1 } };")) << c;
  EXPECT_TRUE(contains(c, "static const struct mstap_lock_use probe_1_end_locks[] = { { 2, 1 } };")) << c;
}

TEST(Codegen, EveryStatementCountsAnActionAndFailuresUnwind) {
  auto t = translate("probe begin { x = 10; y = 0; println(x / y) }\n");
  ASSERT_TRUE(t->result.ok) << t->diags.render();
  const std::string &c = t->result.c;
  EXPECT_TRUE(contains(c, "MSTAP_ACTION(\"t.stp:1:15\", out);")) << c;
  EXPECT_TRUE(contains(c, "= mstap_divide(c, f->l_x, f->l_y);")) << c;
  EXPECT_TRUE(contains(c, "MSTAP_CHECK(\"t.stp:1:40\", out);")) << c;
}

TEST(Codegen, ReadsBeforeALaterChangeAreTakenFirst) {
  // stap evaluates left to right: x is read before x++ changes it.
  auto t = translate("probe begin { x = 1; println(x + x++) }\n");
  ASSERT_TRUE(t->result.ok) << t->diags.render();
  const std::string &c = t->result.c;
  size_t read = c.find("= f->l_x;\n");
  size_t increment = c.find("f->l_x = (s64)((u64)");
  ASSERT_NE(read, std::string::npos) << c;
  ASSERT_NE(increment, std::string::npos) << c;
  EXPECT_LT(read, increment);
}

TEST(Codegen, ArraysStatisticsAndTheirLayouts) {
  auto t = translate("global a[100], s, h\nprobe begin { a[\"k\", 1] = 5; s <<< 3; h <<< 4;\n"
                     "println(a[\"k\", 1], @count(s)); print(@hist_linear(h, 0, 100, 10)) }\n");
  ASSERT_TRUE(t->result.ok) << t->diags.render();
  const std::string &c = t->result.c;
  EXPECT_TRUE(contains(c, "static const struct mstap_map_layout mstap_map_layout_g_a = { 2, { MSTAP_TYPE_STRING, "
                          "MSTAP_TYPE_LONG }, MSTAP_TYPE_LONG, NULL };"))
      << c;
  EXPECT_TRUE(contains(c, "mstap_map_create(&mstap_g.g_a, &mstap_map_layout_g_a, 100, error)")) << c;
  EXPECT_TRUE(contains(c, "mstap_map_declare_size(&mstap_g.g_a, \"Array overflow, check size limit (100)\")")) << c;
  EXPECT_TRUE(contains(c, "mstap_layout_g_s = MSTAP_STAT_LAYOUT_PLAIN;")) << c;
  EXPECT_TRUE(contains(c, "mstap_layout_g_h = MSTAP_STAT_LAYOUT_LINEAR(0LL, 100LL, 10LL);")) << c;
  EXPECT_TRUE(contains(c, "mstap_hist_print(&c->out, mstap_pstat_read(&mstap_g.g_h), &mstap_layout_g_h, &c->error);"))
      << c;
}

TEST(Codegen, GlobalsWrittenAndNeverReadAreListedAtTheEnd) {
  auto t = translate("global n, s, never_written, read_too\nprobe begin { n = 5; s = \"x\"; read_too = 1; "
                     "println(read_too, never_written + 0) }\n");
  ASSERT_TRUE(t->result.ok) << t->diags.render();
  const std::string &c = t->result.c;
  EXPECT_TRUE(contains(c, "\"n=%#x\\n\"")) << c;
  EXPECT_TRUE(contains(c, "\"s=\\\"%s\\\"\\n\"")) << c;
  EXPECT_FALSE(contains(c, "read_too=")) << c;
  EXPECT_FALSE(contains(c, "never_written=")) << c;
  EXPECT_TRUE(contains(c, ".handler = probe_dump_globals, .priority = 0LL,")) << c;
}

// What pass 3 could not translate, pass 2 refuses: pass 3 never runs.
TEST(Codegen, Pass2RefusesWhatCannotBeTranslatedWithTheLocation) {
  auto t = translate("global h\nprobe begin { h <<< 1; print(@hist_log(h)); print(@hist_linear(h, 0, 10, 1)) }\n");
  EXPECT_FALSE(t->analyzed);
  std::string text = t->diags.render();
  EXPECT_TRUE(contains(text, "t.stp:2:51: error: 'h' is printed as two different histograms")) << text;

  auto timer = translate("probe timer.ns(1000) { }\n");
  EXPECT_FALSE(timer->analyzed);
  EXPECT_TRUE(contains(timer->diags.render(), "under 100 microseconds")) << timer->diags.render();

  auto conditions = translate("global a, b\nprobe begin if (a), end if (b) { println(1) }\n"
                               "probe begin { a = 1; b = 1 }\n");
  EXPECT_FALSE(conditions->analyzed);
  EXPECT_TRUE(contains(conditions->diags.render(), "t.stp:2:21: error: the points of one probe must share"))
      << conditions->diags.render();

  auto never = translate("probe never { println(1) }\n");
  EXPECT_FALSE(never->analyzed);
  EXPECT_TRUE(contains(never->diags.render(), "no probes to run")) << never->diags.render();
}

namespace {
// vfs_read(struct file *file, char *buf, size_t count, loff_t *pos) and
// do_thing(short flag), with struct file { ...; unsigned int f_flags at 32 }.
// The kernel's source and the types' source, as the BTF reader is both.
struct FakeKernel : FunctionSource, TypeSource {
  std::map<uint32_t, CType> types;

  CType type(uint32_t id, CType::Kind kind, const char *spelling, uint32_t size, bool isSigned) {
    CType t;
    t.kind = kind;
    t.spelling = spelling;
    t.size = size;
    t.isSigned = isSigned;
    t.source = this;
    t.id = id;
    return types[id] = t;
  }

  FakeKernel() {
    using K = CType::Kind;
    type(1, K::Pointer, "struct file*", 8, false);
    type(2, K::Struct, "struct file", 232, false);
    type(3, K::Integer, "unsigned int", 4, false);
    type(4, K::Pointer, "char*", 8, false);
    type(5, K::Integer, "size_t", 8, false);
    type(6, K::Pointer, "loff_t*", 8, false);
    type(7, K::Integer, "ssize_t", 8, true);
    type(8, K::Integer, "short", 2, true);
  }

  bool matchKernel(const std::string &, const std::string &, const std::string &pattern,
                   std::vector<KernelMatch> &out, std::string &) const override {
    out.push_back({"", pattern, nullptr});
    return true;
  }

  std::optional<CPrototype> prototype(const ResolvedProbe &point) const override {
    if (point.kernel->function == "do_thing")
      return CPrototype{{{"flag", types.at(8)}}, types.at(7)};
    return CPrototype{{{"file", types.at(1)}, {"buf", types.at(4)}, {"count", types.at(5)}, {"pos", types.at(6)}},
                      types.at(7)};
  }

  std::optional<CType> pointee(const CType &t) const override {
    if (t.id == 1)
      return types.at(2);
    return std::nullopt;
  }

  std::vector<CMember> members(const CType &t) const override {
    return t.id == 2 ? std::vector<CMember>{{"f_flags", 256, 0, types.at(3)}} : std::vector<CMember>{};
  }
};

std::unique_ptr<Translated> translateWithKernel(const std::string &text) {
  static FakeKernel source;
  auto t = std::make_unique<Translated>();
  t->file = std::make_unique<SourceFile>("t.stp", text);
  t->script = parseScript(*t->file, {}, t->diags);
  if (!t->script)
    return t;
  ElaborateOptions options;
  options.kernel = &source;
  options.guru = true;
  ElaborateResult elaborated = analyzeScript(
      *t->script, options,
      [](const std::vector<ResolvedProbe> &, const ast::TargetExpr &target) { return target.name == "$count"; },
      t->diags);
  t->analyzed = elaborated.ok;
  if (!elaborated.ok)
    return t;
  t->result = codegen::generateC(*t->script, elaborated, "t.stp", t->diags);
  return t;
}
} // namespace

TEST(Codegen, TargetVariablesReadRegistersAndMembers) {
  auto t = translateWithKernel("probe kernel.function(\"vfs_read\") {\n"
                               "  println($count, $file->f_flags, $$parms)\n"
                               "  if (@defined($nope)) println($nope)\n}\n"
                               "probe kernel.function(\"do_thing\") { println($flag) }\n"
                               "probe kernel.function(\"vfs_read\").return { println($return) }\n");
  ASSERT_TRUE(t->result.ok) << t->diags.render();
  const std::string &c = t->result.c;
  EXPECT_TRUE(contains(c, "s64 t0 = (s64)(mstap_reg_arg(c, 2)); /* $count */")) << c;
  EXPECT_TRUE(contains(c, "s64 t1 = (s64)(mstap_reg_arg(c, 0)); /* $file */")) << c;
  EXPECT_TRUE(contains(c, "t1 = mstap_target_read(c, (u64)t1 + 32ULL, 4, 0);")) << c;
  EXPECT_TRUE(contains(c, "\"file=%#x buf=%#x count=%#x pos=%#x\"")) << c;
  EXPECT_TRUE(contains(c, "(s64)(s16)(mstap_reg_arg(c, 0)); /* $flag */")) << c;
  EXPECT_TRUE(contains(c, "(s64)(mstap_reg_return(c)); /* $return */")) << c;
  EXPECT_FALSE(contains(c, "$nope")) << c; // @defined folded to 0: the branch is gone
}

// Guru mode: a parameter's register or $return's register; kernel memory
// (a member, a stack argument) is refused, as is a parameter of a .return
// probe (an entry copy) and a tracepoint's argument (a copy).
TEST(Codegen, WritingTargetVariablesInGuruMode) {
  auto t = translateWithKernel("probe kernel.function(\"vfs_read\") { $count = 4; $count++ }\n"
                               "probe kernel.function(\"vfs_read\").return { $return = -5 }\n");
  ASSERT_TRUE(t->result.ok) << t->diags.render();
  const std::string &c = t->result.c;
  EXPECT_TRUE(contains(c, "s64 t0 = 4LL;")) << c;
  EXPECT_TRUE(contains(c, "mstap_reg_set_arg(c, 2, t0); /* $count */")) << c;
  EXPECT_TRUE(contains(c, "mstap_reg_set_return(c, t")) << c;
  auto r = translateWithKernel("probe kernel.function(\"vfs_read\").return { $count = 1 }\n"
                               "probe kernel.function(\"vfs_read\") { $file->f_flags |= 1 }\n");
  EXPECT_FALSE(r->analyzed);
  std::string text = r->diags.render();
  EXPECT_TRUE(contains(text, "'$count' cannot be written in a .return probe")) << text;
  EXPECT_TRUE(contains(text, "'$file' cannot be written: it is kernel memory")) << text;
}
