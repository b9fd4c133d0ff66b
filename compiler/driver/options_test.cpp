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

TEST(Options, StapOptionsMstapHonours) {
  Options o;
  std::string error;
  ASSERT_TRUE(parse({"mstap", "-Wu", "-s", "3", "--dump-probe-types", "--color=never", "x.stp"}, o, error)) << error;
  EXPECT_TRUE(o.warningsAsErrors);
  EXPECT_TRUE(o.unoptimized);
  EXPECT_EQ(o.bufferMegabytes, 3);
  EXPECT_TRUE(o.dumpProbeTypes);
  EXPECT_EQ(o.colour, Options::Colour::Never);
  Options plain;
  ASSERT_TRUE(parse({"mstap", "--colour", "x.stp"}, plain, error)) << error;
  EXPECT_EQ(plain.colour, Options::Colour::Auto);
  EXPECT_EQ(plain.scriptFile, "x.stp");
  Options always;
  ASSERT_TRUE(parse({"mstap", "--color=always", "-g", "--suppress-time-limits", "x.stp"}, always, error)) << error;
  EXPECT_EQ(always.colour, Options::Colour::Always);
  EXPECT_TRUE(always.suppressTimeLimits);
}

TEST(Options, StapOptionsWithBadValues) {
  Options o;
  std::string error;
  EXPECT_FALSE(parse({"mstap", "-s", "0", "x.stp"}, o, error));
  EXPECT_EQ(error, "invalid buffer size '0' for -s: 1 to 1024 megabytes");
  EXPECT_FALSE(parse({"mstap", "-s", "2048", "x.stp"}, o, error));
  EXPECT_EQ(error, "invalid buffer size '2048' for -s: 1 to 1024 megabytes");
  EXPECT_FALSE(parse({"mstap", "--color=sometimes", "x.stp"}, o, error));
  EXPECT_EQ(error, "invalid colour setting 'sometimes' for --color: always, never or auto");
  // stap asks for guru mode too: without MAXACTION a probe can loop forever.
  EXPECT_FALSE(parse({"mstap", "--suppress-time-limits", "x.stp"}, o, error));
  EXPECT_EQ(error, "--suppress-time-limits needs guru mode (-g): without the limits a probe may run forever");
}

// stap's options mstap does not have say so, and why.
TEST(Options, RefusedStapOptionsSayWhy) {
  Options o;
  std::string error;
  EXPECT_FALSE(parse({"mstap", "-b", "x.stp"}, o, error));
  EXPECT_EQ(error, "stap's -b is not supported by mstap: mstap's runtime has one output ring, not per-CPU bulk "
                   "files; -o FILE writes the output to a file");
  EXPECT_FALSE(parse({"mstap", "-vd", "/bin/ls", "x.stp"}, o, error));
  EXPECT_EQ(error.substr(0, 39), "stap's -d is not supported by mstap: ms");
  EXPECT_FALSE(parse({"mstap", "--ldd=yes", "x.stp"}, o, error));
  EXPECT_EQ(error.substr(0, 42), "stap's --ldd is not supported by mstap: ms");
}
