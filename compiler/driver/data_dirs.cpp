#include "driver/data_dirs.h"

#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;

namespace mstap {

std::optional<std::string> dataDirBeside(const std::string &executable) {
  // MSTAP_BIN_TO_DATA is the install's relative path from the program's
  // folder to its data folder ("../share/mstap" for GNU's layout).
  fs::path dir = (fs::path(executable).parent_path() / MSTAP_BIN_TO_DATA).lexically_normal();
  std::error_code ec;
  // A folder with a runtime in it, so that a stray share/mstap next to a
  // build tree is not taken for an install.
  if (!fs::is_directory(dir / "runtime", ec))
    return std::nullopt;
  return dir.string();
}

std::optional<std::string> installedDataDir() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec)
    return std::nullopt;
  return dataDirBeside(self.string());
}

std::string runtimeDirectory() {
  if (const char *dir = std::getenv("MSTAP_RUNTIME_DIR"); dir && *dir)
    return dir;
  if (auto data = installedDataDir())
    return (fs::path(*data) / "runtime").string();
  return MSTAP_SOURCE_RUNTIME_DIR;
}

std::string tapsetDirectory() {
  if (auto data = installedDataDir())
    return (fs::path(*data) / "tapset").string();
  return MSTAP_SOURCE_TAPSET_DIR;
}

} // namespace mstap
