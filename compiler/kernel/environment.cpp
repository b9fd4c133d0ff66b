#include "kernel/environment.h"

#include "kernel/files.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace fs = std::filesystem;

namespace mstap::kernel {

namespace {

// KEY=value or KEY="value" from os-release text.
std::string osReleaseField(const std::string &osRelease, const std::string &key) {
  std::istringstream in(osRelease);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + "=", 0) != 0)
      continue;
    std::string value = line.substr(key.size() + 1);
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\''))
      value = value.substr(1, value.size() - 2);
    return value;
  }
  return "";
}

bool mentions(const std::string &words, const std::string &word) {
  std::istringstream in(words);
  std::string w;
  while (in >> w)
    if (w == word)
      return true;
  return false;
}

std::string readFirstBytes(const std::string &path, size_t limit) {
  std::ifstream in(path);
  std::string text(limit, '\0');
  in.read(text.data(), static_cast<std::streamsize>(limit));
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

// The compiler named by CONFIG_CC_VERSION_TEXT="gcc-12 (Debian ...) 12.2.0".
std::string configuredCompiler(const std::string &config) {
  std::ifstream in(config);
  std::string line;
  const std::string key = "CONFIG_CC_VERSION_TEXT=\"";
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) {
      std::string text = line.substr(key.size());
      return text.substr(0, text.find_first_of(" \""));
    }
  return "";
}

std::string onPath(const std::string &program) {
  if (program.find('/') != std::string::npos)
    return access(program.c_str(), X_OK) == 0 ? program : "";
  const char *path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    if (!dir.empty() && access((dir + "/" + program).c_str(), X_OK) == 0)
      return dir + "/" + program;
  return "";
}

} // namespace

std::string utsRelease(const std::string &header) {
  std::string text = readFirstBytes(header, 4096);
  size_t at = text.find("UTS_RELEASE");
  if (at == std::string::npos)
    return "";
  size_t open = text.find('"', at), close = open == std::string::npos ? open : text.find('"', open + 1);
  if (close == std::string::npos)
    return "";
  return text.substr(open + 1, close - open - 1);
}


bool BuildEnvironment::ok() const {
  for (const auto &c : checks)
    if (!c.ok)
      return false;
  return !checks.empty();
}

std::string headersInstallCommand(const std::string &osRelease, const std::string &release) {
  std::string id = osReleaseField(osRelease, "ID");
  std::string like = osReleaseField(osRelease, "ID_LIKE");
  std::string version = osReleaseField(osRelease, "VERSION_ID");
  bool redHat = id == "fedora" || id == "rhel" || id == "centos" || id == "rocky" || id == "almalinux" ||
                mentions(like, "rhel") || mentions(like, "fedora");
  if (redHat) {
    // RHEL and CentOS 7 and older have yum only.
    bool old = id != "fedora" && !version.empty() && std::atoi(version.c_str()) < 8;
    return (old ? "yum install kernel-devel-" : "dnf install kernel-devel-") + release;
  }
  if (id == "opensuse-leap" || id == "opensuse-tumbleweed" || id == "sles" || mentions(like, "suse"))
    return "zypper install kernel-default-devel";
  return "apt install linux-headers-" + release;
}

std::vector<std::string> buildTreeCandidates(const KernelTarget &target) {
  std::vector<std::string> candidates{target.buildDir};
  if (target.sysroot != "/" && target.buildDir == target.modulesDir + "/build") {
    candidates.push_back("/lib/modules/" + target.release + "/build");
    candidates.push_back("/usr/src/linux-headers-" + target.release);
  }
  return candidates;
}

BuildEnvironment checkBuildEnvironment(const KernelTarget &target, const std::string &osRelease) {
  BuildEnvironment env;
  const std::string install = headersInstallCommand(osRelease, target.release);
  auto add = [&](std::string what, bool ok, std::string detail, std::string fix = "") {
    env.checks.push_back({std::move(what), ok, std::move(detail), ok ? "" : std::move(fix)});
    return ok;
  };

  std::string dangling;
  for (const std::string &candidate : buildTreeCandidates(target)) {
    std::error_code ec;
    if (fs::is_symlink(fs::symlink_status(candidate, ec)) && !fs::exists(candidate, ec)) {
      if (dangling.empty())
        dangling = candidate + " -> " + fs::read_symlink(candidate, ec).string();
      continue;
    }
    if (isDirectory(candidate)) {
      env.buildDir = candidate;
      break;
    }
  }
  if (env.buildDir.empty()) {
    if (!dangling.empty())
      add("build tree", false, "a dangling link: " + dangling + " (the headers were removed or never installed)",
          install);
    else
      add("build tree", false, "no kernel build tree at " + target.buildDir, install);
    return env;
  }
  std::error_code ec;
  std::string shown = env.buildDir;
  if (fs::is_symlink(fs::symlink_status(env.buildDir, ec)))
    shown += " -> " + fs::read_symlink(env.buildDir, ec).string();
  add("build tree", true, shown);

  const std::string reinstall = install + " (the build tree is incomplete)";
  add(".config", isReadableFile(env.buildDir + "/.config"), env.buildDir + "/.config", reinstall);
  add("Module.symvers", isReadableFile(env.buildDir + "/Module.symvers"), env.buildDir + "/Module.symvers",
      reinstall);
  std::string uts = env.buildDir + "/include/generated/utsrelease.h";
  if (add("utsrelease.h", isReadableFile(uts), uts, reinstall)) {
    std::string release = utsRelease(uts);
    if (release == target.release)
      add("release", true, release);
    else
      add("release", false,
          "the build tree is for kernel " + (release.empty() ? std::string("(unknown)") : release) +
              ", not for " + target.release + ": a module built with it would not load",
          install + ", or pass -r with a build tree for " + target.release);
  }

  std::string compiler = configuredCompiler(env.buildDir + "/.config");
  if (compiler.empty()) {
    add("compiler", false, "the build tree's .config does not say which compiler built the kernel", reinstall);
  } else {
    std::string found = onPath(compiler);
    env.compiler = found;
    add("compiler", !found.empty(), found.empty() ? compiler + " is not installed" : compiler + " (" + found + ")",
        (osReleaseField(osRelease, "ID") == "debian" || mentions(osReleaseField(osRelease, "ID_LIKE"), "debian")
             ? "apt install "
             : "install ") +
            compiler);
  }
  return env;
}

} // namespace mstap::kernel
