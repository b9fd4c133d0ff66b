#include "parse/transformer.h"

#include <fmt/format.h>

using namespace antlr4;

namespace mstap {

// ------------------------------------------------------------------ leaves

SourceLoc Transformer::loc(Token *token) const {
  return {static_cast<uint32_t>(token->getLine()),
          static_cast<uint32_t>(token->getCharPositionInLine() + 1)};
}

SourceRange Transformer::range(ParserRuleContext *ctx) const {
  SourceRange r{loc(ctx->getStart()), loc(ctx->getStart())};
  if (ctx->getStop())
    r.end = loc(ctx->getStop());
  return r;
}

template <typename T> static std::unique_ptr<T> node(SourceRange range) {
  auto n = std::make_unique<T>();
  n->range = range;
  return n;
}

ast::ExprPtr Transformer::integerLiteral(Token *token, bool negate) {
  auto lit = std::make_unique<ast::IntLiteral>();
  lit->range = {loc(token), loc(token)};
  int64_t value = 0;
  std::string problem = parseInteger(token->getText(), value);
  if (!problem.empty())
    error(loc(token), problem);
  lit->value = negate ? static_cast<int64_t>(0 - static_cast<uint64_t>(value)) : value;
  return lit;
}

ast::ExprPtr Transformer::stringLiteral(Token *token) {
  auto lit = std::make_unique<ast::StringLiteral>();
  lit->range = {loc(token), loc(token)};
  std::string text = token->getText();
  size_t badColumn = 0;
  std::string problem = decodeString(text.substr(1, text.size() - 2), lit->value, badColumn);
  if (!problem.empty()) {
    SourceLoc at = loc(token);
    at.column += 1 + static_cast<uint32_t>(badColumn);
    error(at, problem);
  }
  return lit;
}

// $N and @N come from the words after the script, as in stap: $N must be an
// integer, @N is any string; $# and @# count the words.
ast::ExprPtr Transformer::transformArgRef(P::ArgRefContext *ctx) {
  Token *token = ctx->getStart();
  SourceRange r = range(ctx);
  const auto &args = options_.args;
  if (ctx->DollarHash() || ctx->AtHash()) {
    if (ctx->DollarHash()) {
      auto lit = node<ast::IntLiteral>(r);
      lit->value = static_cast<int64_t>(args.size());
      return lit;
    }
    auto lit = node<ast::StringLiteral>(r);
    lit->value = std::to_string(args.size());
    return lit;
  }
  std::string text = token->getText();
  std::string digits = text.substr(1);
  size_t index = digits.size() > 9 ? SIZE_MAX : std::stoul(digits);
  if (index == 0 || index > args.size()) {
    error(loc(token), fmt::format("command line argument index {} out of range [1-{}]", digits,
                                  args.size()));
    return node<ast::IntLiteral>(r);
  }
  const std::string &word = args[index - 1];
  if (ctx->AtNumber()) {
    auto lit = node<ast::StringLiteral>(r);
    lit->value = word;
    return lit;
  }
  auto lit = node<ast::IntLiteral>(r);
  bool negative = !word.empty() && word[0] == '-';
  std::string magnitude = negative || (!word.empty() && word[0] == '+') ? word.substr(1) : word;
  int64_t value = 0;
  if (magnitude.empty() || !parseInteger(magnitude, value).empty()) {
    error(loc(token), fmt::format("command line argument {} is '{}', not a number (use @{} for a string)",
                                  text, word, digits));
    return lit;
  }
  lit->value = negative ? static_cast<int64_t>(0 - static_cast<uint64_t>(value)) : value;
  return lit;
}

ast::ExprPtr Transformer::transformLiteral(P::LiteralContext *ctx) {
  bool negate = ctx->getStart()->getText() == "-";
  if (ctx->IntegerLiteral())
    return integerLiteral(ctx->IntegerLiteral()->getSymbol(), negate);
  if (ctx->StringLiteral())
    return stringLiteral(ctx->StringLiteral()->getSymbol());
  ast::ExprPtr value = transformArgRef(ctx->argRef());
  if (negate) {
    auto *lit = dynamic_cast<ast::IntLiteral *>(value.get());
    if (!lit)
      error(loc(ctx), "'-' must be followed by a number");
    else
      lit->value = static_cast<int64_t>(0 - static_cast<uint64_t>(lit->value));
  }
  return value;
}

std::string Transformer::transformEmbeddedCode(P::EmbeddedCodeContext *ctx) {
  if (!options_.guru)
    error(loc(ctx), "embedded C code is allowed only in guru mode: use -g");
  std::string text = ctx->getStart()->getText();
  return text.substr(2, text.size() - 4);
}

// ----------------------------------------------------------- declarations

std::unique_ptr<ast::Script> Transformer::transformScript(P::ScriptContext *ctx) {
  auto script = std::make_unique<ast::Script>();
  script->file = &file_;
  for (auto *top : ctx->topLevel())
    transformTopLevel(top, *script);
  return script;
}

void Transformer::transformTopLevel(P::TopLevelContext *ctx, ast::Script &script) {
  ast::Decl decl;
  if (ctx->globalDecl()) {
    decl.kind = ast::Decl::Kind::Global;
    decl.global = transformGlobalDecl(ctx->globalDecl());
  } else if (ctx->functionDecl()) {
    decl.kind = ast::Decl::Kind::Function;
    decl.function = transformFunctionDecl(ctx->functionDecl());
  } else if (ctx->probeDecl()) {
    decl.kind = ast::Decl::Kind::Probe;
    decl.probe = transformProbeDecl(ctx->probeDecl());
  } else if (ctx->embeddedCode()) {
    decl.kind = ast::Decl::Kind::Embedded;
    decl.embedded = node<ast::EmbeddedDecl>(range(ctx));
    decl.embedded->code = transformEmbeddedCode(ctx->embeddedCode());
  } else {
    return; // a stray ';'
  }
  script.decls.push_back(std::move(decl));
}

std::unique_ptr<ast::GlobalDecl> Transformer::transformGlobalDecl(P::GlobalDeclContext *ctx) {
  auto decl = node<ast::GlobalDecl>(range(ctx));
  for (auto *var : ctx->globalVar())
    decl->vars.push_back(transformGlobalVar(var));
  return decl;
}

ast::GlobalVar Transformer::transformGlobalVar(P::GlobalVarContext *ctx) {
  ast::GlobalVar var;
  var.range = range(ctx);
  var.name = ctx->Identifier()->getText();
  if (ctx->size) {
    ast::ExprPtr size = transformLiteral(ctx->size);
    auto *lit = dynamic_cast<ast::IntLiteral *>(size.get());
    if (!lit || lit->value <= 0)
      error(loc(ctx->size), "an array size must be a positive number");
    else
      var.arraySize = lit->value;
  }
  if (ctx->init)
    var.init = transformLiteral(ctx->init);
  return var;
}

ast::Type Transformer::transformTypeSuffix(P::TypeSuffixContext *ctx) {
  if (!ctx)
    return ast::Type::Unknown;
  std::string name = ctx->Identifier()->getText();
  if (name == "long")
    return ast::Type::Long;
  if (name == "string")
    return ast::Type::String;
  error(loc(ctx->Identifier()->getSymbol()),
        fmt::format("unknown type '{}': expected 'long' or 'string'", name));
  return ast::Type::Unknown;
}

ast::Param Transformer::transformParam(P::ParamContext *ctx) {
  ast::Param param;
  param.range = range(ctx);
  param.name = ctx->Identifier()->getText();
  param.type = transformTypeSuffix(ctx->typeSuffix());
  return param;
}

std::unique_ptr<ast::FunctionDecl> Transformer::transformFunctionDecl(P::FunctionDeclContext *ctx) {
  auto f = node<ast::FunctionDecl>(range(ctx));
  f->name = ctx->Identifier()->getText();
  f->returnType = transformTypeSuffix(ctx->typeSuffix());
  for (auto *param : ctx->param())
    f->params.push_back(transformParam(param));
  auto *body = ctx->functionBody();
  if (body->embeddedCode())
    f->embeddedCode = transformEmbeddedCode(body->embeddedCode());
  else
    f->body = transformBlock(body->block());
  return f;
}

std::unique_ptr<ast::ProbeDecl> Transformer::transformProbeDecl(P::ProbeDeclContext *ctx) {
  auto probe = node<ast::ProbeDecl>(range(ctx));
  for (auto *pp : ctx->probePoint())
    probe->points.push_back(transformProbePoint(pp));
  probe->body = transformBlock(ctx->block());
  return probe;
}

ast::ProbePoint Transformer::transformProbePoint(P::ProbePointContext *ctx) {
  ast::ProbePoint pp;
  pp.range = range(ctx);
  for (auto *component : ctx->probeComponent())
    pp.components.push_back(transformProbeComponent(component));
  if (auto *mark = ctx->probeMark()) {
    if (mark->getText() == "?")
      pp.optional = true;
    else
      pp.sufficient = true;
  }
  if (ctx->expression())
    pp.condition = transformExpression(ctx->expression());
  return pp;
}

ast::ProbePoint::Component Transformer::transformProbeComponent(P::ProbeComponentContext *ctx) {
  ast::ProbePoint::Component component;
  component.loc = loc(ctx);
  component.name = transformProbeName(ctx->probeName());
  if (ctx->literal()) {
    ast::ExprPtr value = transformLiteral(ctx->literal());
    if (auto *number = dynamic_cast<ast::IntLiteral *>(value.get()))
      component.number = number->value;
    else if (auto *string = dynamic_cast<ast::StringLiteral *>(value.get()))
      component.string = string->value;
  }
  return component;
}

// "sys*" arrives as two tokens; they must touch, or "kernel. function" and
// "sys *" would silently mean something else.
std::string Transformer::transformProbeName(P::ProbeNameContext *ctx) {
  std::string name;
  Token *previous = nullptr;
  for (auto *child : ctx->children) {
    Token *token = static_cast<tree::TerminalNode *>(child)->getSymbol();
    if (previous && token->getStartIndex() != previous->getStopIndex() + 1)
      error(loc(token), "a probe point name cannot contain spaces");
    name += token->getText();
    previous = token;
  }
  return name;
}

// ------------------------------------------------------------- statements

std::unique_ptr<ast::BlockStmt> Transformer::transformBlock(P::BlockContext *ctx) {
  auto block = node<ast::BlockStmt>(range(ctx));
  for (auto *statement : ctx->statement())
    if (!dynamic_cast<P::EmptyStmtContext *>(statement)) // ';' separates; it is no statement here
      block->statements.push_back(transformStatement(statement));
  return block;
}

ast::StmtPtr Transformer::transformStatement(P::StatementContext *ctx) {
  SourceRange r = range(ctx);
  if (auto *c = dynamic_cast<P::BlockStmtContext *>(ctx))
    return transformBlock(c->block());
  if (dynamic_cast<P::EmptyStmtContext *>(ctx))
    return node<ast::NullStmt>(r);
  if (auto *c = dynamic_cast<P::ExprStmtContext *>(ctx)) {
    auto s = node<ast::ExprStmt>(r);
    s->expr = transformExpression(c->expression());
    return s;
  }
  if (auto *c = dynamic_cast<P::IfStmtContext *>(ctx)) {
    auto s = node<ast::IfStmt>(r);
    s->cond = transformExpression(c->expression());
    s->then = transformStatement(c->statement(0));
    if (c->statement().size() > 1)
      s->otherwise = transformStatement(c->statement(1));
    return s;
  }
  if (auto *c = dynamic_cast<P::WhileStmtContext *>(ctx)) {
    auto s = node<ast::WhileStmt>(r);
    s->cond = transformExpression(c->expression());
    s->body = transformStatement(c->statement());
    return s;
  }
  if (auto *c = dynamic_cast<P::ForStmtContext *>(ctx)) {
    auto s = node<ast::ForStmt>(r);
    if (c->forInit)
      s->init = transformExpression(c->forInit);
    if (c->forCond)
      s->cond = transformExpression(c->forCond);
    if (c->forStep)
      s->step = transformExpression(c->forStep);
    s->body = transformStatement(c->statement());
    return s;
  }
  if (auto *c = dynamic_cast<P::ForeachStmtContext *>(ctx))
    return transformForeach(c);
  if (dynamic_cast<P::BreakStmtContext *>(ctx))
    return node<ast::BreakStmt>(r);
  if (dynamic_cast<P::ContinueStmtContext *>(ctx))
    return node<ast::ContinueStmt>(r);
  if (dynamic_cast<P::NextStmtContext *>(ctx))
    return node<ast::NextStmt>(r);
  if (auto *c = dynamic_cast<P::ReturnStmtContext *>(ctx)) {
    auto s = node<ast::ReturnStmt>(r);
    if (c->expression())
      s->value = transformExpression(c->expression());
    return s;
  }
  if (auto *c = dynamic_cast<P::DeleteStmtContext *>(ctx)) {
    auto s = node<ast::DeleteStmt>(r);
    s->target = transformExpression(c->expression());
    return s;
  }
  auto *c = dynamic_cast<P::TryStmtContext *>(ctx);
  auto s = node<ast::TryStmt>(r);
  s->body = transformBlock(c->body);
  if (c->Identifier()) {
    s->catchVar = c->Identifier()->getText();
    s->catchVarLoc = loc(c->Identifier()->getSymbol());
  }
  s->handler = transformBlock(c->handler);
  return s;
}

ast::SortOrder Transformer::transformSortMark(P::SortMarkContext *ctx) {
  if (!ctx)
    return ast::SortOrder::None;
  return ctx->getText() == "+" ? ast::SortOrder::Ascending : ast::SortOrder::Descending;
}

ast::StmtPtr Transformer::transformForeach(P::ForeachStmtContext *ctx) {
  auto s = node<ast::ForeachStmt>(range(ctx));
  auto *head = ctx->foreachHead();
  SourceLoc firstMark;
  auto noteMark = [&](P::SortMarkContext *mark) {
    if (!mark)
      return;
    if (firstMark.valid())
      error(loc(mark), "a foreach can sort by one thing only: remove all but one '+' or '-'");
    else
      firstMark = loc(mark);
  };
  if (head->valueVar) {
    s->valueVar = head->valueVar->getText();
    s->valueLoc = loc(head->valueVar);
  }
  auto *keys = head->foreachKeys();
  s->bracketedKeys = keys->getStart()->getText() == "[";
  for (auto *key : keys->foreachKey()) {
    ast::ForeachStmt::Key k;
    k.name = key->Identifier()->getText();
    k.loc = loc(key);
    k.sort = transformSortMark(key->sortMark());
    noteMark(key->sortMark());
    s->keys.push_back(std::move(k));
  }
  s->array = head->array->getText();
  s->arrayLoc = loc(head->array);
  s->valueSort = transformSortMark(head->sortMark());
  noteMark(head->sortMark());
  if (head->expression())
    s->limit = transformExpression(head->expression());
  s->body = transformStatement(ctx->statement());
  return s;
}

// ------------------------------------------------------------ expressions

ast::ExprList Transformer::transformExpressions(const std::vector<P::ExpressionContext *> &ctxs) {
  ast::ExprList list;
  for (auto *ctx : ctxs)
    list.push_back(transformExpression(ctx));
  return list;
}

static ast::BinaryOp binaryOpFor(const std::string &op) {
  static const std::pair<const char *, ast::BinaryOp> table[] = {
      {"*", ast::BinaryOp::Mul},     {"/", ast::BinaryOp::Div},     {"%", ast::BinaryOp::Mod},
      {"+", ast::BinaryOp::Add},     {"-", ast::BinaryOp::Sub},     {".", ast::BinaryOp::Concat},
      {"<<", ast::BinaryOp::Shl},    {">>", ast::BinaryOp::Shr},    {"==", ast::BinaryOp::Eq},
      {"!=", ast::BinaryOp::Ne},     {"<", ast::BinaryOp::Lt},      {"<=", ast::BinaryOp::Le},
      {">", ast::BinaryOp::Gt},      {">=", ast::BinaryOp::Ge},     {"&", ast::BinaryOp::BitAnd},
      {"^", ast::BinaryOp::BitXor},  {"|", ast::BinaryOp::BitOr},   {"&&", ast::BinaryOp::LogAnd},
      {"||", ast::BinaryOp::LogOr},
  };
  for (const auto &[text, value] : table)
    if (op == text)
      return value;
  return ast::BinaryOp::Add; // unreachable: the grammar admits only the above
}

static ast::AssignOp assignOpFor(const std::string &op) {
  static const std::pair<const char *, ast::AssignOp> table[] = {
      {"=", ast::AssignOp::Assign},   {"+=", ast::AssignOp::Add},      {"-=", ast::AssignOp::Sub},
      {"*=", ast::AssignOp::Mul},     {"/=", ast::AssignOp::Div},      {"%=", ast::AssignOp::Mod},
      {"<<=", ast::AssignOp::Shl},    {">>=", ast::AssignOp::Shr},     {"&=", ast::AssignOp::BitAnd},
      {"^=", ast::AssignOp::BitXor},  {"|=", ast::AssignOp::BitOr},    {".=", ast::AssignOp::Concat},
      {"<<<", ast::AssignOp::Aggregate},
  };
  for (const auto &[text, value] : table)
    if (op == text)
      return value;
  return ast::AssignOp::Assign;
}

ast::ExprPtr Transformer::transformExpression(P::ExpressionContext *ctx) {
  SourceRange r = range(ctx);
  if (auto *c = dynamic_cast<P::PrimaryExprContext *>(ctx))
    return transformPrimary(c->primary());
  if (auto *c = dynamic_cast<P::PostfixExprContext *>(ctx)) {
    auto e = node<ast::IncDecExpr>(r);
    e->increment = c->op->getText() == "++";
    e->prefix = false;
    e->operand = transformExpression(c->expression());
    return e;
  }
  if (auto *c = dynamic_cast<P::UnaryExprContext *>(ctx)) {
    std::string op = c->op->getText();
    ast::ExprPtr operand = transformExpression(c->expression());
    if (op == "++" || op == "--") {
      auto e = node<ast::IncDecExpr>(r);
      e->increment = op == "++";
      e->operand = std::move(operand);
      return e;
    }
    // "-5" is one literal, as in stap: the printer then need not guess.
    if (op == "-")
      if (auto *lit = dynamic_cast<ast::IntLiteral *>(operand.get())) {
        lit->value = static_cast<int64_t>(0 - static_cast<uint64_t>(lit->value));
        lit->range = r;
        return operand;
      }
    auto e = node<ast::UnaryExpr>(r);
    e->op = op == "!" ? ast::UnaryOp::Not
          : op == "~" ? ast::UnaryOp::BitNot
          : op == "-" ? ast::UnaryOp::Negate
                      : ast::UnaryOp::Plus;
    e->operand = std::move(operand);
    return e;
  }
  if (auto *c = dynamic_cast<P::BinaryExprContext *>(ctx)) {
    auto e = node<ast::BinaryExpr>(r);
    e->op = binaryOpFor(c->op->getText());
    e->lhs = transformExpression(c->expression(0));
    e->rhs = transformExpression(c->expression(1));
    e->range.begin = loc(c->op); // errors about an operator point at it
    return e;
  }
  if (auto *c = dynamic_cast<P::InExprContext *>(ctx)) {
    auto e = node<ast::InExpr>(r);
    e->keys.push_back(transformExpression(c->expression()));
    e->array = c->Identifier()->getText();
    return e;
  }
  if (auto *c = dynamic_cast<P::TernaryExprContext *>(ctx)) {
    auto e = node<ast::TernaryExpr>(r);
    e->cond = transformExpression(c->expression(0));
    e->then = transformExpression(c->expression(1));
    e->otherwise = transformExpression(c->expression(2));
    return e;
  }
  auto *c = dynamic_cast<P::AssignExprContext *>(ctx);
  auto e = node<ast::AssignExpr>(r);
  e->op = assignOpFor(c->op->getText());
  e->lhs = transformExpression(c->expression(0));
  e->rhs = transformExpression(c->expression(1));
  return e;
}

ast::ExprPtr Transformer::transformPrimary(P::PrimaryContext *ctx) {
  SourceRange r = range(ctx);
  if (auto *c = dynamic_cast<P::IntLiteralContext *>(ctx))
    return integerLiteral(c->IntegerLiteral()->getSymbol(), false);
  if (auto *c = dynamic_cast<P::StringLiteralContext *>(ctx))
    return stringLiteral(c->StringLiteral()->getSymbol());
  if (auto *c = dynamic_cast<P::ArgRefExprContext *>(ctx))
    return transformArgRef(c->argRef());
  if (auto *c = dynamic_cast<P::ParenExprContext *>(ctx))
    return transformExpression(c->expression());
  if (auto *c = dynamic_cast<P::CallExprContext *>(ctx)) {
    auto e = node<ast::CallExpr>(r);
    e->function = c->Identifier()->getText();
    e->args = transformExpressions(c->expression());
    return e;
  }
  if (auto *c = dynamic_cast<P::IndexExprContext *>(ctx)) {
    auto e = node<ast::IndexExpr>(r);
    e->array = c->Identifier()->getText();
    e->keys = transformExpressions(c->expression());
    return e;
  }
  if (auto *c = dynamic_cast<P::SymbolExprContext *>(ctx)) {
    auto e = node<ast::SymbolRef>(r);
    e->name = c->Identifier()->getText();
    return e;
  }
  if (auto *c = dynamic_cast<P::TargetExprContext *>(ctx)) {
    auto e = node<ast::TargetExpr>(r);
    e->name = c->TargetName()->getText();
    for (auto *suffix : c->targetSuffix())
      e->components.push_back(transformTargetSuffix(suffix));
    return e;
  }
  if (auto *c = dynamic_cast<P::AtExprContext *>(ctx)) {
    auto e = node<ast::AtExpr>(r);
    std::string name = c->AtName()->getText();
    e->args = transformExpressions(c->expression());
    auto op = ast::atOpNamed(name);
    if (!op) {
      error(loc(ctx), fmt::format("unknown operator '{}': mstap knows @count, @sum, @min, @max, "
                                  "@avg, @hist_log, @hist_linear, @defined and @entry",
                                  name));
      return node<ast::IntLiteral>(r);
    }
    e->op = *op;
    size_t want = *op == ast::AtOp::HistLinear ? 4 : 1;
    if (e->args.size() != want)
      error(loc(ctx), fmt::format("{} takes {} argument{}, not {}", name, want, want == 1 ? "" : "s",
                                  e->args.size()));
    return e;
  }
  auto *c = dynamic_cast<P::MultiInExprContext *>(ctx);
  auto e = node<ast::InExpr>(r);
  e->keys = transformExpressions(c->expression());
  e->array = c->Identifier()->getText();
  return e;
}

ast::TargetExpr::Component Transformer::transformTargetSuffix(P::TargetSuffixContext *ctx) {
  ast::TargetExpr::Component component;
  component.loc = loc(ctx);
  if (ctx->Identifier())
    component.member = ctx->Identifier()->getText();
  else
    component.index = transformExpression(ctx->expression());
  return component;
}

} // namespace mstap
