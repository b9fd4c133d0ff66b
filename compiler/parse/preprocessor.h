// Pass 1's preprocessor, as stap's, between the lexer and the parser:
//
// Macros. "@define NAME %( BODY %)" or "@define NAME(A, B) %( BODY %)"
// defines a macro anywhere in a script (not inside a macro's body); "@NAME"
// or "@NAME(X, Y)" after it is replaced by the body's tokens, in which "@A"
// and "@B" stand for the tokens of the arguments. Bodies may use other
// macros and %( %) conditionals; arguments are expanded where the body
// uses them, in the caller's context. An @name that is no macro (@count,
// @cast, @entry, ...) goes on to the parser. A script's macros are its own;
// a library's macro files (*.stpm) make macros every script sees
// (MacroTable, parseMacroFile in parse/parser.h).
//
// Conditional compilation. %( CONDITION %? THEN %: ELSE %) anywhere in a
// script, nested, chooses tokens: a condition compares one of the target's
// properties (kernel_v, kernel_vr, arch, runtime, systemtap_v,
// systemtap_privilege, guru_mode, CONFIG_NAME, $#, @#) with a literal,
// combined with &&, || and !. A branch not taken is skipped as it is:
// neither its @defines nor its macro uses count.
#pragma once

#include "parse/lexer.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mstap {

// What conditions read: the target kernel and the translator.
struct ConditionContext {
  std::string kernelRelease;     // kernel_vr, e.g. "6.1.0-57-amd64"; kernel_v is its part before '-'
  std::string arch = "x86_64";   // the kernel's architecture, as uname -m
  std::string runtime = "kernel";
  std::string systemtapVersion = "5.0"; // the stap version mstap answers as (--compatible)
  std::string privilege = "stapdev";   // systemtap_privilege
  bool guru = false;
  size_t argCount = 0; // $# and @#
  // CONFIG_NAME's value in the target's .config ("y", "m", a string's text),
  // or nullopt when unset; null: every option reads as unset.
  std::function<std::optional<std::string>(const std::string &name)> config;
};

// Compares versions as stap does: runs of digits by value, the rest by
// character ("6.1.0" > "2.6.29", "6.10" > "6.9").
int compareVersions(const std::string &a, const std::string &b);

// One macro, as its @define wrote it.
struct MacroDefinition {
  std::string name;                 // without the '@'
  std::vector<std::string> params;  // without the '@'
  std::vector<Lexeme> body;         // between its %( and %), as lexed in `file`
  const SourceFile *file = nullptr; // where it is defined: holds the body's text
  SourceLoc at;                     // its name there
  bool library = false;             // from a library macro file: its body sees library macros only
};

// Macros by name, in the order they were defined. The SourceFile each was
// defined in must outlive the table and every parse that uses it (their
// tokens' text stays in the file, and diagnostics point into it).
class MacroTable {
public:
  MacroTable() = default;
  MacroTable(MacroTable &&) = default;
  MacroTable &operator=(MacroTable &&) = default;

  const MacroDefinition *find(std::string_view name) const {
    auto it = byName_.find(name);
    return it == byName_.end() ? nullptr : it->second;
  }
  // Adds `macro`, or returns the one the table already has of its name
  // (and adds nothing).
  const MacroDefinition *add(MacroDefinition macro);
  const std::vector<std::unique_ptr<MacroDefinition>> &all() const { return macros_; }
  size_t size() const { return macros_.size(); }
  bool empty() const { return macros_.empty(); }

private:
  std::vector<std::unique_ptr<MacroDefinition>> macros_;
  std::unordered_map<std::string_view, const MacroDefinition *> byName_; // keys: the definitions' names
};

// A token as the preprocessor hands it on. Its lexeme's line and column are
// where errors about it point in the file being parsed: a token out of a
// macro's body is placed at the macro's use (the outermost one in the file,
// for a macro used by a macro); an argument's tokens keep their places.
struct PreprocessedToken {
  Lexeme lexeme;
  const SourceFile *file = nullptr; // whose text holds it (a macro's body may be in a library file)
  uint32_t line = 0, column = 0;    // where it is in `file` (column 0-based, as Lexeme's)
  uint32_t expansion = 0;           // the macro expansion whose body it is in; 0: none

  std::string_view text() const { return std::string_view(file->text()).substr(lexeme.offset, lexeme.length); }
};

// A token as messages show it: 'foo', end of file.
std::string describePreprocessedToken(const PreprocessedToken &token);

// Limits on macro expansion: a macro that uses itself, directly or through
// others, is an error when found; these bound what is not recursion but
// grows without reason (each level doubling the tokens, say).
constexpr size_t maxMacroDepth = 1000;         // macro bodies and arguments being expanded, nested
constexpr size_t maxExpandedTokens = 1u << 19; // tokens out of macros in one file

// The lexer's tokens with macros expanded and conditionals resolved: their
// markers and the tokens of the branches not taken are dropped. Errors go to
// `diags` at their position, with notes that name the macro (and where it
// is defined) for a position inside an expansion.
class Preprocessor {
public:
  // `library`: the macros of the library's macro files, visible after the
  // file's own (they must outlive the preprocessor); null: none.
  Preprocessor(Lexer &lexer, const SourceFile &file, Diagnostics &diags, const ConditionContext &context,
               const MacroTable *library = nullptr);
  ~Preprocessor();

  // The next token; valid until the next call.
  const PreprocessedToken &next();

  // The notes for an error at a token out of `expansion`, which sits at
  // `line`:`column` (0-based) of `file`: where it is in the macro's body,
  // and for a macro used by a macro, where that use is; innermost first.
  std::vector<Diagnostic> expansionNotes(uint32_t expansion, const SourceFile *file, uint32_t line,
                                         uint32_t column) const;

  // The macros the file has defined so far (all of them, after EOF).
  const MacroTable &macros() const { return local_; }
  MacroTable takeMacros() { return std::move(local_); }

private:
  // ---- macros
  struct Argument {
    std::vector<PreprocessedToken> tokens;
    size_t context; // the activation (+1) whose parameters its @names see; 0: the file's top level
    bool library;   // written in a library macro's body
  };
  // A macro body or an argument being read.
  struct Activation {
    const MacroDefinition *macro = nullptr; // a body's macro; null for an argument
    const std::vector<PreprocessedToken> *argument = nullptr;
    size_t argumentContext = 0; // an argument's Argument::context
    bool library = false;
    size_t pos = 0;
    uint32_t expansion = 0;         // a body's
    uint32_t siteLine = 0, siteColumn = 0; // where a body's tokens are placed in the parsed file
    std::vector<Argument> args;     // a body's arguments, by parameter
    size_t size() const { return macro ? macro->body.size() : argument->size(); }
  };
  // One use of a macro: for the notes.
  struct Expansion {
    const MacroDefinition *macro;
    const SourceFile *callFile; // where the @NAME of the use is
    uint32_t callLine, callColumn;
    uint32_t parent; // the expansion the use is in; 0: none
  };
  // A token and where it was read: the activation (+1) whose parameters
  // its @names see (0: the top level), and whether a library body's.
  struct Read {
    PreprocessedToken token;
    size_t context = 0;
    bool library = false;
    bool end = false; // the end of the activation on top, not a token
  };

  void readRaw(Read &r); // the next token where reading is, no macro processing
  void unread(const Read &r);
  void readExpanded(Read &r); // the same with @define and macro uses handled
  PreprocessedToken fromLexer();
  void define(const PreprocessedToken &at);
  bool invoke(const Read &call);
  bool collectArguments(const Read &call, const MacroDefinition &macro, std::vector<Argument> &args);
  bool usesItself(const MacroDefinition &macro, uint32_t expansion) const;
  void stop(); // after an error that leaves nothing readable: everything to the end is dropped
  void reportUnterminated(const PreprocessedToken &token);
  bool isUnterminated(size_t type) const;

  // ---- conditionals
  // An open conditional. Those nested in a branch not taken are skipped
  // whole, so every frame's surroundings are taken.
  struct Frame {
    PreprocessedToken open; // its "%("
    bool condition;         // what the condition said
    bool inElse = false;    // after its "%:"
  };
  bool active() const {
    return frames_.empty() || (frames_.back().inElse ? !frames_.back().condition : frames_.back().condition);
  }
  void open(const PreprocessedToken &at);
  void skip(Read &r);

  void error(const PreprocessedToken &at, const std::string &message, std::vector<Diagnostic> notes = {});
  std::string macroPlace(const MacroDefinition &macro) const;

  Lexer &lexer_;
  const SourceFile &file_;
  Diagnostics &diags_;
  const ConditionContext &context_;
  const MacroTable *library_;
  MacroTable local_;
  std::vector<Activation> stack_;
  std::vector<Expansion> expansions_; // [0] unused: 0 is none
  std::optional<PreprocessedToken> pushedBack_; // a token read from the lexer too far
  size_t expandedTokens_ = 0;
  bool stopped_ = false; // after stop(): nothing more is read or reported
  std::vector<Frame> frames_;
  Read current_; // what next() returns
  size_t open_, then_, else_, close_, leftParen_, rightParen_, leftBracket_, rightBracket_, comma_;
};

} // namespace mstap
