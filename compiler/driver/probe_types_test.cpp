#include "driver/probe_types.h"

#include "parse/parser.h"
#include "sema/elaborate.h"
#include "sema/probes/family.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

using namespace mstap;

namespace {
// A probe on TYPE with its parameters filled in: strings "x", numbers a
// period each timer accepts (at least 100 microseconds, at most 100 Hz).
std::string probeOn(const std::string &type) {
  std::string number = type.rfind("timer.ns", 0) == 0 ? "1000000" : type.rfind("timer.us", 0) == 0 ? "1000" : "100";
  std::string point = std::regex_replace(type, std::regex(R"(\(string\))"), "(\"x\")");
  point = std::regex_replace(point, std::regex(R"(\(number\))"), "(" + number + ")");
  return "probe " + point + " {}\n";
}
} // namespace

// Every line of --dump-probe-types is a point exactly one family claims;
// those needing no kernel or program resolve with no error.
TEST(ProbeTypes, EachTypeIsAProbePointOfOneFamily) {
  for (const std::string &type : probeTypes()) {
    SourceFile file("<types>", probeOn(type));
    Diagnostics diags;
    auto script = parseScript(file, {}, diags);
    ASSERT_TRUE(script) << type << "\n" << diags.render();
    const ast::ProbePoint &pp = script->decls.at(0).probe->points.at(0);
    int claimed = 0;
    for (const ProbeFamily *family : probeFamilies())
      claimed += family->claims(pp);
    EXPECT_EQ(claimed, 1) << type;
    bool needsTarget = type.find("(string)") != std::string::npos;
    if (!needsTarget) {
      ElaborateResult result = elaborate(*script, {}, diags);
      EXPECT_TRUE(result.ok) << type << "\n" << diags.render();
    }
  }
}

// Every spelling a family offers ("timer.ms", "module.function") is listed.
TEST(ProbeTypes, EveryFamilySpellingIsListed) {
  std::set<std::string> listed;
  for (const std::string &type : probeTypes())
    listed.insert(std::regex_replace(type, std::regex(R"(\((string|number)\))"), ""));
  for (const ProbeFamily *family : probeFamilies())
    for (const std::string &spelling : family->spellings()) {
      bool found = false;
      for (const std::string &l : listed)
        found = found || l == spelling || l.rfind(spelling + ".", 0) == 0;
      EXPECT_TRUE(found) << spelling << " is not in --dump-probe-types";
    }
}
