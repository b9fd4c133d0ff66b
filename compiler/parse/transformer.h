// The ANTLR parse tree to mstap's AST: one transformX per grammar rule. It
// runs while the parser (which owns the tree) is alive, and it substitutes
// $N/@N/$#/@# from the command line, folds "-literal", decodes strings and
// numbers, and reports what the grammar cannot say (bad escapes, numbers out
// of range, embedded C without -g).
#pragma once

#include "ast/ast.h"
#include "parse/literals.h"
#include "parse/parser.h"

#include "StapParser.h"

namespace mstap {

class Transformer {
  using P = mstap_grammar::StapParser;

public:
  Transformer(const SourceFile &file, const ParseOptions &options, Diagnostics &diags)
      : file_(file), options_(options), diags_(diags) {}

  std::unique_ptr<ast::Script> transformScript(P::ScriptContext *ctx);

private:
  void transformTopLevel(P::TopLevelContext *ctx, ast::Script &script);
  std::unique_ptr<ast::GlobalDecl> transformGlobalDecl(P::GlobalDeclContext *ctx);
  ast::GlobalVar transformGlobalVar(P::GlobalVarContext *ctx);
  std::unique_ptr<ast::FunctionDecl> transformFunctionDecl(P::FunctionDeclContext *ctx);
  ast::Type transformTypeSuffix(P::TypeSuffixContext *ctx);
  ast::Param transformParam(P::ParamContext *ctx);
  std::unique_ptr<ast::ProbeDecl> transformProbeDecl(P::ProbeDeclContext *ctx);
  ast::ProbePoint transformProbePoint(P::ProbePointContext *ctx);
  ast::ProbePoint::Component transformProbeComponent(P::ProbeComponentContext *ctx);
  std::string transformProbeName(P::ProbeNameContext *ctx);
  ast::ExprPtr transformLiteral(P::LiteralContext *ctx);
  ast::ExprPtr transformArgRef(P::ArgRefContext *ctx);
  std::string transformEmbeddedCode(P::EmbeddedCodeContext *ctx);

  std::unique_ptr<ast::BlockStmt> transformBlock(P::BlockContext *ctx);
  ast::StmtPtr transformStatement(P::StatementContext *ctx);
  ast::StmtPtr transformForeach(P::ForeachStmtContext *ctx);
  ast::SortOrder transformSortMark(P::SortMarkContext *ctx);

  ast::ExprPtr transformExpression(P::ExpressionContext *ctx);
  ast::ExprPtr transformPrimary(P::PrimaryContext *ctx);
  ast::ExprList transformExpressions(const std::vector<P::ExpressionContext *> &ctxs);
  ast::TargetExpr::Component transformTargetSuffix(P::TargetSuffixContext *ctx);

  // Leaves.
  ast::ExprPtr integerLiteral(antlr4::Token *token, bool negate);
  ast::ExprPtr stringLiteral(antlr4::Token *token);

  SourceLoc loc(antlr4::Token *token) const;
  SourceLoc loc(antlr4::ParserRuleContext *ctx) const { return loc(ctx->getStart()); }
  SourceRange range(antlr4::ParserRuleContext *ctx) const;
  void error(SourceLoc at, std::string message) { diags_.error(&file_, at, std::move(message)); }

  const SourceFile &file_;
  const ParseOptions &options_;
  Diagnostics &diags_;
};

} // namespace mstap
