#include "kernel/trace_groups.h"

#include "kernel/environment.h"
#include "kernel/files.h"
#include "support/clock.h"

#include <algorithm>
#include <chrono>
#include <cctype>
#include <filesystem>
#include <set>

namespace fs = std::filesystem;

namespace mstap::kernel {

namespace {

bool isIdentifierChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (isBlank(s.front()) || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (isBlank(s.back()) || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

bool isIdentifier(std::string_view s) {
  return !s.empty() && !std::isdigit(static_cast<unsigned char>(s[0])) &&
         std::all_of(s.begin(), s.end(), isIdentifierChar);
}

// Past the string or character literal that opens at `i` (its quote).
size_t skipLiteral(std::string_view text, size_t i) {
  char quote = text[i++];
  while (i < text.size() && text[i] != quote && text[i] != '\n') {
    if (text[i] == '\\')
      ++i;
    ++i;
  }
  return std::min(i + 1, text.size());
}

// The text with comments replaced by a blank and backslash-newlines removed,
// so that a directive is one line. Literals are kept: a quote inside a
// comment must not open a string, nor "/*" inside a string a comment.
std::string withoutCommentsAndContinuations(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size() && (text[i + 1] == '\n' || (text[i + 1] == '\r' && i + 2 < text.size() &&
                                                                     text[i + 2] == '\n'))) {
      i += text[i + 1] == '\n' ? 2 : 3;
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      size_t end = text.find("*/", i + 2);
      i = end == std::string_view::npos ? text.size() : end + 2;
      out += ' ';
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      // To the end of the line, continuations included.
      while (i < text.size() && text[i] != '\n')
        i += text[i] == '\\' && i + 1 < text.size() ? 2 : 1;
      out += ' ';
    } else if (c == '"' || c == '\'') {
      size_t end = skipLiteral(text, i);
      out.append(text.substr(i, end - i));
      i = end;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

// The macros of <linux/tracepoint.h> and <trace/trace_events.h> that define
// an event, and which of their arguments is its name. DECLARE_TRACE and
// DECLARE_EVENT_CLASS define no event; the _NOP forms nothing at all.
int eventNameArgument(std::string_view macro) {
  if (macro == "TRACE_EVENT" || macro == "TRACE_EVENT_FN" || macro == "TRACE_EVENT_FN_COND" ||
      macro == "TRACE_EVENT_CONDITION")
    return 0;
  if (macro == "DEFINE_EVENT" || macro == "DEFINE_EVENT_FN" || macro == "DEFINE_EVENT_PRINT" ||
      macro == "DEFINE_EVENT_CONDITION")
    return 1;
  return -1;
}

// A macro the header defines itself whose expansion defines events.
struct LocalMacro {
  bool functionLike = false;
  std::vector<std::string> params; // "__VA_ARGS__" for "..."
  std::string body;
};

class HeaderScanner {
public:
  explicit HeaderScanner(std::map<std::string, std::string> &groups) : groups_(groups) {}

  // Scans `text` (comments already removed); `depth` counts the macro
  // expansions it came from.
  void scan(std::string_view text, int depth) {
    bool lineStart = true;
    for (size_t i = 0; i < text.size();) {
      char c = text[i];
      if (c == '\n') {
        lineStart = true;
        ++i;
      } else if (isBlank(c)) {
        ++i;
      } else if (c == '#' && lineStart && depth == 0) {
        size_t end = text.find('\n', i);
        if (end == std::string_view::npos)
          end = text.size();
        directive(text.substr(i + 1, end - i - 1));
        i = end;
      } else if (c == '"' || c == '\'') {
        lineStart = false;
        i = skipLiteral(text, i);
      } else if (isIdentifierChar(c)) {
        lineStart = false;
        size_t start = i;
        while (i < text.size() && isIdentifierChar(text[i]))
          ++i;
        std::string_view word = text.substr(start, i - start);
        if (std::isdigit(static_cast<unsigned char>(word[0])) || !definesEvents(word))
          continue;
        size_t open = i;
        while (open < text.size() && (isBlank(text[open]) || text[open] == '\n'))
          ++open;
        if (open >= text.size() || text[open] != '(')
          continue;
        std::vector<std::string_view> args;
        size_t after = arguments(text, open, args);
        if (after == std::string_view::npos)
          continue; // unbalanced: not an invocation this scan understands
        invoke(word, args, text.substr(open + 1, after - open - 2), depth);
        i = after;
      } else {
        lineStart = false;
        ++i;
      }
    }
  }

private:
  bool definesEvents(std::string_view word) const {
    return eventNameArgument(word) >= 0 || macros_.count(std::string(word)) > 0;
  }

  // The arguments of the invocation whose '(' is at `open`, split at the
  // commas outside brackets and literals; returns the position past its ')'.
  static size_t arguments(std::string_view text, size_t open, std::vector<std::string_view> &args) {
    int depth = 0;
    size_t argStart = open + 1;
    for (size_t i = open; i < text.size();) {
      char c = text[i];
      if (c == '"' || c == '\'') {
        i = skipLiteral(text, i);
        continue;
      }
      if (c == '(' || c == '[' || c == '{') {
        ++depth;
      } else if (c == ')' || c == ']' || c == '}') {
        if (--depth == 0) {
          args.push_back(trim(text.substr(argStart, i - argStart)));
          return i + 1;
        }
      } else if (c == ',' && depth == 1) {
        args.push_back(trim(text.substr(argStart, i - argStart)));
        argStart = i + 1;
      }
      ++i;
    }
    return std::string_view::npos;
  }

  void invoke(std::string_view macro, const std::vector<std::string_view> &args, std::string_view argText,
              int depth) {
    int nameAt = eventNameArgument(macro);
    if (nameAt >= 0) {
      if (static_cast<size_t>(nameAt) < args.size() && isIdentifier(args[nameAt]) && !system_.empty())
        groups_.emplace(std::string(args[nameAt]), system_);
      return;
    }
    // Bounded: macros expanding into several others could otherwise fan
    // out to k^maxDepth scans on a hostile header.
    if (depth >= maxDepth || ++expansions_ > maxExpansions)
      return;
    // Expansions read no directives, so scan() leaves macros_ as it is.
    auto [first, last] = macros_.equal_range(std::string(macro));
    for (auto it = first; it != last; ++it) {
      const LocalMacro &m = it->second;
      if (!m.functionLike) {
        // An alias, as `#define TRACE_EVENT_RCU TRACE_EVENT`: its body
        // then the arguments.
        scan(m.body + "(" + std::string(argText) + ")", depth + 1);
        continue;
      }
      scan(substitute(m, args), depth + 1);
    }
  }

  // The body of `m` with its parameters replaced by `args` and ## pasted.
  static std::string substitute(const LocalMacro &m, const std::vector<std::string_view> &args) {
    std::string out;
    const std::string &body = m.body;
    for (size_t i = 0; i < body.size();) {
      char c = body[i];
      if (c == '#' && i + 1 < body.size() && body[i + 1] == '#') {
        while (!out.empty() && isBlank(out.back()))
          out.pop_back();
        i += 2;
        while (i < body.size() && isBlank(body[i]))
          ++i;
      } else if (c == '"' || c == '\'') {
        size_t end = skipLiteral(body, i);
        out.append(body, i, end - i);
        i = end;
      } else if (isIdentifierChar(c)) {
        size_t start = i;
        while (i < body.size() && isIdentifierChar(body[i]))
          ++i;
        std::string_view word = std::string_view(body).substr(start, i - start);
        auto param = std::find(m.params.begin(), m.params.end(), word);
        if (param == m.params.end()) {
          out.append(word);
        } else if (*param == "__VA_ARGS__") {
          size_t from = static_cast<size_t>(param - m.params.begin());
          for (size_t a = from; a < args.size(); ++a)
            out.append(a == from ? "" : ", ").append(args[a]);
        } else {
          size_t index = static_cast<size_t>(param - m.params.begin());
          if (index < args.size())
            out.append(args[index]);
        }
      } else {
        out += c;
        ++i;
      }
    }
    return out;
  }

  void directive(std::string_view line) {
    line = trim(line);
    size_t nameEnd = 0;
    while (nameEnd < line.size() && isIdentifierChar(line[nameEnd]))
      ++nameEnd;
    std::string_view keyword = line.substr(0, nameEnd);
    std::string_view rest = trim(line.substr(nameEnd));
    if (keyword != "define" && keyword != "undef")
      return;
    size_t macroEnd = 0;
    while (macroEnd < rest.size() && isIdentifierChar(rest[macroEnd]))
      ++macroEnd;
    std::string_view macro = rest.substr(0, macroEnd);
    if (macro == "TRACE_SYSTEM") {
      if (keyword == "undef") {
        system_.clear();
      } else {
        std::string_view value = trim(rest.substr(macroEnd));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
          value = value.substr(1, value.size() - 2);
        system_ = std::string(value);
      }
      return;
    }
    // Other #undefs are not followed: every definition a header makes of a
    // macro counts, as every #if branch does. A header's own version of a
    // standard macro is not taken for it either.
    if (keyword == "undef" || macro.empty() || eventNameArgument(macro) >= 0)
      return;
    LocalMacro m;
    std::string_view after = rest.substr(macroEnd);
    if (!after.empty() && after.front() == '(') {
      size_t close = after.find(')');
      if (close == std::string_view::npos)
        return;
      m.functionLike = true;
      std::string_view list = after.substr(1, close - 1);
      while (!list.empty()) {
        size_t comma = list.find(',');
        std::string_view param = trim(list.substr(0, comma));
        m.params.emplace_back(param == "..." ? "__VA_ARGS__" : std::string(param));
        if (comma == std::string_view::npos)
          break;
        list.remove_prefix(comma + 1);
      }
      after = after.substr(close + 1);
    }
    m.body = std::string(trim(after));
    // Only macros that end in an event definition are kept: the others
    // (print helpers, field lists) cannot define one.
    bool usesEventMacro = false;
    for (size_t i = 0; i < m.body.size() && !usesEventMacro;) {
      if (!isIdentifierChar(m.body[i])) {
        ++i;
        continue;
      }
      size_t start = i;
      while (i < m.body.size() && isIdentifierChar(m.body[i]))
        ++i;
      usesEventMacro = definesEvents(std::string_view(m.body).substr(start, i - start));
    }
    if (usesEventMacro)
      macros_.emplace(std::string(macro), std::move(m));
  }

  static constexpr int maxDepth = 8;
  static constexpr size_t maxExpansions = 20000; // per header
  size_t expansions_ = 0;
  std::map<std::string, std::string> &groups_;
  std::string system_;
  std::multimap<std::string, LocalMacro> macros_;
};

// The headers of one tree that may define events, in a fixed order. x86
// only: the architecture mstap builds for.
std::vector<std::string> traceHeaders(const std::string &root) {
  static const char *const folders[] = {"include/trace/events", "include/ras", "arch/x86/include/asm/trace",
                                        "arch/x86/include/asm"};
  std::vector<std::string> headers;
  for (const char *folder : folders) {
    std::error_code ec;
    fs::directory_iterator it(root + "/" + folder, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      const fs::path &p = it->path();
      if (p.extension() == ".h" && it->is_regular_file(ec))
        headers.push_back(p.string());
    }
  }
  std::sort(headers.begin(), headers.end());
  return headers;
}

} // namespace

void scanTraceHeader(std::string_view text, std::map<std::string, std::string> &groups) {
  if (text.find("TRACE_SYSTEM") == std::string_view::npos)
    return;
  HeaderScanner scanner(groups);
  scanner.scan(withoutCommentsAndContinuations(text), 0);
}

std::vector<std::string> headerTreeRoots(const KernelTarget &target) {
  std::string build;
  for (const std::string &candidate : buildTreeCandidates(target))
    if (isDirectory(candidate)) {
      build = candidate;
      break;
    }
  std::vector<std::string> candidates;
  if (!build.empty()) {
    candidates.push_back(build);
    candidates.push_back(build + "/source");
    // Debian's linux-headers-RELEASE/Makefile is one line:
    // "include /usr/src/linux-headers-VERSION-common/Makefile".
    if (auto makefile = readWholeFile(build + "/Makefile")) {
      size_t position = 0;
      std::string_view line;
      while (nextLine(*makefile, position, line)) {
        line = trim(line);
        if (line.rfind("include ", 0) != 0)
          continue;
        std::string included(trim(line.substr(8)));
        fs::path path(included);
        if (path.is_relative())
          path = fs::path(build) / path;
        candidates.push_back(path.parent_path().string());
      }
    }
  }
  candidates.push_back(target.modulesDir + "/source");
  if (target.sysroot != "/" && target.buildDir == target.modulesDir + "/build")
    candidates.push_back("/lib/modules/" + target.release + "/source");
  std::vector<std::string> roots;
  std::set<std::string> seen;
  for (const std::string &candidate : candidates) {
    std::error_code ec;
    if (!isDirectory(candidate))
      continue;
    std::string canonical = fs::weakly_canonical(candidate, ec).string();
    if (ec)
      canonical = candidate;
    if (seen.insert(canonical).second)
      roots.push_back(candidate);
  }
  return roots;
}

TraceGroups loadTraceGroups(const std::vector<std::string> &roots) {
  auto start = std::chrono::steady_clock::now();
  TraceGroups result;
  result.roots = roots;
  for (const std::string &root : roots)
    for (const std::string &header : traceHeaders(root)) {
      auto text = readWholeFile(header);
      if (!text)
        continue;
      ++result.headers;
      scanTraceHeader(*text, result.groupOf);
    }
  result.milliseconds = millisecondsSince(start);
  return result;
}

TraceGroups loadTraceGroups(const KernelTarget &target) { return loadTraceGroups(headerTreeRoots(target)); }

} // namespace mstap::kernel
