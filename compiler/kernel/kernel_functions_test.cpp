#include "kernel/files.h"
#include "kernel/image_btf.h"
#include "kernel/kernel_functions.h"
#include "kernel/test_support.h"

#include <algorithm>
#include <gtest/gtest.h>

namespace mstap::kernel {
namespace {

using testing::builtFixture;
using testing::fakeBzImage;
using testing::fixtureSource;
using testing::readFixture;
using testing::TempDir;

constexpr const char *kRelease = "6.1.0-99-test";

// A sysroot as tools/fetch-kernel unpacks a Debian kernel package: a
// compressed vmlinuz, the placeholder System.map, modules.
struct FakeSysroot {
  TempDir root;
  TempDir cache;
  KernelTarget target;

  explicit FakeSysroot(Compression compression = Compression::Xz) {
    std::string boot = std::string("boot/");
    root.write(boot + "vmlinuz-" + kRelease, fakeBzImage(compression, readFixture(builtFixture("vmlinux.elf"))));
    root.write(boot + "System.map-" + kRelease, readFixture(fixtureSource("System.map-placeholder")));
    std::string modules = std::string("lib/modules/") + kRelease + "/";
    std::string module = readFixture(builtFixture("module.elf"));
    root.write(modules + "kernel/drivers/misc/tiny-mod.ko", module);
    root.write(modules + "kernel/drivers/misc/tiny_xz.ko.xz", testing::compress(Compression::Xz, module));
    root.write(modules + "modules.order", "kernel/drivers/misc/tiny-mod.ko\n");
    OrError<KernelTarget> resolved = resolveKernelTarget(kRelease, root.path());
    EXPECT_TRUE(resolved.ok()) << resolved.error();
    target = *resolved;
  }

  LoadOptions options() const {
    LoadOptions options;
    options.cacheDirectory = cache.path();
    return options;
  }
};

std::vector<std::string> namesOf(const std::vector<const KernelFunction *> &functions) {
  std::vector<std::string> names;
  for (const KernelFunction *function : functions)
    names.push_back(function->name);
  return names;
}

std::vector<std::string> namesOf(const std::vector<DroppedFunction> &dropped) {
  std::vector<std::string> names;
  for (const DroppedFunction &function : dropped)
    names.push_back(function.name);
  return names;
}

bool anyNoteContains(const LoadReport &report, const std::string &text) {
  return std::any_of(report.notes.begin(), report.notes.end(),
                     [&](const std::string &note) { return note.find(text) != std::string::npos; });
}

TEST(KernelFunctions, FromTheBtfOfAPackagedKernelImage) {
  FakeSysroot sysroot;
  OrError<KernelFunctions> kernel = KernelFunctions::load(sysroot.target, sysroot.options());
  ASSERT_TRUE(kernel.ok()) << kernel.error();
  const LoadReport &report = kernel->report();
  EXPECT_TRUE(report.symbolSource.empty()) << "Debian's placeholder System.map is no symbol list";
  EXPECT_TRUE(anyNoteContains(report, "placeholder"));
  EXPECT_NE(report.btfSource.find("xz payload"), std::string::npos) << report.btfSource;
  EXPECT_FALSE(report.btfFromCache);
  EXPECT_EQ(report.btfFunctionEntries, 12u);

  EXPECT_EQ(kernel->table().size(), 11u);
  EXPECT_EQ(kernel->table().duplicateNames(), 1u);
  const KernelFunction *read = kernel->find("vfs_read");
  ASSERT_NE(read, nullptr);
  ASSERT_TRUE(read->prototype);
  EXPECT_EQ(read->prototype->declaration, "ssize_t vfs_read(struct file* file, char* buf, size_t count, loff_t* pos)");
  EXPECT_FALSE(read->address);
  EXPECT_EQ(kernel->find("show_stat")->copies, 2u);
  EXPECT_EQ(kernel->find("no_such_function"), nullptr);
}

TEST(KernelFunctions, EachImageCompression) {
  std::vector<Compression> compressions{Compression::Zstd, Compression::Gzip};
  if (lz4Available())
    compressions.push_back(Compression::Lz4Legacy);
  for (Compression compression : compressions) {
    SCOPED_TRACE(compressionName(compression));
    FakeSysroot sysroot(compression);
    OrError<KernelFunctions> kernel = KernelFunctions::load(sysroot.target, sysroot.options());
    ASSERT_TRUE(kernel.ok()) << kernel.error();
    EXPECT_EQ(kernel->table().size(), 11u);
  }
}

TEST(KernelFunctions, CachesTheImagesBtf) {
  FakeSysroot sysroot;
  OrError<std::string> cacheFile = btfCacheFile(sysroot.cache.path(), kRelease, sysroot.target.kernelImage);
  ASSERT_TRUE(cacheFile.ok()) << cacheFile.error();
  OrError<FileStamp> stamp = fileStamp(sysroot.target.kernelImage);
  ASSERT_TRUE(stamp.ok());
  EXPECT_EQ(*cacheFile, sysroot.cache.path() + "/btf/" + kRelease + "-" + std::to_string(stamp->size) + "-" +
                            std::to_string(stamp->mtimeSeconds) + ".btf");

  ASSERT_TRUE(KernelFunctions::load(sysroot.target, sysroot.options()).ok());
  EXPECT_TRUE(isReadableFile(*cacheFile));
  EXPECT_EQ(readFixture(*cacheFile), readFixture(builtFixture("vmlinux.btf")));

  OrError<KernelFunctions> again = KernelFunctions::load(sysroot.target, sysroot.options());
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_TRUE(again->report().btfFromCache);
  EXPECT_EQ(again->table().size(), 11u);
  EXPECT_EQ(again->find("vfs_write")->prototype->declaration,
            "ssize_t vfs_write(struct file* file, const char* buf, size_t count, loff_t* pos)");
}

TEST(KernelFunctions, RebuildsADamagedCacheFile) {
  FakeSysroot sysroot;
  OrError<std::string> cacheFile = btfCacheFile(sysroot.cache.path(), kRelease, sysroot.target.kernelImage);
  ASSERT_TRUE(cacheFile.ok());
  ASSERT_TRUE(writeFileAtomically(*cacheFile, "truncated").ok());
  OrError<KernelFunctions> kernel = KernelFunctions::load(sysroot.target, sysroot.options());
  ASSERT_TRUE(kernel.ok()) << kernel.error();
  EXPECT_FALSE(kernel->report().btfFromCache);
  EXPECT_TRUE(anyNoteContains(kernel->report(), "damaged cache"));
  EXPECT_EQ(readFixture(*cacheFile), readFixture(builtFixture("vmlinux.btf")));
}

TEST(KernelFunctions, WorksWithoutACache) {
  FakeSysroot sysroot;
  OrError<KernelFunctions> kernel = KernelFunctions::load(sysroot.target, LoadOptions{});
  ASSERT_TRUE(kernel.ok()) << kernel.error();
  EXPECT_EQ(kernel->table().size(), 11u);
}

TEST(KernelFunctions, MatchesGlobsAndDropsWhatCannotBeProbed) {
  FakeSysroot sysroot;
  OrError<KernelFunctions> kernel = KernelFunctions::load(sysroot.target, sysroot.options());
  ASSERT_TRUE(kernel.ok()) << kernel.error();

  FunctionMatches vfs = kernel->matchFunctions("vfs_*");
  EXPECT_EQ(namesOf(vfs.functions), (std::vector<std::string>{"vfs_fsync", "vfs_read", "vfs_write"}));
  EXPECT_TRUE(vfs.dropped.empty());
  EXPECT_FALSE(vfs.exactName);

  EXPECT_EQ(namesOf(kernel->matchFunctions("vfs_re?d").functions), (std::vector<std::string>{"vfs_read"}));
  EXPECT_EQ(namesOf(kernel->matchFunctions("[ks]*").functions),
            (std::vector<std::string>{"kthread_create_on_node", "schedule", "show_stat"}));

  FunctionMatches all = kernel->matchFunctions("*");
  EXPECT_EQ(all.functions.size(), 8u);
  EXPECT_EQ(namesOf(all.dropped),
            (std::vector<std::string>{"_raw_spin_lock", "exc_page_fault", "kprobe_int3_handler"}));

  FunctionMatches exact = kernel->matchFunctions("vfs_read");
  EXPECT_TRUE(exact.exactName);
  EXPECT_FALSE(exact.exactNameBlocked());
  ASSERT_EQ(exact.functions.size(), 1u);

  FunctionMatches blocked = kernel->matchFunctions("kprobe_int3_handler");
  EXPECT_TRUE(blocked.exactNameBlocked());
  ASSERT_EQ(blocked.dropped.size(), 1u);
  EXPECT_NE(blocked.dropped[0].reason.find("kprobes"), std::string::npos) << blocked.dropped[0].reason;

  FunctionMatches missing = kernel->matchFunctions("no_such_function");
  EXPECT_TRUE(missing.functions.empty());
  EXPECT_FALSE(missing.exactNameBlocked());
}

TEST(KernelFunctions, NamesFromARealSystemMapWithSections) {
  FakeSysroot sysroot;
  sysroot.root.write(std::string("boot/System.map-") + kRelease, readFixture(fixtureSource("System.map-real")));
  OrError<KernelFunctions> kernel = KernelFunctions::load(sysroot.target, sysroot.options());
  ASSERT_TRUE(kernel.ok()) << kernel.error();
  EXPECT_EQ(kernel->report().symbolSource, sysroot.target.systemMaps[0]);
  // The names are the System.map's; prototypes still come from BTF.
  EXPECT_EQ(kernel->table().size(), 6u);
  const KernelFunction *read = kernel->find("vfs_read");
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->address, 0xffffffff811d2500u);
  ASSERT_TRUE(read->prototype);
  EXPECT_EQ(read->prototype->returnType, "ssize_t");
  EXPECT_FALSE(kernel->find("do_sys_open")->prototype == std::nullopt);

  FunctionMatches noinstr = kernel->matchFunctions("mce_rdmsrl");
  ASSERT_TRUE(noinstr.exactNameBlocked());
  EXPECT_NE(noinstr.dropped[0].reason.find(".noinstr.text"), std::string::npos) << noinstr.dropped[0].reason;
  EXPECT_TRUE(kernel->matchFunctions("entry_SYSCALL_64").exactNameBlocked());
}

// The running kernel, with /proc and /sys replaced by fixtures.
KernelTarget fakeRunningKernel(const FakeSysroot &sysroot) {
  KernelTarget target = sysroot.target;
  target.running = true;
  target.kallsymsPath = fixtureSource("kallsyms.txt");
  target.runningBtfPath = builtFixture("vmlinux.btf");
  target.kprobesBlacklistPath = fixtureSource("kprobes-blacklist.txt");
  return target;
}

TEST(KernelFunctions, TheRunningKernelFromKallsymsAndSysfs) {
  FakeSysroot sysroot;
  OrError<KernelFunctions> kernel = KernelFunctions::load(fakeRunningKernel(sysroot), sysroot.options());
  ASSERT_TRUE(kernel.ok()) << kernel.error();
  const LoadReport &report = kernel->report();
  EXPECT_EQ(report.symbolSource, fixtureSource("kallsyms.txt"));
  EXPECT_EQ(report.btfSource, builtFixture("vmlinux.btf"));
  EXPECT_EQ(report.nonEntrySymbols, 3u) << "two __pfx_ paddings and one .cold part";
  EXPECT_EQ(report.kernelBlacklistEntries, 4u);
  EXPECT_TRUE(kernel->find("weak_default_handler"));
  EXPECT_FALSE(kernel->find("ext4_file_open")) << "loaded modules' functions are not vmlinux's";
  EXPECT_FALSE(kernel->find("__pfx_vfs_read"));
  EXPECT_FALSE(kernel->find("show_stat.cold"));
  EXPECT_EQ(kernel->find("vfs_read")->prototype->parameters.size(), 4u);
  EXPECT_FALSE(kernel->find("weak_default_handler")->prototype);

  FunctionMatches nmi = kernel->matchFunctions("perf_event_nmi_handler");
  ASSERT_TRUE(nmi.exactNameBlocked());
  EXPECT_NE(nmi.dropped[0].reason.find("kprobes-blacklist.txt"), std::string::npos) << nmi.dropped[0].reason;
  FunctionMatches entry = kernel->matchFunctions("my_entry_trampoline");
  ASSERT_TRUE(entry.exactNameBlocked()) << "inside .entry.text by its address";
  EXPECT_NE(entry.dropped[0].reason.find(".entry.text"), std::string::npos);
}

TEST(KernelFunctions, FailsOnlyWhenNothingNamesAFunction) {
  TempDir empty;
  OrError<KernelTarget> target = resolveKernelTarget(kRelease, empty.path());
  ASSERT_TRUE(target.ok());
  OrError<KernelFunctions> kernel = KernelFunctions::load(*target, LoadOptions{});
  ASSERT_FALSE(kernel.ok());
  EXPECT_NE(kernel.error().find("found no list of functions for kernel 6.1.0-99-test"), std::string::npos)
      << kernel.error();
  EXPECT_NE(kernel.error().find("no kernel image at"), std::string::npos) << kernel.error();
}

TEST(KernelFunctions, AnImageWithoutBtfSaysWhy) {
  TempDir root;
  root.write(std::string("boot/vmlinuz-") + kRelease,
             fakeBzImage(Compression::Xz, readFixture(builtFixture("tiny_vmlinux.o"))));
  OrError<KernelTarget> target = resolveKernelTarget(kRelease, root.path());
  ASSERT_TRUE(target.ok());
  OrError<KernelFunctions> kernel = KernelFunctions::load(*target, LoadOptions{});
  ASSERT_FALSE(kernel.ok());
  EXPECT_NE(kernel.error().find("CONFIG_DEBUG_INFO_BTF"), std::string::npos) << kernel.error();
}

TEST(Modules, ListedAndFoundByName) {
  FakeSysroot sysroot;
  OrError<std::vector<ModuleFile>> modules = listModules(sysroot.target);
  ASSERT_TRUE(modules.ok()) << modules.error();
  ASSERT_EQ(modules->size(), 2u);
  EXPECT_EQ((*modules)[0].name, "tiny_mod");
  EXPECT_EQ((*modules)[1].name, "tiny_xz");
  EXPECT_EQ(findModules(*modules, "tiny-mod").size(), 1u);
  EXPECT_EQ(findModules(*modules, "tiny_*").size(), 2u);
  EXPECT_TRUE(findModules(*modules, "ext4").empty());
}

TEST(Modules, FunctionsFromTheSymbolTableWithSplitBtfPrototypes) {
  FakeSysroot sysroot;
  OrError<KernelFunctions> kernel = KernelFunctions::load(sysroot.target, sysroot.options());
  ASSERT_TRUE(kernel.ok()) << kernel.error();
  OrError<std::vector<ModuleFile>> modules = listModules(sysroot.target);
  ASSERT_TRUE(modules.ok());
  for (const ModuleFile &file : *modules) {
    SCOPED_TRACE(file.path);
    OrError<ModuleFunctions> module = ModuleFunctions::load(file, *kernel);
    ASSERT_TRUE(module.ok()) << module.error();
    EXPECT_TRUE(module->notes().empty());
    EXPECT_EQ(module->name(), file.name);
    // Data (tiny_counter) and the undefined _printk are no functions of it.
    std::vector<std::string> names;
    for (const KernelFunction &function : module->table().functions())
      names.push_back(function.name);
    EXPECT_EQ(names, (std::vector<std::string>{"ct_tiny_helper", "tiny_init", "tiny_noinstr_entry", "tiny_probe",
                                               "tiny_read"}));
    const KernelFunction *read = module->find("tiny_read");
    ASSERT_TRUE(read && read->prototype);
    EXPECT_EQ(read->prototype->declaration,
              "ssize_t tiny_read(struct file* file, char* buf, size_t count, loff_t* pos)");
    EXPECT_FALSE(read->global);
    EXPECT_EQ(module->find("tiny_probe")->prototype->parameters[0].type, "struct tiny_device*");

    FunctionMatches all = module->matchFunctions("*");
    EXPECT_EQ(namesOf(all.functions),
              (std::vector<std::string>{"ct_tiny_helper", "tiny_init", "tiny_probe", "tiny_read"}));
    ASSERT_EQ(all.dropped.size(), 1u);
    EXPECT_EQ(all.dropped[0].name, "tiny_noinstr_entry");
    EXPECT_NE(all.dropped[0].reason.find(".noinstr.text"), std::string::npos);
  }
}

TEST(Modules, WithoutVmlinuxBtfThereAreNamesButNoPrototypes) {
  FakeSysroot sysroot;
  // Names from a real System.map, and an image whose BTF cannot be read.
  sysroot.root.write(std::string("boot/System.map-") + kRelease, readFixture(fixtureSource("System.map-real")));
  sysroot.root.write(std::string("boot/vmlinuz-") + kRelease, "not a kernel");
  OrError<KernelFunctions> kernel = KernelFunctions::load(sysroot.target, sysroot.options());
  ASSERT_TRUE(kernel.ok()) << kernel.error();
  EXPECT_FALSE(kernel->btf());
  EXPECT_FALSE(kernel->find("vfs_read")->prototype);
  OrError<ModuleFunctions> module = ModuleFunctions::load(listModules(sysroot.target)->front(), *kernel);
  ASSERT_TRUE(module.ok()) << module.error();
  EXPECT_FALSE(module->find("tiny_read")->prototype);
  ASSERT_EQ(module->notes().size(), 1u);
  EXPECT_NE(module->notes()[0].find("no prototypes"), std::string::npos);
}

} // namespace
} // namespace mstap::kernel
