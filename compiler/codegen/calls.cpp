// Pass 3: print and its kin, calls of script functions and built-ins.
#include "codegen/generator.h"

#include <fmt/format.h>

#include <algorithm>

namespace mstap::codegen {

// print, println, printd, printdln, printf and their s- forms. `out` is a
// `struct mstap_out *` expression.
void BodyEmitter::print(CallExpr &e, const std::string &out, bool toString) {
  const Builtin &b = *e.builtin;
  std::string name = b.name;
  if (b.kind == Builtin::Kind::Format) {
    auto *format = dyn<StringLiteral>(e.args[0].get());
    std::vector<Value> values = evalInOrder(e.args, 1);
    std::string args;
    for (const Value &v : values)
      args += (args.empty() ? "" : ", ") +
              fmt::format("{}({})", v.type == Type::String ? "mstap_arg_string" : "mstap_arg_long", v.code);
    std::string fmtText = format ? cStringLiteral(format->value) : "\"\"";
    if (values.empty()) {
      line(fmt::format("mstap_format({}, {}, NULL, 0, &c->error);", out, fmtText));
    } else {
      std::string a = fmt::format("a{}", longTemps_++);
      line(fmt::format("struct mstap_arg {}[] = {{ {} }};", a, args));
      line(fmt::format("mstap_format({}, {}, {}, {}, &c->error);", out, fmtText, a, values.size()));
    }
    check(e.loc());
    return;
  }
  bool newline = name == "println" || name == "sprintln" || name == "printdln";
  size_t first = b.kind == Builtin::Kind::Delimited ? 1 : 0;
  std::string delimiter;
  if (first == 1) {
    auto *d = dyn<StringLiteral>(e.args[0].get());
    delimiter = d ? cStringLiteral(d->value) : "\"\"";
  }
  // Histograms print in place; other values are evaluated first, in order.
  std::vector<Value> values;
  std::vector<AtExpr *> hists;
  for (size_t i = first; i < e.args.size(); ++i) {
    auto *at = dyn<AtExpr>(e.args[i].get());
    bool hist = at && (at->op == AtOp::HistLog || at->op == AtOp::HistLinear);
    hists.push_back(hist ? at : nullptr);
    if (hist) {
      values.push_back({});
      continue;
    }
    Value v = expr(*e.args[i]);
    bool laterModifies = false;
    for (size_t j = i + 1; j < e.args.size(); ++j)
      laterModifies = laterModifies || mayModify(*e.args[j]);
    if (laterModifies)
      v = materialize(v);
    values.push_back(v);
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0 && !delimiter.empty())
      line(fmt::format("mstap_out_string({}, {});", out, delimiter));
    if (hists[i]) {
      const GlobalInfo *g = nullptr;
      std::string stat = statOf(*hists[i]->args[0], hists[i]->loc(), &g);
      if (g)
        line(fmt::format("mstap_hist_print({}, {}, &mstap_layout_{}, &c->error);", out, stat, g->member));
      check(hists[i]->loc());
      continue;
    }
    if (values[i].type == Type::String)
      line(fmt::format("mstap_out_string({}, {});", out, values[i].code));
    else
      line(fmt::format("mstap_out_long_aligned({}, {}, 0);", out, values[i].code));
  }
  if (newline)
    line(fmt::format("mstap_out_char({}, '\\n');", out));
  (void)toString;
}

Value BodyEmitter::call(CallExpr &e) {
  if (e.builtin) {
    Value v = builtinCall(e);
    // A built-in without a value used as one (`n && exit()`): as stap, its
    // use gives it a type, and its value is 0 or "".
    if (e.builtin->returnType == Type::Unknown && e.type == Type::Long)
      return {"0LL", Type::Long};
    if (e.builtin->returnType == Type::Unknown && e.type == Type::String)
      return {"\"\"", Type::String};
    return v;
  }
  const FunctionDecl &f = *e.callee;
  callees_.insert(&f);
  std::vector<Value> args = evalInOrder(e.args);
  std::string list = "c";
  Value result{"", Type::Unknown};
  if (f.returnType == Type::String) {
    result = stringTemp();
    list += ", " + result.code;
  }
  for (const Value &a : args)
    list += ", " + a.code;
  std::string fn = f.cName();
  if (f.returnType == Type::Long) {
    std::string t = longTemp();
    line(fmt::format("s64 {} = {}({});", t, fn, list));
    result = {t, Type::Long};
  } else {
    line(fmt::format("{}({});", fn, list));
  }
  check(e.loc());
  return result;
}

Value BodyEmitter::builtinCall(CallExpr &e) {
  const Builtin &b = *e.builtin;
  std::string name = b.name;
  if (b.kind != Builtin::Kind::Plain) {
    if (b.returnType == Type::String) { // sprint, sprintln, sprintf
      Value t = stringTemp();
      std::string o = fmt::format("o{}", longTemps_++);
      line(fmt::format("struct mstap_out {};", o));
      line(fmt::format("mstap_out_init_string(&{}, {});", o, t.code));
      print(e, "&" + o, true);
      line(fmt::format("mstap_out_terminate(&{});", o));
      return t;
    }
    print(e, "&c->out", false);
    return {"", Type::Unknown};
  }
  std::vector<Value> a = evalInOrder(e.args);
  auto longCall = [&](const std::string &c) { return Value{c, Type::Long}; };
  auto stringInto = [&](const std::string &fmtCall, bool fallible) {
    Value t = stringTemp();
    line(fmt::format(fmt::runtime(fmtCall), t.code));
    if (fallible)
      check(e.loc());
    return t;
  };
  if (name == "exit") {
    line("mstap_fn_exit(c);");
    return {"", Type::Unknown};
  }
  if (name == "error") {
    line(fmt::format("mstap_fn_error(c, {});", a[0].code));
    check(e.loc());
    return {"", Type::Unknown};
  }
  if (name == "warn" || name == "log") {
    line(fmt::format("mstap_fn_{}(c, {});", name, a[0].code));
    return {"", Type::Unknown};
  }
  if (name == "execname" || name == "probefunc" || name == "pp")
    return stringInto("mstap_fn_" + name + "(c, {});", false);
  if (name == "pid" || name == "tid" || name == "ppid" || name == "uid" || name == "euid" || name == "gid" ||
      name == "cpu" || name == "jiffies" || name == "target" || name.rfind("gettimeofday_", 0) == 0)
    return longCall(fmt::format("mstap_fn_{}(c)", name));
  if (name == "strlen")
    return longCall(fmt::format("(s64)mstap_string_length({})", a[0].code));
  if (name == "substr")
    return stringInto(fmt::format("mstap_string_substr({{}}, {}, {}, {});", a[0].code, a[1].code, a[2].code), false);
  if (name == "isinstr")
    return longCall(fmt::format("mstap_string_isinstr({}, {})", a[0].code, a[1].code));
  if (name == "strtol") {
    std::string t = longTemp();
    line(fmt::format("s64 {} = mstap_string_strtol({}, {}, &c->error);", t, a[0].code, a[1].code));
    check(e.loc());
    return {t, Type::Long};
  }
  if (name == "str_replace")
    return stringInto(fmt::format("mstap_string_replace({{}}, {}, {}, {});", a[0].code, a[1].code, a[2].code),
                      false);
  if (name == "text_str")
    return stringInto(fmt::format("mstap_string_text_str({{}}, {});", a[0].code), false);
  if (name == "kernel_string" || name == "user_string")
    return stringInto(fmt::format("mstap_fn_{}(c, {{}}, {});", name, a[0].code), true);
  if (name == "kernel_long") {
    std::string t = longTemp();
    line(fmt::format("s64 {} = mstap_fn_kernel_long(c, {});", t, a[0].code));
    check(e.loc());
    return {t, Type::Long};
  }
  if (name == "stringat" || name == "__kernel_read" || name == "__user_read" || name == "task_pid" ||
      name == "task_tid" || name == "task_parent" || name == "task_state" || name == "cpu_clock_ns" ||
      name == "randint") {
    std::string args;
    for (const Value &v : a)
      args += ", " + v.code;
    std::string fn = name == "__kernel_read" || name == "__user_read" ? "read_memory" : name;
    if (fn == "read_memory")
      args += name == "__user_read" ? ", true" : ", false";
    std::string t = longTemp();
    line(fmt::format("s64 {} = mstap_fn_{}(c{});", t, fn, args));
    check(e.loc());
    return {t, Type::Long};
  }
  if (name == "strpos")
    return longCall(fmt::format("mstap_string_find({}, {})", a[0].code, a[1].code));
  if (name == "task_current" || name == "get_cycles" || name == "local_clock_ns")
    return longCall(fmt::format("mstap_fn_{}(c)", name));
  if (name == "pid2task" || name == "__current_args")
    return longCall(fmt::format("mstap_fn_{}(c, {})", name == "pid2task" ? "pid2task" : "current_args", a[0].code));
  if (name == "text_strn")
    return stringInto(fmt::format("mstap_fn_text_strn({{}}, {}, {}, {});", a[0].code, a[1].code, a[2].code), false);
  if (name == "tokenize")
    return stringInto(fmt::format("mstap_fn_tokenize(c, {{}}, {}, {});", a[0].code, a[1].code), false);
  if (name == "errno_str")
    return stringInto(fmt::format("mstap_fn_errno_str({{}}, {});", a[0].code), false);
  if (name == "task_execname")
    return stringInto(fmt::format("mstap_fn_task_execname(c, {{}}, {});", a[0].code), true);
  if (name == "kernel_string_n" || name == "user_string_n")
    return stringInto(fmt::format("mstap_fn_string_n(c, {{}}, {}, {}, {});", a[0].code, a[1].code,
                                  name == "user_string_n" ? "true" : "false"),
                      true);
  if (name == "backtrace" || name == "sprint_backtrace")
    return stringInto(fmt::format("mstap_fn_{}(c, {{}});", name), false);
  if (name == "system") {
    line(fmt::format("mstap_fn_system(c, {});", a[0].code));
    return {"", Type::Unknown};
  }
  if (name == "print_backtrace") {
    line("mstap_fn_print_backtrace(c);");
    return {"", Type::Unknown};
  }
  if (name == "symname" || name == "symdata")
    return stringInto(fmt::format("mstap_fn_{}(c, {{}}, {});", name, a[0].code), false);
  if (name == "abs") {
    Value v = materialize(a[0]);
    return longCall(fmt::format("({} < 0 ? (s64)(0 - (u64){}) : {})", v.code, v.code, v.code));
  }
  if (name == "min" || name == "max") {
    Value x = materialize(a[0]), y = materialize(a[1]);
    return longCall(fmt::format("({} {} {} ? {} : {})", x.code, name == "min" ? "<" : ">", y.code, x.code, y.code));
  }
  gen_.internal(e.loc(), fmt::format("no translation for the built-in '{}'", name));
  return {"0", Type::Long};
}

} // namespace mstap::codegen
