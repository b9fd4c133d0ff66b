// Finding the reports of kernel trouble in a dmesg: the first line of each
// BUG, Oops, WARNING, lockdep, KASAN... report.
#include "run/vm.h"

#include <cctype>

namespace mstap::run {
namespace {

bool startsWith(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }
bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// The message of one dmesg line: without a "<6>" level, the "[   12.345678]"
// time stamp and a "[    T1]" caller id, and without leading blanks.
std::string_view messageOf(std::string_view line) {
  auto skipBlanks = [&] {
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
      line.remove_prefix(1);
  };
  if (line.size() >= 3 && line[0] == '<' && std::isdigit(static_cast<unsigned char>(line[1]))) {
    size_t close = line.find('>');
    if (close != std::string_view::npos && close <= 4)
      line.remove_prefix(close + 1);
  }
  // Up to two bracketed groups of digits, dots, blanks and a T or C.
  for (int group = 0; group < 2; ++group) {
    skipBlanks();
    if (line.empty() || line.front() != '[')
      break;
    size_t close = line.find(']');
    if (close == std::string_view::npos)
      break;
    bool stamp = close > 1;
    for (char c : line.substr(1, close - 1))
      if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == ' ' || c == 'T' || c == 'C'))
        stamp = false;
    if (!stamp)
      break;
    line.remove_prefix(close + 1);
  }
  skipBlanks();
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r'))
    line.remove_suffix(1);
  return line;
}

// "...: 0000 [#1]..." as the oops header prints it (x86's __die_header,
// also for "invalid opcode" and "general protection fault").
bool isDieHeader(std::string_view message) {
  for (size_t at = message.find(" [#"); at != std::string_view::npos; at = message.find(" [#", at + 1)) {
    if (at < 6 || message[at - 6] != ':' || message[at - 5] != ' ')
      continue;
    bool hex = true;
    for (size_t i = at - 4; i < at; ++i)
      hex = hex && std::isxdigit(static_cast<unsigned char>(message[i]));
    if (hex && at + 3 < message.size() && std::isdigit(static_cast<unsigned char>(message[at + 3])))
      return true;
  }
  return false;
}

bool mentionsLocking(std::string_view message) {
  return contains(message, "lock") || contains(message, "RCU") || contains(message, "non-static key");
}

// The kind of report `message` starts, or "" when it starts none.
std::string_view classify(std::string_view message) {
  if (startsWith(message, "Kernel panic - not syncing"))
    return "panic";
  if (contains(message, "BUG: KASAN:"))
    return "KASAN";
  if (contains(message, "BUG: KFENCE:"))
    return "KFENCE";
  if (contains(message, "BUG: soft lockup") || contains(message, "hard LOCKUP"))
    return "soft lockup";
  if (startsWith(message, "general protection fault"))
    return "general protection fault";
  if (startsWith(message, "BUG:") || startsWith(message, "kernel BUG at") || startsWith(message, "watchdog: BUG:"))
    return "BUG";
  if (startsWith(message, "Oops") || startsWith(message, "Unable to handle kernel") || isDieHeader(message))
    return "Oops";
  if (startsWith(message, "UBSAN:"))
    return "UBSAN";
  if (startsWith(message, "WARNING:"))
    return startsWith(message, "WARNING: CPU:") || !mentionsLocking(message) ? "WARNING" : "lockdep";
  if (startsWith(message, "INFO: task ") && contains(message, "blocked for more than"))
    return "hung task";
  if (contains(message, "detected stalls on CPUs") || contains(message, "self-detected stall on CPU"))
    return "RCU stall";
  if (startsWith(message, "INFO: ") && mentionsLocking(message))
    return "lockdep";
  return "";
}

} // namespace

std::vector<KernelProblem> findKernelProblems(std::string_view kernelLog) {
  std::vector<KernelProblem> problems;
  while (!kernelLog.empty()) {
    size_t end = kernelLog.find('\n');
    std::string_view line = kernelLog.substr(0, end);
    kernelLog.remove_prefix(end == std::string_view::npos ? kernelLog.size() : end + 1);
    std::string_view message = messageOf(line);
    std::string_view kind = classify(message);
    if (!kind.empty())
      problems.push_back({std::string(kind), std::string(message)});
  }
  return problems;
}

} // namespace mstap::run
