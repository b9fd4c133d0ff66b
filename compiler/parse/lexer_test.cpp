// The hand-written lexer (parse/lexer.cpp) against the grammar's own,
// ANTLR's StapLexer: every script in the tree, the fuzz corpus, hand-picked
// corner cases and random text must give the same tokens (type, text, line,
// column, start and stop index) and the same diagnostics from both.
#include "parse/lexer.h"
#include "parse/parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>

using namespace mstap;
namespace fs = std::filesystem;

namespace {

// The checkout, from where this file was compiled.
fs::path sourceRoot() {
  fs::path self = fs::path(__FILE__);
  return self.parent_path().parent_path().parent_path(); // compiler/parse/lexer_test.cpp
}

std::string readFile(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string describe(const TokenRecord &t) {
  std::ostringstream out;
  out << tokenTypeName(t.type) << " '" << t.text << "' at " << t.line << ":" << t.column << " [" << t.start
      << ".." << static_cast<long long>(t.stop) << "]";
  return out.str();
}

std::vector<std::string> diagnosticLines(const Diagnostics &diags) {
  std::vector<std::string> lines;
  for (const Diagnostic &d : diags.all())
    lines.push_back(std::to_string(static_cast<int>(d.severity)) + " " + std::to_string(d.loc.line) + ":" +
                    std::to_string(d.loc.column) + " " + d.message);
  return lines;
}

// Whether parseScript would lex the text at all.
bool lexable(const std::string &text) {
  size_t bad = 0;
  return text.size() <= maxScriptBytes && !findInvalidUtf8(text, bad);
}

// Both lexers on one text; on a difference, the first differing token.
::testing::AssertionResult sameTokens(const std::string &name, const std::string &text) {
  SourceFile file(name, text);
  Diagnostics antlrDiags, handDiags;
  std::vector<TokenRecord> expected = lexWithAntlr(file, antlrDiags);
  std::vector<TokenRecord> actual = lexByHand(file, handDiags);
  size_t n = std::min(expected.size(), actual.size());
  for (size_t i = 0; i < n; ++i)
    if (!(expected[i] == actual[i]))
      return ::testing::AssertionFailure() << name << ": token " << i << ": StapLexer has " << describe(expected[i])
                                           << ", the hand-written lexer " << describe(actual[i]);
  if (expected.size() != actual.size())
    return ::testing::AssertionFailure() << name << ": StapLexer makes " << expected.size()
                                         << " tokens, the hand-written lexer " << actual.size();
  std::vector<std::string> expectedDiags = diagnosticLines(antlrDiags), actualDiags = diagnosticLines(handDiags);
  if (expectedDiags != actualDiags) {
    auto failure = ::testing::AssertionFailure() << name << ": the diagnostics differ.\nStapLexer:\n";
    for (const auto &line : expectedDiags)
      failure << "  " << line << "\n";
    failure << "hand-written:\n";
    for (const auto &line : actualDiags)
      failure << "  " << line << "\n";
    return failure;
  }
  return ::testing::AssertionSuccess();
}

// Every file under `dir` (recursively) whose name ends in `suffix` ("" for all).
std::vector<fs::path> filesUnder(const fs::path &dir, const std::string &suffix) {
  std::vector<fs::path> files;
  for (const auto &entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file())
      continue;
    std::string name = entry.path().filename().string();
    if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

} // namespace

TEST(Lexer, ScriptsInTheTree) {
  fs::path root = sourceRoot();
  ASSERT_TRUE(fs::is_directory(root / "examples")) << "no examples/ under " << root;
  size_t compared = 0;
  for (const char *dir : {"examples", "tests"})
    for (const fs::path &path : filesUnder(root / dir, ".stp")) {
      std::string text = readFile(path);
      if (!lexable(text))
        continue;
      EXPECT_TRUE(sameTokens(path.string(), text));
      ++compared;
    }
  EXPECT_GE(compared, 50u);
}

TEST(Lexer, FuzzCorpus) {
  fs::path corpus = sourceRoot() / "tests" / "fuzz" / "corpus";
  ASSERT_TRUE(fs::is_directory(corpus)) << corpus;
  size_t compared = 0, skipped = 0;
  for (const fs::path &path : filesUnder(corpus, "")) {
    std::string text = readFile(path);
    if (!lexable(text)) {
      ++skipped; // refused before lexing: not UTF-8, or too large
      continue;
    }
    EXPECT_TRUE(sameTokens(path.string(), text));
    ++compared;
  }
  EXPECT_GE(compared, 200u) << skipped << " skipped";
}

TEST(Lexer, CornerCases) {
  const char *cases[] = {
      "",
      " ",
      "\n",
      "x",
      "probe begin { printf(\"hello world\\n\") exit() }",
      // Longest match among operators.
      "a<<<b a<<=b a<<b a<b a<=b a<<<=b a>>=b a>>b a->b a-->b a---b a-=b",
      "++ -- + - += -= ... .= .5 == = != ! && & &= || | |= ^ ^= ~ * *= / /= % %= ? : ; , ( ) [ ] { }",
      // Keywords and the identifiers that begin with them.
      "probe probes global globals function functions if iff else elsewhere in int next nextval return "
      "returned delete deleted while whiles for foreach foreachx break continue try catch limit limits _ _a a_1",
      // Numbers, and junk that is one token.
      "0 1 12 0x1F 0777 12ab 1_000 9z 0X 00",
      // Strings.
      "\"\" \"a\" \"\\\"\" \"\\\\\" \"a\\nb\" \"tab\\t\" \"\\x41\" \"é\" \"\\é\"",
      "\"abc",
      "\"abc\n\"def\"",
      "\"abc\r\n",
      "\"ab\\\ncd\"",
      "\"ab\\",
      "\"",
      "\"\\",
      // Target variables, arguments.
      "$a $$a $a$ $a$$ $a$$$ $$parms$ $$parms$$ $$ $$1 $ $1 $12ab $# $#x $$$ $- $\n$",
      "@a @1 @12 @# @count(x) @ @@ @- @\n@",
      "$é @é $$é",
      // Comments.
      "# comment\nx // comment\ny /* block */ z /**/ w /*/ v */ u",
      "/* unterminated",
      "/* a * b ** c *",
      "/*",
      "/*/",
      "x /* \n\n */ y",
      "#!/usr/bin/stap\nprobe begin {}",
      "#\r\nx",
      // Embedded C.
      "%{ code %} x",
      "%{ a % b %% c %} x",
      "%{%}",
      "%{",
      "%{ unterminated",
      "%{ a %",
      "%{ a %%",
      "% %= %}",
      // Characters that start no token, and what is skipped after them.
      "`", "\\", "x ` y", "a\\b", "\x01", "\x7f", "\t\f\v\r\n x",
      "é", "x é y", "日本語", "😀 x", "€$", "x\xC2\xA0y",
      "a $ b", "a $;b", "a $$; b", "a @; b", "a $\n b", "a $é b", "$😀x",
      // A byte order mark, and lines ending in \r\n.
      "\xEF\xBB\xBFprobe begin {}",
      "\xEF\xBB\xBF`",
      "\xEF\xBB\xBF",
      "probe begin {\r\n  x = 1\r\n}\r\n",
  };
  for (const char *text : cases)
    EXPECT_TRUE(sameTokens("case", text));
  EXPECT_TRUE(sameTokens("nul", std::string("a\0b \"x\0y\" /*\0*/", 15)));
}

// Random text from pieces that matter to the lexer.
TEST(Lexer, RandomText) {
  static const char *pieces[] = {
      " ", "\n", "\r", "\t", "\f", "\v", "a", "Z", "_", "x1", "probe", "in", "if", "0", "7", "0x", "12ab",
      "\"", "\\", "'", "#", "/", "*", "%", "{", "}", "$", "$$", "@", "#!", "<", ">", "=", "-", "+", ".", "&",
      "|", "^", "~", "!", "?", ":", ";", ",", "(", ")", "[", "]", "`", "é", "😀", "\xEF\xBB\xBF", "/*", "*/",
      "%{", "%}", "//", "<<<", "->", "$#", "@#", "$1", "@count",
      "", // a NUL character
  };
  constexpr size_t pieceCount = sizeof pieces / sizeof *pieces;
  std::mt19937 random(20240611);
  std::uniform_int_distribution<size_t> length(0, 24), piece(0, pieceCount - 1);
  size_t failures = 0;
  for (int round = 0; round < 20000 && failures < 10; ++round) {
    std::string text;
    for (size_t i = length(random); i > 0; --i) {
      const char *p = pieces[piece(random)];
      text += *p ? std::string(p) : std::string(1, '\0');
    }
    auto result = sameTokens("random", text);
    if (!result) {
      ++failures;
      ADD_FAILURE() << result.message() << "\ntext: \"" << text << "\"";
    }
  }
}
