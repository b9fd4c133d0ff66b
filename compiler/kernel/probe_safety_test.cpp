#include "kernel/probe_safety.h"
#include "kernel/test_support.h"

#include <gtest/gtest.h>

namespace mstap::kernel {
namespace {

TEST(ProbeBlocklist, BuiltInListNamesUnsafeVmlinuxFunctions) {
  ProbeBlocklist blocklist;
  for (const char *unsafe : {"kprobe_int3_handler", "_raw_spin_lock_irqsave", "exc_page_fault",
                             "do_user_addr_fault", "entry_SYSCALL_64", "__x86_indirect_thunk_rax", "ct_nmi_enter"}) {
    std::optional<std::string> reason = blocklist.reasonUnprobeable(unsafe);
    ASSERT_TRUE(reason) << unsafe;
    EXPECT_FALSE(reason->empty());
  }
  for (const char *safe : {"vfs_read", "do_sys_open", "schedule", "tcp_sendmsg", "register_kprobe"})
    EXPECT_FALSE(blocklist.reasonUnprobeable(safe)) << safe;
}

TEST(ProbeBlocklist, BuiltInListLeavesModulesAlone) {
  ProbeBlocklist blocklist;
  EXPECT_TRUE(blocklist.reasonUnprobeable("ct_seq_show"));
  EXPECT_FALSE(blocklist.reasonUnprobeable("ct_seq_show", "nf_conntrack"));
}

TEST(ProbeBlocklist, ReadsTheKernelsOwnBlacklist) {
  ProbeBlocklist blocklist;
  std::string file = testing::fixtureSource("kprobes-blacklist.txt");
  EXPECT_EQ(blocklist.addKernelBlacklist(testing::readFixture(file) + "garbage line\n", file), 4u);
  EXPECT_EQ(blocklist.kernelBlacklistSize(), 4u);
  std::optional<std::string> reason = blocklist.reasonUnprobeable("perf_event_nmi_handler");
  ASSERT_TRUE(reason);
  EXPECT_NE(reason->find("kprobes-blacklist.txt"), std::string::npos) << *reason;
  EXPECT_TRUE(blocklist.reasonUnprobeable("kvm_spurious_fault", "kvm"));
  EXPECT_FALSE(blocklist.reasonUnprobeable("kvm_spurious_fault")) << "a module's entry is not vmlinux's";
}

} // namespace
} // namespace mstap::kernel
