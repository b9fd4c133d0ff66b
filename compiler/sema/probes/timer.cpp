// timer.s/ms/us/ns/jiffies(N)[.randomize(M)], timer.hz(N), timer.profile;
// stap's longer spellings timer.sec/msec/usec/nsec are the same timers.
#include "sema/probes/family.h"

#include <fmt/format.h>

namespace mstap {
namespace {

const char *const kUnits[] = {"s", "ms", "us", "ns", "hz", "jiffies"};
const char *const kLongUnits[][2] = {{"sec", "s"}, {"msec", "ms"}, {"usec", "us"}, {"nsec", "ns"}};

// The unit a spelling names ("msec" is "ms"), or empty.
std::string unitNamed(const std::string &name) {
  for (const char *unit : kUnits)
    if (name == unit)
      return unit;
  for (const auto &spelling : kLongUnits)
    if (name == spelling[0])
      return spelling[1];
  return {};
}

class Timer : public ProbeFamily {
public:
  std::vector<std::string> spellings() const override {
    std::vector<std::string> names{"timer.profile"};
    for (const char *unit : kUnits)
      names.push_back(std::string("timer.") + unit);
    for (const auto &spelling : kLongUnits)
      names.push_back(std::string("timer.") + spelling[0]);
    return names;
  }

  bool claims(const ast::ProbePoint &pp) const override {
    return pp.components.size() >= 2 && pp.components[0].name == "timer" &&
           (!unitNamed(pp.components[1].name).empty() || pp.components[1].name == "profile");
  }

  void resolve(PointContext &ctx) const override {
    const auto &c = ctx.c;
    ctx.noParam(0);
    const std::string unit = c[1].name == "profile" ? "profile" : unitNamed(c[1].name);
    if (unit == "profile") {
      if (c.size() != 2) {
        ctx.error(c[2].loc, fmt::format("unknown probe point '{}': timer.profile takes no suffix", ctx.written));
        return;
      }
      ctx.noParam(1);
      ctx.add(ctx.written, ProbeKind::Profile);
      return;
    }
    bool periodOk = ctx.numberParam(1, true);
    bool randomize = c.size() == 3 && c[2].name == "randomize" && unit != "hz";
    bool randomizeOk = true;
    if (randomize) {
      randomizeOk = ctx.numberParam(2, true);
    } else if (c.size() != 2) {
      ctx.error(c[2].loc, fmt::format("unknown probe point '{}': a timer may end only in .randomize(N)", ctx.written));
      return;
    }
    if (!periodOk || !randomizeOk || !fits(ctx, c[1], unit) || (randomize && !fits(ctx, c[2], unit)))
      return;
    ResolvedProbe &r = ctx.add(ctx.written, ProbeKind::Timer);
    r.timerUnit = unit;
    r.timerCount = static_cast<uint64_t>(*c[1].number);
    r.timerRandomize = randomize ? static_cast<uint64_t>(*c[2].number) : 0;
  }

private:
  // A timer's count (or randomisation) in `unit`: at least 100 us, so a
  // probe cannot swamp a CPU, and at most what 64 bits of nanoseconds hold
  // (a jiffy counted as 10 ms, the longest of HZ=100).
  static bool fits(PointContext &ctx, const ast::ProbePoint::Component &c, const std::string &unit) {
    double n = static_cast<double>(*c.number);
    double ns = unit == "s" ? n * 1e9 : unit == "ms" ? n * 1e6 : unit == "us" ? n * 1e3
                : unit == "ns" ? n : unit == "jiffies" ? n * 1e6 : 1e9 / n;
    double longest = unit == "jiffies" ? n * 1e7 : ns;
    if (longest >= 9.2e18) {
      ctx.error(c.loc, c.name == "randomize" ? "the randomisation of a timer must be under 292 years"
                                             : "a timer period must be under 292 years (2^63 nanoseconds)");
      return false;
    }
    if (c.name != "randomize" && ns < 100000) {
      ctx.error(c.loc, "a timer period under 100 microseconds would swamp the CPU: mstap refuses it");
      return false;
    }
    return true;
  }
};

} // namespace

const ProbeFamily &timerFamily() {
  static const Timer family;
  return family;
}

} // namespace mstap
