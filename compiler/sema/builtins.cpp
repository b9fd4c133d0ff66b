#include "sema/builtins.h"

namespace mstap::ast {

const std::vector<Builtin> &builtins() {
  using K = Builtin::Kind;
  const Type L = Type::Long, S = Type::String, V = Type::Unknown;
  static const std::vector<Builtin> table = {
      {"print", V, {}, K::Print, "print the values, without separators"},
      {"println", V, {}, K::Print, "print the values, then a newline"},
      {"printf", V, {S}, K::Format, "print by a format"},
      {"printd", V, {S}, K::Delimited, "print the values with a delimiter between them"},
      {"printdln", V, {S}, K::Delimited, "printd, then a newline"},
      {"sprint", S, {}, K::Print, "print into a string"},
      {"sprintln", S, {}, K::Print, "println into a string"},
      {"sprintf", S, {S}, K::Format, "printf into a string"},
      {"exit", V, {}, K::Plain, "stop the script once this probe ends: end probes run"},
      {"error", V, {S}, K::Plain, "raise an error: caught by try/catch, else stops the script"},
      {"warn", V, {S}, K::Plain, "print a warning"},
      {"log", V, {S}, K::Plain, "print the message and a newline"},
      {"execname", S, {}, K::Plain, "the current process's name"},
      {"pid", L, {}, K::Plain, "the current process id"},
      {"tid", L, {}, K::Plain, "the current thread id"},
      {"ppid", L, {}, K::Plain, "the parent process id"},
      {"uid", L, {}, K::Plain, "the user id"},
      {"euid", L, {}, K::Plain, "the effective user id"},
      {"gid", L, {}, K::Plain, "the group id"},
      {"cpu", L, {}, K::Plain, "the current CPU"},
      {"gettimeofday_s", L, {}, K::Plain, "seconds since the epoch"},
      {"gettimeofday_ms", L, {}, K::Plain, "milliseconds since the epoch"},
      {"gettimeofday_us", L, {}, K::Plain, "microseconds since the epoch"},
      {"gettimeofday_ns", L, {}, K::Plain, "nanoseconds since the epoch"},
      {"jiffies", L, {}, K::Plain, "the kernel's jiffies counter"},
      {"probefunc", S, {}, K::Plain, "the probed function's name"},
      {"pp", S, {}, K::Plain, "the probe point that fired"},
      {"strlen", L, {S}, K::Plain, "the length of a string"},
      {"substr", S, {S, L, L}, K::Plain, "part of a string: from start, length characters"},
      {"isinstr", L, {S, S}, K::Plain, "1 when the second string is in the first"},
      {"strtol", L, {S, L}, K::Plain, "a string to a number, in a base"},
      {"str_replace", S, {S, S, S}, K::Plain, "replace every match of a string"},
      {"text_str", S, {S}, K::Plain, "a string with unprintable characters escaped"},
      {"kernel_string", S, {L}, K::Plain, "the string at a kernel address, read safely"},
      {"kernel_long", L, {L}, K::Plain, "the long at a kernel address, read safely"},
      {"user_string", S, {L}, K::Plain, "the string at a user address, read safely"},
      {"abs", L, {L}, K::Plain, "the absolute value"},
      {"min", L, {L, L}, K::Plain, "the smaller value"},
      {"max", L, {L, L}, K::Plain, "the larger value"},
      {"target", L, {}, K::Plain, "the process id given with -x, or of the -c command"},
      // What the tapset library (tapset/*.stp) is written on.
      {"stringat", L, {S, L}, K::Plain, "the byte at a position of a string, 0..255"},
      {"strpos", L, {S, S}, K::Plain, "the position of the second string in the first, or -1"},
      {"text_strn", S, {S, L, L}, K::Plain, "text_str cut at a length, quoted when the third argument is not 0"},
      {"tokenize", S, {S, S}, K::Plain, "the next non-empty token; \"\" as input goes on with the last string"},
      {"errno_str", S, {L}, K::Plain, "the name of an errno (2 and -2: \"ENOENT\"), \"\" when it has none"},
      {"kernel_string_n", S, {L, L}, K::Plain, "at most N bytes of the string at a kernel address, read safely"},
      {"user_string_n", S, {L, L}, K::Plain, "at most N bytes of the string at a user address, read safely"},
      {"__kernel_read", L, {L, L, L}, K::Plain, "1, 2, 4 or 8 bytes at a kernel address, signed when the third is not 0"},
      {"__user_read", L, {L, L, L}, K::Plain, "1, 2, 4 or 8 bytes at a user address, signed when the third is not 0"},
      {"task_current", L, {}, K::Plain, "the current task (a task_struct address)"},
      {"task_pid", L, {L}, K::Plain, "a task's process id"},
      {"task_tid", L, {L}, K::Plain, "a task's thread id"},
      {"task_parent", L, {L}, K::Plain, "a task's parent task"},
      {"task_state", L, {L}, K::Plain, "a task's scheduler state"},
      {"task_execname", S, {L}, K::Plain, "a task's name"},
      {"pid2task", L, {L}, K::Plain, "the task of a process id, 0 when none"},
      {"__current_args", L, {L}, K::Plain, "the start (0) or end (1) of the current process's arguments in its memory"},
      {"get_cycles", L, {}, K::Plain, "the CPU's cycle counter"},
      {"local_clock_ns", L, {}, K::Plain, "this CPU's sched clock in nanoseconds"},
      {"cpu_clock_ns", L, {L}, K::Plain, "a CPU's sched clock in nanoseconds"},
      {"randint", L, {L}, K::Plain, "a pseudo-random number from 0 to N - 1"},
      {"system", V, {S}, K::Plain, "run a shell command in user space, in the background, once the runner reads it"},
      {"backtrace", S, {}, K::Plain, "the kernel stack at the probe, as hex addresses"},
      {"sprint_backtrace", S, {}, K::Plain, "the kernel stack at the probe, a symbol a line"},
      {"print_backtrace", V, {}, K::Plain, "print the kernel stack at the probe, an address and symbol a line"},
      {"symname", S, {L}, K::Plain, "the kernel symbol at an address, or the address in hex"},
      {"symdata", S, {L}, K::Plain, "the kernel symbol, offset, size and module of an address"},
  };
  return table;
}

const Builtin *findBuiltin(const std::string &name) {
  for (const Builtin &b : builtins())
    if (name == b.name)
      return &b;
  return nullptr;
}

std::string builtinSignature(const Builtin &b) {
  std::string text = b.name;
  if (b.returnType != Type::Unknown)
    text += std::string(":") + typeName(b.returnType);
  text += " (";
  for (size_t i = 0; i < b.params.size(); ++i) {
    if (i)
      text += ", ";
    text += std::string("arg") + std::to_string(i + 1) + ":" + typeName(b.params[i]);
  }
  switch (b.kind) {
  case Builtin::Kind::Plain: break;
  case Builtin::Kind::Print: text += "..."; break;
  case Builtin::Kind::Delimited:
  case Builtin::Kind::Format: text += ", ..."; break;
  }
  text += ")";
  return text;
}

} // namespace mstap::ast
