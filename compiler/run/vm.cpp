// runInVm: the initramfs, qemu, and reading the two serial ports back.
#include "run/vm.h"

#include "kernel/decompress.h"
#include "kernel/files.h"
#include "support/process.h"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <poll.h>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

namespace mstap::run {
namespace {

using Clock = std::chrono::steady_clock;
using support::ChildProcess;
using support::Fd;
using support::Pipe;

// A private folder (mkdtemp) removed with everything in it at the end.
class TempDir {
public:
  TempDir() = default;
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  ~TempDir() {
    if (!path_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(path_, ignored);
    }
  }
  std::string create() {
    const char *base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/mstap-vm.XXXXXX";
    if (!::mkdtemp(pattern.data()))
      return "cannot make a temporary folder " + pattern + ": " + std::strerror(errno);
    path_ = pattern;
    return "";
  }
  const std::string &path() const { return path_; }

private:
  std::string path_;
};

std::string shellQuote(const std::string &word) {
  std::string quoted = "'";
  for (char c : word)
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// A token no kernel message or command output will contain by chance: it
// leads every line /init writes to the console for the host.
std::string makeToken() {
  std::random_device random;
  std::uniform_int_distribution<unsigned> digit(0, 15);
  std::string token = "mstap-vm-";
  for (int i = 0; i < 16; ++i)
    token += "0123456789abcdef"[digit(random)];
  return token;
}

bool isReadableRegularFile(const std::string &path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(path.c_str(), R_OK) == 0;
}

// Whether `path` is absolute and has no ".." component.
bool isPlainGuestPath(const std::string &path) {
  if (path.empty() || path[0] != '/')
    return false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos)
      end = path.size();
    if (path.compare(start, end - start, "..") == 0)
      return false;
    start = end + 1;
  }
  return path.find_first_not_of('/') != std::string::npos;
}

std::string readWhole(const std::string &path, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    return "";
  }
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad())
    error = "cannot read " + path;
  return data;
}

// The static busybox to put into the guest.
std::string findBusybox(const std::string &requested, std::string &error) {
  std::vector<std::string> candidates;
  if (!requested.empty()) {
    candidates.push_back(requested);
  } else {
    if (std::string onPath = support::findInPath("busybox"); !onPath.empty())
      candidates.push_back(onPath);
    candidates.push_back("/bin/busybox");
    candidates.push_back("/usr/bin/busybox");
  }
  std::string dynamic;
  for (const std::string &candidate : candidates) {
    if (!isReadableRegularFile(candidate))
      continue;
    StaticCheck check = checkStaticExecutable(candidate);
    if (check.error.empty() && check.isStatic)
      return candidate;
    if (check.error.empty() && dynamic.empty())
      dynamic = candidate;
  }
  if (!dynamic.empty())
    error = "the busybox at " + dynamic + " is linked dynamically; the guest needs a static one "
            "(install Debian's busybox-static package)";
  else if (!requested.empty())
    error = "no busybox at " + requested;
  else
    error = "no busybox found (install Debian's busybox-static package)";
  return "";
}

// The guest's /init. Its lines for the host go to the console, each led by
// `token`: "ready", "module-failed NAME", "started", "status N", "dmesg"
// (the kernel log follows), "end".
std::string initScript(const std::string &token, const std::string &release,
                       const std::vector<std::string> &modulePaths) {
  std::string script = R"(#!/bin/sh
# Written by mstap: runs /mstap/command once, then powers the machine off.
T=)" + token + R"(
export PATH=/sbin:/bin:/usr/sbin:/usr/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null
ip link set lo up 2>/dev/null
hostname mstap-vm
finish() {
  stty -echo 2>/dev/null   # sets the console's modes after its output is sent
  poweroff -f
  echo o >/proc/sysrq-trigger
  sleep 10
}
# The command's output goes to the second serial port, byte for byte.
exec 4<>/dev/ttyS1 && stty raw -echo <&4
echo "$T ready"
)";
  for (const std::string &path : modulePaths) {
    std::string name = path.substr(path.rfind('/') + 1);
    std::string guestPath = "/lib/modules/" + release + "/" + path;
    script += "insmod " + shellQuote(guestPath) + " || { echo \"$T module-failed \"" + shellQuote(name) +
              "; finish; }\n";
  }
  script += R"(echo "$T started"
cd /
sh /mstap/command </dev/null >&4 2>&4 4>&-
status=$?
stty raw -echo <&4   # returns when the output has been sent
dmesg -n 1
echo "$T status $status"
echo "$T dmesg"
dmesg
echo "$T end"
finish
)";
  return script;
}

// Where "TOKEN WORD" begins in `text`, or npos.
size_t findMarker(const std::string &text, const std::string &token, const std::string &word, size_t from = 0) {
  return text.find(token + " " + word, from);
}

// The rest of the marker line after "TOKEN WORD ".
std::string markerArgument(const std::string &text, size_t at, const std::string &token, const std::string &word) {
  size_t start = at + token.size() + 1 + word.size();
  size_t end = text.find('\n', start);
  std::string argument = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
  size_t first = argument.find_first_not_of(' ');
  return first == std::string::npos ? "" : argument.substr(first);
}

// `text` without /init's marker lines.
std::string withoutMarkers(const std::string &text, const std::string &token) {
  std::string kept;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end + 1;
    std::string_view line(text.data() + start, end - start);
    if (line.find(token) == std::string_view::npos)
      kept.append(line);
    start = end;
  }
  return kept;
}

std::string lastLines(const std::string &text, int count) {
  size_t at = text.size();
  if (at > 0 && text[at - 1] == '\n')
    --at;
  while (count-- > 0 && at != std::string::npos && at > 0)
    at = text.rfind('\n', at - 1);
  return at == std::string::npos || at == 0 ? text : text.substr(at + 1);
}

// The vmlinux inside `image`, to boot through its PVH entry: from the
// cache, else unpacked now into the cache (or into `fallbackDirectory` when
// the cache cannot be written). "" when the image holds no vmlinux qemu can
// boot directly; the compressed image is booted then.
std::string uncompressedKernel(const std::string &image, const std::string &cacheDirectory,
                               const std::string &fallbackDirectory) {
  namespace fs = std::filesystem;
  kernel::OrError<kernel::FileStamp> stamp = kernel::fileStamp(image);
  if (!stamp.ok())
    return "";
  std::string prefix = "vmlinux-" + fs::path(image).filename().string() + "-";
  std::string name = prefix + std::to_string(stamp->size) + "-" + std::to_string(stamp->mtimeSeconds);
  std::string cached = cacheDirectory.empty() ? "" : cacheDirectory + "/" + name;
  std::error_code ignored;
  if (!cached.empty()) {
    if (isReadableRegularFile(cached))
      return cached;
    if (fs::exists(cached + ".nopvh", ignored))
      return "";
  }
  kernel::OrError<kernel::MappedFile> mapped = kernel::MappedFile::open(image);
  if (!mapped.ok())
    return "";
  kernel::OrError<kernel::KernelPayload> payload = kernel::extractVmlinux(mapped->bytes());
  if (!payload.ok())
    return "";
  bool bootable = hasPvhEntry(payload->elf);
  if (!cached.empty() && kernel::writeFileAtomically(bootable ? cached : cached + ".nopvh",
                                                     bootable ? std::string_view(payload->elf) : "")
                             .ok()) {
    // Older unpackings of an image of the same name are stale now.
    for (fs::directory_iterator entry(cacheDirectory, ignored), end; !ignored && entry != end;
         entry.increment(ignored)) {
      std::string other = entry->path().filename().string();
      if (other.rfind(prefix, 0) == 0 && other != name && other != name + ".nopvh")
        fs::remove(entry->path(), ignored);
    }
    return bootable ? cached : "";
  }
  if (!bootable)
    return "";
  std::string local = fallbackDirectory + "/vmlinux";
  return kernel::writeFileAtomically(local, payload->elf).ok() ? local : "";
}

} // namespace

VmResult runInVm(const VmRequest &request) {
  VmResult result;
  auto fail = [&](std::string message) {
    result.error = std::move(message);
    return result;
  };

  // ----- what the run needs, checked before anything is made
  std::string kernelImage = request.kernelImage;
  if (kernelImage.empty()) {
    if (request.release.empty() || request.sysroot.empty())
      return fail("no kernel to boot: give a kernel image, or a release and its sysroot");
    kernelImage = request.sysroot + "/boot/vmlinuz-" + request.release;
  }
  if (!isReadableRegularFile(kernelImage)) {
    std::string hint = request.release.empty() ? "" : " (run tools/fetch-kernel " + request.release + ")";
    return fail("no kernel image " + kernelImage + hint);
  }
  std::string qemu = request.qemu.empty() ? support::findInPath("qemu-system-x86_64") : support::findInPath(request.qemu);
  if (qemu.empty())
    return request.qemu.empty()
               ? fail("qemu-system-x86_64 is not on PATH (install Debian's qemu-system-x86 package)")
               : fail("cannot run qemu " + request.qemu);
  if (request.useKvm && ::access("/dev/kvm", R_OK | W_OK) != 0)
    return fail(std::string("KVM was asked for, but /dev/kvm cannot be used: ") + std::strerror(errno));
  std::string error;
  std::string busybox = findBusybox(request.busybox, error);
  if (busybox.empty())
    return fail(error);
  for (const FileToCopy &file : request.files) {
    if (!isPlainGuestPath(file.guestPath))
      return fail("the guest path '" + file.guestPath + "' is not absolute or has '..' in it");
    if (file.guestPath == "/init" || file.guestPath.rfind("/mstap/", 0) == 0 || file.guestPath == "/mstap")
      return fail("the guest path " + file.guestPath + " is mstap's own");
    if (!isReadableRegularFile(file.hostPath))
      return fail("cannot copy " + file.hostPath + " into the guest: not a readable file");
  }
  if (request.timeoutSeconds < 0)
    return fail("the timeout must not be negative");
  if (request.memoryMegabytes < 64 || request.cpus < 1)
    return fail("the guest needs 64 MB of memory and a CPU at least");
  std::string modulesDirectory = request.sysroot + "/lib/modules/" + request.release;
  ModulePlan modules;
  if (!request.kernelModules.empty()) {
    if (request.release.empty() || request.sysroot.empty())
      return fail("loading kernel modules in the guest needs the release and its sysroot");
    modules = planKernelModules(modulesDirectory, request.kernelModules);
    if (!modules.error.empty())
      return fail(modules.error);
  }

  TempDir work;
  if (std::string message = work.create(); !message.empty())
    return fail(message);

  // ----- the kernel
  result.bootedImage = kernelImage;
  if (request.bootUncompressed) {
    std::string cache = request.cacheDirectory.empty() ? kernel::defaultCacheDirectory() : request.cacheDirectory;
    std::string vmlinux = uncompressedKernel(kernelImage, cache.empty() ? "" : cache + "/vm", work.path());
    if (!vmlinux.empty())
      result.bootedImage = vmlinux;
  }

  // ----- the initramfs
  BusyboxApplets applets = listBusyboxApplets(busybox);
  if (!applets.error.empty())
    return fail(applets.error);
  CpioArchive archive;
  for (const char *directory : {"/bin", "/sbin", "/usr/bin", "/usr/sbin", "/dev", "/proc", "/sys", "/root",
                                "/etc", "/mnt", "/run", "/var", "/mstap"})
    archive.addDirectory(directory, directory == std::string("/root") ? 0700 : 0755);
  archive.addDirectory("/tmp", 01777);
  archive.addCharDevice("/dev/console", 5, 1, 0600);
  archive.addCharDevice("/dev/null", 1, 3, 0666);
  {
    std::string data = readWhole(busybox, error);
    if (!error.empty())
      return fail(error);
    archive.addFile("/bin/busybox", std::move(data), 0755);
  }
  for (const std::string &applet : applets.paths)
    if (applet != "bin/busybox")
      archive.addSymlink(applet, "/bin/busybox");
  archive.addFile("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0644);
  archive.addFile("/etc/group", "root:x:0:\n", 0644);
  for (const std::string &relative : modules.relativePaths) {
    std::string data = readWhole(modulesDirectory + "/" + relative, error);
    if (!error.empty())
      return fail(error);
    archive.addFile("/lib/modules/" + request.release + "/" + relative, std::move(data), 0644);
  }
  for (const FileToCopy &file : request.files) {
    struct stat info;
    unsigned mode = ::stat(file.hostPath.c_str(), &info) == 0 ? info.st_mode & 07777 : 0644;
    std::string data = readWhole(file.hostPath, error);
    if (!error.empty())
      return fail(error);
    archive.addFile(file.guestPath, std::move(data), mode);
  }
  std::string token = makeToken();
  archive.addFile("/mstap/command", request.guestCommand + "\n", 0644);
  archive.addFile("/init", initScript(token, request.release, modules.relativePaths), 0755);

  std::string initrd = work.path() + "/initramfs.cpio.gz";
  {
    std::string compressed = gzipCompress(archive.serialize(), 1);
    if (compressed.empty())
      return fail("cannot compress the initramfs");
    std::ofstream out(initrd, std::ios::binary);
    out.write(compressed.data(), static_cast<std::streamsize>(compressed.size()));
    out.close();
    if (!out)
      return fail("cannot write " + initrd);
  }

  // ----- qemu
  Pipe console, output, messages;
  for (Pipe *pipe : {&console, &output, &messages})
    if (std::string message = support::makePipe(*pipe); !message.empty())
      return fail(message);
  std::string commandLine = "console=ttyS0 quiet panic=-1";
  if (!request.kernelArguments.empty())
    commandLine += " " + request.kernelArguments;
  ChildProcess::Options options;
  options.argv = {qemu,
                  "-no-user-config",
                  "-nodefaults",
                  "-display",
                  "none",
                  "-no-reboot",
                  "-accel",
                  request.useKvm ? "kvm" : "tcg",
                  "-m",
                  std::to_string(request.memoryMegabytes),
                  "-smp",
                  std::to_string(request.cpus),
                  "-kernel",
                  result.bootedImage,
                  "-initrd",
                  initrd,
                  "-append",
                  commandLine,
                  "-chardev",
                  "file,id=console,path=/dev/fd/" + std::to_string(console.write.get()),
                  "-serial",
                  "chardev:console",
                  "-chardev",
                  "file,id=output,path=/dev/fd/" + std::to_string(output.write.get()),
                  "-serial",
                  "chardev:output"};
  if (std::string cpu = request.cpuModel.empty() && request.useKvm ? "host" : request.cpuModel; !cpu.empty()) {
    options.argv.push_back("-cpu");
    options.argv.push_back(cpu);
  }
  options.argv.insert(options.argv.end(), request.qemuArguments.begin(), request.qemuArguments.end());
  options.stdoutFd = messages.write.get();
  options.stderrFd = messages.write.get();
  options.inheritFds = {console.write.get(), output.write.get()};
  Clock::time_point start = Clock::now();
  ChildProcess child = ChildProcess::spawn(options, error);
  console.write.reset();
  output.write.reset();
  messages.write.reset();
  if (!error.empty())
    return fail(error);

  // ----- reading the serial ports until qemu ends
  auto seconds = [&](Clock::time_point at) { return std::chrono::duration<double>(at - start).count(); };
  Clock::time_point deadline = start + std::chrono::seconds(request.timeoutSeconds);
  std::string consoleText; // with '\r' removed
  bool started = false;
  struct Stream {
    Fd *fd;
    bool open = true;
  } streams[3] = {{&console.read}, {&output.read}, {&messages.read}};
  char buffer[65536];
  for (;;) {
    pollfd fds[3];
    int count = 0;
    int which[3];
    for (int i = 0; i < 3; ++i)
      if (streams[i].open) {
        fds[count] = {streams[i].fd->get(), POLLIN, 0};
        which[count++] = i;
      }
    if (count == 0)
      break;
    int waitMilliseconds = 200;
    if (request.timeoutSeconds > 0 && !result.timedOut) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        result.timedOut = true;
        child.kill(); // its ends of the pipes close: the reads below see their end
        continue;
      }
      waitMilliseconds = static_cast<int>(std::min<long long>(left, waitMilliseconds));
    }
    int ready = ::poll(fds, count, waitMilliseconds);
    if (ready < 0 && errno != EINTR)
      return fail(std::string("poll failed: ") + std::strerror(errno));
    for (int slot = 0; ready > 0 && slot < count; ++slot) {
      if (!(fds[slot].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      Stream &stream = streams[which[slot]];
      ssize_t got = ::read(stream.fd->get(), buffer, sizeof buffer);
      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0) {
        stream.open = false;
        continue;
      }
      std::string_view chunk(buffer, static_cast<size_t>(got));
      if (which[slot] == 0) {
        if (request.onConsole)
          request.onConsole(chunk);
        for (char c : chunk)
          if (c != '\r')
            consoleText += c;
        if (!started && findMarker(consoleText, token, "started") != std::string::npos) {
          started = true;
          result.bootSeconds = seconds(Clock::now());
        }
      } else if (which[slot] == 1) {
        if (request.onOutput)
          request.onOutput(chunk);
        result.output.append(chunk);
      } else {
        result.qemuMessages.append(chunk);
      }
    }
    // qemu gone but something else holds a pipe open: stop waiting for it.
    if (ready == 0 && child.poll() && !child.running())
      break;
  }
  child.wait();
  result.totalSeconds = seconds(Clock::now());

  // ----- what the console says happened
  size_t statusAt = findMarker(consoleText, token, "status");
  size_t dmesgAt = findMarker(consoleText, token, "dmesg");
  size_t endAt = dmesgAt == std::string::npos ? std::string::npos : findMarker(consoleText, token, "end", dmesgAt);
  if (statusAt != std::string::npos) {
    std::string status = markerArgument(consoleText, statusAt, token, "status");
    char *rest = nullptr;
    long value = std::strtol(status.c_str(), &rest, 10);
    if (!status.empty() && rest && *rest == '\0')
      result.exitStatus = static_cast<int>(value);
  }
  if (dmesgAt != std::string::npos && endAt != std::string::npos) {
    size_t logStart = consoleText.find('\n', dmesgAt);
    logStart = logStart == std::string::npos ? endAt : logStart + 1;
    result.kernelLog = consoleText.substr(logStart, endAt - logStart);
    result.console = withoutMarkers(consoleText.substr(0, dmesgAt), token);
  } else {
    result.console = withoutMarkers(consoleText, token);
    result.kernelLog = result.console;
  }

  std::string qemuSays = result.qemuMessages.empty() ? "" : "; qemu said: " + lastLines(result.qemuMessages, 5);
  if (result.timedOut) {
    result.error = "the guest did not finish within " + std::to_string(request.timeoutSeconds) +
                   " s; qemu was killed" + (started ? " while the command ran" : " before the command started");
  } else if (size_t failedAt = findMarker(consoleText, token, "module-failed"); failedAt != std::string::npos) {
    result.error = "the guest could not load the module " + markerArgument(consoleText, failedAt, token, "module-failed");
  } else if (findMarker(consoleText, token, "ready") == std::string::npos) {
    if (!WIFEXITED(child.status()) || WEXITSTATUS(child.status()) != 0)
      result.error = "qemu failed (" + child.describeStatus() + ")" + qemuSays;
    else
      result.error = "the guest stopped before its /init ran (see the kernel log)" + qemuSays;
  } else if (!started) {
    result.error = "the guest stopped before the command started (see the kernel log)" + qemuSays;
  } else if (statusAt == std::string::npos || result.exitStatus < 0) {
    result.exitStatus = -1;
    result.error = "the guest stopped while the command ran (see the kernel log)" + qemuSays;
  } else if (endAt == std::string::npos) {
    result.error = "the guest stopped while sending its kernel log" + qemuSays;
  }
  return result;
}

} // namespace mstap::run
