#include "sema/probes/family.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

using namespace mstap;

namespace {
// A point spelled as a family lists it, with the parameters its
// components take (enough for claims(), which looks at names only).
ast::ProbePoint pointSpelled(const std::string &spelling) {
  ast::ProbePoint pp;
  size_t start = 0;
  while (start <= spelling.size()) {
    size_t dot = spelling.find('.', start);
    ast::ProbePoint::Component c;
    c.name = spelling.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    pp.components.push_back(c);
    if (dot == std::string::npos)
      break;
    start = dot + 1;
  }
  return pp;
}
} // namespace

// Each spelling a family offers for "similar:" is claimed by that family
// and by no other: the registry's order never decides who resolves a point.
TEST(ProbeFamilies, EachSpellingIsClaimedByItsOwnFamilyOnly) {
  std::set<std::string> seen;
  for (const ProbeFamily *family : probeFamilies()) {
    for (const std::string &spelling : family->spellings()) {
      EXPECT_TRUE(seen.insert(spelling).second) << spelling << " is offered by two families";
      ast::ProbePoint pp = pointSpelled(spelling);
      for (const ProbeFamily *other : probeFamilies())
        EXPECT_EQ(other->claims(pp), other == family) << spelling;
    }
  }
  EXPECT_GE(seen.size(), 15u);
}

// Points no family claims: unknown probe points, reported by the caller.
TEST(ProbeFamilies, UnknownPointsAreClaimedByNone) {
  for (const char *spelling : {"syscall.open", "timer", "timer.mss", "kernel", "kernel.statement", "vfs.read",
                               "begin.x", "module.trace"}) {
    ast::ProbePoint pp = pointSpelled(spelling);
    for (const ProbeFamily *family : probeFamilies())
      EXPECT_FALSE(family->claims(pp)) << spelling;
  }
}
