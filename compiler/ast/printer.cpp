#include "ast/printer.h"

#include <fmt/format.h>

namespace mstap::ast {
namespace {

// Binding strength, loosest first; mirrors the grammar's precedence.
enum Prec {
  PrecAssign = 1,
  PrecTernary,
  PrecLogOr,
  PrecLogAnd,
  PrecIn,
  PrecBitOr,
  PrecBitXor,
  PrecBitAnd,
  PrecCompare,
  PrecShift,
  PrecAdditive,
  PrecMultiplicative,
  PrecUnary,
  PrecPostfix,
  PrecPrimary,
};

Prec binaryPrec(BinaryOp op) {
  switch (op) {
  case BinaryOp::Mul: case BinaryOp::Div: case BinaryOp::Mod: return PrecMultiplicative;
  case BinaryOp::Add: case BinaryOp::Sub: case BinaryOp::Concat: return PrecAdditive;
  case BinaryOp::Shl: case BinaryOp::Shr: case BinaryOp::UShr: return PrecShift;
  case BinaryOp::Eq: case BinaryOp::Ne: case BinaryOp::Lt:
  case BinaryOp::Le: case BinaryOp::Gt: case BinaryOp::Ge: return PrecCompare;
  case BinaryOp::BitAnd: return PrecBitAnd;
  case BinaryOp::BitXor: return PrecBitXor;
  case BinaryOp::BitOr: return PrecBitOr;
  case BinaryOp::LogAnd: return PrecLogAnd;
  case BinaryOp::LogOr: return PrecLogOr;
  }
  return PrecPrimary;
}

// Prints one expression; `out` is the text so far of the expression.
class ExprPrinter : public Visitor {
public:
  std::string out;

  void print(const Expr &e, int minPrec) {
    int prec = precedenceOf(e);
    if (prec < minPrec) {
      out += '(';
      const_cast<Expr &>(e).accept(*this);
      out += ')';
    } else {
      const_cast<Expr &>(e).accept(*this);
    }
  }

  void list(const ExprList &exprs) {
    for (size_t i = 0; i < exprs.size(); ++i) {
      if (i)
        out += ", ";
      print(*exprs[i], PrecAssign);
    }
  }

  static int precedenceOf(const Expr &e) {
    if (auto *lit = dyn<IntLiteral>(&e))
      return lit->value < 0 ? PrecUnary : PrecPrimary;
    if (dyn<UnaryExpr>(&e))
      return PrecUnary;
    if (auto *incdec = dyn<IncDecExpr>(&e))
      return incdec->prefix ? PrecUnary : PrecPostfix;
    if (auto *bin = dyn<BinaryExpr>(&e))
      return binaryPrec(bin->op);
    if (dyn<InExpr>(&e))
      return PrecIn;
    if (dyn<TernaryExpr>(&e))
      return PrecTernary;
    if (dyn<AssignExpr>(&e))
      return PrecAssign;
    return PrecPrimary;
  }

  // "-" then "-x" must not become "--x".
  void prefixOperator(const char *op, const Expr &operand, int minPrec) {
    out += op;
    ExprPrinter inner;
    inner.print(operand, minPrec);
    char last = out.back(), first = inner.out.empty() ? 0 : inner.out.front();
    if ((last == '-' || last == '+') && (first == '-' || first == '+'))
      out += ' ';
    out += inner.out;
  }

  void visit(IntLiteral &e) override { out += std::to_string(e.value); }
  void visit(StringLiteral &e) override { out += quoteString(e.value); }
  void visit(SymbolRef &e) override { out += e.name; }
  void visit(IndexExpr &e) override {
    out += e.array;
    out += '[';
    list(e.keys);
    out += ']';
  }
  void visit(CallExpr &e) override {
    out += e.function;
    out += '(';
    list(e.args);
    out += ')';
  }
  void visit(TargetExpr &e) override {
    if (e.addressOf)
      out += '&';
    out += e.name;
    if (e.name == "@var") {
      out += '(' + quoteString(e.castType);
      if (!e.castModule.empty())
        out += ", " + quoteString(e.castModule);
      out += ')';
    }
    if (e.isCast()) {
      out += '(';
      print(*e.castOperand, PrecAssign);
      if (e.name == "@module_container_of")
        out += ", " + quoteString(e.castModule);
      out += ", " + quoteString(e.castType);
      if (!e.containerMember.empty())
        out += ", " + e.containerMember;
      else if (!e.castModule.empty())
        out += ", " + quoteString(e.castModule);
      out += ')';
    }
    for (const auto &c : e.components) {
      if (!c.member.empty()) {
        out += c.dot ? "." : "->"; // glued: a '.' with spaces around it would concatenate
        out += c.member;
      } else {
        out += '[';
        print(*c.index, PrecAssign);
        out += ']';
      }
    }
  }
  void visit(UnaryExpr &e) override { prefixOperator(spelling(e.op), *e.operand, PrecUnary); }
  void visit(IncDecExpr &e) override {
    const char *op = e.increment ? "++" : "--";
    if (e.prefix) {
      prefixOperator(op, *e.operand, PrecUnary);
    } else {
      print(*e.operand, PrecPostfix);
      out += op;
    }
  }
  void visit(BinaryExpr &e) override {
    int prec = binaryPrec(e.op);
    print(*e.lhs, prec);
    out += ' ';
    out += spelling(e.op);
    out += ' ';
    print(*e.rhs, prec + 1);
  }
  void visit(InExpr &e) override {
    if (e.keys.size() == 1) {
      print(*e.keys[0], PrecIn);
    } else {
      out += '[';
      list(e.keys);
      out += ']';
    }
    out += " in ";
    out += e.array;
  }
  void visit(TernaryExpr &e) override {
    print(*e.cond, PrecLogOr);
    out += " ? ";
    print(*e.then, PrecAssign);
    out += " : ";
    print(*e.otherwise, PrecTernary);
  }
  void visit(AssignExpr &e) override {
    print(*e.lhs, PrecTernary);
    out += ' ';
    out += spelling(e.op);
    out += ' ';
    print(*e.rhs, PrecAssign);
  }
  void visit(AtExpr &e) override {
    out += spelling(e.op);
    out += '(';
    list(e.args);
    out += ')';
  }
  void visit(EmbeddedExpr &e) override { out += "%{" + e.code + "%}"; }

  // Statements are printed by StmtPrinter.
  void visit(BlockStmt &) override {}
  void visit(NullStmt &) override {}
  void visit(ExprStmt &) override {}
  void visit(IfStmt &) override {}
  void visit(WhileStmt &) override {}
  void visit(ForStmt &) override {}
  void visit(ForeachStmt &) override {}
  void visit(BreakStmt &) override {}
  void visit(ContinueStmt &) override {}
  void visit(NextStmt &) override {}
  void visit(ReturnStmt &) override {}
  void visit(DeleteStmt &) override {}
  void visit(TryStmt &) override {}
};

const char *sortMark(SortOrder order) {
  switch (order) {
  case SortOrder::None: return "";
  case SortOrder::Ascending: return "+";
  case SortOrder::Descending: return "-";
  }
  return "";
}

// Prints statements, one a line, two spaces an indentation level. Every
// simple statement ends in ';' so that no two of them can run together when
// read back ("x = a" then "-1" would read as "x = a - 1").
class StmtPrinter : public Visitor {
public:
  std::string out;
  int indent = 0;

  void line(const std::string &text) {
    out.append(indent * 2, ' ');
    out += text;
    out += '\n';
  }

  // A statement under if/while/for/foreach: blocks open on the same line.
  void body(const Stmt &s, const std::string &head) {
    if (auto *block = dyn<BlockStmt>(&s)) {
      line(head + " {");
      blockContents(*block);
      line("}");
    } else {
      line(head);
      ++indent;
      const_cast<Stmt &>(s).accept(*this);
      --indent;
    }
  }

  void blockContents(const BlockStmt &b) {
    ++indent;
    for (const auto &s : b.statements)
      s->accept(*this);
    --indent;
  }

  void visit(BlockStmt &s) override {
    line("{");
    blockContents(s);
    line("}");
  }
  void visit(NullStmt &) override { line(";"); }
  void visit(ExprStmt &s) override { line(printExpr(*s.expr) + ";"); }
  void visit(IfStmt &s) override { ifChain(s, ""); }

  // "} else if (...) {" chains stay flat, as people write them.
  void ifChain(IfStmt &s, const std::string &lead) {
    std::string head = lead + "if (" + printExpr(*s.cond) + ")";
    auto *thenBlock = dyn<BlockStmt>(s.then.get());
    auto *elseIf = dyn<IfStmt>(s.otherwise.get());
    auto *elseBlock = dyn<BlockStmt>(s.otherwise.get());
    if (!thenBlock) {
      body(*s.then, head);
      if (elseIf)
        ifChain(*elseIf, "else ");
      else if (s.otherwise)
        body(*s.otherwise, "else");
      return;
    }
    line(head + " {");
    blockContents(*thenBlock);
    if (elseIf) {
      ifChain(*elseIf, "} else ");
    } else if (elseBlock) {
      line("} else {");
      blockContents(*elseBlock);
      line("}");
    } else {
      line("}");
      if (s.otherwise)
        body(*s.otherwise, "else");
    }
  }
  void visit(WhileStmt &s) override { body(*s.body, "while (" + printExpr(*s.cond) + ")"); }
  void visit(ForStmt &s) override {
    std::string head = "for (";
    if (s.init)
      head += printExpr(*s.init);
    head += "; ";
    if (s.cond)
      head += printExpr(*s.cond);
    head += "; ";
    if (s.step)
      head += printExpr(*s.step);
    head += ")";
    body(*s.body, head);
  }
  void visit(ForeachStmt &s) override {
    std::string head = "foreach (";
    if (!s.valueVar.empty())
      head += s.valueVar + " = ";
    if (s.bracketedKeys)
      head += '[';
    for (size_t i = 0; i < s.keys.size(); ++i) {
      if (i)
        head += ", ";
      head += s.keys[i].name;
      head += sortMark(s.keys[i].sort);
    }
    if (s.bracketedKeys)
      head += ']';
    head += " in " + s.array;
    if (s.sortAggregate)
      head += std::string(" ") + spelling(*s.sortAggregate);
    head += sortMark(s.valueSort);
    if (s.limit)
      head += " limit " + printExpr(*s.limit);
    head += ")";
    body(*s.body, head);
  }
  void visit(BreakStmt &) override { line("break;"); }
  void visit(ContinueStmt &) override { line("continue;"); }
  void visit(NextStmt &) override { line("next;"); }
  void visit(ReturnStmt &s) override {
    line(s.value ? "return " + printExpr(*s.value) + ";" : "return;");
  }
  void visit(DeleteStmt &s) override { line("delete " + printExpr(*s.target) + ";"); }
  void visit(TryStmt &s) override {
    line("try {");
    blockContents(*s.body);
    line(s.catchVar.empty() ? "} catch {" : "} catch (" + s.catchVar + ") {");
    blockContents(*s.handler);
    line("}");
  }

  void visit(IntLiteral &) override {}
  void visit(StringLiteral &) override {}
  void visit(SymbolRef &) override {}
  void visit(IndexExpr &) override {}
  void visit(CallExpr &) override {}
  void visit(TargetExpr &) override {}
  void visit(UnaryExpr &) override {}
  void visit(IncDecExpr &) override {}
  void visit(BinaryExpr &) override {}
  void visit(InExpr &) override {}
  void visit(TernaryExpr &) override {}
  void visit(AssignExpr &) override {}
  void visit(AtExpr &) override {}
  void visit(EmbeddedExpr &) override {}
};

std::string typeSuffix(Type type) {
  return type == Type::Unknown ? std::string() : std::string(":") + typeName(type);
}

std::string probePointText(const ProbePoint &pp) {
  std::string text;
  for (size_t i = 0; i < pp.components.size(); ++i) {
    const auto &c = pp.components[i];
    if (i)
      text += '.';
    text += c.name;
    if (c.number)
      text += "(" + std::to_string(*c.number) + ")";
    else if (c.string)
      text += "(" + quoteString(*c.string) + ")";
  }
  // "!" is optional too: a point marked both (by brace expansion) prints "!".
  if (pp.sufficient)
    text += '!';
  else if (pp.optional)
    text += '?';
  if (pp.condition)
    text += " if (" + printExpr(*pp.condition) + ")";
  return text;
}

} // namespace

std::string quoteString(const std::string &value) {
  std::string out = "\"";
  for (size_t i = 0; i < value.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    // Bytes that are not UTF-8 (from "\377", say) are escaped, so that the
    // printed script is text that reads back to the same bytes.
    if (c >= 0x80) {
      size_t length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
      size_t bad = 0;
      if (length > 1 && i + length <= value.size() &&
          !findInvalidUtf8(std::string_view(value).substr(i, length), bad)) {
        out.append(value, i, length);
        i += length - 1;
      } else {
        out += fmt::format("\\{:03o}", c);
      }
      continue;
    }
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\t': out += "\\t"; break;
    case '\r': out += "\\r"; break;
    default:
      if (c < 0x20 || c == 0x7f)
        out += fmt::format("\\{:03o}", c); // three digits: a digit after it stays a digit
      else
        out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

std::string printBlock(const BlockStmt &block) {
  StmtPrinter printer;
  printer.blockContents(block);
  return "{\n" + printer.out + "}\n";
}

std::string printProbePoint(const ProbePoint &point) { return probePointText(point); }

std::string printExpr(const Expr &expr) {
  ExprPrinter printer;
  printer.print(expr, PrecAssign);
  return printer.out;
}

std::string printScript(const Script &script) {
  std::string out = "# parse tree dump\n";
  if (script.file)
    out += "# file " + script.file->name() + "\n";
  for (const Decl &decl : script.decls) {
    if (decl.fromLibrary) // -p1 shows the user's script, as stap does
      continue;
    out += '\n';
    switch (decl.kind) {
    case Decl::Kind::Global: {
      const auto &vars = decl.global->vars;
      if (!vars.empty() && vars[0].privateTo)
        out += "private ";
      out += "global ";
      for (size_t i = 0; i < vars.size(); ++i) {
        if (i)
          out += ", ";
        out += vars[i].name;
        if (vars[i].wrap)
          out += "%";
        if (vars[i].arraySize)
          out += "[" + std::to_string(*vars[i].arraySize) + "]";
        if (vars[i].init)
          out += " = " + printExpr(*vars[i].init);
      }
      out += '\n';
      break;
    }
    case Decl::Kind::Function: {
      const FunctionDecl &f = *decl.function;
      if (f.privateTo)
        out += "private ";
      out += "function " + f.name + typeSuffix(f.returnType) + " (";
      for (size_t i = 0; i < f.params.size(); ++i) {
        if (i)
          out += ", ";
        out += f.params[i].name + typeSuffix(f.params[i].type);
      }
      out += ")";
      if (f.embeddedCode) {
        out += " %{" + *f.embeddedCode + "%}\n";
      } else {
        StmtPrinter printer;
        printer.blockContents(*f.body);
        out += " {\n" + printer.out + "}\n";
      }
      break;
    }
    case Decl::Kind::Probe: {
      const ProbeDecl &p = *decl.probe;
      out += "probe ";
      for (size_t i = 0; i < p.points.size(); ++i) {
        if (i)
          out += ", ";
        out += probePointText(p.points[i]);
      }
      StmtPrinter printer;
      printer.blockContents(*p.body);
      out += " {\n" + printer.out + "}\n";
      break;
    }
    case Decl::Kind::Alias: {
      const AliasDecl &a = *decl.alias;
      out += "probe ";
      for (size_t i = 0; i < a.names.size(); ++i)
        out += (i ? ", " : "") + probePointText(a.names[i]);
      out += a.epilogue ? " += " : " = ";
      for (size_t i = 0; i < a.points.size(); ++i)
        out += (i ? ", " : "") + probePointText(a.points[i]);
      StmtPrinter printer;
      printer.blockContents(*a.body);
      out += " {\n" + printer.out + "}\n";
      break;
    }
    case Decl::Kind::Embedded:
      out += "%{" + decl.embedded->code + "%}\n";
      break;
    }
  }
  return out;
}

} // namespace mstap::ast
