#include "driver/options.h"

#include <gtest/gtest.h>

using namespace mstap;

namespace {
bool parse(std::vector<std::string> words, Options &o, std::string &error) {
  std::vector<char *> argv;
  for (auto &w : words)
    argv.push_back(w.data());
  argv.push_back(nullptr);
  return parseOptions(static_cast<int>(words.size()), argv.data(), o, error);
}
} // namespace

TEST(Options, ClusteredFlagsAndScriptText) {
  Options o;
  std::string error;
  ASSERT_TRUE(parse({"mstap", "-ve", "probe begin {}", "a", "-5"}, o, error)) << error;
  EXPECT_EQ(o.verbose, 1);
  EXPECT_EQ(*o.scriptText, "probe begin {}");
  EXPECT_EQ(o.args, (std::vector<std::string>{"a", "-5"}));
}

TEST(Options, ArgumentsAfterTheScriptAreNotOptions) {
  Options o;
  std::string error;
  ASSERT_TRUE(parse({"mstap", "-p1", "-g", "x.stp", "-p", "2"}, o, error)) << error;
  EXPECT_EQ(o.lastPass, 1);
  EXPECT_TRUE(o.guru);
  EXPECT_EQ(o.scriptFile, "x.stp");
  EXPECT_EQ(o.args, (std::vector<std::string>{"-p", "2"}));
}

TEST(Options, BadValuesAreErrors) {
  Options o;
  std::string error;
  EXPECT_FALSE(parse({"mstap", "-p", "7", "x.stp"}, o, error));
  EXPECT_EQ(error, "invalid pass number '7': -p takes 1 to 5");
  EXPECT_FALSE(parse({"mstap", "-p"}, o, error));
  EXPECT_EQ(error, "option -p needs an argument");
  EXPECT_FALSE(parse({"mstap", "-q", "x.stp"}, o, error));
  EXPECT_EQ(error, "unknown option -q");
  EXPECT_FALSE(parse({"mstap", "--frobnicate", "x.stp"}, o, error));
  EXPECT_EQ(error, "unknown option --frobnicate");
}

TEST(Options, LongOptions) {
  Options o;
  std::string error;
  ASSERT_TRUE(parse({"mstap", "--sysroot", "/tmp/root", "-r", "6.1.0-27-amd64", "--vm", "x.stp"}, o, error));
  EXPECT_EQ(o.sysroot, "/tmp/root");
  EXPECT_EQ(o.release, "6.1.0-27-amd64");
  EXPECT_TRUE(o.vm);
}
