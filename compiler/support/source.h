// A script's text and the positions inside it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mstap {

class SourceFile;

// A position as users see it: 1-based line and column, the column counted in
// code points (as ANTLR counts them), not bytes. `file` says which script
// when a run holds several (the user's and library scripts); diagnostics
// prefer it to the file they are given, so a check that reports against the
// user's script still points into a library script's text.
struct SourceLoc {
  uint32_t line = 0;
  uint32_t column = 0;
  const SourceFile *file = nullptr;
  bool valid() const { return line != 0; }
};

struct SourceRange {
  SourceLoc begin;
  SourceLoc end;
};

// One script: its name as given on the command line and its whole text.
class SourceFile {
public:
  SourceFile(std::string name, std::string text);

  const std::string &name() const { return name_; }
  const std::string &text() const { return text_; }
  size_t lineCount() const { return lineStarts_.size(); }
  // The text of a 1-based line, without its line break.
  std::string_view line(uint32_t number) const;

private:
  std::string name_;
  std::string text_;
  std::vector<size_t> lineStarts_;
};

// Where the text is not valid UTF-8, the byte offset of the first bad byte.
// ANTLR's runtime throws on such input, so the driver checks first.
bool findInvalidUtf8(std::string_view text, size_t &badOffset);

// The SourceLoc of a byte offset (for errors found before lexing).
SourceLoc locationOfOffset(std::string_view text, size_t offset);

} // namespace mstap
