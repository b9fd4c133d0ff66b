// Pass 3: the C generator. See codegen.h and runtime/MODULE.md.
//
// Lowering, in short:
// - Every script value is an s64 or a char[MSTAP_MAXSTRINGLEN]. Locals,
//   parameters and string temporaries live in a frame on the CPU context's
//   frame stack (kernel stacks are too small for strings, and recursion must
//   be bounded): `f->l_NAME`, `f->sN`. Long temporaries are C locals `tN`.
// - Expressions become C expressions that read without side effects; what
//   has effects or can fail (calls, assignments, division, map updates) is
//   emitted first as statements, left to right, each fallible one followed
//   by a check that unwinds to the error label (`out`, or a catch block).
// - Every statement counts one action (MAXACTION); loops count per pass.
// - The globals each handler touches, through the functions it calls too,
//   become its lock list: the runtime takes them before the handler runs.
#include "codegen/generator.h"

#include <fmt/format.h>

#include <algorithm>

namespace mstap::codegen {

std::string cStringLiteral(const std::string &bytes) {
  std::string out = "\"";
  for (unsigned char ch : bytes) {
    switch (ch) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\t': out += "\\t"; break;
    case '?': out += "\\?"; break; // no trigraphs, ever
    default:
      if (ch < 0x20 || ch >= 0x7f)
        out += fmt::format("\\{:03o}", ch); // three digits: a following digit cannot join it
      else
        out += static_cast<char>(ch);
    }
  }
  return out + "\"";
}

// The script's path, a program's path and source files, probe points: text
// from outside mstap that the C shows in comments. Only printable ASCII is
// kept as it is, so no newline can end up after a '\' (line splicing
// happens before comments are removed: "*\<newline>/" would close the
// comment); '\' itself is doubled, and "*" "/" pairs are split so that the
// text can neither close the comment nor open a nested one (-Wcomment).
std::string cComment(const std::string &text) {
  std::string out = "/* ";
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char ch = static_cast<unsigned char>(text[i]);
    char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (ch == '\\')
      out += "\\\\";
    else if (ch < 0x20 || ch >= 0x7f)
      out += fmt::format("\\x{:02x}", ch);
    else if ((ch == '*' && next == '/') || (ch == '/' && next == '*'))
      out += fmt::format("{}\\", static_cast<char>(ch));
    else
      out += static_cast<char>(ch);
  }
  return out + " */";
}

// A C identifier made from arbitrary text: letters and digits kept, the rest '_'.
std::string identifierFrom(const std::string &text, size_t limit) {
  std::string out;
  for (char ch : text) {
    if (out.size() >= limit)
      break;
    bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    if (alnum)
      out += ch;
    else if (!out.empty() && out.back() != '_')
      out += '_';
  }
  while (!out.empty() && out.back() == '_')
    out.pop_back();
  return out;
}

const char *keyTypeC(Type t) { return t == Type::String ? "MSTAP_TYPE_STRING" : "MSTAP_TYPE_LONG"; }

// The one spelling of a 64-bit integer in the C: "-9223372036854775808LL"
// would be the negation of a constant too large for long long.
std::string cInteger(int64_t value) {
  if (value == INT64_MIN)
    return "((s64)(-9223372036854775807LL - 1))";
  return fmt::format("{}LL", value);
}

std::string statLayoutInit(const HistogramShape &h, int varianceShift) {
  if (varianceShift >= 0) {
    // The macros end the initializer; the variance fields follow the
    // histogram's, so name every field.
    std::string hist = ".hist_kind = MSTAP_HIST_NONE";
    if (h.op == AtOp::HistLog)
      hist = ".hist_kind = MSTAP_HIST_LOG, .bucket_count = MSTAP_HIST_LOG_BUCKETS";
    else if (h.op == AtOp::HistLinear)
      hist = fmt::format(".hist_kind = MSTAP_HIST_LINEAR, .bucket_count = {}, .low = {}, .high = {}, .step = {}",
                         ((uint64_t)h.high - (uint64_t)h.low) / (uint64_t)h.step + 3, cInteger(h.low),
                         cInteger(h.high), cInteger(h.step));
    return fmt::format("{{ {}, .variance = 1, .variance_shift = {} }}", hist, varianceShift);
  }
  switch (h.op) {
  case AtOp::HistLog: return "MSTAP_STAT_LAYOUT_LOG";
  case AtOp::HistLinear:
    return fmt::format("MSTAP_STAT_LAYOUT_LINEAR({}, {}, {})", cInteger(h.low), cInteger(h.high), cInteger(h.step));
  default: return "MSTAP_STAT_LAYOUT_PLAIN";
  }
}

// --------------------------------------------------------------- helpers

std::string BodyEmitter::loc(SourceLoc at) const {
  return cStringLiteral(fmt::format("{}:{}:{}", gen_.fileOf(at), at.line, at.column));
}

const GlobalInfo &BodyEmitter::global(const Variable *v) { return gen_.globals_.at(v); }

void BodyEmitter::touch(const GlobalInfo &g, bool write) {
  auto [it, inserted] = access_.emplace(g.index, write);
  if (!inserted && write)
    it->second = true;
}

std::string BodyEmitter::varRef(const Variable *v, bool write) {
  if (v->scope == Variable::Scope::Global) {
    const GlobalInfo &g = global(v);
    touch(g, write);
    return "mstap_g." + g.member;
  }
  return "f->l_" + v->name;
}

Value BodyEmitter::materialize(const Value &v) {
  if (v.type == Type::String) {
    Value t = stringTemp();
    line(fmt::format("mstap_string_copy({}, {});", t.code, v.code));
    return t;
  }
  std::string t = longTemp();
  line(fmt::format("s64 {} = {};", t, v.code));
  return {t, Type::Long};
}

// Evaluates list[from..] left to right: a value read before a later
// expression that may change it is taken into a temporary first.
std::vector<Value> BodyEmitter::evalInOrder(ExprList &list, size_t from) {
  std::vector<Value> values;
  for (size_t i = from; i < list.size(); ++i) {
    Value v = expr(*list[i]);
    bool laterModifies = false;
    for (size_t j = i + 1; j < list.size(); ++j)
      laterModifies = laterModifies || mayModify(*list[j]);
    if (laterModifies && v.type != Type::Unknown)
      v = materialize(v);
    values.push_back(v);
  }
  return values;
}

// `union mstap_key kN[] = {...}` for an element's keys; returns kN.
std::string BodyEmitter::keys(const ExprList &keyExprs, const std::vector<Type> &types) {
  auto &list = const_cast<ExprList &>(keyExprs);
  std::vector<Value> values = evalInOrder(list);
  std::string name = fmt::format("k{}", longTemps_++);
  std::string init;
  for (size_t i = 0; i < values.size(); ++i) {
    Type t = i < types.size() ? types[i] : values[i].type;
    init += (i ? ", " : "") + fmt::format("{}({})", t == Type::String ? "mstap_key_string" : "mstap_key_long",
                                          values[i].code);
  }
  line(fmt::format("union mstap_key {}[] = {{ {} }};", name, init));
  return name;
}

CodegenResult generateC(const Script &script, const ElaborateResult &elaborated, const std::string &scriptName,
                        Diagnostics &diags) {
  Generator gen(script, elaborated, scriptName, diags);
  return gen.run();
}

} // namespace mstap::codegen
