#include "support/diagnostics.h"

#include <fmt/format.h>

#include <algorithm>

namespace mstap {

void Diagnostics::add(Severity severity, const SourceFile *file, SourceLoc loc,
                      std::string message) {
  if (loc.file)
    file = loc.file;
  if (severity == Severity::Note) {
    if (!lastDropped_)
      diagnostics_.push_back({severity, file, loc, std::move(message)});
    return;
  }
  lastDropped_ = true;
  if (severity == Severity::Warning && !warningsEnabled_)
    return;
  // A body shared by several probes (an alias's prologue, a probe on
  // syscall.*) is checked once a probe: say each thing once, but count it,
  // so that a pass asking "did this part fail?" still hears yes.
  bool repeated = sayRepeatsOnce_ && !reported_.insert({file, loc.line, loc.column, message}).second;
  if (severity == Severity::Warning && !repeated && warnings_ >= maxWarnings) {
    ++droppedWarnings_;
    return;
  }
  if (severity == Severity::Warning && !repeated)
    ++warnings_;
  if (severity == Severity::Error)
    ++errors_;
  if (repeated || shownErrors_ > maxErrors)
    return;
  if (severity == Severity::Error && ++shownErrors_ > maxErrors) {
    diagnostics_.push_back({Severity::Error, nullptr, {},
                            fmt::format("too many errors; stopping after {}", maxErrors)});
    return;
  }
  lastDropped_ = false;
  diagnostics_.push_back({severity, file, loc, std::move(message)});
}

void Diagnostics::addNotesFor(const SourceFile *file, SourceLoc loc) {
  if (notesAt_.empty() || !file)
    return;
  auto it = notesAt_.find({file, loc.line, loc.column});
  if (it == notesAt_.end())
    return;
  for (const Diagnostic &n : it->second)
    add(Severity::Note, n.file, n.loc, n.message);
}

void Diagnostics::error(const SourceFile *file, SourceLoc loc, std::string message) {
  add(Severity::Error, file, loc, std::move(message));
  addNotesFor(file, loc);
}
void Diagnostics::error(const SourceFile *file, SourceLoc loc, std::string message, std::vector<Diagnostic> notes) {
  add(Severity::Error, file, loc, std::move(message));
  for (Diagnostic &n : notes)
    add(Severity::Note, n.file, n.loc, std::move(n.message));
}
void Diagnostics::warning(const SourceFile *file, SourceLoc loc, std::string message) {
  add(Severity::Warning, file, loc, std::move(message));
  addNotesFor(file, loc);
}

void Diagnostics::addNotesAt(const SourceFile *file, SourceLoc loc, std::vector<Diagnostic> notes) {
  notesAt_.emplace(Place{file, loc.line, loc.column}, std::move(notes));
}
void Diagnostics::note(const SourceFile *file, SourceLoc loc, std::string message) {
  add(Severity::Note, file, loc, std::move(message));
}

void Diagnostics::sortFrom(size_t from) {
  from = std::max(from, printed_);
  std::vector<std::vector<Diagnostic>> groups;
  for (size_t i = from; i < diagnostics_.size(); ++i) {
    if (diagnostics_[i].severity != Severity::Note || groups.empty())
      groups.emplace_back();
    groups.back().push_back(std::move(diagnostics_[i]));
  }
  std::stable_sort(groups.begin(), groups.end(), [](const auto &a, const auto &b) {
    // The script's own errors in line order, each library script's after
    // (by name, so that the order does not depend on addresses).
    const Diagnostic &x = a.front(), &y = b.front();
    if (x.file != y.file) {
      std::string xName = x.file ? x.file->name() : "", yName = y.file ? y.file->name() : "";
      if (xName != yName)
        return xName < yName;
    }
    return x.loc.line != y.loc.line ? x.loc.line < y.loc.line : x.loc.column < y.loc.column;
  });
  diagnostics_.resize(from);
  for (auto &group : groups)
    for (auto &d : group)
      diagnostics_.push_back(std::move(d));
}

void Diagnostics::clear() {
  diagnostics_.clear();
  reported_.clear();
  notesAt_.clear();
  printed_ = 0;
  errors_ = 0;
  shownErrors_ = 0;
  warnings_ = droppedWarnings_ = droppedPrinted_ = 0;
  lastDropped_ = false;
}

static const char *severityWord(Severity s) {
  switch (s) {
  case Severity::Error: return "error";
  case Severity::Warning: return "warning";
  case Severity::Note: return "note";
  }
  return "error";
}

static const char *severityColour(Severity s) {
  switch (s) {
  case Severity::Error: return "\033[1;31m";
  case Severity::Warning: return "\033[1;35m";
  case Severity::Note: return "\033[1;36m";
  }
  return "";
}

std::string formatDiagnostic(const Diagnostic &d, bool colour) {
  const char *bold = colour ? "\033[1m" : "";
  const char *reset = colour ? "\033[0m" : "";
  std::string out;
  if (d.file && d.loc.valid())
    out += fmt::format("{}{}:{}:{}: {}", bold, d.file->name(), d.loc.line, d.loc.column, reset);
  else if (d.file)
    out += fmt::format("{}{}: {}", bold, d.file->name(), reset);
  else
    out += fmt::format("{}mstap: {}", bold, reset);
  out += fmt::format("{}{}:{} {}{}{}\n", colour ? severityColour(d.severity) : "",
                     severityWord(d.severity), reset, bold, d.message, reset);
  if (!d.file || !d.loc.valid())
    return out;
  std::string_view line = d.file->line(d.loc.line);
  // The byte the caret points at: the column'th code point.
  size_t at = 0;
  for (uint32_t column = 1; at < line.size() && column < d.loc.column; ++column)
    for (++at; at < line.size() && (static_cast<unsigned char>(line[at]) & 0xC0) == 0x80;)
      ++at;
  // A long line is cut to a window around the caret (its ends marked
  // "..."), so that the output stays proportional to the errors, not to
  // errors times the line's length.
  std::string_view before = "", after = "";
  if (line.size() > Diagnostics::maxQuotedLine) {
    auto boundary = [&](size_t i) {
      while (i > 0 && i < line.size() && (static_cast<unsigned char>(line[i]) & 0xC0) == 0x80)
        --i;
      return i;
    };
    size_t half = Diagnostics::maxQuotedLine / 2;
    size_t start = boundary(at > half ? at - half : 0);
    size_t end = boundary(std::min(line.size(), start + Diagnostics::maxQuotedLine));
    if (start > 0)
      before = "...";
    if (end < line.size())
      after = "...";
    at -= start;
    line = line.substr(start, end - start);
  }
  // The caret goes under the column'th code point; tabs are kept so that it
  // lines up with the source line above it.
  std::string caret(before.size(), ' ');
  for (size_t i = 0; i < at && i < line.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if ((c & 0xC0) == 0x80)
      continue;
    caret += c == '\t' ? '\t' : ' ';
  }
  // Control characters would garble a terminal: show them as '?'.
  std::string shown(before);
  for (char c : line)
    shown += (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f ? '?' : c;
  shown += after;
  out += shown;
  out += '\n';
  out += caret;
  out += colour ? "\033[1;32m^\033[0m\n" : "^\n";
  return out;
}

static std::string droppedText(unsigned count) {
  return formatDiagnostic({Severity::Warning, nullptr, {},
                           fmt::format("{} more warning{} not shown (only the first {} are)", count,
                                       count == 1 ? "" : "s", Diagnostics::maxWarnings)},
                          false);
}

void Diagnostics::print(std::FILE *out, bool colour) {
  for (; printed_ < diagnostics_.size(); ++printed_) {
    std::string text = formatDiagnostic(diagnostics_[printed_], colour);
    std::fwrite(text.data(), 1, text.size(), out);
  }
  if (droppedWarnings_ > droppedPrinted_) {
    std::string text = droppedText(droppedWarnings_ - droppedPrinted_);
    std::fwrite(text.data(), 1, text.size(), out);
    droppedPrinted_ = droppedWarnings_;
  }
  std::fflush(out);
}

std::string Diagnostics::render() const {
  std::string text;
  for (const Diagnostic &d : diagnostics_)
    text += formatDiagnostic(d, false);
  if (droppedWarnings_ > 0)
    text += droppedText(droppedWarnings_);
  return text;
}

} // namespace mstap
