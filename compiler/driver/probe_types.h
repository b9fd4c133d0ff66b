// --dump-probe-types: the kinds of probe point mstap resolves, one a line,
// in stap's notation (a parameter written as its type: "timer.ms(number)").
#pragma once

#include <string>
#include <vector>

namespace mstap {

// Sorted. probe_types_test.cpp checks it against the probe families
// (sema/probes): every line is claimed by one, every family spelling listed.
const std::vector<std::string> &probeTypes();

} // namespace mstap
