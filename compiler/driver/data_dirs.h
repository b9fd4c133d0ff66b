// Where mstap finds the files it ships beside its executable: the runtime
// (runtime/*.h, *.c) and the tapset library (tapset/*.stp).
#pragma once

#include <optional>
#include <string>

namespace mstap {

// The installed data folder, PREFIX/share/mstap, found from this program's
// own path (/proc/self/exe: PREFIX/bin/mstap, so a package unpacked
// anywhere works); nothing when mstap runs from its build tree or the folder
// is missing.
std::optional<std::string> installedDataDir();

// The runtime the modules are built with: $MSTAP_RUNTIME_DIR when set, else
// installedDataDir()/runtime, else the source tree's runtime/ this mstap was
// built from.
std::string runtimeDirectory();

// The tapset library: installedDataDir()/tapset, else the source tree's
// tapset/ (-I DIR and $MSTAP_TAPSET_PATH come after it: driver/library.h).
std::string tapsetDirectory();

// installedDataDir()'s answer for a given executable path (for the tests).
std::optional<std::string> dataDirBeside(const std::string &executable);

} // namespace mstap
