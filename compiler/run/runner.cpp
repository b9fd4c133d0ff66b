// mstap-runner's library: see runner.h. Only libc and libstdc++ here.
#include "run/runner.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <fstream>
#include <mutex>
#include <pthread.h>
#include <sstream>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <thread>
#include <time.h>
#include <unistd.h>

namespace mstap::run {

// ============================================================ records

std::string encodeRecord(unsigned stream, std::string_view data) {
  std::string record;
  record.reserve(kRecordHeaderBytes + data.size());
  record.push_back(static_cast<char>(stream & 0xff));
  record.push_back(static_cast<char>((stream >> 8) & 0xff));
  record.push_back(static_cast<char>(data.size() & 0xff));
  record.push_back(static_cast<char>((data.size() >> 8) & 0xff));
  record.append(data);
  return record;
}

namespace {
unsigned readU16(const char *p) {
  return static_cast<unsigned>(static_cast<unsigned char>(p[0])) |
         (static_cast<unsigned>(static_cast<unsigned char>(p[1])) << 8);
}
} // namespace

void RecordDecoder::feed(std::string_view bytes, const Sink &sink) {
  // Finish the record left over from the last feed first.
  if (!partial_.empty()) {
    if (partial_.size() < kRecordHeaderBytes) {
      size_t take = std::min(kRecordHeaderBytes - partial_.size(), bytes.size());
      partial_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      if (partial_.size() < kRecordHeaderBytes)
        return;
    }
    size_t want = kRecordHeaderBytes + readU16(partial_.data() + 2);
    size_t take = std::min(want - partial_.size(), bytes.size());
    partial_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (partial_.size() < want)
      return;
    std::string record = std::move(partial_);
    partial_.clear();
    sink(readU16(record.data()), std::string_view(record).substr(kRecordHeaderBytes));
  }
  while (bytes.size() >= kRecordHeaderBytes) {
    size_t length = readU16(bytes.data() + 2);
    if (bytes.size() < kRecordHeaderBytes + length)
      break;
    sink(readU16(bytes.data()), bytes.substr(kRecordHeaderBytes, length));
    bytes.remove_prefix(kRecordHeaderBytes + length);
  }
  partial_.assign(bytes);
}

// ============================================================ the module file

std::string ModuleInfo::get(std::string_view key) const {
  for (const auto &[k, v] : fields)
    if (k == key)
      return v;
  return "";
}

bool ModuleInfo::has(std::string_view key) const {
  for (const auto &field : fields)
    if (field.first == key)
      return true;
  return false;
}

namespace {

template <typename T> T readLe(std::string_view bytes, size_t offset) {
  T value = 0;
  for (size_t i = 0; i < sizeof(T); ++i)
    value |= static_cast<T>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  return value;
}

} // namespace

namespace {

struct ElfSection {
  std::string name;
  uint32_t type = 0;
  uint64_t offset = 0, size = 0; // within the file, checked to be inside it unless SHT_NOBITS
};

// The sections of a relocatable ELF64 little-endian file (a module), and
// its machine; "" in `error` when its headers could be read.
std::vector<ElfSection> elfSections(std::string_view elf, unsigned &machine, std::string &error) {
  std::vector<ElfSection> sections;
  auto fail = [&](const std::string &message) {
    error = message;
    return std::vector<ElfSection>();
  };
  if (elf.size() < 64 || elf.substr(0, 4) != "\x7f"
                                             "ELF")
    return fail("not an ELF file");
  if (elf[4] != 2)
    return fail("not a 64-bit ELF file");
  if (elf[5] != 1)
    return fail("not a little-endian ELF file");
  uint16_t type = readLe<uint16_t>(elf, 16);
  machine = readLe<uint16_t>(elf, 18);
  if (type != 1) // ET_REL
    return fail("not a kernel module (the ELF file is not relocatable)");
  uint64_t shoff = readLe<uint64_t>(elf, 40);
  uint16_t shentsize = readLe<uint16_t>(elf, 58);
  uint64_t shnum = readLe<uint16_t>(elf, 60);
  uint32_t shstrndx = readLe<uint16_t>(elf, 62);
  if (shentsize < 64 || shoff == 0 || shoff > elf.size())
    return fail("the ELF file has no usable section headers");
  if (shnum == 0 && shoff + 64 <= elf.size())
    shnum = readLe<uint64_t>(elf, shoff + 32); // SHN_UNDEF's sh_size holds large counts
  if (shstrndx == 0xffff && shoff + 64 <= elf.size())
    shstrndx = readLe<uint32_t>(elf, shoff + 40);
  if (shnum == 0 || shnum > (elf.size() - shoff) / shentsize)
    return fail("the ELF file's section headers run past its end");
  if (shstrndx >= shnum)
    return fail("the ELF file has no section name table");
  auto section = [&](uint64_t index) {
    size_t at = shoff + index * shentsize;
    ElfSection s;
    s.type = readLe<uint32_t>(elf, at + 4);
    s.offset = readLe<uint64_t>(elf, at + 24);
    s.size = readLe<uint64_t>(elf, at + 32);
    return std::make_pair(readLe<uint32_t>(elf, at), s);
  };
  ElfSection names = section(shstrndx).second;
  if (names.offset > elf.size() || names.size > elf.size() - names.offset)
    return fail("the ELF file's section name table runs past its end");
  std::string_view nameTable = elf.substr(names.offset, names.size);
  for (uint64_t i = 1; i < shnum; ++i) {
    auto [nameAt, s] = section(i);
    if (nameAt >= nameTable.size())
      continue;
    std::string_view name = nameTable.substr(nameAt);
    s.name = std::string(name.substr(0, name.find('\0')));
    if (s.type != 8 /* SHT_NOBITS */ && (s.offset > elf.size() || s.size > elf.size() - s.offset))
      return fail("the module's " + s.name + " section runs past the file's end");
    sections.push_back(std::move(s));
  }
  return sections;
}

const ElfSection *findSection(const std::vector<ElfSection> &sections, std::string_view name) {
  for (const ElfSection &s : sections)
    if (s.name == name && s.type != 8 /* SHT_NOBITS */)
      return &s;
  return nullptr;
}

} // namespace

ModuleInfo readModuleInfo(std::string_view elf) {
  ModuleInfo info;
  std::vector<ElfSection> sections = elfSections(elf, info.machine, info.error);
  if (!info.error.empty())
    return info;
  const ElfSection *modinfo = findSection(sections, ".modinfo");
  if (!modinfo) {
    info.error = "not a kernel module (the ELF file has no .modinfo section)";
    return info;
  }
  std::string_view data = elf.substr(modinfo->offset, modinfo->size);
  while (!data.empty()) {
    size_t end = data.find('\0');
    std::string_view entry = data.substr(0, end);
    data.remove_prefix(end == std::string_view::npos ? data.size() : end + 1);
    if (entry.empty())
      continue; // padding between entries
    size_t equals = entry.find('=');
    if (equals == std::string_view::npos)
      info.fields.emplace_back(std::string(entry), "");
    else
      info.fields.emplace_back(std::string(entry.substr(0, equals)), std::string(entry.substr(equals + 1)));
  }
  return info;
}

std::string renameModule(std::string &elf, const std::string &from, const std::string &to) {
  if (to.size() > from.size() || to.empty())
    return "the new name '" + to + "' is longer than '" + from + "'";
  unsigned machine = 0;
  std::string error;
  std::vector<ElfSection> sections = elfSections(elf, machine, error);
  if (!error.empty())
    return error;
  const ElfSection *thisModule = findSection(sections, ".gnu.linkonce.this_module");
  const ElfSection *modinfo = findSection(sections, ".modinfo");
  if (!thisModule || !modinfo)
    return "the module has no .gnu.linkonce.this_module or .modinfo section";
  // struct module's name: the old name, NUL-padded, in the section (where
  // exactly depends on the kernel's struct layout, so it is searched for).
  std::string padded = from + std::string(1, '\0');
  size_t at = std::string_view(elf).substr(thisModule->offset, thisModule->size).find(padded);
  if (at == std::string::npos)
    return "the module's struct module does not hold the name '" + from + "'";
  at += thisModule->offset;
  elf.replace(at, from.size(), to + std::string(from.size() - to.size(), '\0'));
  // .modinfo's "name=" entry, in place: NULs pad it, as between entries.
  std::string entry = "name=" + from + std::string(1, '\0');
  std::string_view info = std::string_view(elf).substr(modinfo->offset, modinfo->size);
  for (size_t i = 0; i < info.size(); i = info.find('\0', i) + 1) {
    if (info.compare(i, entry.size(), entry) == 0) {
      elf.replace(modinfo->offset + i + 5, from.size(), to + std::string(from.size() - to.size(), '\0'));
      return "";
    }
    if (info.find('\0', i) == std::string_view::npos)
      break;
  }
  return "the module's .modinfo has no name=" + from;
}

std::string runName(const std::string &name, long long pid) {
  std::string suffix = "_" + std::to_string(pid);
  if (name.size() <= suffix.size() + 1)
    return name + suffix; // too short to keep its length: the caller refuses it
  return name.substr(0, name.size() - suffix.size()) + suffix;
}

ModuleFile openModuleFile(const std::string &path, unsigned invoker) {
  ModuleFile file;
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    file.error = errno == ELOOP ? "cannot load " + path + ": it is a symbolic link (give the module's own path)"
                                : "cannot read " + path + ": " + std::strerror(errno);
    return file;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    file.error = "cannot read " + path + ": " + std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    file.error = "cannot load " + path + ": it is not a regular file";
  } else if (st.st_uid != 0 && st.st_uid != invoker) {
    file.error = "cannot load " + path + ": it belongs to user " + std::to_string(st.st_uid) +
                 "; only modules of root or of user " + std::to_string(invoker) + " are loaded";
  } else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    file.error = "cannot load " + path + ": it is writable by its group or others (chmod go-w " + path + ")";
  }
  while (file.error.empty()) {
    char buffer[65536];
    ssize_t got = ::pread(fd, buffer, sizeof(buffer), static_cast<off_t>(file.bytes.size()));
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      file.error = "cannot read " + path + ": " + std::strerror(errno);
    if (got <= 0)
      break;
    file.bytes.append(buffer, static_cast<size_t>(got));
  }
  if (!file.error.empty()) {
    ::close(fd);
    return file;
  }
  file.fd = fd;
  return file;
}

Invoker currentInvoker() {
  Invoker who;
  who.uid = ::getuid();
  who.groups.push_back(::getgid());
  int count = ::getgroups(0, nullptr);
  std::vector<gid_t> groups(count > 0 ? static_cast<size_t>(count) : 0);
  if (count > 0 && ::getgroups(count, groups.data()) == count)
    for (gid_t g : groups)
      who.groups.push_back(g);
  return who;
}

long groupIdIn(std::string_view groupFile, std::string_view name) {
  while (!groupFile.empty()) {
    size_t end = groupFile.find('\n');
    std::string_view line = groupFile.substr(0, end);
    groupFile.remove_prefix(end == std::string_view::npos ? groupFile.size() : end + 1);
    // name:password:gid:members
    size_t first = line.find(':'), second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos || line.substr(0, first) != name)
      continue;
    std::string_view gid = line.substr(second + 1, line.find(':', second + 1) - second - 1);
    if (gid.empty() || gid.size() > 10 || gid.find_first_not_of("0123456789") != std::string_view::npos)
      continue;
    return std::strtol(std::string(gid).c_str(), nullptr, 10);
  }
  return -1;
}

std::string loadRefusal(const Invoker &who, std::string_view groupFile, unsigned owner, const std::string &realPath,
                        const std::string &approvedFolder, bool approvedTrusted) {
  if (who.uid == 0)
    return "";
  auto member = [&](const char *group) {
    long gid = groupIdIn(groupFile, group);
    return gid >= 0 && std::find(who.groups.begin(), who.groups.end(), static_cast<unsigned>(gid)) != who.groups.end();
  };
  if (member("mstap-dev"))
    return ""; // openModuleFile let only root's or the user's own through
  bool approved = approvedTrusted && owner == 0 && realPath.rfind(approvedFolder + "/", 0) == 0 &&
                  realPath.find('/', approvedFolder.size() + 1) == std::string::npos;
  if (member("mstap-usr"))
    return approved ? "" : "members of mstap-usr may load only modules in " + approvedFolder +
                               " (root's, approved by the administrator); " + realPath + " is not one";
  return "user " + std::to_string(who.uid) +
         " may not load modules: only root and the members of the groups mstap-dev (their own modules) and "
         "mstap-usr (modules in " + approvedFolder + ") may";
}

int openOutputFile(const std::string &path, unsigned invoker, std::string &error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) {
    error = errno == ELOOP ? "cannot write " + path + ": it is a symbolic link"
                           : "cannot write " + path + ": " + std::strerror(errno);
    return -1;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || (S_ISREG(st.st_mode) && st.st_uid != invoker)) {
    error = "cannot write " + path + ": it belongs to user " + std::to_string(st.st_uid) + ", not to user " +
            std::to_string(invoker);
    ::close(fd);
    return -1;
  }
  if (S_ISREG(st.st_mode) && ::ftruncate(fd, 0) != 0) {
    error = "cannot write " + path + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

ModuleInfo readModuleInfoFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ModuleInfo info;
    info.error = std::string("cannot read ") + path + ": " + std::strerror(errno);
    return info;
  }
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ModuleInfo info = readModuleInfo(bytes);
  if (!info.error.empty())
    info.error = path + ": " + info.error;
  return info;
}

std::string moduleName(const ModuleInfo &info, const std::string &path) {
  std::string name = info.get("name");
  if (name.empty()) {
    name = path.substr(path.rfind('/') + 1);
    if (name.size() > 3 && name.compare(name.size() - 3, 3, ".ko") == 0)
      name.resize(name.size() - 3);
  }
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

namespace {

std::vector<std::string> splitWords(std::string_view text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n'))
      ++i;
    size_t start = i;
    while (i < text.size() && !(text[i] == ' ' || text[i] == '\t' || text[i] == '\n'))
      ++i;
    if (i > start)
      words.emplace_back(text.substr(start, i - start));
  }
  return words;
}

bool hasWord(const std::vector<std::string> &words, std::string_view word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

} // namespace

Vermagic parseVermagic(std::string_view text) {
  Vermagic magic;
  magic.words = splitWords(text);
  if (!magic.words.empty())
    magic.release = magic.words[0];
  for (size_t i = 1; i < magic.words.size(); ++i) {
    const std::string &word = magic.words[i];
    if (word == "SMP")
      magic.smp = true;
    else if (word == "preempt" || word == "preempt_rt")
      magic.preempt = word;
  }
  return magic;
}

KernelIdentity runningKernel() {
  KernelIdentity kernel;
  struct utsname names;
  if (::uname(&names) == 0) {
    kernel.release = names.release;
    kernel.version = names.version;
    kernel.machine = names.machine;
  }
  return kernel;
}

std::string vermagicMismatch(std::string_view moduleVermagic, const KernelIdentity &kernel) {
  Vermagic module = parseVermagic(moduleVermagic);
  if (module.release.empty())
    return "the module has an empty vermagic";
  if (!kernel.release.empty() && module.release != kernel.release)
    return "module built for " + module.release + ", this kernel is " + kernel.release;
  // uname -v names SMP and the preemption model: "#1 SMP PREEMPT_DYNAMIC ...".
  std::vector<std::string> version = splitWords(kernel.version);
  if (version.empty())
    return "";
  bool smp = hasWord(version, "SMP");
  if (module.smp != smp)
    return module.smp ? "module built for an SMP kernel, this kernel " + kernel.release + " is not SMP (" + kernel.version + ")"
                      : "module built for a uniprocessor kernel, this kernel " + kernel.release + " is SMP";
  bool rt = hasWord(version, "PREEMPT_RT");
  bool preempt = rt || hasWord(version, "PREEMPT") || hasWord(version, "PREEMPT_DYNAMIC") ||
                 hasWord(version, "PREEMPT_LAZY");
  std::string moduleModel = module.preempt.empty() ? "a non-preemptible" : "a " + module.preempt;
  if (module.preempt.empty() && preempt)
    return "module built for a non-preemptible kernel, this kernel " + kernel.release + " is preemptible (" +
           kernel.version + ")";
  if (!module.preempt.empty() && !preempt)
    return "module built for " + moduleModel + " kernel, this kernel " + kernel.release + " is not preemptible (" +
           kernel.version + ")";
  if (module.preempt == "preempt_rt" && !rt)
    return "module built for a PREEMPT_RT kernel, this kernel " + kernel.release + " is not (" + kernel.version + ")";
  return "";
}

unsigned elfMachineOf(std::string_view machine) {
  if (machine == "x86_64")
    return 62;
  if (machine == "aarch64")
    return 183;
  if (machine == "ppc64le" || machine == "ppc64")
    return 21;
  if (machine == "s390x")
    return 22;
  if (machine == "riscv64")
    return 243;
  return 0;
}

// ============================================================ loading

namespace {

std::string readSmallFile(const char *path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return text;
}

} // namespace

LoadContext currentLoadContext() {
  LoadContext context;
  context.root = ::geteuid() == 0;
  context.lockdown = readSmallFile("/sys/kernel/security/lockdown");
  context.modulesDisabled = readSmallFile("/proc/sys/kernel/modules_disabled") == "1";
  return context;
}

std::string explainLoadError(int error, const std::string &name, const std::string &path, const LoadContext &context) {
  std::string prefix = "cannot load " + path + ": ";
  switch (error) {
  case EPERM:
    if (!context.root)
      return prefix + "loading a kernel module needs root (or the CAP_SYS_MODULE capability); run mstap-runner as root";
    if (context.lockdown.find("[integrity]") != std::string::npos ||
        context.lockdown.find("[confidentiality]") != std::string::npos) {
      std::string mode = context.lockdown.find("[integrity]") != std::string::npos ? "integrity" : "confidentiality";
      return prefix + "the kernel is locked down (" + mode +
             " mode, see /sys/kernel/security/lockdown; usually from Secure Boot): it loads only modules signed "
             "with a key it trusts, and " +
             name + " is not";
    }
    if (context.modulesDisabled)
      return prefix + "module loading is disabled until the next boot (/proc/sys/kernel/modules_disabled is 1)";
    return prefix + "the kernel refused (EPERM): CAP_SYS_MODULE is missing here (a container?), a security module "
                    "refused it, or the kernel is locked down (" +
           (context.lockdown.empty() ? std::string("/sys/kernel/security/lockdown cannot be read; is securityfs mounted?")
                                     : "lockdown: " + context.lockdown) +
           ")";
  case EKEYREJECTED:
  case ENOKEY:
    return prefix + "the kernel accepts only signed modules (module signature enforcement), and " + name +
           " is unsigned or signed with a key the kernel does not trust (" + std::strerror(error) +
           "); sign it with scripts/sign-file or boot with module.sig_enforce=0";
  case EEXIST:
    return prefix + "a module named " + name + " is already loaded (a run still going, or one left behind); " +
           "unload it with: rmmod " + name;
  case ENOEXEC:
    if (!context.vermagicProblem.empty())
      return prefix + context.vermagicProblem + " (the kernel says: Invalid module format)";
    return prefix + "the kernel says the module's format is invalid: it was built for another kernel "
                    "version or configuration, or the file is damaged; dmesg tells more";
  case ENOENT:
    return prefix + "the module needs symbols this kernel does not have (dmesg shows 'Unknown symbol'); it was built "
                    "for another kernel or needs another module loaded first";
  case EINVAL:
    return prefix + "the kernel refused the module (EINVAL): a bad parameter, or symbol versions that do not "
                    "match this kernel; dmesg tells more";
  case EBUSY:
    return prefix + "a module named " + name + " is being loaded or unloaded right now; try again";
  case ENOMEM:
    return prefix + "the kernel is out of memory for the module";
  case ENOSYS:
    return prefix + "this kernel cannot load modules (built without CONFIG_MODULES)";
  default:
    return prefix + std::strerror(error);
  }
}

// ============================================================ control status

ControlStatus parseControlStatus(std::string_view line) {
  ControlStatus status;
  bool sawState = false, sawErrors = false;
  for (const std::string &word : splitWords(line)) {
    size_t equals = word.find('=');
    if (equals == std::string::npos)
      continue;
    std::string key = word.substr(0, equals), value = word.substr(equals + 1);
    char *end = nullptr;
    long long number = std::strtoll(value.c_str(), &end, 10);
    bool numeric = !value.empty() && *end == '\0';
    if (key == "state") {
      status.state = value;
      sawState = true;
    } else if (key == "errors" && numeric) {
      status.errors = number;
      sawErrors = true;
    } else if (key == "skipped" && numeric) {
      status.skipped = number;
    } else if (key == "overruns" && numeric) {
      status.overruns = number;
    } else if (key == "exit" && numeric) {
      status.exit = static_cast<int>(number);
    }
  }
  status.parsed = sawState && sawErrors;
  return status;
}

// ============================================================ options

const char *const kRunnerUsage =
    "usage: mstap-runner [-o FILE] [-T SECONDS] [-c CMD] [-x PID] [-v] [-R] MODULE.ko [PARAM=VALUE...]\n"
    "Loads a module built by mstap, runs its session and unloads it.\n"
    "\n"
    "  -o FILE     write the script's standard output to FILE\n"
    "  -T SECONDS  stop the run after SECONDS (decimals allowed)\n"
    "  -c CMD      run `sh -c CMD` once the session has started; stop when it ends; its pid is target()\n"
    "  -x PID      target() is PID\n"
    "  -v          say what happens, on standard error\n"
    "  -R          load the module under a name of this run's own (NAME's end replaced by _PID)\n"
    "  -h          this help\n"
    "\n"
    "Installed setuid root, it loads for members of mstap-dev their own modules and for members of\n"
    "mstap-usr the modules in /lib/modules/RELEASE/mstap/; -c and -o then act as the user.\n"
    "\n"
    "Exit status: 0 when the run ended without errors, 1 otherwise.\n";

ParsedRunnerOptions parseRunnerOptions(const std::vector<std::string> &arguments) {
  ParsedRunnerOptions parsed;
  RunnerOptions &options = parsed.options;
  auto fail = [&](const std::string &message) {
    parsed.error = message;
    return parsed;
  };
  size_t i = 0;
  for (; i < arguments.size(); ++i) {
    const std::string &arg = arguments[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg.size() < 2 || arg[0] != '-')
      break;
    if (arg == "-h" || arg == "--help") {
      parsed.help = true;
      return parsed;
    }
    if (arg == "-v") {
      options.verbose = true;
      continue;
    }
    if (arg == "-R") {
      options.rename = true;
      continue;
    }
    char letter = arg[1];
    if (letter != 'o' && letter != 'T' && letter != 'c' && letter != 'x')
      return fail("unknown option '" + arg + "'");
    std::string value;
    if (arg.size() > 2) {
      value = arg.substr(2); // -T5, -ofile
    } else {
      if (i + 1 >= arguments.size())
        return fail(std::string("-") + letter + " needs a value");
      value = arguments[++i];
    }
    switch (letter) {
    case 'o':
      if (value.empty())
        return fail("-o needs a file name");
      options.outputFile = value;
      break;
    case 'T': {
      char *end = nullptr;
      errno = 0;
      double seconds = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0' || errno != 0 || !(seconds > 0) || !std::isfinite(seconds) ||
          seconds > 1e9)
        return fail("-T needs a positive number of seconds, not '" + value + "'");
      options.timeLimitSeconds = seconds;
      break;
    }
    case 'c':
      if (options.hasTarget)
        return fail("-c and -x cannot be used together");
      options.command = value;
      options.hasCommand = true;
      break;
    case 'x': {
      if (options.hasCommand)
        return fail("-c and -x cannot be used together");
      char *end = nullptr;
      errno = 0;
      long long pid = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || errno != 0 || pid <= 0 || pid > 0x7fffffff)
        return fail("-x needs a process id, not '" + value + "'");
      options.targetPid = pid;
      options.hasTarget = true;
      break;
    }
    }
  }
  if (i >= arguments.size())
    return fail("no module given");
  options.modulePath = arguments[i++];
  for (; i < arguments.size(); ++i) {
    const std::string &parameter = arguments[i];
    size_t equals = parameter.find('=');
    if (equals == 0 || equals == std::string::npos)
      return fail("'" + parameter + "' is not PARAM=VALUE");
    options.parameters.push_back(parameter);
  }
  return parsed;
}

std::vector<std::string> runnerArguments(const RunnerOptions &options) {
  std::vector<std::string> arguments;
  if (!options.outputFile.empty())
    arguments.insert(arguments.end(), {"-o", options.outputFile});
  if (options.timeLimitSeconds > 0) {
    char seconds[64];
    std::snprintf(seconds, sizeof(seconds), "%.17g", options.timeLimitSeconds);
    arguments.insert(arguments.end(), {"-T", seconds});
  }
  if (options.hasCommand)
    arguments.insert(arguments.end(), {"-c", options.command});
  if (options.hasTarget)
    arguments.insert(arguments.end(), {"-x", std::to_string(options.targetPid)});
  if (options.verbose)
    arguments.push_back("-v");
  if (options.rename)
    arguments.push_back("-R");
  arguments.push_back("--");
  arguments.push_back(options.modulePath);
  arguments.insert(arguments.end(), options.parameters.begin(), options.parameters.end());
  return arguments;
}

std::string moduleParameters(const RunnerOptions &options, long long targetPid) {
  std::string text;
  for (const std::string &parameter : options.parameters)
    text += (text.empty() ? "" : " ") + parameter;
  if (targetPid > 0)
    text += (text.empty() ? "" : " ") + std::string("mstap_target=") + std::to_string(targetPid);
  return text;
}

// ============================================================ the run

namespace {

void say(const std::string &message) {
  std::string line = "mstap-runner: " + message + "\n";
  ssize_t ignored = ::write(2, line.data(), line.size());
  (void)ignored;
}

// Writes all of `data`; false (errno set) on failure.
bool writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

double monotonicSeconds() {
  struct timespec now;
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

// The signals the control thread waits for; blocked in every thread.
sigset_t watchedSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGALRM})
    sigaddset(&set, signal);
  return set;
}

int unloadModule(const std::string &name, bool verbose) {
  // O_NONBLOCK: fail at once rather than wait while something holds it.
  for (int attempt = 0;; ++attempt) {
    if (::syscall(SYS_delete_module, name.c_str(), O_NONBLOCK) == 0) {
      if (verbose)
        say("unloaded " + name);
      return 0;
    }
    int error = errno;
    if (error == EINTR)
      continue;
    if ((error == EAGAIN || error == EBUSY || error == EWOULDBLOCK) && attempt < 100) {
      ::usleep(50 * 1000);
      continue;
    }
    if (error == ENOENT)
      say("the module " + name + " was already unloaded");
    else
      say("cannot unload " + name + ": " + std::strerror(error) + "; unload it with: rmmod " + name);
    return error;
  }
}

// The session: what the control thread and the main thread share.
class Session {
public:
  Session(const RunnerOptions &options, std::string name, const ModuleFile &module)
      : options_(options), name_(std::move(name)), module_(module) {}

  int run();

private:
  // ---- the control thread's side
  void controlLoop();
  // Asks the module to stop once it has started; before, only remembers it.
  void requestStop(const std::string &why);

  int runLoaded();
  bool loadModule(const std::string &parameters);
  bool startCommandChild();
  void releaseCommandChild();
  void finishCommandChild();
  void readRecords();
  void runSystemCommand(std::string_view command);
  void reapSystemCommands(bool wait);
  ControlStatus readStatus();

  const RunnerOptions &options_;
  std::string name_;
  const ModuleFile &module_; // opened and checked once: what is loaded
  int controlFd_ = -1, outputFd_ = -1, sinkFd_ = 1;
  std::mutex mutex_;           // guards started_, stopWanted_, stopWritten_
  bool started_ = false, stopWanted_ = false, stopWritten_ = false;
  std::string stopReason_;
  std::atomic<bool> finished_{false};
  std::atomic<bool> failed_{false};
  pid_t child_ = -1;     // the -c command
  int childGate_ = -1;   // its end of the pipe that holds it
  std::atomic<bool> childReaped_{false};
  int childStatus_ = 0;
  std::vector<pid_t> systemCommands_; // system()'s, not yet reaped (the reading thread's)
};

void Session::requestStop(const std::string &why) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (stopWanted_)
    return;
  stopWanted_ = true;
  stopReason_ = why;
  if (!started_)
    return; // the main thread sees stopWanted_ before it starts
  stopWritten_ = true;
  lock.unlock();
  if (options_.verbose)
    say("stopping: " + why);
  if (!writeAll(controlFd_, "stop\n")) {
    say("cannot write 'stop' to /proc/" + name_ + "/control: " + std::strerror(errno));
    failed_ = true;
  }
}

void Session::controlLoop() {
  sigset_t set = watchedSignals();
  double deadline = options_.timeLimitSeconds > 0 ? monotonicSeconds() + options_.timeLimitSeconds : 0;
  while (!finished_) {
    siginfo_t info;
    int signal;
    if (deadline > 0) {
      double left = std::max(0.0, deadline - monotonicSeconds());
      struct timespec wait;
      wait.tv_sec = static_cast<time_t>(left);
      wait.tv_nsec = static_cast<long>((left - static_cast<double>(wait.tv_sec)) * 1e9);
      signal = ::sigtimedwait(&set, &info, &wait);
    } else {
      signal = ::sigwaitinfo(&set, &info);
    }
    if (signal < 0) {
      if (errno == EAGAIN) {
        deadline = 0;
        std::ostringstream why;
        why << "the time limit of " << options_.timeLimitSeconds << " s is reached";
        requestStop(why.str());
      }
      continue;
    }
    switch (signal) {
    case SIGUSR1:
    case SIGALRM:
      break; // finished_ is looked at above
    case SIGCHLD:
      if (child_ > 0 && !childReaped_) {
        int status = 0;
        pid_t reaped = ::waitpid(child_, &status, WNOHANG);
        if (reaped == child_) {
          childStatus_ = status;
          childReaped_ = true;
          std::string how = WIFEXITED(status) ? "with status " + std::to_string(WEXITSTATUS(status))
                            : WIFSIGNALED(status) ? std::string("by signal ") + ::strsignal(WTERMSIG(status))
                                                  : "";
          requestStop("the command ended " + how);
        }
      }
      break;
    default:
    {
      const char *abbreviation = ::sigabbrev_np(signal);
      requestStop(abbreviation ? std::string("interrupted by SIG") + abbreviation
                               : "interrupted by signal " + std::to_string(signal));
      break;
    }
    }
  }
}

bool Session::startCommandChild() {
  int gate[2];
  if (::pipe2(gate, O_CLOEXEC) != 0) {
    say(std::string("cannot make a pipe for -c: ") + std::strerror(errno));
    return false;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    say(std::string("cannot start the -c command: ") + std::strerror(errno));
    ::close(gate[0]);
    ::close(gate[1]);
    return false;
  }
  if (pid == 0) {
    // The child: wait until the session has started, then become the command.
    ::close(gate[1]);
    char go = 0;
    ssize_t n;
    do
      n = ::read(gate[0], &go, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1)
      ::_exit(127); // the run never started
    ::close(gate[0]);
    for (int signal = 1; signal < NSIG; ++signal)
      if (signal != SIGKILL && signal != SIGSTOP)
        ::signal(signal, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // The command runs as the user who ran the runner, never as the root
    // a setuid runner is (real ids everywhere, saved ones too).
    gid_t gid = ::getgid();
    uid_t uid = ::getuid();
    if (::setresgid(gid, gid, gid) != 0 || ::setresuid(uid, uid, uid) != 0) {
      std::string message = std::string("mstap-runner: cannot drop privileges for -c: ") + std::strerror(errno) + "\n";
      ssize_t ignored = ::write(2, message.data(), message.size());
      (void)ignored;
      ::_exit(127);
    }
    ::execl("/bin/sh", "sh", "-c", options_.command.c_str(), static_cast<char *>(nullptr));
    std::string message = std::string("mstap-runner: cannot run /bin/sh: ") + std::strerror(errno) + "\n";
    ssize_t ignored = ::write(2, message.data(), message.size());
    (void)ignored;
    ::_exit(127);
  }
  ::close(gate[0]);
  child_ = pid;
  childGate_ = gate[1];
  return true;
}

void Session::releaseCommandChild() {
  if (childGate_ < 0)
    return;
  if (!writeAll(childGate_, "g"))
    say(std::string("cannot release the -c command: ") + std::strerror(errno));
  ::close(childGate_);
  childGate_ = -1;
}

void Session::finishCommandChild() {
  if (childGate_ >= 0) { // never released: closing the pipe ends it
    ::close(childGate_);
    childGate_ = -1;
  }
  if (child_ <= 0 || childReaped_)
    return;
  int status = 0;
  if (::waitpid(child_, &status, WNOHANG) == child_) {
    childReaped_ = true;
    return;
  }
  // The run ended before the command: end it as well, politely first.
  ::kill(child_, SIGTERM);
  for (int i = 0; i < 40; ++i) {
    if (::waitpid(child_, &status, WNOHANG) == child_) {
      childReaped_ = true;
      return;
    }
    ::usleep(25 * 1000);
  }
  ::kill(child_, SIGKILL);
  while (::waitpid(child_, &status, 0) < 0 && errno == EINTR) {
  }
  childReaped_ = true;
}

bool Session::loadModule(const std::string &parameters) {
  // The descriptor that was checked, not the path again: the file at the
  // path may have been replaced since.
  long result = options_.loader ? options_.loader(module_.fd, parameters)
                                : ::syscall(SYS_finit_module, module_.fd, parameters.c_str(), 0);
  int error = errno;
  if (result != 0 && error == ENOSYS && !options_.loader) {
    // A kernel older than finit_module: init_module with the bytes read.
    result = ::syscall(SYS_init_module, module_.bytes.data(), module_.bytes.size(), parameters.c_str());
    error = errno;
  }
  if (result == 0)
    return true;
  LoadContext context = currentLoadContext();
  ModuleInfo info = readModuleInfo(module_.bytes);
  if (info.error.empty() && info.has("vermagic"))
    context.vermagicProblem = vermagicMismatch(info.get("vermagic"), runningKernel());
  say(explainLoadError(error, name_, options_.modulePath, context));
  return false;
}

void Session::readRecords() {
  std::vector<char> buffer(4 * kMinimumReadBytes);
  RecordDecoder decoder;
  bool sinkBroken = false, unknownStreamSaid = false;
  auto deliver = [&](unsigned stream, std::string_view data) {
    if (stream == 2) {
      writeAll(2, data); // nowhere to report a failure of standard error
      return;
    }
    if (stream == 3) {
      runSystemCommand(data);
      return;
    }
    if (stream != 1 && !unknownStreamSaid) {
      unknownStreamSaid = true;
      say("the module wrote to an unknown stream " + std::to_string(stream) + "; shown as standard output");
    }
    if (sinkBroken)
      return;
    if (!writeAll(sinkFd_, data)) {
      sinkBroken = true;
      failed_ = true;
      say(std::string("cannot write the output") + (options_.outputFile.empty() ? "" : " to " + options_.outputFile) +
          ": " + std::strerror(errno) + "; stopping");
      requestStop("the output cannot be written");
    }
  };
  for (;;) {
    ssize_t n = ::read(outputFd_, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN) {
        ::usleep(10 * 1000);
        continue;
      }
      say("cannot read /proc/" + name_ + "/output: " + std::strerror(errno));
      failed_ = true;
      requestStop("the output cannot be read");
      return;
    }
    if (n == 0)
      break;
    decoder.feed(std::string_view(buffer.data(), static_cast<size_t>(n)), deliver);
  }
  if (decoder.pendingBytes() != 0) {
    say("the output ended inside a record (" + std::to_string(decoder.pendingBytes()) + " bytes left over)");
    failed_ = true;
  }
  reapSystemCommands(true);
}

// system(COMMAND) in a probe: the module sends the command as a record of
// stream 3, and it runs here, in the background as in stap, through
// /bin/sh -c with the runner's user and the script's output as its
// standard output. The run's end waits for the commands still running.
void Session::runSystemCommand(std::string_view command) {
  reapSystemCommands(false);
  std::string text(command);
  pid_t pid = ::fork();
  if (pid < 0) {
    say("system(\"" + text + "\"): cannot start it: " + std::strerror(errno));
    return;
  }
  if (pid == 0) {
    // Only async-signal-safe calls: the runner has other threads.
    if (sinkFd_ != 1)
      ::dup2(sinkFd_, 1);
    for (int signal = 1; signal < NSIG; ++signal)
      if (signal != SIGKILL && signal != SIGSTOP)
        ::signal(signal, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execl("/bin/sh", "sh", "-c", text.c_str(), static_cast<char *>(nullptr));
    ::_exit(127);
  }
  systemCommands_.push_back(pid);
}

void Session::reapSystemCommands(bool wait) {
  std::vector<pid_t> running;
  for (pid_t pid : systemCommands_) {
    int status = 0;
    pid_t reaped;
    do
      reaped = ::waitpid(pid, &status, wait ? 0 : WNOHANG);
    while (reaped < 0 && errno == EINTR);
    if (reaped == 0)
      running.push_back(pid);
  }
  systemCommands_ = std::move(running);
}

ControlStatus Session::readStatus() {
  // A fresh descriptor: the file need not be seekable.
  char text[512];
  ssize_t n = -1;
  int fd = ::open(("/proc/" + name_ + "/control").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    do
      n = ::read(fd, text, sizeof text - 1);
    while (n < 0 && errno == EINTR);
    int error = errno;
    ::close(fd);
    errno = error;
  }
  if (n < 0) {
    say("cannot read /proc/" + name_ + "/control: " + std::strerror(errno));
    return ControlStatus();
  }
  text[n] = '\0';
  ControlStatus status = parseControlStatus(text);
  if (!status.parsed) {
    std::string line(text);
    while (!line.empty() && line.back() == '\n')
      line.pop_back();
    say("cannot understand the status line of /proc/" + name_ + "/control: '" + line + "'");
  } else if (options_.verbose) {
    std::string line(text);
    while (!line.empty() && line.back() == '\n')
      line.pop_back();
    say("status: " + line);
  }
  return status;
}

// The part of the run while the module is loaded; the caller unloads it.
int Session::runLoaded() {
  const RunnerOptions &o = options_;
  std::string procDir = "/proc/" + name_;
  controlFd_ = ::open((procDir + "/control").c_str(), O_RDWR | O_CLOEXEC);
  if (controlFd_ < 0) {
    say("cannot open " + procDir + "/control: " + std::strerror(errno) + " (is " + o.modulePath +
        " an mstap module?)");
    return 1;
  }
  outputFd_ = ::open((procDir + "/output").c_str(), O_RDONLY | O_CLOEXEC);
  if (outputFd_ < 0) {
    say("cannot open " + procDir + "/output: " + std::strerror(errno));
    return 1;
  }
  bool startedNow = false;
  {
    std::thread control([this] { controlLoop(); });
    // Whatever happens in this block, the control thread ends when it does.
    struct Joiner {
      Session &session;
      std::thread &thread;
      ~Joiner() {
        session.finished_ = true;
        ::pthread_kill(thread.native_handle(), SIGUSR1);
        thread.join();
      }
    } joiner{*this, control};
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!stopWanted_) {
        if (o.verbose)
          std::fputs("Pass 5: starting run.\n", stderr);
        if (writeAll(controlFd_, "start\n")) {
          started_ = true;
          startedNow = true;
        } else {
          say("cannot write 'start' to " + procDir + "/control: " + std::strerror(errno));
          failed_ = true;
        }
      } else if (o.verbose) {
        say("not starting: " + stopReason_);
      }
    }
    if (startedNow) {
      releaseCommandChild();
      readRecords();
    }
  }
  if (!startedNow)
    return 1;
  ControlStatus controlStatus = readStatus();
  return !controlStatus.parsed || controlStatus.errors > 0 ? 1 : 0;
}

int Session::run() {
  double startReal = monotonicSeconds();
  const RunnerOptions &o = options_;

  // Signals wait for the control thread from here on (also across the fork).
  sigset_t set = watchedSignals(), previous;
  ::pthread_sigmask(SIG_BLOCK, &set, &previous);
  ::signal(SIGPIPE, SIG_IGN);

  if (!o.outputFile.empty()) {
    std::string error;
    // Installed setuid, the file is opened as the user who ran the runner.
    uid_t privileged = ::geteuid();
    gid_t privilegedGroup = ::getegid();
    bool setuid = ::getuid() != privileged;
    if (setuid && (::setegid(::getgid()) != 0 || ::seteuid(::getuid()) != 0)) {
      say(std::string("cannot take the identity of the user who ran mstap-runner: ") + std::strerror(errno));
      return 1;
    }
    sinkFd_ = openOutputFile(o.outputFile, ::getuid(), error);
    if (setuid && (::seteuid(privileged) != 0 || ::setegid(privilegedGroup) != 0)) {
      say(std::string("cannot take back the runner's identity: ") + std::strerror(errno));
      return 1;
    }
    if (sinkFd_ < 0) {
      say(error);
      return 1;
    }
  }
  long long target = 0;
  if (o.hasTarget) {
    if (::kill(static_cast<pid_t>(o.targetPid), 0) != 0 && errno == ESRCH) {
      say("no process " + std::to_string(o.targetPid) + " (-x)");
      return 1;
    }
    target = o.targetPid;
  }
  if (o.hasCommand) {
    if (!startCommandChild())
      return 1;
    target = child_;
  }
  std::string parameters = moduleParameters(o, target);
  if (o.verbose)
    say("loading " + name_ + " from " + o.modulePath + (parameters.empty() ? "" : " with '" + parameters + "'"));
  if (!loadModule(parameters)) {
    finishCommandChild();
    return 1;
  }

  // Loaded: from here every way out unloads.
  int status = 0;
  try {
    status = runLoaded();
  } catch (const std::exception &error) {
    say(std::string("the run failed: ") + error.what());
    failed_ = true;
  }
  if (outputFd_ >= 0)
    ::close(outputFd_);
  if (controlFd_ >= 0)
    ::close(controlFd_);
  if (unloadModule(name_, o.verbose) != 0)
    failed_ = true;
  finishCommandChild();
  if (sinkFd_ > 2 && ::close(sinkFd_) != 0) {
    say("cannot write " + o.outputFile + ": " + std::strerror(errno));
    failed_ = true;
  }
  if (failed_)
    status = 1;
  if (o.verbose) {
    struct rusage usage;
    ::getrusage(RUSAGE_SELF, &usage);
    auto ms = [](const struct timeval &t) { return static_cast<long>(t.tv_sec * 1000 + t.tv_usec / 1000); };
    std::fprintf(stderr, "Pass 5: run completed in %ldusr/%ldsys/%ldreal ms.\n", ms(usage.ru_utime),
                 ms(usage.ru_stime), static_cast<long>((monotonicSeconds() - startReal) * 1000));
  }
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return status;
}

} // namespace

int runModule(const RunnerOptions &options) {
  // Opened once, and as the user who ran the runner: a setuid runner reads
  // no file for a user that the user could not read.
  uid_t privileged = ::geteuid();
  bool setuid = ::getuid() != privileged;
  if (setuid && ::seteuid(::getuid()) != 0) {
    say(std::string("cannot take the identity of the user who ran mstap-runner: ") + std::strerror(errno));
    return 1;
  }
  ModuleFile module = openModuleFile(options.modulePath, ::getuid());
  if (setuid && ::seteuid(privileged) != 0) {
    say(std::string("cannot take back the runner's identity: ") + std::strerror(errno));
    if (module.fd >= 0)
      ::close(module.fd);
    return 1;
  }
  if (!module.error.empty()) {
    say(module.error);
    return 1;
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{module.fd};
  if (::getuid() != 0 && ::geteuid() == 0) {
    // Installed setuid root and run by another user: the groups decide.
    std::string real(4096, '\0');
    ssize_t length = ::readlink(("/proc/self/fd/" + std::to_string(module.fd)).c_str(), real.data(), real.size());
    real.resize(length > 0 ? static_cast<size_t>(length) : 0);
    std::string approved = "/lib/modules/" + runningKernel().release + "/mstap";
    struct stat folder, file;
    bool approvedTrusted = ::lstat(approved.c_str(), &folder) == 0 && S_ISDIR(folder.st_mode) && folder.st_uid == 0 &&
                           !(folder.st_mode & (S_IWGRP | S_IWOTH));
    std::ifstream groupStream("/etc/group");
    std::string groups((std::istreambuf_iterator<char>(groupStream)), std::istreambuf_iterator<char>());
    std::string refusal = ::fstat(module.fd, &file) != 0 ? std::string("cannot inspect the module")
                                                          : loadRefusal(currentInvoker(), groups, file.st_uid, real,
                                                                        approved, approvedTrusted);
    if (!refusal.empty()) {
      say("cannot load " + options.modulePath + ": " + refusal);
      return 1;
    }
  }
  ModuleInfo info = readModuleInfo(module.bytes);
  if (!info.error.empty()) {
    say(options.modulePath + ": " + info.error);
    return 1;
  }
  std::string name = moduleName(info, options.modulePath);
  KernelIdentity kernel = runningKernel();
  unsigned machine = elfMachineOf(kernel.machine);
  if (machine != 0 && info.machine != machine) {
    say("cannot load " + options.modulePath + ": it is built for another processor (ELF machine " +
        std::to_string(info.machine) + "), this kernel runs on " + kernel.machine);
    return 1;
  }
  if (info.has("vermagic")) {
    std::string problem = vermagicMismatch(info.get("vermagic"), kernel);
    if (!problem.empty()) {
      say("cannot load " + options.modulePath + ": " + problem);
      return 1;
    }
    if (options.verbose)
      say("module " + name + ": vermagic '" + info.get("vermagic") + "' suits this kernel " + kernel.release);
  } else {
    say("warning: " + options.modulePath + " has no vermagic; the kernel may refuse it");
  }
  if (options.rename) {
    // Two runs of one (cached) module load at once under names of their
    // own; the copy renamed is the bytes that were checked, handed to the
    // kernel through a memory file.
    std::string renamed = runName(name, ::getpid());
    std::string bytes = module.bytes;
    std::string why = renamed.size() > name.size() ? "the name is too short to rename"
                                                   : renameModule(bytes, name, renamed);
    int memory = why.empty() ? static_cast<int>(::syscall(SYS_memfd_create, "mstap-module", 1u /* MFD_CLOEXEC */)) : -1;
    if (why.empty() && memory < 0)
      why = std::string("cannot create a memory file: ") + std::strerror(errno);
    if (why.empty() && !writeAll(memory, bytes))
      why = std::string("cannot write a memory file: ") + std::strerror(errno);
    if (!why.empty()) {
      if (memory >= 0)
        ::close(memory);
      say("cannot load " + options.modulePath + " under a name of its own (-R): " + why);
      return 1;
    }
    ModuleFile copy;
    copy.fd = memory;
    copy.bytes = std::move(bytes);
    Closer copyCloser{memory};
    if (options.verbose)
      say("module " + name + " is loaded as " + renamed);
    Session session(options, renamed, copy);
    return session.run();
  }
  Session session(options, name, module);
  return session.run();
}

} // namespace mstap::run
