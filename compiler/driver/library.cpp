#include "driver/library.h"

#include "ast/walk.h"
#include "sema/aliases.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fnmatch.h>
#include <fstream>
#include <sstream>

namespace mstap {

namespace fs = std::filesystem;

namespace {

// A library is tens of files; past these bounds a folder given to -I is
// not one (a home directory, /), and is not read further.
constexpr size_t kMaxLibraryFiles = 4096;
constexpr int kMaxLibraryDepth = 4;

bool identStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool identChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string leadingIdent(std::string_view s) {
  size_t i = s.find_first_not_of(" \t");
  if (i == std::string_view::npos || !identStart(s[i]))
    return {};
  size_t j = i;
  while (j < s.size() && identChar(s[j]))
    ++j;
  return std::string(s.substr(i, j - i));
}

bool startsWithWord(std::string_view &s, std::string_view word) {
  if (s.substr(0, word.size()) != word || (s.size() > word.size() && identChar(s[word.size()])))
    return false;
  s.remove_prefix(word.size());
  return true;
}

std::vector<std::string> splitDots(std::string_view name) {
  std::vector<std::string> parts;
  std::string part;
  for (char c : name) {
    if (c == '.') {
      parts.push_back(part);
      part.clear();
    } else if (c != ' ' && c != '\t') {
      part += c;
    }
  }
  parts.push_back(part);
  return parts;
}

// Whether a point as written could name an alias of these components.
bool pointMatchesName(const ast::ProbePoint &pp, const std::vector<std::string> &name) {
  if (name.empty() || pp.components.size() < name.size())
    return false;
  for (size_t i = 0; i < name.size(); ++i)
    if (fnmatch(pp.components[i].name.c_str(), name[i].c_str(), 0) != 0)
      return false;
  return true;
}

// The names a script refers to that a library may define.
struct References : ast::RecursiveVisitor {
  std::set<std::string> functions, symbols;
  std::vector<const ast::ProbePoint *> points;

  void visit(ast::CallExpr &e) override {
    functions.insert(e.function);
    RecursiveVisitor::visit(e);
  }
  void visit(ast::SymbolRef &e) override { symbols.insert(e.name); }
  void visit(ast::IndexExpr &e) override {
    symbols.insert(e.array);
    RecursiveVisitor::visit(e);
  }
  void visit(ast::InExpr &e) override {
    symbols.insert(e.array);
    RecursiveVisitor::visit(e);
  }
  void visit(ast::ForeachStmt &s) override {
    symbols.insert(s.array);
    RecursiveVisitor::visit(s);
  }
  void visit(ast::TryStmt &s) override {
    if (!s.catchVar.empty())
      symbols.insert(s.catchVar);
    RecursiveVisitor::visit(s);
  }

  void addPoint(const ast::ProbePoint &pp) {
    points.push_back(&pp);
    if (pp.condition)
      pp.condition->accept(*this);
  }
  void add(ast::Decl &decl) {
    switch (decl.kind) {
    case ast::Decl::Kind::Global:
      for (ast::GlobalVar &g : decl.global->vars)
        if (g.init)
          g.init->accept(*this);
      break;
    case ast::Decl::Kind::Function:
      if (decl.function->body)
        decl.function->body->accept(*this);
      break;
    case ast::Decl::Kind::Probe:
      for (const ast::ProbePoint &pp : decl.probe->points)
        addPoint(pp);
      decl.probe->body->accept(*this);
      break;
    case ast::Decl::Kind::Alias:
      for (const ast::ProbePoint &pp : decl.alias->points)
        addPoint(pp);
      decl.alias->body->accept(*this);
      break;
    case ast::Decl::Kind::Embedded:
      break;
    }
  }
};

std::string dotted(const ast::ProbePoint &name) {
  std::string text;
  for (size_t i = 0; i < name.components.size(); ++i)
    text += (i ? "." : "") + name.components[i].name;
  return text;
}

} // namespace

std::vector<std::string> librarySearchPath(const std::string &installed, const std::vector<std::string> &includeDirs) {
  std::vector<std::string> dirs;
  if (!installed.empty())
    dirs.push_back(installed);
  for (const std::string &dir : includeDirs)
    dirs.push_back(dir);
  if (const char *env = std::getenv("MSTAP_TAPSET_PATH"); env && *env) {
    std::string_view rest(env);
    while (!rest.empty()) {
      size_t colon = rest.find(':');
      std::string_view entry = rest.substr(0, colon);
      if (!entry.empty())
        dirs.emplace_back(entry);
      if (colon == std::string_view::npos)
        break;
      rest.remove_prefix(colon + 1);
    }
  }
  return dirs;
}

Library::Library(std::vector<std::string> dirs) : dirs_(std::move(dirs)) { scan(); }

void Library::scan() {
  std::set<std::string> seen;
  for (const std::string &dir : dirs_) {
    std::error_code ec;
    std::vector<std::string> paths;
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end && paths.size() < kMaxLibraryFiles; it.increment(ec)) {
      if (it.depth() >= kMaxLibraryDepth)
        it.disable_recursion_pending();
      if (it->path().extension() == ".stp" && it->is_regular_file(ec))
        paths.push_back(it->path().string());
      else if (it->path().extension() == ".stpm" && it->is_regular_file(ec) && macroPaths_.size() < kMaxLibraryFiles)
        macroPaths_.push_back(it->path().string());
    }
    std::sort(paths.begin(), paths.end());
    for (const std::string &path : paths) {
      if (files_.size() >= kMaxLibraryFiles || !seen.insert(fs::weakly_canonical(path, ec).string()).second)
        continue;
      std::ifstream in(path, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      File file;
      file.path = path;
      file.text = text.str();
      std::istringstream lines(file.text);
      std::string line;
      while (std::getline(lines, line)) {
        std::string_view s(line);
        size_t start = s.find_first_not_of(" \t");
        if (start == std::string_view::npos)
          continue;
        s.remove_prefix(start);
        if (startsWithWord(s, "private"))
          s.remove_prefix(std::min(s.find_first_not_of(" \t"), s.size()));
        if (startsWithWord(s, "function")) {
          if (std::string name = leadingIdent(s); !name.empty())
            file.functions.insert(name);
        } else if (startsWithWord(s, "global")) {
          std::string_view rest = s;
          while (true) {
            if (std::string name = leadingIdent(rest); !name.empty())
              file.globals.insert(name);
            size_t comma = rest.find(',');
            if (comma == std::string_view::npos)
              break;
            rest.remove_prefix(comma + 1);
          }
        } else if (startsWithWord(s, "probe")) {
          size_t at = s.find_first_of("={");
          if (at == std::string_view::npos || s[at] != '=' || (at + 1 < s.size() && s[at + 1] == '='))
            continue;
          std::string_view names = s.substr(0, at);
          if (!names.empty() && names.back() == '+')
            names.remove_suffix(1);
          while (!names.empty()) {
            size_t comma = names.find(',');
            file.aliasNames.push_back(splitDots(names.substr(0, comma)));
            if (comma == std::string_view::npos)
              break;
            names.remove_prefix(comma + 1);
          }
        }
      }
      files_.push_back(std::move(file));
    }
  }
}

bool Library::parse(File &file, const ParseOptions &options, Diagnostics &diags) {
  if (file.parsed)
    return !file.failed;
  file.parsed = true;
  ++parsed_;
  file.source = std::make_unique<SourceFile>(file.path, file.text);
  file.script = parseScript(*file.source, options, diags);
  if (!file.script) {
    file.failed = true;
    return false;
  }
  file.linked.assign(file.script->decls.size(), false);
  return true;
}

bool Library::loadMacros(const ParseOptions &options, Diagnostics &diags) {
  bool ok = true;
  std::sort(macroPaths_.begin(), macroPaths_.end());
  for (const std::string &path : macroPaths_) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    macroSources_.push_back(std::make_unique<SourceFile>(path, text.str()));
    ok = parseMacroFile(*macroSources_.back(), options, diags, macros_) && ok;
  }
  return ok;
}

bool Library::parseAll(const ParseOptions &options, Diagnostics &diags) {
  bool ok = true;
  for (File &file : files_)
    ok = parse(file, options, diags) && ok;
  return ok;
}

std::string docComment(const SourceFile &file, uint32_t line) {
  auto trimmed = [](std::string_view s) {
    size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t\r");
    return a == std::string_view::npos ? std::string_view() : s.substr(a, b - a + 1);
  };
  auto endsComment = [](std::string_view s) { return s.size() >= 2 && s.substr(s.size() - 2) == "*/"; };
  auto startsDoc = [](std::string_view s) { return s.substr(0, 3) == "/**"; };
  if (line < 2 || line > file.lineCount() + 1 || !endsComment(trimmed(file.line(line - 1))))
    return {};
  uint32_t last = line - 1, first = last;
  // A doc comment is short: past this many lines, it is no doc comment.
  while (first > 1 && last - first < 200 && !startsDoc(trimmed(file.line(first))))
    --first;
  if (!startsDoc(trimmed(file.line(first))))
    return {};
  std::string doc;
  for (uint32_t l = first; l <= last; ++l) {
    std::string_view text = trimmed(file.line(l));
    if (l == first)
      text.remove_prefix(3);
    if (l == last)
      text.remove_suffix(2);
    text = trimmed(text);
    if (!text.empty() && text[0] == '*')
      text.remove_prefix(1);
    if (!text.empty() && text[0] == ' ')
      text.remove_prefix(1);
    if (doc.empty() && text.empty())
      continue;
    doc += std::string(text) + "\n";
  }
  while (doc.size() >= 2 && doc[doc.size() - 1] == '\n' && doc[doc.size() - 2] == '\n')
    doc.pop_back();
  return doc;
}

std::string docSummary(const std::string &doc) {
  std::string first = doc.substr(0, doc.find('\n'));
  size_t dash = first.find(" - ");
  return dash == std::string::npos ? first : first.substr(dash + 3);
}

bool Library::link(ast::Script &script, const ParseOptions &options, Diagnostics &diags) {
  if (files_.empty())
    return true;
  std::set<std::string> userFunctions, userGlobals, userAliases;
  for (const ast::Decl &decl : script.decls) {
    if (decl.kind == ast::Decl::Kind::Function)
      userFunctions.insert(decl.function->name);
    else if (decl.kind == ast::Decl::Kind::Global)
      for (const ast::GlobalVar &g : decl.global->vars)
        userGlobals.insert(g.name);
    else if (decl.kind == ast::Decl::Kind::Alias)
      for (const ast::ProbePoint &name : decl.alias->names)
        userAliases.insert(dotted(name));
  }
  References refs;
  for (ast::Decl &decl : script.decls)
    refs.add(decl);

  bool ok = true;
  std::set<std::string> doneFunctions, doneSymbols;
  size_t donePoints = 0;
  std::set<const File *> usedFiles;
  auto take = [&](File &file, size_t index) {
    ast::Decl decl = std::move(file.script->decls[index]);
    file.linked[index] = true;
    decl.fromLibrary = true;
    refs.add(decl);
    script.decls.push_back(std::move(decl));
    // A file's own probes and embedded C come with anything taken from it.
    if (!usedFiles.insert(&file).second)
      return;
    for (size_t i = 0; i < file.script->decls.size(); ++i) {
      ast::Decl &other = file.script->decls[i];
      if (!file.linked[i] && (other.kind == ast::Decl::Kind::Probe || other.kind == ast::Decl::Kind::Embedded)) {
        file.linked[i] = true;
        ast::Decl moved = std::move(other);
        moved.fromLibrary = true;
        refs.add(moved);
        script.decls.push_back(std::move(moved));
      }
    }
  };

  for (bool changed = true; changed;) {
    changed = false;
    std::set<std::string> functions = refs.functions;
    for (const std::string &name : functions) {
      if (userFunctions.count(name) || !doneFunctions.insert(name).second)
        continue;
      for (File &file : files_) {
        if (!file.functions.count(name) || !parse(file, options, diags)) {
          ok = ok && !file.failed;
          continue;
        }
        // Every overload the file defines (they differ by arity).
        bool found = false;
        for (size_t i = 0; i < file.script->decls.size(); ++i) {
          ast::Decl &decl = file.script->decls[i];
          if (!file.linked[i] && decl.kind == ast::Decl::Kind::Function && decl.function->name == name) {
            take(file, i);
            found = changed = true;
          }
        }
        if (found)
          break;
      }
    }
    std::set<std::string> symbols = refs.symbols;
    for (const std::string &name : symbols) {
      if (userGlobals.count(name) || !doneSymbols.insert(name).second)
        continue;
      for (File &file : files_) {
        if (!file.globals.count(name) || !parse(file, options, diags)) {
          ok = ok && !file.failed;
          continue;
        }
        bool found = false;
        for (size_t i = 0; i < file.script->decls.size() && !found; ++i) {
          ast::Decl &decl = file.script->decls[i];
          if (file.linked[i] || decl.kind != ast::Decl::Kind::Global)
            continue;
          for (const ast::GlobalVar &g : decl.global->vars)
            found = found || g.name == name;
          if (found) {
            take(file, i);
            changed = true;
          }
        }
        if (found)
          break;
      }
    }
    while (donePoints < refs.points.size()) {
      const ast::ProbePoint &pp = *refs.points[donePoints++];
      for (File &file : files_) {
        bool named = std::any_of(file.aliasNames.begin(), file.aliasNames.end(),
                                 [&](const std::vector<std::string> &name) { return pointMatchesName(pp, name); });
        if (!named || !parse(file, options, diags)) {
          ok = ok && !file.failed;
          continue;
        }
        for (size_t i = 0; i < file.script->decls.size(); ++i) {
          ast::Decl &decl = file.script->decls[i];
          if (file.linked[i] || decl.kind != ast::Decl::Kind::Alias)
            continue;
          bool shadowed = std::any_of(decl.alias->names.begin(), decl.alias->names.end(),
                                      [&](const ast::ProbePoint &name) { return userAliases.count(dotted(name)); });
          if (shadowed || matchAliases(pp, {decl.alias.get()}).empty())
            continue;
          take(file, i);
          changed = true;
        }
      }
    }
  }
  return ok;
}

} // namespace mstap
