// Strings: fixed buffers, truncation, and stap's string functions. Expected
// values come from stap's documented behaviour and its testsuite
// (systemtap.string/*.exp), noted where used.
#include "test_support.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace {

constexpr u32 kLimit = MSTAP_MAXSTRINGLEN - 1;

// A buffer with a canary after it, to catch any write past the end.
struct Buffer {
  Buffer() { std::memset(bytes, '#', sizeof(bytes)); }
  char *text() { return bytes; }
  bool canary_intact() const {
    for (size_t i = MSTAP_MAXSTRINGLEN; i < sizeof(bytes); i++)
      if (bytes[i] != '#')
        return false;
    return true;
  }
  char bytes[MSTAP_MAXSTRINGLEN + 32];
};

TEST(String, DefaultLimitIs512ByteBuffers) {
  EXPECT_EQ(MSTAP_MAXSTRINGLEN, 512);
  EXPECT_EQ(kLimit, 511u);
}

TEST(String, LengthStopsAtTheLimit) {
  std::string longer(2000, 'x');
  EXPECT_EQ(mstap_string_length(""), 0u);
  EXPECT_EQ(mstap_string_length("abc"), 3u);
  EXPECT_EQ(mstap_string_length(longer.c_str()), kLimit);
}

TEST(String, CopyTruncatesAndTerminates) {
  Buffer b;
  std::string longer(600, 'a');
  mstap_string_copy(b.text(), longer.c_str());
  EXPECT_EQ(std::strlen(b.text()), kLimit);
  EXPECT_TRUE(b.canary_intact());
  mstap_string_copy(b.text(), "short");
  EXPECT_STREQ(b.text(), "short");
  mstap_string_copy(b.text(), b.text()); // s = s
  EXPECT_STREQ(b.text(), "short");
}

TEST(String, CopyFromInsideItself) {
  Buffer b;
  mstap_string_copy(b.text(), "hello world");
  mstap_string_copy(b.text(), b.text() + 6); // overlapping source
  EXPECT_STREQ(b.text(), "world");
}

TEST(String, AppendConcatenatesAndTruncates) {
  Buffer b;
  mstap_string_copy(b.text(), "foo");
  mstap_string_append(b.text(), "bar");
  EXPECT_STREQ(b.text(), "foobar");
  std::string longer(kLimit - 3, 'z');
  mstap_string_append(b.text(), longer.c_str());
  EXPECT_EQ(std::strlen(b.text()), kLimit);
  EXPECT_EQ(std::string(b.text(), 6), "foobar");
  mstap_string_append(b.text(), "more"); // full: nothing fits
  EXPECT_EQ(std::strlen(b.text()), kLimit);
  EXPECT_TRUE(b.canary_intact());
}

TEST(String, AppendToItself) {
  Buffer b;
  mstap_string_copy(b.text(), "ab");
  mstap_string_append(b.text(), b.text()); // s .= s
  EXPECT_STREQ(b.text(), "abab");
  for (int i = 0; i < 20; i++)
    mstap_string_append(b.text(), b.text());
  EXPECT_EQ(std::strlen(b.text()), kLimit);
  EXPECT_TRUE(b.canary_intact());
  for (u32 i = 0; i < kLimit; i++)
    ASSERT_EQ(b.text()[i], i % 2 ? 'b' : 'a');
}

TEST(String, CompareIsUnsignedBytewise) {
  EXPECT_EQ(mstap_string_compare("abc", "abc"), 0);
  EXPECT_LT(mstap_string_compare("abc", "abd"), 0);
  EXPECT_GT(mstap_string_compare("abd", "abc"), 0);
  EXPECT_LT(mstap_string_compare("ab", "abc"), 0);
  EXPECT_LT(mstap_string_compare("", "a"), 0);
  // 0xff sorts after 'a', as strcmp's unsigned comparison says.
  EXPECT_GT(mstap_string_compare("\xff", "a"), 0);
  EXPECT_GT(std::strcmp("\xff", "a"), 0);
}

// testsuite/systemtap.string/substr.stp and substr.exp
TEST(String, SubstrAsStapsTestsuite) {
  const char *s = "Hello World!";
  struct Case {
    s64 start, length;
    const char *expected;
  } cases[] = {
      {0, 0, ""},       {-1, 10, ""},    {10, 0, ""},     {0, 1, "H"},
      {1, 1, "e"},      {2, 1, "l"},     {2, 5, "llo W"}, {6, 1, "W"},
      {11, 1, "!"},     {11, 100, "!"},  {12, 1, ""},     {0, 10, "Hello Worl"},
      {0, 100, "Hello World!"},          {0, 100000, "Hello World!"},
  };
  for (const Case &c : cases) {
    Buffer b;
    mstap_string_substr(b.text(), s, c.start, c.length);
    EXPECT_STREQ(b.text(), c.expected) << c.start << "," << c.length;
  }
}

TEST(String, SubstrEdges) {
  Buffer b;
  mstap_string_substr(b.text(), "abc", 1, -5);
  EXPECT_STREQ(b.text(), "");
  mstap_string_substr(b.text(), "abc", INT64_MAX, INT64_MAX);
  EXPECT_STREQ(b.text(), "");
  mstap_string_substr(b.text(), "abc", 1, INT64_MAX);
  EXPECT_STREQ(b.text(), "bc");
  mstap_string_copy(b.text(), "overlap");
  mstap_string_substr(b.text(), b.text(), 4, 3); // s = substr(s, ...)
  EXPECT_STREQ(b.text(), "lap");
}

// testsuite/systemtap.string/isinstr.stp: "foo" is in "abcfoobad", not in
// "abcdefg"; "" is in "" (as strstr finds an empty needle).
TEST(String, Isinstr) {
  EXPECT_EQ(mstap_string_isinstr("abcfoobad", "foo"), 1);
  EXPECT_EQ(mstap_string_isinstr("abcdefg", "foo"), 0);
  EXPECT_EQ(mstap_string_isinstr("", ""), 1);
  EXPECT_EQ(mstap_string_isinstr("abc", ""), 1);
  EXPECT_EQ(mstap_string_isinstr("", "a"), 0);
  EXPECT_EQ(mstap_string_isinstr("ab", "abc"), 0);
  EXPECT_EQ(mstap_string_isinstr("xxabc", "abc"), 1);
  EXPECT_EQ(mstap_string_find("hello", "l"), 2);
}

TEST(String, ReplaceEveryOccurrenceLeftToRight) {
  Buffer b;
  mstap_string_replace(b.text(), "aaaa", "aa", "b");
  EXPECT_STREQ(b.text(), "bb");
  mstap_string_replace(b.text(), "aaa", "aa", "b");
  EXPECT_STREQ(b.text(), "ba");
  mstap_string_replace(b.text(), "abcabc", "c", "");
  EXPECT_STREQ(b.text(), "abab");
  mstap_string_replace(b.text(), "abc", "x", "y");
  EXPECT_STREQ(b.text(), "abc");
  mstap_string_replace(b.text(), "abc", "", "y"); // empty target: unchanged
  EXPECT_STREQ(b.text(), "abc");
  mstap_string_replace(b.text(), "", "", "y");
  EXPECT_STREQ(b.text(), "");
}

TEST(String, ReplaceTruncatesAtTheLimit) {
  Buffer b;
  std::string source(300, 'a');
  mstap_string_replace(b.text(), source.c_str(), "a", "xyz");
  EXPECT_EQ(std::strlen(b.text()), kLimit);
  EXPECT_EQ(std::string(b.text()), std::string(b.text(), kLimit));
  EXPECT_EQ(b.text()[kLimit - 1], 'x'); // 511 = 3 * 170 + 1: a cut replacement
  EXPECT_TRUE(b.canary_intact());
}

// The escapes text_str() writes: testsuite/systemtap.string/text_str.exp (the
// version with three octal digits: "\n\nXYZZY\031" gives \n\nXYZZY\031 and
// "\077\231\a\n\n\r\n" gives ?\231\a\n\n\r\n).
TEST(String, TextStrAsStapsTestsuite) {
  Buffer b;
  mstap_string_text_str(b.text(), "1234567890");
  EXPECT_STREQ(b.text(), "1234567890");
  mstap_string_text_str(b.text(), "\n\nXYZZY\031");
  EXPECT_STREQ(b.text(), "\\n\\nXYZZY\\031");
  mstap_string_text_str(b.text(), "\077\231\a\n\n\r\n");
  EXPECT_STREQ(b.text(), "?\\231\\a\\n\\n\\r\\n");
}

TEST(String, TextStrEscapes) {
  Buffer b;
  mstap_string_text_str(b.text(), "\a\b\f\n\r\t\v\"\\'");
  EXPECT_STREQ(b.text(), "\\a\\b\\f\\n\\r\\t\\v\\\"\\\\'");
  mstap_string_text_str(b.text(), "\x01\x7f\x80\xff ~");
  EXPECT_STREQ(b.text(), "\\001\\177\\200\\377 ~");
}

TEST(String, TextStrNeverSplitsAnEscape) {
  Buffer b;
  // 510 printable bytes, then a byte whose escape takes 4: it does not fit.
  std::string source(510, 'p');
  source += '\x01';
  mstap_string_text_str(b.text(), source.c_str());
  EXPECT_EQ(std::strlen(b.text()), 510u);
  // 100 newlines take 200 bytes; 300 of them would take 600.
  std::string newlines(300, '\n');
  mstap_string_text_str(b.text(), newlines.c_str());
  EXPECT_EQ(std::strlen(b.text()), 510u); // 255 whole escapes
  EXPECT_TRUE(b.canary_intact());
}

// testsuite/systemtap.string/strtol.exp, and the kernel's simple_strtol.
TEST(String, Strtol) {
  mstap_error error;
  mstap_error_clear(&error);
  EXPECT_EQ(mstap_string_strtol("1", 10, &error), 1);
  EXPECT_EQ(mstap_string_strtol("-1", 10, &error), -1);
  EXPECT_EQ(mstap_string_strtol("123456789", 10, &error), 123456789);
  EXPECT_EQ(mstap_string_strtol("-123456789", 10, &error), -123456789);
  EXPECT_EQ(mstap_string_strtol("abcdef", 10, &error), 0);
  EXPECT_EQ(mstap_string_strtol("1a2b3c4d5e6f7g8h9", 10, &error), 1);
  EXPECT_EQ(mstap_string_strtol("", 10, &error), 0);
  EXPECT_EQ(mstap_string_strtol("1000", 10, &error), 1000);
  EXPECT_EQ(mstap_string_strtol("1000", 16, &error), 4096);
  EXPECT_EQ(mstap_string_strtol("1000", 8, &error), 512);
  EXPECT_EQ(mstap_string_strtol("1000", 2, &error), 8);
  EXPECT_EQ(mstap_string_strtol(" 12", 10, &error), 0); // no white space skipped
  EXPECT_EQ(mstap_string_strtol("0x1F", 16, &error), 31);
  EXPECT_EQ(mstap_string_strtol("0x1F", 0, &error), 31);
  EXPECT_EQ(mstap_string_strtol("017", 0, &error), 15);
  EXPECT_EQ(mstap_string_strtol("0x", 0, &error), 0); // "0x" then no hex digit: octal 0
  EXPECT_EQ(mstap_string_strtol("-0x10", 0, &error), -16);
  EXPECT_EQ(mstap_string_strtol("zz", 36, &error), 35 * 36 + 35);
  EXPECT_EQ(mstap_string_strtol("9223372036854775807", 10, &error), INT64_MAX);
  EXPECT_EQ(mstap_string_strtol("-9223372036854775808", 10, &error), INT64_MIN);
  EXPECT_EQ(mstap_string_strtol("18446744073709551615", 10, &error), -1); // wraps
  EXPECT_EQ(error.message, nullptr);
}

TEST(String, StrtolBadBaseIsAnError) {
  mstap_error error;
  mstap_error_clear(&error);
  EXPECT_EQ(mstap_string_strtol("10", 1, &error), 0);
  ASSERT_NE(error.message, nullptr);
  EXPECT_STREQ(error.message, "strtol: base must be 0 or between 2 and 36");
  mstap_error_clear(&error);
  mstap_string_strtol("10", 37, &error);
  EXPECT_NE(error.message, nullptr);
  mstap_error_clear(&error);
  mstap_string_strtol("10", -16, &error);
  EXPECT_NE(error.message, nullptr);
}

TEST(String, FromLong) {
  Buffer b;
  s64 values[] = {0, 1, -1, 42, INT64_MAX, INT64_MIN, 1000000007};
  for (s64 v : values) {
    mstap_string_from_long(b.text(), v);
    EXPECT_EQ(std::string(b.text()), std::to_string(v));
  }
}

TEST(String, FirstErrorWins) {
  mstap_error error;
  mstap_error_clear(&error);
  EXPECT_EQ(mstap_raise(&error, -EINVAL, "first"), -EINVAL);
  mstap_raise(&error, -ENOSPC, "second");
  EXPECT_STREQ(error.message, "first");
  mstap_error_clear(&error);
  mstap_raise_address(&error, -EFAULT, "kernel read fault at ", 0x1000);
  EXPECT_STREQ(error.message, "kernel read fault at 0x0000000000001000");
  EXPECT_EQ(mstap_raise(nullptr, -EINVAL, "nowhere"), -EINVAL);
}

} // namespace
