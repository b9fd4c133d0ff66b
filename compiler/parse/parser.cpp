#include "parse/parser.h"

#include "parse/syntax_errors.h"
#include "parse/token_source.h"
#include "parse/transformer.h"

#include "StapParser.h"

#include <fmt/format.h>

#include <algorithm>
#include <sys/utsname.h>
#include <cstdint>
#include <functional>
#include <memory>
#include <new>
#include <utility>

using namespace antlr4;
using mstap_grammar::StapParser;

namespace mstap {
namespace {

// Errors the lexer can name better than the parser: an unclosed string,
// comment or embedded-C block.
bool reportUnterminated(const SourceFile &file, CommonTokenStream &tokens, Diagnostics &diags) {
  bool found = false;
  for (Token *token : tokens.getTokens()) {
    const char *what = nullptr;
    switch (token->getType()) {
    case StapParser::UnterminatedString: what = "unterminated string: a '\"' is missing on this line"; break;
    case StapParser::UnterminatedComment: what = "unterminated comment: '*/' is missing"; break;
    case StapParser::UnterminatedEmbeddedCode: what = "unterminated embedded C code: '%}' is missing"; break;
    default: continue;
    }
    diags.error(&file, {static_cast<uint32_t>(token->getLine()),
                        static_cast<uint32_t>(token->getCharPositionInLine() + 1)},
                what);
    found = true;
  }
  return found;
}

// Whether a subtree whose root is `rootDepth` levels deep (the tree's root
// is 1) reaches deeper than maxTreeDepth, as treeTooDeep would find it.
// `stack` is scratch space, kept from one call to the next.
bool subtreeTooDeep(tree::ParseTree *root, unsigned rootDepth,
                    std::vector<std::pair<tree::ParseTree *, unsigned>> &stack) {
  stack.assign(1, {root, rootDepth});
  while (!stack.empty()) {
    auto [node, depth] = stack.back();
    stack.pop_back();
    if (depth > maxTreeDepth)
      return true;
    for (auto *child : node->children)
      stack.emplace_back(child, depth + 1);
  }
  return false;
}

// The depth of a parse tree, found without recursion (the check exists
// because the tree may be too deep to recurse over).
bool treeTooDeep(tree::ParseTree *root, Token *&deepest) {
  std::vector<std::pair<tree::ParseTree *, unsigned>> stack{{root, 1}};
  while (!stack.empty()) {
    auto [node, depth] = stack.back();
    stack.pop_back();
    if (depth > maxTreeDepth) {
      if (auto *rule = dynamic_cast<ParserRuleContext *>(node))
        deepest = rule->getStart();
      else if (auto *terminal = dynamic_cast<tree::TerminalNode *>(node))
        deepest = terminal->getSymbol();
      return true;
    }
    for (auto *child : node->children)
      stack.emplace_back(child, depth + 1);
  }
  return false;
}

// Statements need no ';' between them, so after "x = a" a '+' may continue
// the expression or begin a new statement ("+b"). ANTLR would settle that by
// looking ahead to where the two readings meet: time quadratic in the length
// of "1+1+1+...". stap's recursive descent simply continues the expression
// while an operator of high enough precedence follows; so does this
// simulator, for the loop decision of each left-recursive rule.
//
// Other decisions go to ANTLR's prediction as usual, except that the
// cached DFA is first walked here, as ParserATNSimulator::execATN walks it,
// without its per-call costs (a std::function, a mark on the token stream, a
// copy of the predicates): where the walk reaches an accept state, the
// prediction is the one execATN would return from it, in SLL and LL mode
// alike; anything else (an edge not yet computed, the error state, full
// context needed in LL mode, no predicate that holds) goes to ANTLR.
// predictionCheck() holds this to ANTLR's own answers.
// Counts by parse-tree node: a hash table with open addressing, which makes
// no allocation per entry (std::unordered_map makes one per node).
class ChainLengths {
public:
  unsigned &operator[](const tree::ParseTree *key) {
    if (2 * (used_ + 1) > slots_.size())
      grow();
    size_t mask = slots_.size() - 1;
    for (size_t i = hash(key) & mask;; i = (i + 1) & mask) {
      if (slots_[i].key == key)
        return slots_[i].count;
      if (!slots_[i].key) {
        ++used_;
        slots_[i].key = key;
        return slots_[i].count;
      }
    }
  }
  void clear() {
    slots_.assign(slots_.size(), Slot{});
    used_ = 0;
  }

private:
  struct Slot {
    const tree::ParseTree *key = nullptr;
    unsigned count = 0;
  };
  static size_t hash(const tree::ParseTree *key) {
    auto bits = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(key));
    return static_cast<size_t>((bits >> 4) * 0x9E3779B97F4A7C15ull >> 24);
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 256 : 2 * old.size(), Slot{});
    used_ = 0;
    for (const Slot &slot : old)
      if (slot.key)
        (*this)[slot.key] = slot.count;
  }
  std::vector<Slot> slots_;
  size_t used_ = 0;
};

class GreedyOperatorSimulator : public atn::ParserATNSimulator {
public:
  // What the simulator knows of one precedence loop decision: for each token
  // type, the highest precedence of a loop alternative that can start with
  // it (-1: none). Parser::precpred(ctx, p) is "p >= the current
  // precedence", so some alternative starting with the token passes its
  // predicate exactly when the highest one does.
  struct Loop {
    bool isLoop = false;
    std::vector<int> precedenceByToken;
  };

  // The loop decisions of `atn`, by decision number.
  static std::vector<Loop> findLoops(const atn::ATN &atn) {
    std::vector<Loop> loops(atn.getNumberOfDecisions());
    for (size_t decision = 0; decision < atn.getNumberOfDecisions(); ++decision) {
      auto *entry = dynamic_cast<atn::StarLoopEntryState *>(atn.getDecisionState(decision));
      if (!entry || !entry->isPrecedenceDecision)
        continue;
      Loop &loop = loops[decision];
      loop.isLoop = true;
      loop.precedenceByToken.assign(atn.maxTokenType + 1, -1);
      // transitions[0] enters the loop (alternative 1), [1] leaves it (2).
      atn::ATNState *block = entry->transitions[0]->target;
      for (const atn::Transition *t : block->transitions) {
        atn::ATNState *state = t->target;
        // Each alternative starts, after epsilons, with its precedence predicate.
        while (state && !state->transitions.empty()) {
          auto *pred = dynamic_cast<atn::PrecedencePredicateTransition *>(state->transitions[0]);
          if (pred) {
            for (ssize_t token : atn.nextTokens(pred->target).toList())
              if (token >= 0 && static_cast<size_t>(token) < loop.precedenceByToken.size())
                loop.precedenceByToken[token] = std::max(loop.precedenceByToken[token], pred->precedence);
            break;
          }
          state = state->transitions[0]->isEpsilon() ? state->transitions[0]->target : nullptr;
        }
      }
    }
    return loops;
  }

  GreedyOperatorSimulator(Parser *parser, StapTokenStream *stream, const atn::ATN &atn,
                          std::vector<dfa::DFA> &dfas, atn::PredictionContextCache &cache,
                          const std::vector<Loop> &loops)
      : ParserATNSimulator(parser, atn, dfas, cache), parser_(parser), stream_(stream), loops_(loops),
        tokenTypes_(atn.maxTokenType + 1), firstSteps_(atn.getNumberOfDecisions() * tokenTypes_) {}

  size_t adaptivePredict(TokenStream *input, size_t decision, ParserRuleContext *outerContext) override {
    const Loop &loop = loops_[decision];
    if (!loop.isLoop) {
      size_t alternative = predictFromDfa(input, decision, outerContext);
      if (alternative == 0)
        return ParserATNSimulator::adaptivePredict(input, decision, outerContext);
      if (predictionCheck().enabled)
        checkPrediction(input, decision, outerContext, alternative);
      return alternative;
    }
    size_t next = input == stream_ ? stream_->tokenTypeAhead(1) : input->LA(1);
    if (next < loop.precedenceByToken.size() && loop.precedenceByToken[next] >= 0 &&
        parser_->precpred(outerContext, loop.precedenceByToken[next])) {
      // Each turn of the loop nests the tree built so far one level deeper
      // under the same parent: a hostile "1+1+...+1" is stopped here, as it
      // grows, rather than after it has been parsed whole.
      if (++chainLength_[outerContext->parent] > maxTreeDepth)
        throw StapParser::NestingTooDeep{parser_->getCurrentToken()};
      return 1;
    }
    return 2;
  }

  void reset() { chainLength_.clear(); }

private:
  // The alternative execATN would predict for `decision` from the DFA
  // states already computed, or 0 to leave the decision to ANTLR.
  size_t predictFromDfa(TokenStream *input, size_t decision, ParserRuleContext *outerContext) {
    dfa::DFA &dfa = decisionToDFA[decision];
    if (dfa.isPrecedenceDfa()) // (only the loops, which do not come here)
      return 0;
    dfa::DFAState *state = dfa.s0;
    if (!state)
      return 0;
    bool sll = getPredictionMode() == atn::PredictionMode::SLL;
    // Past EOF, LA stays EOF, as execATN's t does.
    for (ssize_t i = 1; i <= maxLookahead; ++i) {
      size_t token = input == stream_ ? stream_->tokenTypeAhead(i) : input->LA(i);
      if (i == 1 && token < tokenTypes_) {
        // The first step, taken once a parse for each decision and token,
        // then remembered (an edge, once in the DFA, stays).
        dfa::DFAState *&first = firstSteps_[decision * tokenTypes_ + token];
        if (!first)
          first = getExistingTargetState(state, token);
        state = first;
      } else {
        state = getExistingTargetState(state, token);
      }
      if (!state || state == ERROR.get() || (state->requiresFullContext && !sll))
        return 0;
      if (!state->isAcceptState)
        continue;
      if (state->predicates.empty())
        return state->prediction;
      // The least alternative whose predicate holds, as
      // evalSemanticContext(D->predicates, outerContext, true) finds it.
      size_t best = 0;
      for (const dfa::DFAState::PredPrediction *p : state->predicates) {
        size_t alt = static_cast<size_t>(p->alt);
        if ((best == 0 || alt < best) &&
            (p->pred == atn::SemanticContext::NONE || evalSemanticContext(p->pred, outerContext, alt, false)))
          best = alt;
      }
      return best;
    }
    return 0;
  }

  // ANTLR's own prediction against ours, for predictionCheck().
  void checkPrediction(TokenStream *input, size_t decision, ParserRuleContext *outerContext, size_t ours) {
    PredictionCheck &check = predictionCheck();
    ++check.checked;
    size_t antlrs = 0;
    try {
      antlrs = ParserATNSimulator::adaptivePredict(input, decision, outerContext);
    } catch (RecognitionException &) {
    }
    if (antlrs != ours)
      ++check.mismatches;
  }

  static constexpr ssize_t maxLookahead = 1000;
  Parser *parser_;
  StapTokenStream *stream_; // the parser's
  const std::vector<Loop> &loops_;
  size_t tokenTypes_;                         // 0 .. the highest token type
  std::vector<dfa::DFAState *> firstSteps_;   // by decision and token: s0's edge
  ChainLengths chainLength_; // by the chain's parent context
};

// The parse tree's terminal nodes, made in blocks rather than one allocation
// each (and destroyed with the pool, which must outlive the parser: the
// parser's contexts point to them, though never delete them).
class TerminalPool {
public:
  TerminalPool() = default;
  TerminalPool(const TerminalPool &) = delete;
  TerminalPool &operator=(const TerminalPool &) = delete;
  ~TerminalPool() {
    for (size_t b = 0; b < blocks_.size(); ++b)
      for (size_t i = 0, n = b + 1 < blocks_.size() ? perBlock : used_; i < n; ++i)
        std::launder(reinterpret_cast<tree::TerminalNodeImpl *>(&blocks_[b][i]))->~TerminalNodeImpl();
  }
  tree::TerminalNodeImpl *make(Token *token) {
    if (used_ == perBlock) {
      blocks_.emplace_back(new Slot[perBlock]);
      used_ = 0;
    }
    return new (&blocks_.back()[used_++]) tree::TerminalNodeImpl(token);
  }

private:
  struct alignas(tree::TerminalNodeImpl) Slot {
    unsigned char bytes[sizeof(tree::TerminalNodeImpl)];
  };
  static constexpr size_t perBlock = 1024;
  std::vector<std::unique_ptr<Slot[]>> blocks_;
  size_t used_ = perBlock; // in the last block
};

// The generated parser, telling `onTopLevel` of each top-level declaration
// as soon as it is parsed (when the next one begins, or at finish()): its
// subtree is then still in the processor's caches, which a walk over the
// whole tree after the parse misses node after node.
//
// It also allocates less than ANTLR's Parser, in ways that change nothing
// else: terminal nodes come from a TerminalPool (consume() is Parser::consume
// with that one difference), and each context's list of children is given
// room for four when the context is entered, not grown from one by doubling.
class StreamingParser final : public StapParser {
public:
  StreamingParser(TokenStream *input, TerminalPool &terminals) : StapParser(input), terminals_(terminals) {}
  std::function<void(TopLevelContext *)> onTopLevel;

  Token *consume() override {
    if (!_buildParseTrees || !_parseListeners.empty() || _errHandler->inErrorRecoveryMode(this))
      return StapParser::consume(); // error nodes and listeners as ANTLR has them
    Token *token = getCurrentToken();
    if (token->getType() != Token::EOF)
      getInputStream()->consume();
    _ctx->addChild(terminals_.make(token));
    return token;
  }

  void enterOuterAlt(ParserRuleContext *localctx, size_t altNum) override {
    // (The first context of a left-recursive rule is replaced by another
    // before it has children.)
    if (_buildParseTrees && localctx->children.capacity() == 0 && localctx->getRuleIndex() != RuleExpression)
      localctx->children.reserve(4);
    StapParser::enterOuterAlt(localctx, altNum);
  }

  void pushNewRecursionContext(ParserRuleContext *localctx, size_t state, size_t ruleIndex) override {
    if (_buildParseTrees && localctx->children.capacity() == 0)
      localctx->children.reserve(4); // expression op expression, or the like
    StapParser::pushNewRecursionContext(localctx, state, ruleIndex);
  }

  void enterRule(ParserRuleContext *localctx, size_t state, size_t ruleIndex) override {
    if (ruleIndex == RuleTopLevel && onTopLevel)
      finish();
    StapParser::enterRule(localctx, state, ruleIndex);
    if (ruleIndex == RuleTopLevel && onTopLevel)
      pending_ = static_cast<TopLevelContext *>(localctx);
  }
  // Hands over the last declaration parsed, if it has not been.
  void finish() {
    if (auto *done = std::exchange(pending_, nullptr))
      onTopLevel(done);
  }
  void stopStreaming() {
    pending_ = nullptr;
    onTopLevel = nullptr;
  }

private:
  TerminalPool &terminals_;
  TopLevelContext *pending_ = nullptr;
};

// The DFA cache the simulator fills, shared by every parse in the process,
// and what it knows of the grammar's loops.
struct SharedPrediction {
  std::vector<dfa::DFA> dfas;
  atn::PredictionContextCache cache;
  std::vector<GreedyOperatorSimulator::Loop> loops;
  explicit SharedPrediction(const atn::ATN &atn) : loops(GreedyOperatorSimulator::findLoops(atn)) {
    for (size_t i = 0; i < atn.getNumberOfDecisions(); ++i)
      dfas.emplace_back(atn.getDecisionState(i), i);
  }
};

SourceLoc locOf(Token *token) {
  return {static_cast<uint32_t>(token->getLine()), static_cast<uint32_t>(token->getCharPositionInLine() + 1)};
}

} // namespace

PredictionCheck &predictionCheck() {
  static PredictionCheck check;
  return check;
}

namespace {

// What parseScript and parseMacroFile refuse before lexing.
bool refuseText(const SourceFile &file, Diagnostics &diags) {
  const std::string &text = file.text();
  if (text.size() > maxScriptBytes) {
    diags.error(&file, {}, fmt::format("the script is {} bytes; mstap reads scripts of up to {} bytes",
                                       text.size(), maxScriptBytes));
    return true;
  }
  size_t badByte = 0;
  if (findInvalidUtf8(text, badByte)) {
    diags.error(&file, locationOfOffset(text, badByte),
                fmt::format("the script is not UTF-8 text: byte 0x{:02x} here cannot start a character",
                            static_cast<unsigned char>(text[badByte])));
    return true;
  }
  return false;
}

ConditionContext conditionsFor(const ParseOptions &options) {
  ConditionContext conditions = options.conditions ? *options.conditions : ConditionContext{};
  if (conditions.kernelRelease.empty()) {
    struct utsname names;
    if (uname(&names) == 0)
      conditions.kernelRelease = names.release;
  }
  conditions.guru = options.guru;
  conditions.argCount = options.args.size();
  return conditions;
}

} // namespace

bool parseMacroFile(const SourceFile &file, const ParseOptions &options, Diagnostics &diags, MacroTable &library) {
  unsigned errorsBefore = diags.errorCount();
  if (refuseText(file, diags))
    return false;
  ConditionContext conditions = conditionsFor(options);
  Lexer lexer(file, diags);
  Preprocessor preprocessor(lexer, file, diags, conditions, options.libraryMacros);
  for (;;) {
    PreprocessedToken t = preprocessor.next();
    if (t.lexeme.type == endOfFileType)
      break;
    diags.error(&file, {t.lexeme.line, t.lexeme.column + 1},
                fmt::format("a library macro file holds @define and %( %) conditionals only, not {}",
                            describePreprocessedToken(t)));
    break;
  }
  if (diags.errorCount() != errorsBefore)
    return false;
  MacroTable defined = preprocessor.takeMacros();
  bool duplicate = false;
  for (const auto &macro : defined.all()) {
    if (const MacroDefinition *first = library.find(macro->name)) {
      diags.error(macro->file, macro->at,
                  fmt::format("macro '@{}' is already defined by the library", macro->name),
                  {{Severity::Note, first->file, first->at, "its first definition is here"}});
      duplicate = true;
    }
  }
  if (duplicate)
    return false;
  for (const auto &macro : defined.all()) {
    MacroDefinition copy = *macro;
    copy.library = true;
    library.add(std::move(copy));
  }
  return true;
}

std::unique_ptr<ast::Script> parseScript(const SourceFile &file, const ParseOptions &options,
                                         Diagnostics &diags) {
  if (refuseText(file, diags))
    return nullptr;

  // The hand-written lexer makes the tokens StapLexer would (parse/lexer.h),
  // and reports characters that start no token; the preprocessor expands
  // macros and resolves conditionals.
  ConditionContext conditions = conditionsFor(options);
  StapTokenSource lexer(file, diags, &conditions, options.libraryMacros);
  StapTokenStream tokens(&lexer, file);
  tokens.fill();
  if (options.definedMacros)
    for (const auto &macro : lexer.preprocessor()->macros().all())
      options.definedMacros->add(*macro);
  if ((lexer.unterminatedTokens() > 0 && reportUnterminated(file, tokens, diags)) || diags.hasErrors())
    return nullptr;

  // SLL first: it is much faster and right for nearly every script. Only a
  // failure under SLL is tried again with full LL and real error reporting.
  TerminalPool terminals; // (outlives the parser)
  StreamingParser parser(&tokens, terminals);
  static SharedPrediction shared(parser.getATN());
  // setInterpreter deletes the generated simulator; the parser deletes ours.
  auto *simulator =
      new GreedyOperatorSimulator(&parser, &tokens, parser.getATN(), shared.dfas, shared.cache, shared.loops);
  parser.setInterpreter(simulator);
  parser.removeErrorListeners();

  // Under SLL, each top-level declaration is checked for depth and turned
  // into the AST as soon as it is parsed. The transformer holds back its
  // errors until flush(): as when it ran after the whole parse, they count
  // only if the parse succeeds and the tree is not too deep.
  Transformer transformer(file, options, diags);
  auto script = transformer.startScript();
  bool streamed = true, tooDeep = false;
  std::vector<std::pair<tree::ParseTree *, unsigned>> depthStack;
  parser.onTopLevel = [&](StapParser::TopLevelContext *top) {
    if (tooDeep)
      return;
    if (subtreeTooDeep(top, 2, depthStack)) // the script's root is 1
      tooDeep = true;
    else
      transformer.transformTopLevel(top, *script);
  };

  StapParser::ScriptContext *tree = nullptr;
  try {
    parser.getInterpreter<atn::ParserATNSimulator>()->setPredictionMode(atn::PredictionMode::SLL);
    parser.setErrorHandler(std::make_shared<BailErrorStrategy>());
    try {
      tree = parser.script();
      parser.finish();
    } catch (ParseCancellationException &) {
      parser.stopStreaming();
      streamed = false;
      transformer.discard();
      script = transformer.startScript();
      tooDeep = false;
      tokens.seek(0);
      parser.reset();
      parser.nesting = 0;
      simulator->reset();
      parser.getInterpreter<atn::ParserATNSimulator>()->setPredictionMode(atn::PredictionMode::LL);
      parser.setErrorHandler(std::make_shared<SyntaxErrorStrategy>(file, diags, &lexer));
      tree = parser.script();
    }
  } catch (StapParser::NestingTooDeep &e) {
    diags.error(&file, locOf(e.at),
                fmt::format("the script nests too deeply here: at most {} levels of statements and "
                            "expressions, and {} of syntax tree",
                            StapParser::maxNesting, maxTreeDepth));
    return nullptr;
  }
  if (diags.hasErrors())
    return nullptr;

  // After SLL, the walk over the whole tree is needed only to name the place.
  Token *deepest = nullptr;
  if (streamed ? tooDeep : treeTooDeep(tree, deepest)) {
    if (!deepest && !treeTooDeep(tree, deepest))
      deepest = tree->getStart(); // (cannot be: the same walk found the subtree too deep)
    diags.error(&file, locOf(deepest),
                fmt::format("the script nests too deeply here: its syntax tree is more than {} levels deep",
                            maxTreeDepth));
    return nullptr;
  }

  if (!streamed)
    transformer.transformScript(tree, *script);
  transformer.flush();
  if (diags.hasErrors())
    return nullptr;
  return script;
}

} // namespace mstap
