// The ANTLR parse tree to mstap's AST: one transformX per grammar rule. It
// runs while the parser (which owns the tree) is alive, and it substitutes
// $N/@N/$#/@# from the command line, folds "-literal", decodes strings and
// numbers, and reports what the grammar cannot say (bad escapes, numbers out
// of range, embedded C without -g).
//
// It reads the tree by position, as the grammar lays out each rule's
// children, and finds a labelled alternative (which kind of statement or
// expression) from the node's dynamic type once; every child is checked to
// be the node it is taken for. (The generated accessors, ctx->expression(1)
// or ctx->Identifier(), scan all children with two dynamic_casts each.)
#pragma once

#include "ast/ast.h"
#include "parse/literals.h"
#include "parse/parser.h"

#include "StapParser.h"

namespace mstap {

class Transformer {
  using P = mstap_grammar::StapParser;
  using Node = antlr4::tree::ParseTree;

public:
  Transformer(const SourceFile &file, const ParseOptions &options, Diagnostics &diags)
      : file_(file), options_(options), diags_(diags) {}

  // An empty script of the file.
  std::unique_ptr<ast::Script> startScript() const;
  // Adds the declarations of a whole tree, or of one top-level declaration.
  void transformScript(P::ScriptContext *ctx, ast::Script &script);
  void transformTopLevel(P::TopLevelContext *ctx, ast::Script &script);

  // The errors found are held back until flush() reports them, in the
  // order found, or discard() drops them.
  void flush();
  void discard() { errors_.clear(); }

private:
  std::unique_ptr<ast::GlobalDecl> transformGlobalDecl(P::GlobalDeclContext *ctx);
  ast::GlobalVar transformGlobalVar(P::GlobalVarContext *ctx);
  std::unique_ptr<ast::FunctionDecl> transformFunctionDecl(P::FunctionDeclContext *ctx);
  ast::Type transformTypeSuffix(P::TypeSuffixContext *ctx);
  ast::Param transformParam(P::ParamContext *ctx);
  std::unique_ptr<ast::ProbeDecl> transformProbeDecl(P::ProbeDeclContext *ctx);
  std::unique_ptr<ast::AliasDecl> transformAliasDecl(P::AliasDeclContext *ctx);
  // One point as written: several after brace expansion.
  std::vector<ast::ProbePoint> transformProbePoint(P::ProbePointContext *ctx);
  // The points (components and marks) the segments among children
  // [from, ...) of `ctx` (probeSegment ('.' probeSegment)*) stand for;
  // `next` is set to the first child after them.
  std::vector<ast::ProbePoint> expandSegments(antlr4::ParserRuleContext *ctx, size_t from, size_t &next);
  // The points a script argument used as (part of) a probe point holds.
  std::vector<ast::ProbePoint> argumentPoints(P::ArgRefContext *ctx);
  // A probeMark child: sets pp.optional ('?') or pp.sufficient ('!').
  void applyMark(P::ProbeMarkContext *mark, ast::ProbePoint &pp);
  ast::ProbePoint::Component transformProbeComponent(P::ProbeComponentContext *ctx);
  std::string transformProbeName(P::ProbeNameContext *ctx);
  ast::ExprPtr transformLiteral(P::LiteralContext *ctx);
  ast::ExprPtr transformArgRef(P::ArgRefContext *ctx);
  ast::ExprPtr transformStrings(P::StringsContext *ctx);
  const std::string *argumentWord(antlr4::Token *token);
  std::string transformEmbeddedCode(P::EmbeddedCodeContext *ctx);

  std::unique_ptr<ast::BlockStmt> transformBlock(P::BlockContext *ctx);
  ast::StmtPtr transformStatement(Node *node); // any labelled alternative of statement
  ast::StmtPtr transformForeach(P::ForeachStmtContext *ctx);
  ast::SortOrder transformSortMark(P::SortMarkContext *ctx);

  ast::ExprPtr transformExpression(Node *node); // any labelled alternative of expression
  ast::ExprPtr transformPrimary(Node *node);    // any labelled alternative of primary
  // The expressions among children [from, to) of `ctx`, which the grammar
  // separates by ','.
  ast::ExprList transformExpressionList(antlr4::ParserRuleContext *ctx, size_t from, size_t to);
  ast::TargetExpr::Component transformTargetSuffix(P::TargetSuffixContext *ctx);
  ast::ExprPtr transformCast(P::PrimaryContext *ctx, const std::string &name, ast::ExprList args,
                             size_t firstSuffix);

  // Leaves.
  ast::ExprPtr integerLiteral(antlr4::Token *token, bool negate);
  ast::ExprPtr stringLiteral(antlr4::Token *token);

  SourceLoc loc(antlr4::Token *token) const;
  SourceLoc loc(antlr4::ParserRuleContext *ctx) const { return loc(ctx->getStart()); }
  SourceRange range(antlr4::ParserRuleContext *ctx) const;
  void error(SourceLoc at, std::string message) { errors_.emplace_back(at, std::move(message)); }

  const SourceFile &file_;
  const ParseOptions &options_;
  Diagnostics &diags_;
  std::vector<std::pair<SourceLoc, std::string>> errors_;
};

} // namespace mstap
