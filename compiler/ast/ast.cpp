#include "ast/ast.h"

namespace mstap::ast {

#define MSTAP_DEFINE_ACCEPT(T) \
  void T::accept(Visitor &v) { v.visit(*this); }
MSTAP_DEFINE_ACCEPT(IntLiteral)
MSTAP_DEFINE_ACCEPT(StringLiteral)
MSTAP_DEFINE_ACCEPT(SymbolRef)
MSTAP_DEFINE_ACCEPT(IndexExpr)
MSTAP_DEFINE_ACCEPT(CallExpr)
MSTAP_DEFINE_ACCEPT(TargetExpr)
MSTAP_DEFINE_ACCEPT(UnaryExpr)
MSTAP_DEFINE_ACCEPT(IncDecExpr)
MSTAP_DEFINE_ACCEPT(BinaryExpr)
MSTAP_DEFINE_ACCEPT(EmbeddedExpr)
MSTAP_DEFINE_ACCEPT(InExpr)
MSTAP_DEFINE_ACCEPT(TernaryExpr)
MSTAP_DEFINE_ACCEPT(AssignExpr)
MSTAP_DEFINE_ACCEPT(AtExpr)
MSTAP_DEFINE_ACCEPT(BlockStmt)
MSTAP_DEFINE_ACCEPT(NullStmt)
MSTAP_DEFINE_ACCEPT(ExprStmt)
MSTAP_DEFINE_ACCEPT(IfStmt)
MSTAP_DEFINE_ACCEPT(WhileStmt)
MSTAP_DEFINE_ACCEPT(ForStmt)
MSTAP_DEFINE_ACCEPT(ForeachStmt)
MSTAP_DEFINE_ACCEPT(BreakStmt)
MSTAP_DEFINE_ACCEPT(ContinueStmt)
MSTAP_DEFINE_ACCEPT(NextStmt)
MSTAP_DEFINE_ACCEPT(ReturnStmt)
MSTAP_DEFINE_ACCEPT(DeleteStmt)
MSTAP_DEFINE_ACCEPT(TryStmt)
#undef MSTAP_DEFINE_ACCEPT

const char *typeName(Type type) {
  switch (type) {
  case Type::Unknown: return "unknown";
  case Type::Long: return "long";
  case Type::String: return "string";
  case Type::Stats: return "stats";
  }
  return "unknown";
}

const char *spelling(UnaryOp op) {
  switch (op) {
  case UnaryOp::Not: return "!";
  case UnaryOp::BitNot: return "~";
  case UnaryOp::Negate: return "-";
  case UnaryOp::Plus: return "+";
  }
  return "?";
}

const char *spelling(BinaryOp op) {
  switch (op) {
  case BinaryOp::Mul: return "*";
  case BinaryOp::Div: return "/";
  case BinaryOp::Mod: return "%";
  case BinaryOp::Add: return "+";
  case BinaryOp::Sub: return "-";
  case BinaryOp::Concat: return ".";
  case BinaryOp::Shl: return "<<";
  case BinaryOp::Shr: return ">>";
  case BinaryOp::UShr: return ">>>";
  case BinaryOp::Eq: return "==";
  case BinaryOp::Ne: return "!=";
  case BinaryOp::Lt: return "<";
  case BinaryOp::Le: return "<=";
  case BinaryOp::Gt: return ">";
  case BinaryOp::Ge: return ">=";
  case BinaryOp::BitAnd: return "&";
  case BinaryOp::BitXor: return "^";
  case BinaryOp::BitOr: return "|";
  case BinaryOp::LogAnd: return "&&";
  case BinaryOp::LogOr: return "||";
  }
  return "?";
}

const char *spelling(AssignOp op) {
  switch (op) {
  case AssignOp::Assign: return "=";
  case AssignOp::Add: return "+=";
  case AssignOp::Sub: return "-=";
  case AssignOp::Mul: return "*=";
  case AssignOp::Div: return "/=";
  case AssignOp::Mod: return "%=";
  case AssignOp::Shl: return "<<=";
  case AssignOp::Shr: return ">>=";
  case AssignOp::BitAnd: return "&=";
  case AssignOp::BitXor: return "^=";
  case AssignOp::BitOr: return "|=";
  case AssignOp::Concat: return ".=";
  case AssignOp::Aggregate: return "<<<";
  }
  return "?";
}

static const struct {
  AtOp op;
  const char *name;
} atOps[] = {
    {AtOp::Count, "@count"},   {AtOp::Sum, "@sum"},         {AtOp::Min, "@min"},
    {AtOp::Max, "@max"},       {AtOp::Avg, "@avg"},         {AtOp::HistLog, "@hist_log"},
    {AtOp::HistLinear, "@hist_linear"}, {AtOp::Defined, "@defined"}, {AtOp::Entry, "@entry"},
    {AtOp::Variance, "@variance"},
};

const char *spelling(AtOp op) {
  for (const auto &entry : atOps)
    if (entry.op == op)
      return entry.name;
  return "@?";
}

std::optional<AtOp> atOpNamed(const std::string &name) {
  for (const auto &entry : atOps)
    if (name == entry.name)
      return entry.op;
  return std::nullopt;
}

} // namespace mstap::ast
