#include "kernel/trace_groups.h"

#include "kernel/files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

using namespace mstap::kernel;

namespace {

std::map<std::string, std::string> scan(std::string_view text) {
  std::map<std::string, std::string> groups;
  scanTraceHeader(text, groups);
  return groups;
}

} // namespace

// The shape of include/trace/events/sched.h: the group, a class, events of
// both kinds spread over lines, and DECLARE_TRACE's bare tracepoints.
TEST(TraceGroups, EventsTakeTheGroupOfTheirHeader) {
  auto groups = scan(R"h(/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM sched

#if !defined(_TRACE_SCHED_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_SCHED_H

TRACE_EVENT(sched_kthread_stop,
	TP_PROTO(struct task_struct *t),
	TP_ARGS(t),
	TP_printk("comm=%s, pid=%d", __entry->comm, __entry->pid)
);

DECLARE_EVENT_CLASS(sched_wakeup_template,
	TP_PROTO(struct task_struct *p),
	TP_ARGS(__perf_task(p)));

DEFINE_EVENT(sched_wakeup_template, sched_wakeup,
	     TP_PROTO(struct task_struct *p),
	     TP_ARGS(p));

DEFINE_EVENT_FN(sched_wakeup_template,
	sched_waking, TP_PROTO(struct task_struct *p), TP_ARGS(p), reg, unreg);

DECLARE_TRACE(pelt_cfs_tp,
	TP_PROTO(struct cfs_rq *cfs_rq),
	TP_ARGS(cfs_rq));
#endif
#include <trace/define_trace.h>
)h");
  std::map<std::string, std::string> expected{
      {"sched_kthread_stop", "sched"}, {"sched_wakeup", "sched"}, {"sched_waking", "sched"}};
  EXPECT_EQ(groups, expected);
}

// Comments, strings and continuations must not confuse the scan: a format
// string holding parentheses and commas, a commented-out event, a
// TRACE_SYSTEM in a comment, a define spread over continued lines.
TEST(TraceGroups, CommentsStringsAndContinuations) {
  auto groups = scan(R"h(#define TRACE_SYSTEM \
	block
/* #define TRACE_SYSTEM wrong */
// TRACE_EVENT(commented_out, TP_PROTO(void), TP_ARGS());
/*
TRACE_EVENT(also_commented, ...);
*/
TRACE_EVENT(block_rq_issue,
	TP_printk("%d,%d (%s) \") TRACE_EVENT(in_string, x", 1, 2, ")"),
	TP_fast_assign({ int a[2] = {1, 2}; })
);
TRACE_EVENT_CONDITION(block_cond, TP_PROTO(int x), TP_CONDITION(x > 0));
DEFINE_EVENT_PRINT(block_class, block_print, TP_PROTO(int x), TP_printk("x"));
DEFINE_EVENT_CONDITION(block_class, block_dc, TP_PROTO(int x), TP_CONDITION(x));
TRACE_EVENT_FN(block_fn, TP_PROTO(int x), TP_ARGS(x), a, b, c, d);
)h");
  std::map<std::string, std::string> expected{{"block_rq_issue", "block"}, {"block_cond", "block"},
                                              {"block_print", "block"},    {"block_dc", "block"},
                                              {"block_fn", "block"}};
  EXPECT_EQ(groups, expected);
}

// A header that changes its group midway, and events after an #undef of
// it (no group known: left out).
TEST(TraceGroups, GroupRedefinedMidway) {
  auto groups = scan(R"h(#define TRACE_SYSTEM first
TRACE_EVENT(one, TP_PROTO(void));
#undef TRACE_SYSTEM
TRACE_EVENT(orphan, TP_PROTO(void));
#define TRACE_SYSTEM "second"
DEFINE_EVENT(cls, two, TP_PROTO(void));
)h");
  std::map<std::string, std::string> expected{{"one", "first"}, {"two", "second"}};
  EXPECT_EQ(groups, expected);
}

// Macros the header defines: arch/x86/include/asm/trace/irq_vectors.h
// pastes names (name##_entry), rcu.h aliases TRACE_EVENT under #ifdef, and
// a macro may call another. Macros that define no event are not expanded.
TEST(TraceGroups, LocalMacrosAreExpanded) {
  auto groups = scan(R"h(#define TRACE_SYSTEM irq_vectors
#define DEFINE_IRQ_VECTOR_EVENT(name)		\
DEFINE_EVENT_FN(x86_irq_vector, name##_entry,	\
	TP_PROTO(int vector), TP_ARGS(vector), reg, unreg);	\
DEFINE_EVENT_FN(x86_irq_vector, name ## _exit,	\
	TP_PROTO(int vector), TP_ARGS(vector), reg, unreg);
DEFINE_IRQ_VECTOR_EVENT(local_timer);
DEFINE_IRQ_VECTOR_EVENT( spurious_apic );
#define TWICE(a, b) DEFINE_IRQ_VECTOR_EVENT(a); DEFINE_IRQ_VECTOR_EVENT(b)
TWICE(x, y);
#ifdef CONFIG_RCU_TRACE
#define TRACE_EVENT_RCU TRACE_EVENT
#else
#define TRACE_EVENT_RCU TRACE_EVENT_NOP
#endif
TRACE_EVENT_RCU(rcu_utilization, TP_PROTO(const char *s), TP_ARGS(s));
#define show_flags(f) __print_flags(f, "|", { 1, "A" })
#define TRACE_EVENT(name, proto) something_else
)h");
  std::map<std::string, std::string> expected{
      {"local_timer_entry", "irq_vectors"}, {"local_timer_exit", "irq_vectors"},
      {"spurious_apic_entry", "irq_vectors"}, {"spurious_apic_exit", "irq_vectors"},
      {"x_entry", "irq_vectors"}, {"x_exit", "irq_vectors"}, {"y_entry", "irq_vectors"},
      {"y_exit", "irq_vectors"}, {"rcu_utilization", "irq_vectors"}};
  EXPECT_EQ(groups, expected);
}

// Macros that each expand into ten others, nine levels deep, would ask
// for 10^9 expansions: the scan stops at its budget, keeps what it found
// on the way (the first level-0 expansion), and returns.
TEST(TraceGroups, ExpansionIsBounded) {
  std::string header = "#define TRACE_SYSTEM fan\n#define L0(n) TRACE_EVENT(n, TP_PROTO(int x), TP_ARGS(x));\n";
  for (int level = 1; level <= 9; ++level) {
    header += "#define L" + std::to_string(level) + "(n)";
    for (int copy = 0; copy < 10; ++copy)
      header += " L" + std::to_string(level - 1) + "(n);";
    header += "\n";
  }
  header += "L9(deep);\nTRACE_EVENT(after, TP_PROTO(int x), TP_ARGS(x));\n";
  auto groups = scan(header);
  EXPECT_EQ(groups.count("after"), 1u);
}

// Without TRACE_SYSTEM (machinery headers, mmflags.h) nothing is read; a
// name that is not a plain identifier (made by a macro from elsewhere) is
// skipped; an unbalanced invocation ends the scan quietly.
TEST(TraceGroups, WhatIsLeftWithoutAGroup) {
  EXPECT_TRUE(scan("TRACE_EVENT(no_system, TP_PROTO(void));\n").empty());
  auto groups = scan("#define TRACE_SYSTEM g\nDEFINE_EVENT(cls, PREFIX(x), TP_PROTO(void));\n"
                     "TRACE_EVENT(fine, x);\nTRACE_EVENT(broken, (");
  std::map<std::string, std::string> expected{{"fine", "g"}};
  EXPECT_EQ(groups, expected);
}

// The first group found for a name stays.
TEST(TraceGroups, FirstGroupWins) {
  std::map<std::string, std::string> groups;
  scanTraceHeader("#define TRACE_SYSTEM a\nTRACE_EVENT(e, x);\n", groups);
  scanTraceHeader("#define TRACE_SYSTEM b\nTRACE_EVENT(e, x);\n", groups);
  EXPECT_EQ(groups.at("e"), "a");
}

// A Debian-style pair of trees: the arch tree's Makefile includes the
// common tree's, whose include/trace/events holds the headers; a missing
// tree gives no groups and no failure.
TEST(TraceGroups, DebianSplitTreeIsFollowed) {
  namespace fs = std::filesystem;
  fs::path base = fs::temp_directory_path() / ("mstap_trace_groups_" + std::to_string(getpid()));
  fs::remove_all(base);
  fs::path arch = base / "usr/src/linux-headers-9.9.9-1-amd64";
  fs::path common = base / "usr/src/linux-headers-9.9.9-1-common";
  fs::create_directories(arch / "include");
  fs::create_directories(common / "include/trace/events");
  fs::create_directories(common / "arch/x86/include/asm/trace");
  ASSERT_TRUE(writeFileAtomically((arch / "Makefile").string(), "include " + (common / "Makefile").string() + "\n").ok());
  ASSERT_TRUE(writeFileAtomically((common / "include/trace/events/sched.h").string(),
                                  "#define TRACE_SYSTEM sched\nTRACE_EVENT(sched_switch, x);\n")
                  .ok());
  ASSERT_TRUE(writeFileAtomically((common / "arch/x86/include/asm/trace/fpu.h").string(),
                                  "#define TRACE_SYSTEM x86_fpu\nDEFINE_EVENT(c, x86_fpu_before_save, x);\n")
                  .ok());

  KernelTarget target;
  target.release = "9.9.9-1-amd64";
  target.sysroot = "/";
  target.modulesDir = (base / "lib/modules/9.9.9-1-amd64").string();
  target.buildDir = arch.string();
  std::vector<std::string> roots = headerTreeRoots(target);
  ASSERT_EQ(roots.size(), 2u);
  EXPECT_EQ(fs::weakly_canonical(roots[1]), fs::weakly_canonical(common));
  TraceGroups groups = loadTraceGroups(target);
  std::map<std::string, std::string> expected{{"sched_switch", "sched"}, {"x86_fpu_before_save", "x86_fpu"}};
  EXPECT_EQ(groups.groupOf, expected);

  target.buildDir = (base / "nonexistent").string();
  EXPECT_TRUE(loadTraceGroups(target).groupOf.empty());
  fs::remove_all(base);
}
