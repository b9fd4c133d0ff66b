// The group (TRACE_SYSTEM) of each kernel tracepoint, which stap shows as
// kernel.trace("GROUP:NAME"). BTF names tracepoints but not their groups:
// those are read from the trace headers of the target kernel's header tree
// (include/trace/events/*.h and the arch's asm/trace headers), where each
// header says `#define TRACE_SYSTEM group` and then defines its events.
//
// The reading is a scan of the headers' text, not a preprocessor: comments
// and line continuations are understood, #if is not (every branch counts),
// and macros are expanded only when the header itself defines them and they
// end in an event definition (as DEFINE_IRQ_VECTOR_EVENT(name) defining
// name##_entry and name##_exit). Events made by macros from other headers,
// or whose names are built in ways this scan does not follow, keep no group;
// so do DECLARE_TRACE tracepoints, which have no event and no group.
#pragma once

#include "kernel/target.h"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace mstap::kernel {

// Event name -> group, for the events of one header's text, added to
// `groups`. An event already there keeps its first group.
void scanTraceHeader(std::string_view text, std::map<std::string, std::string> &groups);

struct TraceGroups {
  std::map<std::string, std::string> groupOf; // event name -> group
  std::vector<std::string> roots;             // the header trees read
  size_t headers = 0;                         // trace headers scanned
  double milliseconds = 0;
};

// The trees that hold the target kernel's headers: its build tree (as pass 4
// finds it) and the source tree that build tree points to (Debian splits the
// headers into linux-headers-RELEASE, whose Makefile includes the one of
// linux-headers-VERSION-common, the tree with include/trace/events).
std::vector<std::string> headerTreeRoots(const KernelTarget &target);

// The groups read from the header trees of `target`. Never fails: without
// headers the map is empty and every tracepoint goes without a group.
TraceGroups loadTraceGroups(const KernelTarget &target);

// The same, from the trees named (for tests and tools).
TraceGroups loadTraceGroups(const std::vector<std::string> &roots);

} // namespace mstap::kernel
