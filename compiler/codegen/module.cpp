// Pass 3: the order of translation and the module's sections.
#include "codegen/generator.h"

#include <fmt/format.h>

#include <algorithm>

namespace mstap::codegen {

// The runtime's name for a probe family (runtime/mstap_probes.h): a new
// ProbeKind without a case here is a compiler warning (-Wswitch).
const char *runtimeKind(ProbeKind kind) {
  switch (kind) {
  case ProbeKind::Begin: return "MSTAP_PROBE_BEGIN";
  case ProbeKind::End: return "MSTAP_PROBE_END";
  case ProbeKind::Error: return "MSTAP_PROBE_ERROR";
  case ProbeKind::Never: break; // never registered
  case ProbeKind::Timer: return "MSTAP_PROBE_TIMER";
  case ProbeKind::Profile: return "MSTAP_PROBE_PROFILE";
  case ProbeKind::Kprobe: return "MSTAP_PROBE_KPROBE";
  case ProbeKind::Kretprobe: return "MSTAP_PROBE_KRETPROBE";
  case ProbeKind::Tracepoint: return "MSTAP_PROBE_TRACEPOINT";
  case ProbeKind::Uprobe: return "MSTAP_PROBE_UPROBE";
  case ProbeKind::Uretprobe: return "MSTAP_PROBE_URETPROBE";
  }
  return "MSTAP_PROBE_NEVER";
}

// The function registered with a tracepoint whose probe reads its
// arguments: declared with exactly the tracepoint's arity, each argument
// (one integer or pointer, as pass 2 checked) as a u64, which on x86-64 is
// how the caller passes it, whole in a register or a stack slot of its own
// (narrower types are converted where they are read). With the exact arity
// the hook reads no register or stack slot the caller did not fill, and
// writes no stack slot the caller did not reserve.
static std::string tracepointHook(const std::string &name, const std::string &point, int arguments) {
  std::string params, values;
  for (int i = 0; i < arguments; ++i) {
    params += fmt::format(", u64 a{}", i);
    values += fmt::format("{}a{}", i ? ", " : "", i);
  }
  return fmt::format("{}\n"
                     "static void {}(void *data{})\n{{\n"
                     "\tconst u64 args[] = {{ {} }};\n\n"
                     "\tmstap_run_tracepoint((const struct mstap_probe *)data, args, ARRAY_SIZE(args));\n}}\n\n",
                     cComment(fmt::format("{}: called as (data, {} argument{})", point, arguments,
                                          arguments == 1 ? "" : "s")),
                     name, params, values);
}

// A timer's period in nanoseconds, as C (pass 2 bounded it to 64 bits).
static std::string timerNs(const std::string &unit, uint64_t count) {
  if (unit == "s") return fmt::format("{}ULL * 1000000000ULL", count);
  if (unit == "ms") return fmt::format("{}ULL * 1000000ULL", count);
  if (unit == "us") return fmt::format("{}ULL * 1000ULL", count);
  if (unit == "ns") return fmt::format("{}ULL", count);
  if (unit == "jiffies") return fmt::format("{}ULL * (NSEC_PER_SEC / HZ)", count);
  return fmt::format("NSEC_PER_SEC / {}ULL", count); // hz
}

// Script functions, translated first: their access sets feed the probes'
// locks.
void Generator::translateFunctions() {
  bool anyEmbedded = false;
  for (const Decl &decl : script_.decls) {
    anyEmbedded = anyEmbedded || decl.kind == Decl::Kind::Embedded ||
                  (decl.kind == Decl::Kind::Function && !decl.function->body);
    if (decl.kind != Decl::Kind::Embedded)
      continue;
    // Top-level %{ %}: as written, in script order, before any function.
    const EmbeddedDecl &e = *decl.embedded;
    embeddedText += cComment(fmt::format("embedded C at {}:{}:{}", fileOf(e.loc()), e.loc().line, e.loc().column)) +
                    "\n" + e.code + "\n";
  }
  // stap's embedded C names the string size MAXSTRINGLEN.
  if (anyEmbedded)
    embeddedText = "#ifndef MAXSTRINGLEN\n#define MAXSTRINGLEN MSTAP_MAXSTRINGLEN\n#endif\n" + embeddedText;
  for (const Decl &decl : script_.decls) {
    if (decl.kind != Decl::Kind::Function)
      continue;
    const FunctionDecl &f = *decl.function;
    if (!f.body) {
      translateEmbeddedFunction(f);
      continue;
    }
    auto b = std::make_unique<BodyEmitter>(*this, f.cName());
    b->isFunction_ = true;
    b->returnType_ = f.returnType;
    b->block(*f.body);
    std::string frame = f.cName() + "_frame";
    framesText += frameStruct(frame, *b, f.locals);
    functionFrames.push_back(frame);
    prototypes += functionSignature(f) + ";\n";
    std::string text =
        cComment(fmt::format("function {} at {}:{}:{}", f.name, fileOf(f.loc()), f.loc().line, f.loc().column)) + "\n";
    text += functionSignature(f) + "\n{\n";
    text += fmt::format("\tstruct {} *f = mstap_frame_push(c, sizeof(*f));\n", frame);
    if (f.returnType == Type::Long)
      text += "\ts64 result = 0;\n";
    if (f.returnType == Type::String)
      text += "\tret[0] = '\\0';\n";
    text += "\n\tif (!f)\n";
    text += f.returnType == Type::Long ? "\t\treturn 0;\n" : "\t\treturn;\n";
    for (size_t i = 0; i < f.params.size() && i < f.locals.size(); ++i) {
      const Variable &p = *f.locals[i];
      if (p.type == Type::String)
        text += fmt::format("\tmstap_string_copy(f->l_{}, a_{});\n", p.name, p.name);
      else
        text += fmt::format("\tf->l_{} = a_{};\n", p.name, p.name);
    }
    text += b->body_;
    text += "out: __attribute__((unused));\n";
    for (const std::string &release : b->ownedForeach_)
      text += "\t" + release + "\n";
    text += "\tmstap_frame_pop(c, sizeof(*f));\n";
    if (f.returnType == Type::Long)
      text += "\treturn result;\n";
    text += "}\n\n";
    functionsText += text;
    functionBodies[&f] = std::move(b);
  }
}

// A function whose body is C (guru mode, or a library script): the body
// between macros of stap's embedded-C conventions (runtime/MODULE.md §7).
// It touches no script global, so it takes no lock of its own.
void Generator::translateEmbeddedFunction(const FunctionDecl &f) {
  prototypes += functionSignature(f) + ";\n";
  std::string text =
      cComment(fmt::format("function {} at {}:{}:{} (embedded C)", f.name, fileOf(f.loc()), f.loc().line,
                           f.loc().column)) +
      "\n";
  std::vector<std::string> defined;
  auto define = [&](const std::string &name, const std::string &value) {
    text += fmt::format("#define {} {}\n", name, value);
    defined.push_back(name.substr(0, name.find('(')));
  };
  for (size_t i = 0; i < f.params.size() && i < f.locals.size(); ++i)
    define("STAP_ARG_" + f.locals[i]->name, "a_" + f.locals[i]->name);
  if (f.returnType == Type::Long) {
    define("STAP_RETVALUE", "result");
    define("STAP_RETURN(v)", "do { result = (v); goto out; } while (0)");
  } else if (f.returnType == Type::String) {
    define("STAP_RETVALUE", "ret");
    define("STAP_RETURN(v)", "do { mstap_string_copy(ret, (v)); goto out; } while (0)");
  } else {
    define("STAP_RETURN()", "goto out");
  }
  define("STAP_ERROR(...)", "do { mstap_embedded_error(c, __VA_ARGS__); goto out; } while (0)");
  define("STAP_PRINTF(...)", "mstap_embedded_printf(c, __VA_ARGS__)");
  text += functionSignature(f) + "\n{\n";
  if (f.returnType == Type::Long)
    text += "\ts64 result = 0;\n";
  if (f.returnType == Type::String)
    text += "\tret[0] = '\\0';\n";
  text += "\t{\n" + f.embeddedCode.value_or("") + "\n\t}\n";
  text += "\tgoto out;\nout: __attribute__((unused));\n";
  if (f.returnType == Type::Long)
    text += "\treturn result;\n";
  text += "}\n";
  for (const std::string &name : defined)
    text += "#undef " + name + "\n";
  functionsText += text + "\n";
}

// The globals a body touches, itself and through the functions it calls
// (index -> written).
std::map<int, bool> Generator::closure(const BodyEmitter &start) const {
  std::map<int, bool> access = start.access_;
  std::set<const FunctionDecl *> seen;
  std::vector<const FunctionDecl *> work(start.callees_.begin(), start.callees_.end());
  while (!work.empty()) {
    const FunctionDecl *f = work.back();
    work.pop_back();
    if (!seen.insert(f).second)
      continue;
    auto it = functionBodies.find(f);
    if (it == functionBodies.end())
      continue;
    for (auto [g, w] : it->second->access_) {
      auto [slot, inserted] = access.emplace(g, w);
      if (!inserted && w)
        slot->second = true;
    }
    for (const FunctionDecl *callee : it->second->callees_)
      work.push_back(callee);
  }
  return access;
}


// Probe handlers, their entry handlers, lock lists and descriptors.
void Generator::translateProbes() {
  size_t probeIndex = 0, resolvedIndex = 0;
  for (const Decl &decl : script_.decls) {
    if (decl.kind != Decl::Kind::Probe)
      continue;
    const ProbeDecl &p = *decl.probe;
    const std::vector<ResolvedProbe> &resolved = elaborated_.probes.at(resolvedIndex++);
    std::vector<ProbeOut> mine;
    std::string firstPoint = resolved.empty() ? "never" : resolved.front().point;
    std::string handler = fmt::format("probe_{}_{}", probeIndex, identifierFrom(firstPoint));
    for (const ResolvedProbe &r : resolved) {
      ProbeOut d;
      d.point = r.point;
      d.location = fmt::format("{}:{}:{}", fileOf(p.loc()), p.loc().line, p.loc().column);
      d.handler = handler;
      // "!" is optional too: a point that fails to register is skipped.
      d.optional = r.source && (r.source->optional || r.source->sufficient);
      d.kind = r.kind;
      switch (r.kind) {
      case ProbeKind::Never: continue;
      case ProbeKind::Begin:
      case ProbeKind::End:
      case ProbeKind::Error: d.priority = r.priority; break;
      case ProbeKind::Profile: break;
      case ProbeKind::Timer:
        d.interval = timerNs(r.timerUnit, r.timerCount);
        if (r.timerRandomize)
          d.randomize = timerNs(r.timerUnit, r.timerRandomize);
        break;
      case ProbeKind::Tracepoint:
        d.symbol = r.kernel->function;
        d.traceArguments = r.traceArguments;
        break;
      case ProbeKind::Kprobe:
      case ProbeKind::Kretprobe:
        d.symbol = r.kernel->module.empty() ? r.kernel->function : r.kernel->module + ":" + r.kernel->function;
        d.function = r.kernel->function;
        break;
      case ProbeKind::Uprobe:
      case ProbeKind::Uretprobe:
        d.path = r.user->binary;
        d.offset = r.user->offset;
        d.function = r.user->function;
        break;
      }
      mine.push_back(d);
    }
    ++probeIndex;
    if (mine.empty())
      continue;
    BodyEmitter b(*this, handler);
    EntryCapture entry;
    entry.emitter = std::make_unique<BodyEmitter>(*this, handler + "_entry");
    entry.emitter->isEntry_ = true;
    bool anyReturn = false;
    for (const ProbeOut &d : mine)
      anyReturn = anyReturn || d.kind == ProbeKind::Kretprobe || d.kind == ProbeKind::Uretprobe;
    if (anyReturn)
      b.entry_ = &entry;
    for (const ProbeOut &d : mine)
      b.tracepoint_ = b.tracepoint_ || d.kind == ProbeKind::Tracepoint;
    // "probe PP if (cond)": the handler does nothing while cond is false
    // (pass 2 made every point of a declaration share it).
    const ast::Expr *condition = nullptr;
    for (const ProbePoint &pp : p.points)
      if (pp.condition && !condition)
        condition = pp.condition.get();
    if (condition) {
      Value cond = b.expr(*const_cast<ast::Expr *>(condition));
      b.line(fmt::format("if (!mstap_bool({}))", cond.code));
      b.line("\tgoto out;");
    }
    b.block(*p.body);
    std::string frame = handler + "_frame";
    framesText += frameStruct(frame, b, p.locals);
    probeFrames.push_back(frame);
    std::string text =
        cComment(fmt::format("probe {} at {}:{}:{}", firstPoint, fileOf(p.loc()), p.loc().line, p.loc().column)) + "\n";
    std::string saved = handler + "_saved";
    if (!entry.fields.empty()) {
      // Pass 2 checked the entry handler's rules: only .return points, no
      // globals (it takes no locks), at most 4096 bytes saved.
      if (!closure(*entry.emitter).empty())
        internal(entry.firstUse, "an entry handler that touches globals");
      std::string entryFrame = handler + "_entry_frame";
      framesText += fmt::format("/* What {} saves at entry for its return. */\nstruct {} {{\n", handler, saved);
      for (const std::string &field : entry.fields)
        framesText += "\t" + field + "\n";
      framesText += "};\n";
      framesText += frameStruct(entryFrame, *entry.emitter, p.locals);
      probeFrames.push_back(entryFrame);
      text += fmt::format("static void {}_entry(struct mstap_context *c)\n{{\n", handler);
      text += fmt::format("\tstruct {} *d = c->entry_data;\n", saved);
      text += fmt::format("\tstruct {} *f;\n\n", entryFrame);
      text += "\tif (!d)\n\t\treturn;\n\tf = mstap_frame_push(c, sizeof(*f));\n";
      text += "\tif (!f)\n\t\treturn;\n\tc->nesting--; /* a probe's frame is not a call */\n";
      text += entry.emitter->body_;
      text += "out: __attribute__((unused));\n";
      text += "\tmstap_frame_pop(c, sizeof(*f));\n\tc->nesting++;\n}\n\n";
      for (ProbeOut &d : mine) {
        d.entryHandler = handler + "_entry";
        d.entrySize = fmt::format("sizeof(struct {})", saved);
      }
    }
    // A handler with no locals and no temporaries in memory needs no
    // frame: the hit then costs no frame push and pop (most counting
    // probes are like that).
    bool frameless = p.locals.empty() && b.frameFields_.empty() && b.maxStringTemps_ == 0;
    // inline: a kprobe's generated pre-handler may take the body in
    // (the compiler still decides by size); the kernel's `inline` is also
    // notrace, so the handler is not itself an ftrace site.
    text += fmt::format("static inline void {}(struct mstap_context *c)\n{{\n", handler);
    if (!entry.fields.empty()) {
      text += fmt::format("\tstruct {} *d = c->entry_data;\n", saved);
      if (!frameless)
        text += fmt::format("\tstruct {} *f;\n", frame);
      text += "\n\tif (!d)\n\t\treturn;\n";
      if (!frameless)
        text += "\tf = mstap_frame_push(c, sizeof(*f));\n";
    } else if (!frameless) {
      text += fmt::format("\tstruct {} *f = mstap_frame_push(c, sizeof(*f));\n\n", frame);
    }
    if (!frameless)
      text += "\tif (!f)\n\t\treturn;\n\tc->nesting--; /* a probe's frame is not a call */\n";
    text += b.body_;
    text += "out: __attribute__((unused));\n";
    for (const std::string &release : b.ownedForeach_)
      text += "\t" + release + "\n";
    if (!frameless)
      text += "\tmstap_frame_pop(c, sizeof(*f));\n\tc->nesting++;\n";
    text += "}\n\n";
    probesText += text;
    std::map<int, bool> access = closure(b);
    std::string locks;
    if (!access.empty()) {
      std::string name = handler + "_locks";
      lockArrays += fmt::format("static const struct mstap_lock_use {}[] = {{", name);
      bool first = true;
      for (auto [g, w] : access) {
        lockArrays += fmt::format("{} {{ {}, {} }}", first ? "" : ",", g, w ? 1 : 0);
        first = false;
      }
      lockArrays += " };\n";
      locks = name;
    }
    for (ProbeOut &d : mine) {
      d.locks = locks;
      d.lockCount = access.size();
      if (d.kind == ProbeKind::Tracepoint && b.readsTargets_ && d.traceArguments > 0) {
        d.hook = fmt::format("{}_hook_{}", handler, &d - mine.data());
        probesText += tracepointHook(d.hook, d.point, d.traceArguments);
      }
      d.ownPreHandler = !b.tracepoint_ && entry.fields.empty();
      descriptors.push_back(d);
    }
  }
}

// stap's listing of globals written and never read, as an end probe.
void Generator::addDumpProbe() {
  std::vector<int> dumpLocks;
  dumpText = dumpHandler(dumpLocks);
  if (!dumpText.empty()) {
    ProbeOut d;
    d.kind = ProbeKind::End;
    d.point = "end";
    d.location = fmt::format("{}:1:1", scriptName_);
    d.handler = "probe_dump_globals";
    d.priority = 0; // stap's listing is an end probe of priority 0 after the script's own
    lockArrays += "static const struct mstap_lock_use probe_dump_globals_locks[] = {";
    for (size_t i = 0; i < dumpLocks.size(); ++i)
      lockArrays += fmt::format("{} {{ {}, 1 }}", i ? "," : "", dumpLocks[i]);
    lockArrays += " };\n";
    d.locks = "probe_dump_globals_locks";
    d.lockCount = dumpLocks.size();
    descriptors.push_back(d);
    probeFrames.push_back("probe_dump_frame");
  }
}

CodegenResult Generator::run() {
  size_t errorsBefore = diags_.errorCount();
  collectGlobals();
  translateFunctions();
  translateProbes();
  addDumpProbe();
  if (diags_.errorCount() != errorsBefore)
    return {};
  bool anyRunnable = false;
  for (const ProbeOut &d : descriptors)
    anyRunnable = anyRunnable || d.handler != "probe_dump_globals";
  if (!anyRunnable) {
    internal({}, "no probes to run: every probe of the script is 'never'");
    return {};
  }

  std::string c = prologue();
  c += globalsSection();
  c += bodiesSection();
  c += descriptorsSection();
  c += initAndFree();
  c += frameStack();
  return {true, c};
}

// ---------------------------------------------------------- assembly

std::string Generator::prologue() const {
  std::string out;
  out += cComment(fmt::format("Generated by mstap from {}: the script's logic; the rest is in runtime/.",
                              scriptName_)) +
         "\n";
  out += "#include \"mstap_module.h\"\n\n";
  out += "/* Temporaries are declared where they are computed, like the script reads. */\n";
  out += "#pragma GCC diagnostic ignored \"-Wdeclaration-after-statement\"\n\n";
  out += "/* An error noticed after a runtime call: record where, unwind. */\n";
  out += "#define MSTAP_CHECK(location, label) \\\n"
         "\tdo { if (unlikely(c->error.message)) { mstap_locate(c, location); goto label; } } while (0)\n";
  out += "/* One statement run: MAXACTION bounds the work of a probe hit. */\n";
  out += "#define MSTAP_ACTION(location, label) \\\n"
         "\tdo { if (unlikely(!mstap_actions(c, 1))) { mstap_locate(c, location); goto label; } } while (0)\n\n";
  return out;
}

// The globals' struct and the layouts of their statistics and arrays.
std::string Generator::globalsSection() const {
  std::string out;
  out += "/* The script's globals; each has a lock, taken by the runtime before a handler runs. */\n";
  std::string layouts;
  out += "struct mstap_globals {\n\ts64 unused_;\n";
  for (const GlobalInfo *g : globalOrder_) {
    switch (g->kind) {
    case GlobalInfo::Kind::Long: out += fmt::format("\ts64 {};\n", g->member); break;
    case GlobalInfo::Kind::String: out += fmt::format("\tchar {}[MSTAP_MAXSTRINGLEN];\n", g->member); break;
    case GlobalInfo::Kind::Stat:
      out += fmt::format("\tstruct mstap_pstat {};\n", g->member);
      layouts += fmt::format("static const struct mstap_stat_layout mstap_layout_{} = {};\n", g->member,
                             statLayoutInit(g->histogram, g->varianceShift));
      break;
    case GlobalInfo::Kind::Map:
    case GlobalInfo::Kind::PMap: {
      bool pmap = g->kind == GlobalInfo::Kind::PMap;
      out += fmt::format("\tstruct {} {};\n", pmap ? "mstap_pmap" : "mstap_map", g->member);
      if (pmap)
        layouts += fmt::format("static const struct mstap_stat_layout mstap_layout_{} = {};\n", g->member,
                               statLayoutInit(g->histogram, g->varianceShift));
      std::string keyTypes;
      for (size_t k = 0; k < g->var->keyTypes.size(); ++k)
        keyTypes += (k ? ", " : "") + std::string(keyTypeC(g->var->keyTypes[k]));
      const char *valueType = pmap ? "MSTAP_TYPE_STAT"
                              : g->var->type == Type::String ? "MSTAP_TYPE_STRING"
                                                             : "MSTAP_TYPE_LONG";
      // A wrapping array (global a%) sets the layout's last field, `wrap`.
      layouts += fmt::format("static const struct mstap_map_layout mstap_map_layout_{} = {{ {}, {{ {} }}, {}, {}{} }};\n",
                             g->member, g->var->keyTypes.size(), keyTypes, valueType,
                             pmap ? "&mstap_layout_" + g->member : "NULL", g->decl->wrap ? ", 1" : "");
      if (g->dumped)
        out += fmt::format("\tu32 *dump_{}_index;\n", g->member);
      break;
    }
    }
  }
  for (const ForeachInfo &fe : foreaches_) {
    out += fmt::format("\tu32 *foreach_{}_index; /* per CPU: {} entries each */\n", fe.id, fe.global->capacity);
    out += fmt::format("\tu8 *foreach_{}_busy;\n", fe.id);
  }
  out += "};\nstatic struct mstap_globals mstap_g __maybe_unused;\n";
  out += layouts + "\n";
  return out;
}

// Frames, prototypes, functions, probe handlers, the dump handler.
std::string Generator::bodiesSection() const {
  std::string out;
  out += embeddedText;
  out += "/* Frames: the locals and string temporaries of each handler and function. */\n";
  out += framesText + "\n";
  if (!prototypes.empty())
    out += prototypes + "\n";
  out += functionsText;
  out += probesText;
  out += dumpText;
  return out;
}

// Lock lists, kprobe pre-handlers, the probe descriptors and the locks.
std::string Generator::descriptorsSection() {
  std::string out;
  out += lockArrays + "\n";
  std::stable_sort(descriptors.begin(), descriptors.end(), [](const ProbeOut &a, const ProbeOut &b) {
    auto rank = [](const ProbeOut &p) { return p.kind == ProbeKind::Begin ? 0 : 1; };
    return rank(a) < rank(b);
  });
  // Kprobes get a pre-handler of their own that runs the hit with the
  // descriptor and handler as constants: the compiler folds the lock list
  // and calls (or inlines) the handler directly, which roughly halves a
  // hit's cost against the runtime's generic path. A wildcard probe
  // matching many functions keeps the generic path: one copy per point
  // would bloat the module.
  constexpr size_t kMaxInlinedPoints = 8;
  std::map<std::string, size_t> kprobePoints;
  for (const ProbeOut &d : descriptors)
    if (d.kind == ProbeKind::Kprobe)
      ++kprobePoints[d.handler];
  std::vector<std::string> preHandlers(descriptors.size());
  std::string preHandlerText;
  for (size_t i = 0; i < descriptors.size(); ++i) {
    const ProbeOut &d = descriptors[i];
    if (d.kind != ProbeKind::Kprobe || !d.ownPreHandler || kprobePoints[d.handler] > kMaxInlinedPoints)
      continue;
    preHandlers[i] = fmt::format("{}_kprobe{}", d.handler, i);
    out += fmt::format("static int {}(struct kprobe *kp, struct pt_regs *regs);\n", preHandlers[i]);
    preHandlerText += fmt::format("static int {}(struct kprobe *kp, struct pt_regs *regs)\n{{\n"
                                  "\tmstap_kprobe_hit(&mstap_probes[{}], {}, regs, mstap_locks, ARRAY_SIZE(mstap_locks));\n"
                                  "\treturn 0;\n}}\n"
                                  "NOKPROBE_SYMBOL({});\n\n",
                                  preHandlers[i], i, d.handler, preHandlers[i]);
  }
  if (!preHandlerText.empty())
    out += "\n";
  out += "static const struct mstap_probe mstap_probes[] = {\n";
  for (size_t i = 0; i < descriptors.size(); ++i) {
    const ProbeOut &d = descriptors[i];
    out += fmt::format("\t{{ .kind = {}, .point = {}, .function = {}, .location = {},\n", runtimeKind(d.kind),
                       cStringLiteral(d.point), cStringLiteral(d.function), cStringLiteral(d.location));
    out += fmt::format("\t  .handler = {}, .priority = {},", d.handler,
                       d.priority == INT64_MAX ? std::string("S64_MAX") : cInteger(d.priority));
    if (!d.symbol.empty())
      out += fmt::format(" .symbol = {},", cStringLiteral(d.symbol));
    if (d.interval != "0")
      out += fmt::format(" .interval_ns = {}, .randomize_ns = {},", d.interval, d.randomize);
    if (!d.path.empty())
      out += fmt::format(" .path = {}, .offset = {:#x}ULL,", cStringLiteral(d.path), d.offset);
    out += fmt::format(" .optional = {},", d.optional ? 1 : 0);
    if (!d.hook.empty())
      out += fmt::format(" .tracepoint_hook = (void *){},", d.hook);
    if (!d.locks.empty())
      out += fmt::format("\n\t  .locks = {}, .lock_count = {},", d.locks, d.lockCount);
    if (!d.entryHandler.empty())
      out += fmt::format("\n\t  .entry_handler = {}, .entry_data_size = {},", d.entryHandler, d.entrySize);
    if (!preHandlers[i].empty())
      out += fmt::format("\n\t  .kprobe_handler = {},", preHandlers[i]);
    out += " },\n";
  }
  out += "};\n\n";
  out += fmt::format("static struct mstap_rwlock mstap_locks[{}];\n\n", std::max<size_t>(1, globalOrder_.size()));
  out += preHandlerText;
  return out;
}

// Creating and freeing the globals.
std::string Generator::initAndFree() const {
  std::string out;
  out += "static int mstap_init_globals(struct mstap_error *error)\n{\n\tint rc = 0;\n\n";
  for (const GlobalInfo *g : globalOrder_) {
    std::string ref = "mstap_g." + g->member;
    switch (g->kind) {
    case GlobalInfo::Kind::Long:
      if (auto *lit = g->decl->init ? dyn<IntLiteral>(g->decl->init.get()) : nullptr)
        out += fmt::format("\t{} = {};\n", ref, cInteger(lit->value));
      break;
    case GlobalInfo::Kind::String:
      if (auto *lit = g->decl->init ? dyn<StringLiteral>(g->decl->init.get()) : nullptr)
        out += fmt::format("\tmstap_string_copy({}, {});\n", ref, cStringLiteral(lit->value));
      break;
    case GlobalInfo::Kind::Stat:
      out += fmt::format("\trc = rc ? rc : mstap_pstat_create(&{}, &mstap_layout_{}, error);\n", ref, g->member);
      break;
    case GlobalInfo::Kind::Map:
      out += fmt::format("\trc = rc ? rc : mstap_map_create(&{}, &mstap_map_layout_{}, {}, error);\n", ref,
                         g->member, g->capacity);
      break;
    case GlobalInfo::Kind::PMap:
      out += fmt::format("\trc = rc ? rc : mstap_pmap_create(&{}, &mstap_map_layout_{}, {}, error);\n", ref,
                         g->member, g->capacity);
      break;
    }
    if (g->decl->arraySize && (g->kind == GlobalInfo::Kind::Map || g->kind == GlobalInfo::Kind::PMap))
      out += fmt::format("\tif (!rc)\n\t\t{}(&{}, {});\n",
                         g->kind == GlobalInfo::Kind::PMap ? "mstap_pmap_declare_size" : "mstap_map_declare_size", ref,
                         cStringLiteral(fmt::format("Array overflow, check size limit ({})", *g->decl->arraySize)));
    if (g->dumped && (g->kind == GlobalInfo::Kind::Map || g->kind == GlobalInfo::Kind::PMap)) {
      out += fmt::format("\tmstap_g.dump_{}_index = mstap_alloc_zeroed(sizeof(u32) * {});\n", g->member, g->capacity);
      out += fmt::format("\tif (!mstap_g.dump_{}_index && !rc)\n\t\trc = mstap_raise(error, -ENOMEM, \"out of memory "
                         "for an array listing\");\n",
                         g->member);
    }
  }
  for (const ForeachInfo &fe : foreaches_) {
    out += fmt::format("\tmstap_g.foreach_{}_index = mstap_alloc_zeroed(sizeof(u32) * {} * mstap_cpu_count());\n",
                       fe.id, fe.global->capacity);
    out += fmt::format("\tmstap_g.foreach_{}_busy = mstap_alloc_zeroed(mstap_cpu_count());\n", fe.id);
    out += fmt::format("\tif ((!mstap_g.foreach_{0}_index || !mstap_g.foreach_{0}_busy) && !rc)\n"
                       "\t\trc = mstap_raise(error, -ENOMEM, \"out of memory for a foreach\");\n",
                       fe.id);
  }
  out += "\treturn rc;\n}\n\n";
  out += "static void mstap_free_globals(void)\n{\n";
  for (const GlobalInfo *g : globalOrder_) {
    std::string ref = "mstap_g." + g->member;
    if (g->kind == GlobalInfo::Kind::Stat)
      out += fmt::format("\tmstap_pstat_destroy(&{});\n", ref);
    if (g->kind == GlobalInfo::Kind::Map)
      out += fmt::format("\tmstap_map_destroy(&{});\n", ref);
    if (g->kind == GlobalInfo::Kind::PMap)
      out += fmt::format("\tmstap_pmap_destroy(&{});\n", ref);
    if (g->dumped && (g->kind == GlobalInfo::Kind::Map || g->kind == GlobalInfo::Kind::PMap))
      out += fmt::format("\tmstap_free(mstap_g.dump_{}_index);\n", g->member);
  }
  for (const ForeachInfo &fe : foreaches_) {
    out += fmt::format("\tmstap_free(mstap_g.foreach_{}_index);\n", fe.id);
    out += fmt::format("\tmstap_free(mstap_g.foreach_{}_busy);\n", fe.id);
  }
  out += "}\n\n";
  return out;
}

// The frame stack (the largest probe frame, then MAXNESTING function
// frames when there are functions) and the script's descriptor.
std::string Generator::frameStack() const {
  std::string out;
  out += "union mstap_probe_frames {\n";
  for (const std::string &f : probeFrames)
    out += fmt::format("\tstruct {} {};\n", f, f);
  out += "};\n";
  out += "union mstap_function_frames {\n\ts64 none;\n";
  for (const std::string &f : functionFrames)
    out += fmt::format("\tstruct {} {};\n", f, f);
  out += "};\n\n";
  out += "static const struct mstap_script mstap_script = {\n";
  out += fmt::format("\t.name = {},\n", cStringLiteral(scriptName_));
  out += "\t.probes = mstap_probes,\n\t.probe_count = ARRAY_SIZE(mstap_probes),\n";
  out += fmt::format("\t.locks = mstap_locks,\n\t.lock_count = {},\n", globalOrder_.size());
  out += "\t.init_globals = mstap_init_globals,\n\t.free_globals = mstap_free_globals,\n";
  std::string nesting = functionFrames.empty() ? "0" : "MSTAP_MAXNESTING";
  out += "\t.frame_bytes = sizeof(union mstap_probe_frames) +\n";
  out += fmt::format("\t\t({}) * sizeof(union mstap_function_frames),\n", nesting);
  out += "};\n\nMSTAP_MODULE_MAIN(mstap_script)\n";
  return out;
}

} // namespace mstap::codegen
