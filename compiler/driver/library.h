// The library: .stp scripts in the tapset folders (the installed one, -I
// DIR, $MSTAP_TAPSET_PATH), of which a run parses and links only what the
// user's script uses — functions, globals and probe aliases, transitively —
// as stap elaborates only the tapset parts a script references.
#pragma once

#include "ast/ast.h"
#include "parse/parser.h"
#include "parse/preprocessor.h"
#include "support/diagnostics.h"
#include "support/source.h"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace mstap {

class Library {
public:
  // The folders searched, in order: a name defined in several files is
  // taken from the first.
  explicit Library(std::vector<std::string> dirs);

  // Appends to `script` the library declarations it needs (marked
  // fromLibrary), parsing the files that hold them. A user's function,
  // global or alias of a library name wins, as in stap. False when a
  // library file that was needed did not parse (reported with its path).
  bool link(ast::Script &script, const ParseOptions &options, Diagnostics &diags);

  // Parses every library file, for the listings (--dump-functions,
  // --dump-probe-aliases). False when one does not parse (reported).
  bool parseAll(const ParseOptions &options, Diagnostics &diags);
  // The declarations of every parsed file that are not yet linked, with
  // the file they are in, in search order.
  template <typename F> void forEachDecl(F &&f) const {
    for (const File &file : files_)
      if (file.script)
        for (size_t i = 0; i < file.script->decls.size(); ++i)
          if (!file.linked[i])
            f(file.script->decls[i], *file.source);
  }

  // Reads every macro file (*.stpm) of the library: their macros are
  // visible to every script (and library script) parsed with macros() as
  // ParseOptions::libraryMacros, as in stap. False when one does not parse.
  bool loadMacros(const ParseOptions &options, Diagnostics &diags);
  const MacroTable *macros() const { return &macros_; }
  size_t macroFiles() const { return macroSources_.size(); }

  // Library files parsed for this script ("-v": N library scripts).
  size_t filesParsed() const { return parsed_; }
  // Every .stp file found.
  size_t filesFound() const { return files_.size(); }

private:
  struct File {
    std::string path;
    std::string text;
    // What the file defines, from a quick look at its text (a superset:
    // conditionals are not evaluated); parsing says what really is.
    std::set<std::string> functions, globals;
    std::vector<std::vector<std::string>> aliasNames;
    std::unique_ptr<SourceFile> source;
    std::unique_ptr<ast::Script> script;
    bool parsed = false, failed = false;
    std::vector<bool> linked; // a decl of `script` already moved out
  };
  void scan();
  bool parse(File &file, const ParseOptions &options, Diagnostics &diags);

  std::vector<std::string> dirs_;
  std::vector<File> files_;
  std::vector<std::string> macroPaths_;
  // Declared before macros_, destroyed after it: the table points into them.
  std::vector<std::unique_ptr<SourceFile>> macroSources_;
  MacroTable macros_;
  size_t parsed_ = 0;
};

// The documentation comment directly above line `line` of `file`
// ("/** ... */", each line's leading " * " removed), or empty.
std::string docComment(const SourceFile &file, uint32_t line);
// Its first line without the "NAME - " that starts it.
std::string docSummary(const std::string &doc);

// The folders a run looks in: the installed (or source tree's) tapset/,
// then each -I DIR, then $MSTAP_TAPSET_PATH's entries.
std::vector<std::string> librarySearchPath(const std::string &installed, const std::vector<std::string> &includeDirs);

} // namespace mstap
