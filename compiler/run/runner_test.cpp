// mstap-runner's parts that need no kernel: the record stream, the .modinfo
// reader, the vermagic comparison and its wording, the explanations of load
// errors, the status line and the command line.
#include "run/runner.h"

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mstap::run {
namespace {

namespace fs = std::filesystem;

// ------------------------------------------------------------ records

using Records = std::vector<std::pair<unsigned, std::string>>;

Records decodeInPieces(const std::string &stream, const std::vector<size_t> &cuts, RecordDecoder &decoder) {
  Records records;
  auto sink = [&](unsigned s, std::string_view data) { records.emplace_back(s, std::string(data)); };
  size_t from = 0;
  for (size_t cut : cuts) {
    decoder.feed(std::string_view(stream).substr(from, cut - from), sink);
    from = cut;
  }
  decoder.feed(std::string_view(stream).substr(from), sink);
  return records;
}

TEST(RunnerRecords, EncodesTheHeaderLittleEndian) {
  EXPECT_EQ(encodeRecord(1, "hi"), std::string("\x01\x00\x02\x00hi", 6));
  EXPECT_EQ(encodeRecord(2, std::string(0x1234, 'x')).substr(0, 4), std::string("\x02\x00\x34\x12", 4));
}

TEST(RunnerRecords, DecodesWholeRecordsInOneRead) {
  std::string stream = encodeRecord(1, "hello\n") + encodeRecord(2, "oops\n") + encodeRecord(1, "") +
                       encodeRecord(1, "world\n");
  RecordDecoder decoder;
  Records records = decodeInPieces(stream, {}, decoder);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0], (std::pair<unsigned, std::string>{1, "hello\n"}));
  EXPECT_EQ(records[1], (std::pair<unsigned, std::string>{2, "oops\n"}));
  EXPECT_EQ(records[2], (std::pair<unsigned, std::string>{1, ""}));
  EXPECT_EQ(records[3], (std::pair<unsigned, std::string>{1, "world\n"}));
  EXPECT_EQ(decoder.pendingBytes(), 0u);
}

TEST(RunnerRecords, DecodesRecordsSplitAnywhere) {
  std::string big(65535, 'b');
  big[0] = 'B';
  big.back() = 'E';
  std::string stream = encodeRecord(1, "first\n") + encodeRecord(2, big) + encodeRecord(1, "last\n");
  Records expected = {{1, "first\n"}, {2, big}, {1, "last\n"}};
  // Every single cut point, then byte by byte.
  for (size_t cut = 0; cut <= stream.size(); cut += (cut < 20 || cut + 20 > stream.size()) ? 1 : 997) {
    RecordDecoder decoder;
    EXPECT_EQ(decodeInPieces(stream, {cut}, decoder), expected) << "cut at " << cut;
    EXPECT_EQ(decoder.pendingBytes(), 0u);
  }
  RecordDecoder decoder;
  std::vector<size_t> everyByte;
  for (size_t i = 1; i < stream.size(); ++i)
    everyByte.push_back(i);
  EXPECT_EQ(decodeInPieces(stream, everyByte, decoder), expected);
}

TEST(RunnerRecords, KeepsAPartialRecordUntilItEnds) {
  std::string record = encodeRecord(1, "abcdef");
  RecordDecoder decoder;
  Records records;
  auto sink = [&](unsigned s, std::string_view data) { records.emplace_back(s, std::string(data)); };
  decoder.feed(record.substr(0, 2), sink); // half a header
  EXPECT_TRUE(records.empty());
  EXPECT_EQ(decoder.pendingBytes(), 2u);
  decoder.feed(record.substr(2, 5), sink); // the rest of the header and 3 bytes
  EXPECT_TRUE(records.empty());
  EXPECT_EQ(decoder.pendingBytes(), 7u);
  decoder.feed(record.substr(7) + encodeRecord(2, "x").substr(0, 1), sink);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].second, "abcdef");
  EXPECT_EQ(decoder.pendingBytes(), 1u);
}

// ------------------------------------------------------------ ELF fixture

// A relocatable ELF64 file with a .modinfo section holding `modinfo` (and,
// so that the reader has to look, a .text section before it), and when
// `thisModule` is given a .gnu.linkonce.this_module section holding it.
std::string fixtureElf(const std::string &modinfo, unsigned machine = 62, const std::string &thisModule = "") {
  std::vector<std::pair<std::string, std::string>> sections = {{".text", "\xc3"}, {".modinfo", modinfo}};
  if (!thisModule.empty())
    sections.emplace_back(".gnu.linkonce.this_module", thisModule);
  std::string shstrtab(1, '\0');
  std::vector<uint32_t> nameAt;
  for (const auto &section : sections) {
    nameAt.push_back(static_cast<uint32_t>(shstrtab.size()));
    shstrtab += section.first + std::string(1, '\0');
  }
  uint32_t namesName = static_cast<uint32_t>(shstrtab.size());
  shstrtab += std::string(".shstrtab\0", 10);
  std::string file(64, '\0');
  auto put = [](std::string &bytes, size_t at, uint64_t value, int size) {
    for (int i = 0; i < size; ++i)
      bytes[at + i] = static_cast<char>((value >> (8 * i)) & 0xff);
  };
  std::vector<size_t> dataAt;
  for (const auto &section : sections) {
    dataAt.push_back(file.size());
    file += section.second;
  }
  size_t namesAt = file.size();
  file += shstrtab;
  while (file.size() % 8)
    file.push_back('\0');
  size_t shoff = file.size();
  size_t count = sections.size() + 2;
  file += std::string(64 * count, '\0');
  file.replace(0, 4, "\x7f"
                     "ELF");
  file[4] = 2; // ELFCLASS64
  file[5] = 1; // little-endian
  file[6] = 1; // EV_CURRENT
  put(file, 16, 1, 2); // ET_REL
  put(file, 18, machine, 2);
  put(file, 20, 1, 4);
  put(file, 40, shoff, 8);
  put(file, 52, 64, 2);  // e_ehsize
  put(file, 58, 64, 2);  // e_shentsize
  put(file, 60, count, 2); // e_shnum
  put(file, 62, count - 1, 2); // e_shstrndx: the last
  auto header = [&](size_t index, uint32_t name, uint32_t type, uint64_t offset, uint64_t size) {
    size_t at = shoff + 64 * index;
    put(file, at, name, 4);
    put(file, at + 4, type, 4);
    put(file, at + 24, offset, 8);
    put(file, at + 32, size, 8);
  };
  for (size_t i = 0; i < sections.size(); ++i)
    header(i + 1, nameAt[i], 1, dataAt[i], sections[i].second.size()); // PROGBITS
  header(count - 1, namesName, 3, namesAt, shstrtab.size());          // .shstrtab, STRTAB
  return file;
}

const std::string kModinfo = std::string("license=GPL\0", 12) + std::string("\0\0", 2) +
                             std::string("vermagic=6.1.0-47-amd64 SMP preempt mod_unload modversions \0", 61) +
                             std::string("name=hello_stp\0", 15) + std::string("depends=\0", 9);

TEST(RunnerModinfo, ReadsTheFieldsOfAHandWrittenElf) {
  ModuleInfo info = readModuleInfo(fixtureElf(kModinfo));
  ASSERT_EQ(info.error, "");
  EXPECT_EQ(info.machine, 62u);
  EXPECT_EQ(info.get("license"), "GPL");
  EXPECT_EQ(info.get("vermagic"), "6.1.0-47-amd64 SMP preempt mod_unload modversions ");
  EXPECT_EQ(info.get("name"), "hello_stp");
  EXPECT_TRUE(info.has("depends"));
  EXPECT_EQ(info.get("depends"), "");
  EXPECT_FALSE(info.has("srcversion"));
  ASSERT_EQ(info.fields.size(), 4u);
  EXPECT_EQ(moduleName(info, "/tmp/whatever.ko"), "hello_stp");
}

TEST(RunnerModinfo, RefusesWhatIsNoModule) {
  EXPECT_EQ(readModuleInfo("#!/bin/sh\necho not an elf file at all, but long enough to have a header.....\n").error,
            "not an ELF file");
  std::string elf = fixtureElf(kModinfo);
  std::string wrongType = elf;
  wrongType[16] = 2; // ET_EXEC
  EXPECT_NE(readModuleInfo(wrongType).error.find("not relocatable"), std::string::npos);
  std::string noModinfo = elf;
  size_t at = noModinfo.find(".modinfo");
  noModinfo[at + 1] = 'X';
  EXPECT_NE(readModuleInfo(noModinfo).error.find("no .modinfo section"), std::string::npos);
  EXPECT_NE(readModuleInfo(elf.substr(0, elf.size() - 100)).error, "");
  std::string class32 = elf;
  class32[4] = 1;
  EXPECT_EQ(readModuleInfo(class32).error, "not a 64-bit ELF file");
}

TEST(RunnerModinfo, NameFallsBackToTheFileName) {
  ModuleInfo info = readModuleInfo(fixtureElf(std::string("vermagic=6.1.0-56-amd64 SMP \0", 29)));
  ASSERT_EQ(info.error, "");
  EXPECT_EQ(moduleName(info, "/work/out/my-probe.ko"), "my_probe");
  EXPECT_EQ(moduleName(info, "plain"), "plain");
}

// A module-like object file compiled by the system's C compiler.
TEST(RunnerModinfo, ReadsTheModinfoOfACompiledObject) {
  std::string dir = (fs::temp_directory_path() / "mstap-runner-test.XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  {
    std::ofstream source(dir + "/fixture.c");
    source << "#define INFO(tag, text) static const char tag[] __attribute__((section(\".modinfo\"), used, "
              "aligned(1))) = text\n"
              "INFO(a, \"vermagic=6.1.0-47-amd64 SMP preempt mod_unload modversions \");\n"
              "INFO(b, \"name=compiled_fixture\");\n"
              "INFO(c, \"license=GPL\");\n"
              "int fixture_function(int x) { return x + 1; }\n";
  }
  std::string command = "cc -c -O1 -o '" + dir + "/fixture.o' '" + dir + "/fixture.c' 2>'" + dir + "/cc.log'";
  int built = std::system(command.c_str());
  if (built != 0) {
    fs::remove_all(dir);
    GTEST_SKIP() << "no working C compiler (cc): " << command;
  }
  ModuleInfo info = readModuleInfoFile(dir + "/fixture.o");
  fs::remove_all(dir);
  ASSERT_EQ(info.error, "");
  EXPECT_EQ(info.get("vermagic"), "6.1.0-47-amd64 SMP preempt mod_unload modversions ");
  EXPECT_EQ(info.get("name"), "compiled_fixture");
  EXPECT_EQ(info.get("license"), "GPL");
  EXPECT_EQ(info.machine, elfMachineOf(runningKernel().machine));
}

TEST(RunnerModinfo, MissingFileSaysSo) {
  ModuleInfo info = readModuleInfoFile("/nonexistent/dir/x.ko");
  EXPECT_NE(info.error.find("cannot read /nonexistent/dir/x.ko"), std::string::npos) << info.error;
}

// ------------------------------------------------------------ vermagic

const KernelIdentity kDebian{"6.1.0-56-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1 (2025-11-09)", "x86_64"};

TEST(RunnerVermagic, ParsesTheWords) {
  Vermagic magic = parseVermagic("6.1.0-56-amd64 SMP preempt mod_unload modversions ");
  EXPECT_EQ(magic.release, "6.1.0-56-amd64");
  EXPECT_TRUE(magic.smp);
  EXPECT_EQ(magic.preempt, "preempt");
  EXPECT_EQ(magic.words.size(), 5u);
  Vermagic rt = parseVermagic("6.1.0-56-rt-amd64 SMP preempt_rt mod_unload ");
  EXPECT_EQ(rt.preempt, "preempt_rt");
  Vermagic up = parseVermagic("5.10.0 mod_unload");
  EXPECT_FALSE(up.smp);
  EXPECT_EQ(up.preempt, "");
}

TEST(RunnerVermagic, ExplainsAnotherReleaseInWords) {
  EXPECT_EQ(vermagicMismatch("6.1.0-47-amd64 SMP preempt mod_unload modversions ", kDebian),
            "module built for 6.1.0-47-amd64, this kernel is 6.1.0-56-amd64");
  EXPECT_EQ(vermagicMismatch("6.1.0-56-amd64 SMP preempt mod_unload modversions ", kDebian), "");
}

TEST(RunnerVermagic, ExplainsSmpAndPreemption) {
  EXPECT_EQ(vermagicMismatch("6.1.0-56-amd64 preempt mod_unload ", kDebian),
            "module built for a uniprocessor kernel, this kernel 6.1.0-56-amd64 is SMP");
  EXPECT_EQ(vermagicMismatch("6.1.0-56-amd64 SMP mod_unload ", kDebian),
            "module built for a non-preemptible kernel, this kernel 6.1.0-56-amd64 is preemptible (#1 SMP "
            "PREEMPT_DYNAMIC Debian 6.1.158-1 (2025-11-09))");
  KernelIdentity voluntary{"6.1.0-56-cloud-amd64", "#1 SMP Debian 6.1.158-1 (2025-11-09)", "x86_64"};
  EXPECT_EQ(vermagicMismatch("6.1.0-56-cloud-amd64 SMP mod_unload modversions ", voluntary), "");
  EXPECT_EQ(vermagicMismatch("6.1.0-56-cloud-amd64 SMP preempt mod_unload ", voluntary),
            "module built for a preempt kernel, this kernel 6.1.0-56-cloud-amd64 is not preemptible (#1 SMP Debian "
            "6.1.158-1 (2025-11-09))");
  KernelIdentity rt{"6.1.0-56-rt-amd64", "#1 SMP PREEMPT_RT Debian 6.1.158-1 (2025-11-09)", "x86_64"};
  EXPECT_EQ(vermagicMismatch("6.1.0-56-rt-amd64 SMP preempt_rt mod_unload ", rt), "");
  EXPECT_EQ(vermagicMismatch("6.1.0-56-rt-amd64 SMP preempt_rt mod_unload ", KernelIdentity{"6.1.0-56-rt-amd64", "#1 SMP PREEMPT_DYNAMIC", "x86_64"}),
            "module built for a PREEMPT_RT kernel, this kernel 6.1.0-56-rt-amd64 is not (#1 SMP PREEMPT_DYNAMIC)");
  // An unknown uname -v compares the release only.
  EXPECT_EQ(vermagicMismatch("6.1.0-56-amd64 mod_unload ", KernelIdentity{"6.1.0-56-amd64", "", "x86_64"}), "");
  EXPECT_EQ(vermagicMismatch("", kDebian), "the module has an empty vermagic");
}

TEST(RunnerVermagic, MachineNumbers) {
  EXPECT_EQ(elfMachineOf("x86_64"), 62u);
  EXPECT_EQ(elfMachineOf("aarch64"), 183u);
  EXPECT_EQ(elfMachineOf("vax"), 0u);
}

// ------------------------------------------------------------ load errors

TEST(RunnerLoadErrors, ExplainEachRefusal) {
  LoadContext root;
  LoadContext user;
  user.root = false;
  EXPECT_NE(explainLoadError(EPERM, "m", "m.ko", user).find("needs root (or the CAP_SYS_MODULE capability)"),
            std::string::npos);
  LoadContext locked;
  locked.lockdown = "none [integrity] confidentiality";
  std::string lockdown = explainLoadError(EPERM, "m", "m.ko", locked);
  EXPECT_NE(lockdown.find("locked down (integrity mode"), std::string::npos) << lockdown;
  locked.lockdown = "none integrity [confidentiality]";
  EXPECT_NE(explainLoadError(EPERM, "m", "m.ko", locked).find("confidentiality mode"), std::string::npos);
  LoadContext disabled;
  disabled.modulesDisabled = true;
  EXPECT_NE(explainLoadError(EPERM, "m", "m.ko", disabled).find("modules_disabled"), std::string::npos);
  LoadContext notLocked;
  notLocked.lockdown = "[none] integrity confidentiality";
  EXPECT_NE(explainLoadError(EPERM, "m", "m.ko", notLocked).find("CAP_SYS_MODULE"), std::string::npos);
  EXPECT_NE(explainLoadError(EKEYREJECTED, "m", "m.ko", root).find("only signed modules"), std::string::npos);
  EXPECT_NE(explainLoadError(ENOKEY, "m", "m.ko", root).find("only signed modules"), std::string::npos);
  EXPECT_EQ(explainLoadError(EEXIST, "hello_stp", "/tmp/hello_stp.ko", root),
            "cannot load /tmp/hello_stp.ko: a module named hello_stp is already loaded (a run still going, or one "
            "left behind); unload it with: rmmod hello_stp");
  LoadContext mismatch;
  mismatch.vermagicProblem = "module built for 6.1.0-47-amd64, this kernel is 6.1.0-56-amd64";
  EXPECT_EQ(explainLoadError(ENOEXEC, "m", "m.ko", mismatch),
            "cannot load m.ko: module built for 6.1.0-47-amd64, this kernel is 6.1.0-56-amd64 (the kernel says: "
            "Invalid module format)");
  EXPECT_NE(explainLoadError(ENOEXEC, "m", "m.ko", root).find("another kernel version or configuration"),
            std::string::npos);
  EXPECT_NE(explainLoadError(ENOENT, "m", "m.ko", root).find("Unknown symbol"), std::string::npos);
}

// ------------------------------------------------------------ status line

TEST(RunnerStatus, ParsesTheControlLine) {
  ControlStatus status = parseControlStatus("state=stopped errors=2 skipped=7 overruns=1 exit=1\n");
  EXPECT_TRUE(status.parsed);
  EXPECT_EQ(status.state, "stopped");
  EXPECT_EQ(status.errors, 2);
  EXPECT_EQ(status.skipped, 7);
  EXPECT_EQ(status.overruns, 1);
  EXPECT_EQ(status.exit, 1);
  ControlStatus clean = parseControlStatus("state=running errors=0 skipped=0 overruns=0 exit=0");
  EXPECT_TRUE(clean.parsed);
  EXPECT_EQ(clean.errors, 0);
  EXPECT_FALSE(parseControlStatus("").parsed);
  EXPECT_FALSE(parseControlStatus("state=stopped").parsed);
  EXPECT_FALSE(parseControlStatus("garbage errors=x").parsed);
}

// ------------------------------------------------------------ options

ParsedRunnerOptions parse(std::vector<std::string> arguments) { return parseRunnerOptions(arguments); }

TEST(RunnerOptions, ParsesEveryOption) {
  ParsedRunnerOptions p = parse({"-v", "-o", "out.txt", "-T", "2.5", "-c", "ls -l /", "probe.ko", "a=1", "b=x y"});
  ASSERT_EQ(p.error, "");
  EXPECT_FALSE(p.help);
  EXPECT_TRUE(p.options.verbose);
  EXPECT_EQ(p.options.outputFile, "out.txt");
  EXPECT_DOUBLE_EQ(p.options.timeLimitSeconds, 2.5);
  EXPECT_TRUE(p.options.hasCommand);
  EXPECT_EQ(p.options.command, "ls -l /");
  EXPECT_FALSE(p.options.hasTarget);
  EXPECT_EQ(p.options.modulePath, "probe.ko");
  EXPECT_EQ(p.options.parameters, (std::vector<std::string>{"a=1", "b=x y"}));
  EXPECT_EQ(moduleParameters(p.options, 0), "a=1 b=x y");
  EXPECT_EQ(moduleParameters(p.options, 4242), "a=1 b=x y mstap_target=4242");

  ParsedRunnerOptions x = parse({"-x", "123", "-T5", "-oout", "--", "-odd.ko"});
  ASSERT_EQ(x.error, "");
  EXPECT_TRUE(x.options.hasTarget);
  EXPECT_EQ(x.options.targetPid, 123);
  EXPECT_DOUBLE_EQ(x.options.timeLimitSeconds, 5);
  EXPECT_EQ(x.options.outputFile, "out");
  EXPECT_EQ(x.options.modulePath, "-odd.ko");
  EXPECT_EQ(moduleParameters(x.options, 0), "");

  EXPECT_TRUE(parse({"-h"}).help);
  EXPECT_TRUE(parse({"--help", "x.ko"}).help);
}

TEST(RunnerOptions, RefusesBadArguments) {
  EXPECT_EQ(parse({}).error, "no module given");
  EXPECT_EQ(parse({"-v"}).error, "no module given");
  EXPECT_EQ(parse({"-q", "m.ko"}).error, "unknown option '-q'");
  EXPECT_EQ(parse({"m.ko", "-v"}).error, "'-v' is not PARAM=VALUE");
  EXPECT_EQ(parse({"m.ko", "=1"}).error, "'=1' is not PARAM=VALUE");
  EXPECT_EQ(parse({"-T"}).error, "-T needs a value");
  EXPECT_EQ(parse({"-T", "0", "m.ko"}).error, "-T needs a positive number of seconds, not '0'");
  EXPECT_EQ(parse({"-T", "soon", "m.ko"}).error, "-T needs a positive number of seconds, not 'soon'");
  EXPECT_EQ(parse({"-x", "-3", "m.ko"}).error, "-x needs a process id, not '-3'");
  EXPECT_EQ(parse({"-x", "1", "-c", "ls", "m.ko"}).error, "-c and -x cannot be used together");
  EXPECT_EQ(parse({"-c", "ls", "-x", "1", "m.ko"}).error, "-c and -x cannot be used together");
}

// Refusals before anything is loaded, through the real entry point.
TEST(RunnerRun, RefusesAModuleForAnotherKernelWithoutLoadingIt) {
  std::string dir = (fs::temp_directory_path() / "mstap-runner-test.XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  std::string path = dir + "/other.ko";
  {
    std::ofstream out(path, std::ios::binary);
    out << fixtureElf(std::string("vermagic=0.0.1-not-this-kernel SMP preempt mod_unload \0name=other\0", 66));
  }
  RunnerOptions options;
  options.modulePath = path;
  testing::internal::CaptureStderr();
  int status = runModule(options);
  std::string said = testing::internal::GetCapturedStderr();
  fs::remove_all(dir);
  EXPECT_EQ(status, 1);
  EXPECT_EQ(said, "mstap-runner: cannot load " + path + ": module built for 0.0.1-not-this-kernel, this kernel is " +
                      runningKernel().release + "\n");
}

// The module is opened once and checked on its descriptor; the loader gets
// that same descriptor, whatever happens to the path in between (here: a
// fake loader replaces the file, as an attacker racing the load would).
TEST(RunnerRun, LoadsTheDescriptorItChecked) {
  std::string dir = (fs::temp_directory_path() / "mstap-runner-test.XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  std::string path = dir + "/m.ko", other = dir + "/other.ko";
  auto write = [](const std::string &to, const std::string &name, mode_t mode) {
    std::ofstream(to, std::ios::binary) << fixtureElf("name=" + name + std::string("\0", 1));
    ::chmod(to.c_str(), mode);
  };
  write(path, "checked", 0644);
  write(other, "planted", 0644);
  struct stat checked;
  ASSERT_EQ(::stat(path.c_str(), &checked), 0);
  RunnerOptions options;
  options.modulePath = path;
  int calls = 0;
  struct stat loaded {};
  std::string loadedName;
  options.loader = [&](int fd, const std::string &) -> long {
    ++calls;
    std::rename(other.c_str(), path.c_str());
    ::fstat(fd, &loaded);
    std::string bytes(4096, '\0');
    bytes.resize(std::max<ssize_t>(0, ::pread(fd, bytes.data(), bytes.size(), 0)));
    loadedName = readModuleInfo(bytes).get("name");
    errno = EPERM;
    return -1;
  };
  testing::internal::CaptureStderr();
  EXPECT_EQ(runModule(options), 1);
  std::string said = testing::internal::GetCapturedStderr();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(loaded.st_ino, checked.st_ino) << said;
  EXPECT_EQ(loadedName, "checked");

  // Refused before any load: a symbolic link, a file others can write, a
  // file of another user.
  auto refused = [&](const char *what, const std::string &reason) {
    calls = 0;
    testing::internal::CaptureStderr();
    EXPECT_EQ(runModule(options), 1) << what;
    std::string message = testing::internal::GetCapturedStderr();
    EXPECT_EQ(calls, 0) << what;
    EXPECT_NE(message.find(reason), std::string::npos) << what << ": " << message;
  };
  write(path, "checked", 0644);
  std::string link = dir + "/link.ko";
  fs::create_symlink(path, link);
  options.modulePath = link;
  refused("a symbolic link", "it is a symbolic link");
  options.modulePath = path;
  ::chmod(path.c_str(), 0664);
  refused("group-writable", "writable by its group or others");
  ::chmod(path.c_str(), 0646);
  refused("world-writable", "writable by its group or others");
  ::chmod(path.c_str(), 0644);
  if (::geteuid() == 0 && ::getuid() == 0) {
    ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);
    refused("another user's", "it belongs to user 65534");
  }
  options.modulePath = dir;
  refused("a folder", "not a regular file");
  fs::remove_all(dir);
}

// -R: the module's name in its struct module and its .modinfo, replaced in
// place by the run's own; what is loaded is the renamed copy of the bytes
// that were checked.
TEST(RunnerRename, RenamesStructModuleAndModinfo) {
  EXPECT_EQ(runName("mstap_0123456789abcdef", 4242), "mstap_0123456789a_4242");
  EXPECT_EQ(runName("mstap_0123456789abcdef", 4242).size(), std::string("mstap_0123456789abcdef").size());
  // struct module: state (4 bytes and padding), a list head, then the name.
  std::string thisModule = std::string(24, '\0') + "mstap_0123456789abcdef" + std::string(56 - 22, '\0') +
                           std::string(64, '\x55');
  std::string elf = fixtureElf(std::string("license=GPL\0name=mstap_0123456789abcdef\0depends=\0", 49), 62,
                               thisModule);
  std::string renamed = elf;
  ASSERT_EQ(renameModule(renamed, "mstap_0123456789abcdef", "mstap_0123456789a_4242"), "");
  EXPECT_EQ(renamed.size(), elf.size());
  ModuleInfo info = readModuleInfo(renamed);
  ASSERT_EQ(info.error, "");
  EXPECT_EQ(info.get("name"), "mstap_0123456789a_4242");
  EXPECT_EQ(info.get("license"), "GPL");
  EXPECT_TRUE(info.has("depends"));
  EXPECT_NE(renamed.find(std::string(24, '\0') + "mstap_0123456789a_4242" + std::string(56 - 22, '\0') + "\x55"),
            std::string::npos);
  EXPECT_EQ(renamed.find("mstap_0123456789abcdef"), std::string::npos);
  // Longer names cannot be written in place; a module without the name is refused.
  std::string copy = elf;
  EXPECT_NE(renameModule(copy, "mstap_0123456789abcdef", "mstap_0123456789abcdef_1"), "");
  EXPECT_EQ(copy, elf) << "left as it was";
  EXPECT_NE(renameModule(copy, "other", "o"), "");
  EXPECT_NE(renameModule(copy = fixtureElf(kModinfo), "hello_stp", "h_1"), "") << "no struct module";
}

TEST(RunnerRename, LoadsTheRenamedCopy) {
  std::string dir = (fs::temp_directory_path() / "mstap-runner-test.XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  std::string path = dir + "/m.ko";
  std::string thisModule = std::string(24, '\0') + "mstap_0123456789abcdef" + std::string(34, '\0');
  std::ofstream(path, std::ios::binary) << fixtureElf(std::string("name=mstap_0123456789abcdef\0", 28), 62,
                                                      thisModule);
  ::chmod(path.c_str(), 0644);
  RunnerOptions options;
  options.modulePath = path;
  options.rename = true;
  std::string loadedName;
  options.loader = [&](int fd, const std::string &) -> long {
    std::string bytes(4096, '\0');
    bytes.resize(std::max<ssize_t>(0, ::pread(fd, bytes.data(), bytes.size(), 0)));
    loadedName = readModuleInfo(bytes).get("name");
    errno = EPERM;
    return -1;
  };
  testing::internal::CaptureStderr();
  EXPECT_EQ(runModule(options), 1);
  std::string said = testing::internal::GetCapturedStderr();
  EXPECT_EQ(loadedName, runName("mstap_0123456789abcdef", ::getpid())) << said;
  fs::remove_all(dir);
}

// Installed setuid root: who may load what, as stap's stapdev/stapusr.
TEST(RunnerPrivilege, GroupsDecideWhoLoadsWhat) {
  const std::string groups = "root:x:0:\nmstap-dev:x:901:alice\n# a comment\nbroken\nmstap-usr:x:902:bob,carol\n"
                             "users:x:100:\n";
  EXPECT_EQ(groupIdIn(groups, "mstap-dev"), 901);
  EXPECT_EQ(groupIdIn(groups, "mstap-usr"), 902);
  EXPECT_EQ(groupIdIn(groups, "mstap"), -1);
  EXPECT_EQ(groupIdIn("mstap-dev:x:notanumber:\n", "mstap-dev"), -1);
  const std::string approved = "/lib/modules/6.1.0-57-amd64/mstap";
  Invoker root{0, {0}}, dev{1000, {1000, 901}}, usr{1001, {1001, 100, 902}}, other{1002, {1002, 100}};
  EXPECT_EQ(loadRefusal(root, groups, 1000, "/tmp/m.ko", approved, false), "");
  EXPECT_EQ(loadRefusal(dev, groups, 1000, "/home/alice/m.ko", approved, false), "") << "its own module";
  EXPECT_EQ(loadRefusal(usr, groups, 0, approved + "/m.ko", approved, true), "") << "an approved module";
  EXPECT_NE(loadRefusal(usr, groups, 1001, "/home/bob/m.ko", approved, true).find("members of mstap-usr may load only "
                                                                                   "modules in " + approved),
            std::string::npos);
  EXPECT_NE(loadRefusal(usr, groups, 1001, approved + "/m.ko", approved, true), "") << "not root's";
  EXPECT_NE(loadRefusal(usr, groups, 0, approved + "/m.ko", approved, false), "") << "a folder others can write";
  EXPECT_NE(loadRefusal(usr, groups, 0, approved + "/sub/m.ko", approved, true), "") << "below the folder";
  EXPECT_NE(loadRefusal(usr, groups, 0, approved + "x/m.ko", approved, true), "") << "a folder of a similar name";
  std::string refused = loadRefusal(other, groups, 1002, "/tmp/m.ko", approved, true);
  EXPECT_NE(refused.find("user 1002 may not load modules"), std::string::npos) << refused;
  EXPECT_NE(refused.find("mstap-dev"), std::string::npos) << "names the groups";
  EXPECT_NE(refused.find("mstap-usr"), std::string::npos);
  EXPECT_NE(loadRefusal(dev, "", 1000, "/tmp/m.ko", approved, true), "") << "no such group: nobody is in it";
}

// What mstap hands a setuid runner reads back as the same run.
TEST(RunnerOptions, ArgumentsReadBack) {
  RunnerOptions o;
  o.outputFile = "-out file";
  o.timeLimitSeconds = 2.5;
  o.command = "echo '-v' $HOME";
  o.hasCommand = true;
  o.verbose = true;
  o.rename = true;
  o.modulePath = "-m.ko";
  o.parameters = {"a=1", "b=x y"};
  ParsedRunnerOptions back = parseRunnerOptions(runnerArguments(o));
  ASSERT_EQ(back.error, "");
  EXPECT_EQ(back.options.outputFile, o.outputFile);
  EXPECT_EQ(back.options.timeLimitSeconds, 2.5);
  EXPECT_EQ(back.options.command, o.command);
  EXPECT_TRUE(back.options.hasCommand);
  EXPECT_FALSE(back.options.hasTarget);
  EXPECT_TRUE(back.options.verbose);
  EXPECT_TRUE(back.options.rename);
  EXPECT_EQ(back.options.modulePath, "-m.ko");
  EXPECT_EQ(back.options.parameters, o.parameters);
  RunnerOptions target;
  target.targetPid = 42;
  target.hasTarget = true;
  target.modulePath = "m.ko";
  back = parseRunnerOptions(runnerArguments(target));
  ASSERT_EQ(back.error, "");
  EXPECT_EQ(back.options.targetPid, 42);
  EXPECT_TRUE(back.options.hasTarget);
  EXPECT_FALSE(back.options.rename);
  EXPECT_TRUE(back.options.outputFile.empty());
}

// -o FILE follows no symbolic link and overwrites no other user's file.
TEST(RunnerRun, OutputFileIsOpenedSafely) {
  std::string dir = (fs::temp_directory_path() / "mstap-runner-test.XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  std::string target = dir + "/precious", link = dir + "/out";
  std::ofstream(target) << "keep";
  fs::create_symlink(target, link);
  std::string error;
  EXPECT_EQ(openOutputFile(link, ::getuid(), error), -1);
  EXPECT_NE(error.find("symbolic link"), std::string::npos) << error;
  std::ifstream in(target);
  std::string kept((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(kept, "keep");
  error.clear();
  EXPECT_EQ(openOutputFile(target, ::getuid() + 1, error), -1) << "another user's file";
  EXPECT_NE(error.find("belongs to user"), std::string::npos) << error;
  int fd = openOutputFile(target, ::getuid(), error);
  ASSERT_GE(fd, 0) << error;
  struct stat st;
  ::fstat(fd, &st);
  EXPECT_EQ(st.st_size, 0) << "truncated";
  ::close(fd);
  fd = openOutputFile(dir + "/new", ::getuid(), error);
  EXPECT_GE(fd, 0) << error;
  ::close(fd);
  fs::remove_all(dir);
}

} // namespace
} // namespace mstap::run
