// Built with MSTAP_MAXSTRINGLEN=128, as stap's testsuite runs str_replace.stp
// (-DMAXSTRINGLEN=128): results are cut at 127 bytes.
#include "test_support.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace {

static_assert(MSTAP_MAXSTRINGLEN == 128, "this file is built with MSTAP_MAXSTRINGLEN=128");

// testsuite/systemtap.string/str_replace.stp and str_replace.exp
TEST(StringShort, StrReplaceAsStapsTestsuite) {
  const char *long_str1 = "hello system tap";
  const char *long_str2 =
      "Here I am, on the road again. there I am, up on the stage, Here I go, "
      "playing star again. There I go, turn the page.- Bob Seger";
  char result[MSTAP_MAXSTRINGLEN];

  mstap_string_replace(result, long_str1, "system", "pointer");
  EXPECT_STREQ(result, "hello pointer tap");
  mstap_string_replace(result, long_str1, "hello", "pointer");
  EXPECT_STREQ(result, "pointer system tap");
  mstap_string_replace(result, long_str1, "tap", "pointer");
  EXPECT_STREQ(result, "hello system pointer");
  // "road" -> "bored" makes 128 bytes: the last one is cut.
  mstap_string_replace(result, long_str2, "road", "bored");
  EXPECT_STREQ(result, "Here I am, on the bored again. there I am, up on the stage, Here I go, "
                       "playing star again. There I go, turn the page.- Bob Sege");
  mstap_string_replace(result, long_str2, "Here", "here");
  EXPECT_STREQ(result, "here I am, on the road again. there I am, up on the stage, here I go, "
                       "playing star again. There I go, turn the page.- Bob Seger");
  mstap_string_replace(result, long_str2, "Bob Seger", "Metallica");
  EXPECT_STREQ(result, "Here I am, on the road again. there I am, up on the stage, Here I go, "
                       "playing star again. There I go, turn the page.- Metallica");
  // stap's "\0" is the empty string.
  mstap_string_replace(result, long_str1, "system", "");
  EXPECT_STREQ(result, "hello  tap");
  mstap_string_replace(result, long_str1, "", "pointer");
  EXPECT_STREQ(result, "hello system tap");
  mstap_string_replace(result, "", "", "pointer");
  EXPECT_STREQ(result, "");
  mstap_string_replace(result, "", "", "");
  EXPECT_STREQ(result, "");
}

TEST(StringShort, SprintfCutsAt127) {
  char result[MSTAP_MAXSTRINGLEN];
  std::string text(200, 'q');
  mstap_arg arg = mstap_arg_string(text.c_str());
  mstap_error error;
  mstap_error_clear(&error);
  EXPECT_EQ(mstap_sprintf(result, "<%s>", &arg, 1, &error), 0);
  EXPECT_EQ(std::strlen(result), 127u);
  EXPECT_EQ(result[0], '<');
  EXPECT_EQ(result[126], 'q');
}

TEST(StringShort, CopyCutsAt127) {
  char result[MSTAP_MAXSTRINGLEN + 1];
  result[MSTAP_MAXSTRINGLEN] = '#';
  std::string text(1000, 'w');
  mstap_string_copy(result, text.c_str());
  EXPECT_EQ(std::strlen(result), 127u);
  EXPECT_EQ(result[MSTAP_MAXSTRINGLEN], '#');
}

} // namespace
