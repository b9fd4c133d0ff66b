#include "kernel/environment.h"

#include <gtest/gtest.h>

using namespace mstap::kernel;

TEST(Environment, HeadersInstallCommandByDistribution) {
  EXPECT_EQ(headersInstallCommand("ID=debian\nVERSION_ID=\"12\"\n", "6.1.0-56-amd64"),
            "apt install linux-headers-6.1.0-56-amd64");
  EXPECT_EQ(headersInstallCommand("ID=ubuntu\nID_LIKE=debian\n", "6.8.0-40-generic"),
            "apt install linux-headers-6.8.0-40-generic");
  EXPECT_EQ(headersInstallCommand("ID=\"fedora\"\nVERSION_ID=40\n", "6.9.7-200.fc40.x86_64"),
            "dnf install kernel-devel-6.9.7-200.fc40.x86_64");
  EXPECT_EQ(headersInstallCommand("ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.4\"\n",
                                  "5.14.0-427.el9.x86_64"),
            "dnf install kernel-devel-5.14.0-427.el9.x86_64");
  // CentOS 7 has no dnf: the 3.10.0-1160 kernel of the brief's example.
  EXPECT_EQ(headersInstallCommand("ID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"7\"\n",
                                  "3.10.0-1160.el7.x86_64"),
            "yum install kernel-devel-3.10.0-1160.el7.x86_64");
}

TEST(Environment, MissingTreeIsOneFailureWithTheFix) {
  KernelTarget target;
  target.release = "6.1.0-99-amd64";
  target.sysroot = "/";
  target.modulesDir = "/nonexistent/lib/modules/6.1.0-99-amd64";
  target.buildDir = target.modulesDir + "/build";
  BuildEnvironment env = checkBuildEnvironment(target, "ID=debian\n");
  ASSERT_EQ(env.checks.size(), 1u);
  EXPECT_FALSE(env.ok());
  EXPECT_EQ(env.checks[0].fix, "apt install linux-headers-6.1.0-99-amd64");
}
