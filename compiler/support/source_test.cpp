#include "support/diagnostics.h"
#include "support/source.h"

#include <gtest/gtest.h>

using namespace mstap;

TEST(SourceFile, LinesWithoutBreaks) {
  SourceFile f("x.stp", "one\r\ntwo\nthree");
  EXPECT_EQ(f.lineCount(), 3u);
  EXPECT_EQ(f.line(1), "one");
  EXPECT_EQ(f.line(2), "two");
  EXPECT_EQ(f.line(3), "three");
  EXPECT_EQ(f.line(4), "");
  EXPECT_EQ(f.line(0), "");
}

TEST(Utf8, FindsBadBytes) {
  size_t at = 0;
  EXPECT_FALSE(findInvalidUtf8("plain é ü 日本", at));
  EXPECT_TRUE(findInvalidUtf8("ab\xff", at));
  EXPECT_EQ(at, 2u);
  EXPECT_TRUE(findInvalidUtf8("\xc0\x80", at)); // overlong NUL
  EXPECT_TRUE(findInvalidUtf8("x\xe6\x97", at)); // truncated
  EXPECT_EQ(at, 1u);
  EXPECT_TRUE(findInvalidUtf8("\xed\xa0\x80", at)); // a surrogate
}

TEST(Utf8, LocationCountsCodePoints) {
  SourceLoc loc = locationOfOffset("é\n日本x", 9); // 'x': after "日本" on line 2
  EXPECT_EQ(loc.line, 2u);
  EXPECT_EQ(loc.column, 3u);
}

TEST(Diagnostics, CaretUnderCodePointColumn) {
  SourceFile f("x.stp", "s = \"日本\" + \n");
  Diagnostics d;
  d.error(&f, {1, 10}, "bad");
  EXPECT_EQ(d.render(), "x.stp:1:10: error: bad\ns = \"日本\" + \n         ^\n");
}

TEST(Diagnostics, TabsKeptInCaretLine) {
  SourceFile f("x.stp", "\tx = ;\n");
  Diagnostics d;
  d.error(&f, {1, 6}, "expected an expression");
  EXPECT_EQ(d.render(), "x.stp:1:6: error: expected an expression\n\tx = ;\n\t    ^\n");
}

TEST(Diagnostics, StopsAfterTheBound) {
  SourceFile f("x.stp", "x\n");
  Diagnostics d;
  for (int i = 0; i < 50; ++i)
    d.error(&f, {1, 1}, "e" + std::to_string(i));
  EXPECT_EQ(d.all().size(), Diagnostics::maxErrors + 1);
  EXPECT_EQ(d.all().back().message, "too many errors; stopping after 20");
  EXPECT_EQ(d.errorCount(), 50u);
}

// A body copied into several probes (an alias's) reports its error once,
// yet every copy counts as failed, so that no pass goes on with it.
TEST(Diagnostics, SaysARepeatedErrorOnceAndCountsEach) {
  SourceFile f("x.stp", "x\n");
  Diagnostics d;
  d.sayRepeatsOnce(true);
  for (int i = 0; i < 300; ++i)
    d.error(&f, {1, 1}, "same");
  d.note(&f, {1, 1}, "its note is dropped with it");
  d.error(&f, {1, 2}, "same");
  EXPECT_EQ(d.all().size(), 2u);
  EXPECT_EQ(d.errorCount(), 301u);
  EXPECT_FALSE(d.tooManyErrors());
}

// A location that names its file (a library script's node) wins over the
// file a check reports against (the user's script).
TEST(Diagnostics, LocationNamesItsFile) {
  SourceFile user("user.stp", "probe begin {}\n"), library("/lib/tapset.stp", "function f() { x }\n");
  Diagnostics d;
  d.error(&user, {1, 16, &library}, "unknown x");
  EXPECT_EQ(d.render(), "/lib/tapset.stp:1:16: error: unknown x\nfunction f() { x }\n               ^\n");
}

TEST(Diagnostics, WarningsCanBeTurnedOff) {
  Diagnostics d;
  d.setWarningsEnabled(false);
  d.warning(nullptr, {}, "w");
  d.note(nullptr, {}, "n"); // belongs to the dropped warning
  EXPECT_TRUE(d.all().empty());
  EXPECT_FALSE(d.hasErrors());
}

// A long line is quoted as a window around the caret, "..." at the cut
// ends, the caret still under its column.
TEST(Diagnostics, LongLinesAreCutAroundTheCaret) {
  std::string text = std::string(1000, 'a') + "X" + std::string(1000, 'b');
  SourceFile f("x.stp", text);
  Diagnostics d;
  d.error(&f, {1, 1001}, "here");
  std::string shown = "..." + std::string(100, 'a') + "X" + std::string(99, 'b') + "...";
  EXPECT_EQ(d.render(), "x.stp:1:1001: error: here\n" + shown + "\n" + std::string(103, ' ') + "^\n");
  // Near the start: cut at the end only.
  Diagnostics start;
  start.error(&f, {1, 3}, "here");
  EXPECT_EQ(start.render(), "x.stp:1:3: error: here\n" + std::string(200, 'a') + "...\n  ^\n");
  // Multi-byte code points are not split, and the caret counts them.
  std::string wide;
  for (int i = 0; i < 300; ++i)
    wide += "日";
  SourceFile w("w.stp", wide);
  Diagnostics d2;
  d2.error(&w, {1, 150}, "here");
  std::string out = d2.render();
  std::string quoted = out.substr(out.find('\n') + 1);
  quoted = quoted.substr(0, quoted.find('\n'));
  EXPECT_EQ(quoted.substr(0, 3), "...");
  EXPECT_EQ((quoted.size() - 6) % 3, 0u) << "whole code points only";
  std::string caret = out.substr(out.rfind('\n', out.size() - 2) + 1);
  size_t before = (quoted.size() - 6) / 3; // code points in the window
  EXPECT_LE(caret.size(), before + 3 + 2);
}

// Past maxWarnings the warnings are counted and summed up in one line.
TEST(Diagnostics, WarningsAreBounded) {
  SourceFile f("x.stp", "global a\n");
  Diagnostics d;
  for (int i = 0; i < 20000; ++i)
    d.warning(&f, {1, 8}, "eliding unused variable 'a'");
  EXPECT_EQ(d.all().size(), Diagnostics::maxWarnings);
  std::string text = d.render();
  EXPECT_NE(text.find("mstap: warning: 19900 more warnings not shown (only the first 100 are)\n"), std::string::npos);
  EXPECT_LT(text.size(), 100u * 80);
  EXPECT_FALSE(d.hasErrors());
}
