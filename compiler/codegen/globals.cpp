// Pass 3: the globals' layout, frames, function signatures, and the
// end-of-run dump of globals written and never read.
#include "codegen/generator.h"

#include <fmt/format.h>

#include <algorithm>

namespace mstap::codegen {

// --------------------------------------------------------- the generator

void Generator::collectGlobals() {
  int index = 0;
  for (const Decl &decl : script_.decls) {
    if (decl.kind != Decl::Kind::Global)
      continue;
    for (const GlobalVar &gv : decl.global->vars) {
      const Variable *v = gv.var.get();
      if (!v)
        continue;
      GlobalInfo g;
      g.var = v;
      g.decl = &gv;
      g.index = index++;
      g.member = "g_" + v->name;
      if (auto shape = elaborated_.histograms.find(v); shape != elaborated_.histograms.end())
        g.histogram = shape->second;
      if (auto shift = elaborated_.varianceShifts.find(v); shift != elaborated_.varianceShifts.end())
        g.varianceShift = shift->second;
      if (v->arity > 0) {
        g.kind = v->type == Type::Stats ? GlobalInfo::Kind::PMap : GlobalInfo::Kind::Map;
        g.capacity = gv.arraySize ? fmt::format("{}", *gv.arraySize) : "MSTAP_MAXMAPENTRIES";
      } else if (v->type == Type::Stats) {
        g.kind = GlobalInfo::Kind::Stat;
      } else if (v->type == Type::String) {
        g.kind = GlobalInfo::Kind::String;
      }
      // The end-of-run listing is of the user's globals, as stap's: a
      // library's own (a table it fills, a constant) is not the script's.
      g.dumped = v->written && !v->read && !decl.fromLibrary;
      globals_[v] = g;
    }
  }
  for (auto &[v, g] : globals_)
    globalOrder_.push_back(&g);
  std::sort(globalOrder_.begin(), globalOrder_.end(),
            [](const GlobalInfo *a, const GlobalInfo *b) { return a->index < b->index; });
}

std::string Generator::frameStruct(const std::string &name, const BodyEmitter &b,
                                   const std::vector<std::unique_ptr<Variable>> &locals) {
  std::string out = fmt::format("struct {} {{\n", name);
  out += "\ts64 unused_; /* keeps the struct non-empty */\n";
  for (const auto &v : locals) {
    if (v->type == Type::String)
      out += fmt::format("\tchar l_{}[MSTAP_MAXSTRINGLEN];\n", v->name);
    else
      out += fmt::format("\ts64 l_{};\n", v->name);
  }
  for (const std::string &field : b.frameFields_)
    out += "\t" + field + "\n";
  for (int i = 0; i < b.maxStringTemps_; ++i)
    out += fmt::format("\tchar s{}[MSTAP_MAXSTRINGLEN];\n", i);
  return out + "};\n";
}

std::string Generator::functionSignature(const FunctionDecl &f) const {
  std::string params = "struct mstap_context *c";
  if (f.returnType == Type::String)
    params += ", char *ret";
  for (size_t i = 0; i < f.params.size() && i < f.locals.size(); ++i) {
    const Variable &p = *f.locals[i];
    params += p.type == Type::String ? ", const char *a_" + p.name : ", s64 a_" + p.name;
  }
  const char *ret = f.returnType == Type::Long ? "s64" : "void";
  return fmt::format("static __maybe_unused {} {}({})", ret, f.cName(), params);
}

// The end-of-run listing of globals written and never read, as stap prints
// it: longs in hex, strings quoted, arrays sorted by value, descending.
std::string Generator::dumpHandler(std::vector<int> &locks) {
  std::string body;
  bool any = false;
  int arrays = 0;
  auto line = [&](const std::string &text) { body += "\t" + text + "\n"; };
  // " @count=.. @min=.. @max=.. @sum=.. @avg=..", after `prefix`, of the
  // statistic `s` in scope: the same for a scalar and an array element.
  auto statFields = [&](const std::string &indent, const std::string &prefix) {
    line(indent + "struct mstap_arg a[] = { mstap_arg_long(mstap_stat_count(s)), mstap_arg_long(s->min),");
    line(indent + "\tmstap_arg_long(s->max), mstap_arg_long(mstap_stat_sum(s)),");
    line(indent + "\tmstap_arg_long(mstap_stat_avg(s, &c->error)) };");
    line(fmt::format("{}mstap_format(&c->out, {}, a, 5, &c->error);", indent,
                     cStringLiteral(prefix + " @count=%d @min=%d @max=%d @sum=%d @avg=%d\n")));
  };
  for (const GlobalInfo *g : globalOrder_) {
    if (!g->dumped)
      continue;
    any = true;
    locks.push_back(g->index);
    std::string ref = "mstap_g." + g->member;
    const std::string &name = g->var->name;
    switch (g->kind) {
    case GlobalInfo::Kind::Long:
      line("{");
      line(fmt::format("\tstruct mstap_arg a[] = {{ mstap_arg_long({}) }};", ref));
      line(fmt::format("\tmstap_format(&c->out, {}, a, 1, &c->error);", cStringLiteral(name + "=%#x\n")));
      line("}");
      break;
    case GlobalInfo::Kind::String:
      line("{");
      line(fmt::format("\tmstap_string_text_str(f->text, {});", ref));
      line("\tstruct mstap_arg a[] = { mstap_arg_string(f->text) };");
      line(fmt::format("\tmstap_format(&c->out, {}, a, 1, &c->error);", cStringLiteral(name + "=\"%s\"\n")));
      line("}");
      break;
    case GlobalInfo::Kind::Stat:
      line("{");
      line(fmt::format("\tconst struct mstap_stat *s = mstap_pstat_read(&{});", ref));
      line("\tif (mstap_stat_count(s) == 0) {");
      line(fmt::format("\t\tmstap_out_string(&c->out, {});", cStringLiteral(name + " @count=0x0\n")));
      line("\t} else {");
      statFields("\t\t", name);
      line("\t}");
      line("}");
      break;
    case GlobalInfo::Kind::Map:
    case GlobalInfo::Kind::PMap: {
      bool pmap = g->kind == GlobalInfo::Kind::PMap;
      std::string map = pmap ? ref + ".merged" : ref;
      ++arrays;
      line("{");
      line("\tstruct mstap_map_order order = { -1, 0, MSTAP_STAT_FIELD_COUNT, 0, 0 };");
      line("\tu32 i, n;");
      if (pmap)
        line(fmt::format("\tmstap_pmap_merge_all(&{}, &c->error);", ref));
      line(fmt::format("\tn = mstap_map_sort(&{}, mstap_g.dump_{}_index, &order);", map, g->member));
      line("\tfor (i = 0; i < n && !c->error.message; i++) {");
      line(fmt::format("\t\tstruct mstap_entry *e = mstap_map_entry(&{}, mstap_g.dump_{}_index[i]);", map,
                       g->member));
      line(fmt::format("\t\tmstap_out_string(&c->out, {});", cStringLiteral(name + "[")));
      for (size_t k = 0; k < g->var->keyTypes.size(); ++k) {
        if (k)
          line("\t\tmstap_out_char(&c->out, ',');");
        if (g->var->keyTypes[k] == Type::String) {
          line(fmt::format("\t\tmstap_string_text_str(f->text, mstap_map_entry_string_key(&{}, e, {}));", map, k));
          line("\t\tmstap_out_char(&c->out, '\"');");
          line("\t\tmstap_out_string(&c->out, f->text);");
          line("\t\tmstap_out_char(&c->out, '\"');");
        } else {
          line(fmt::format("\t\tmstap_out_long_aligned(&c->out, mstap_map_entry_long_key(&{}, e, {}), 0);", map, k));
        }
      }
      line("\t\tmstap_out_char(&c->out, ']');");
      if (pmap) {
        line(fmt::format("\t\t{{ const struct mstap_stat *s = mstap_map_entry_stat(&{}, e);", map));
        statFields("\t\t  ", "");
        line("\t\t}");
      } else if (g->var->type == Type::String) {
        line(fmt::format("\t\tmstap_string_text_str(f->text, mstap_map_entry_string(&{}, e));", map));
        line("\t\t{ struct mstap_arg a[] = { mstap_arg_string(f->text) };");
        line(fmt::format("\t\t  mstap_format(&c->out, {}, a, 1, &c->error); }}", cStringLiteral("=\"%s\"\n")));
      } else {
        line(fmt::format("\t\t{{ struct mstap_arg a[] = {{ mstap_arg_long(*mstap_map_entry_long(&{}, e)) }};", map));
        line(fmt::format("\t\t  mstap_format(&c->out, {}, a, 1, &c->error); }}", cStringLiteral("=%#x\n")));
      }
      line("\t}");
      line("}");
      break;
    }
    }
  }
  if (!any)
    return "";
  std::string out = "/* The end of the run: globals written and never read, as stap lists them. */\n";
  out += "struct probe_dump_frame {\n\tchar text[MSTAP_MAXSTRINGLEN];\n};\n\n";
  out += "static void probe_dump_globals(struct mstap_context *c)\n{\n";
  out += "\tstruct probe_dump_frame *f = mstap_frame_push(c, sizeof(*f));\n\n";
  out += "\tif (!f)\n\t\treturn;\n\tc->nesting--; /* a probe's frame is not a call */\n";
  out += body;
  out += "\tmstap_frame_pop(c, sizeof(*f));\n\tc->nesting++;\n}\n\n";
  (void)arrays;
  return out;
}

} // namespace mstap::codegen
