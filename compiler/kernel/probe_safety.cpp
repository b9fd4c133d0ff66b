#include "kernel/probe_safety.h"
#include "kernel/files.h"

#include <fnmatch.h>

namespace mstap::kernel {

namespace {

// The built-in blocklist.
//
// A running kernel publishes the functions it refuses to kprobe in
// /sys/kernel/debug/kprobes/blacklist: those marked NOKPROBE_SYMBOL() or
// __kprobes, and every function in .noinstr.text, .kprobes.text and, on x86,
// .entry.text. That file is only there for the running kernel, only with
// debugfs mounted, and only readable by root; and a kernel image unpacked
// from a package carries neither symbol addresses nor section boundaries. So
// this list names, from reading the x86-64 kernel sources (kernel/kprobes.c,
// arch/x86/kernel/{kprobes,traps,nmi}.c, arch/x86/entry, kernel/entry,
// include/linux/spinlock*.h), the functions in those categories that a
// wildcard probe is most likely to catch. It also names functions the kernel
// itself would accept but which a probe handler re-enters: a probe there
// recurses into the handler or deadlocks on a lock the handler takes, which is
// why tracing tools have always kept away from them. Every entry gives the
// reason pass 2 shows when a script names such a function exactly.
struct BuiltIn {
  const char *pattern;
  const char *reason;
};

constexpr const char *kKprobesMachinery = "part of the kprobes machinery; a probe here would recurse";
constexpr const char *kEntryCode =
    "low-level entry code (.entry.text or .noinstr.text), where the kernel forbids kprobes";
constexpr const char *kExceptionPath =
    "on the int3/debug/NMI/page-fault exception path that kprobes themselves rely on";
constexpr const char *kLocking = "a locking primitive that probe handlers use; a probe here could deadlock";
constexpr const char *kNotInstrumentable = "marked noinstr: the kernel forbids instrumenting it";
constexpr const char *kTracingHooks = "function-tracing trampoline, not an ordinary function";
constexpr const char *kSpeculationThunks = "a speculation-mitigation thunk, not an ordinary function";

constexpr BuiltIn kBuiltIns[] = {
    // The probe machinery: kernel/kprobes.c, arch/x86/kernel/kprobes, rethook.
    {"kprobe_*", kKprobesMachinery},
    {"kretprobe_*", kKprobesMachinery},
    {"*rethook*", kKprobesMachinery},
    {"__kretprobe_trampoline*", kKprobesMachinery},
    {"get_kprobe", kKprobesMachinery},
    {"aggr_pre_handler", kKprobesMachinery},
    {"aggr_post_handler", kKprobesMachinery},
    {"pre_handler_kretprobe", kKprobesMachinery},
    {"opt_pre_handler", kKprobesMachinery},
    {"optimized_callback", kKprobesMachinery},
    {"setup_singlestep", kKprobesMachinery},
    {"reenter_kprobe", kKprobesMachinery},
    {"dump_kprobe", kKprobesMachinery},
    {"kprobes_inc_nmissed_count", kKprobesMachinery},

    // Entry code: arch/x86/entry and the generic entry code in kernel/entry.
    {"entry_SYSCALL_*", kEntryCode},
    {"entry_SYSENTER_*", kEntryCode},
    {"entry_INT80_*", kEntryCode},
    {"asm_*", kEntryCode},
    {"error_entry", kEntryCode},
    {"error_return", kEntryCode},
    {"paranoid_entry", kEntryCode},
    {"paranoid_exit", kEntryCode},
    {"ret_from_fork", kEntryCode},
    {"__switch_to_asm", kEntryCode},
    {"__switch_to", kEntryCode},
    {"do_syscall_64", kEntryCode},
    {"do_int80_syscall_32", kEntryCode},
    {"do_fast_syscall_32", kEntryCode},
    {"do_SYSENTER_32", kEntryCode},
    {"irqentry_*", kEntryCode},
    {"syscall_enter_from_user_mode*", kEntryCode},
    {"syscall_exit_to_user_mode*", kEntryCode},
    {"enter_from_user_mode", kEntryCode},
    {"exit_to_user_mode", kEntryCode},
    {"__exit_to_user_mode", kEntryCode},

    // The exception handlers the kprobes depend on, and the die/oops path.
    {"exc_*", kExceptionPath},
    {"sysvec_*", kExceptionPath},
    {"do_int3", kExceptionPath},
    {"do_int3_user", kExceptionPath},
    {"do_debug", kExceptionPath},
    {"do_nmi", kExceptionPath},
    {"default_do_nmi", kExceptionPath},
    {"nmi_handle", kExceptionPath},
    {"do_page_fault", kExceptionPath},
    {"do_user_addr_fault", kExceptionPath},
    {"do_kern_addr_fault", kExceptionPath},
    {"spurious_kernel_fault", kExceptionPath},
    {"handle_page_fault", kExceptionPath},
    {"do_trap", kExceptionPath},
    {"do_error_trap", kExceptionPath},
    {"poke_int3_handler", kExceptionPath},
    {"notify_die", kExceptionPath},
    {"notifier_call_chain", kExceptionPath},
    {"atomic_notifier_call_chain", kExceptionPath},
    {"oops_begin", kExceptionPath},
    {"oops_end", kExceptionPath},
    {"__die", kExceptionPath},
    {"die", kExceptionPath},
    {"fixup_exception", kExceptionPath},

    // Lock primitives: include/linux/spinlock_api_smp.h and friends.
    {"_raw_spin_*", kLocking},
    {"__raw_spin_*", kLocking},
    {"_raw_read_*", kLocking},
    {"_raw_write_*", kLocking},
    {"queued_spin_lock_slowpath", kLocking},
    {"native_queued_spin_lock_slowpath", kLocking},
    {"__pv_queued_spin_*", kLocking},
    {"queued_read_lock_slowpath", kLocking},
    {"queued_write_lock_slowpath", kLocking},

    // noinstr functions that wildcards such as "rcu_*" or "lockdep_*" catch.
    {"ct_*", kNotInstrumentable},
    {"rcu_dynticks_*", kNotInstrumentable},
    {"rcu_nmi_enter", kNotInstrumentable},
    {"rcu_nmi_exit", kNotInstrumentable},
    {"rcu_irq_enter", kNotInstrumentable},
    {"rcu_irq_exit", kNotInstrumentable},
    {"__rcu_irq_enter_check_tick", kNotInstrumentable},
    {"lockdep_hardirqs_on", kNotInstrumentable},
    {"lockdep_hardirqs_off", kNotInstrumentable},
    {"trace_hardirqs_on", kNotInstrumentable},
    {"trace_hardirqs_off", kNotInstrumentable},
    {"trace_hardirqs_on_prepare", kNotInstrumentable},
    {"trace_hardirqs_off_finish", kNotInstrumentable},
    {"native_sched_clock", kNotInstrumentable},
    {"sched_clock", kNotInstrumentable},
    {"sched_clock_noinstr", kNotInstrumentable},
    {"preempt_count_add", kNotInstrumentable},
    {"preempt_count_sub", kNotInstrumentable},
    {"native_save_fl", kNotInstrumentable},
    {"native_irq_disable", kNotInstrumentable},
    {"native_irq_enable", kNotInstrumentable},
    {"native_write_cr*", kNotInstrumentable},
    {"native_read_msr*", kNotInstrumentable},
    {"native_write_msr*", kNotInstrumentable},
    {"__memcpy_flushcache", kNotInstrumentable},

    // ftrace's trampolines and the return-thunk/retpoline code.
    {"__fentry__", kTracingHooks},
    {"ftrace_caller", kTracingHooks},
    {"ftrace_regs_caller", kTracingHooks},
    {"ftrace_stub", kTracingHooks},
    {"ftrace_stub_graph", kTracingHooks},
    {"return_to_handler", kTracingHooks},
    {"ftrace_ops_list_func", kTracingHooks},
    {"__x86_indirect_*", kSpeculationThunks},
    {"__x86_return_thunk", kSpeculationThunks},
    {"__x86_return_skl", kSpeculationThunks},
    {"zen_untrain_ret", kSpeculationThunks},
    {"retbleed_*", kSpeculationThunks},
    {"srso_*", kSpeculationThunks},
    {"entry_untrain_ret", kSpeculationThunks},
    {"entry_ibpb", kSpeculationThunks},
};

bool hasWildcard(std::string_view pattern) { return pattern.find_first_of("*?[") != std::string_view::npos; }


std::string blacklistKey(std::string_view module, std::string_view name) {
  std::string key(module);
  key += ':';
  key += name;
  return key;
}

} // namespace

ProbeBlocklist::ProbeBlocklist() {
  for (const BuiltIn &entry : kBuiltIns) {
    if (hasWildcard(entry.pattern))
      patterns_.push_back({entry.pattern, entry.reason});
    else
      exactNames_.emplace(entry.pattern, entry.reason);
  }
}

size_t ProbeBlocklist::addKernelBlacklist(std::string_view text, const std::string &origin) {
  size_t added = 0;
  size_t position = 0;
  std::string_view line;
  while (nextLine(text, position, line)) {
    std::string_view range = nextField(line);
    std::string_view name = nextField(line);
    std::string_view module = nextField(line);
    if (range.substr(0, 2) != "0x" || name.empty())
      continue;
    if (module.size() > 2 && module.front() == '[' && module.back() == ']')
      module = module.substr(1, module.size() - 2);
    else
      module = {};
    kernelBlacklist_.emplace(blacklistKey(module, name), origin);
    ++added;
  }
  return added;
}

std::optional<std::string> ProbeBlocklist::reasonUnprobeable(std::string_view name, std::string_view module) const {
  if (!kernelBlacklist_.empty()) {
    auto found = kernelBlacklist_.find(blacklistKey(module, name));
    if (found != kernelBlacklist_.end())
      return "the kernel refuses kprobes on it (listed in " + found->second + ")";
  }
  // The built-in names are those of vmlinux functions; a module may well
  // have its own ct_* or exc_* functions.
  if (!module.empty())
    return std::nullopt;
  std::string key(name);
  if (auto exact = exactNames_.find(key); exact != exactNames_.end())
    return std::string(exact->second);
  for (const Entry &entry : patterns_)
    if (::fnmatch(entry.pattern.c_str(), key.c_str(), 0) == 0)
      return std::string(entry.reason);
  return std::nullopt;
}

} // namespace mstap::kernel
