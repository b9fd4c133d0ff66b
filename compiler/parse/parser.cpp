#include "parse/parser.h"

#include "parse/syntax_errors.h"
#include "parse/transformer.h"

#include "StapLexer.h"
#include "StapParser.h"

#include <fmt/format.h>

#include <map>
#include <unordered_map>

using namespace antlr4;
using mstap_grammar::StapLexer;
using mstap_grammar::StapParser;

namespace mstap {
namespace {

// Lexer errors: a character that starts no token.
class LexerErrorListener : public BaseErrorListener {
public:
  LexerErrorListener(const SourceFile &file, Diagnostics &diags) : file_(file), diags_(diags) {}

  void syntaxError(Recognizer *, Token *, size_t line, size_t column, const std::string &,
                   std::exception_ptr) override {
    SourceLoc loc{static_cast<uint32_t>(line), static_cast<uint32_t>(column + 1)};
    diags_.error(&file_, loc, "invalid character " + describeCharAt(loc));
  }

private:
  // The code point at `loc`, quoted when printable, else as U+XXXX.
  std::string describeCharAt(SourceLoc loc) const {
    std::string_view line = file_.line(loc.line);
    uint32_t column = 1;
    for (size_t i = 0; i < line.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(line[i]);
      if ((c & 0xC0) == 0x80)
        continue;
      if (column++ != loc.column)
        continue;
      size_t length = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      if (c < 0x20 || c == 0x7f)
        return fmt::format("U+{:04X}", c);
      return "'" + std::string(line.substr(i, length)) + "'";
    }
    return "";
  }
  const SourceFile &file_;
  Diagnostics &diags_;
};

// Errors the lexer can name better than the parser: an unclosed string,
// comment or embedded-C block.
bool reportUnterminated(const SourceFile &file, CommonTokenStream &tokens, Diagnostics &diags) {
  bool found = false;
  for (Token *token : tokens.getTokens()) {
    const char *what = nullptr;
    switch (token->getType()) {
    case StapLexer::UnterminatedString: what = "unterminated string: a '\"' is missing on this line"; break;
    case StapLexer::UnterminatedComment: what = "unterminated comment: '*/' is missing"; break;
    case StapLexer::UnterminatedEmbeddedCode: what = "unterminated embedded C code: '%}' is missing"; break;
    default: continue;
    }
    diags.error(&file, {static_cast<uint32_t>(token->getLine()),
                        static_cast<uint32_t>(token->getCharPositionInLine() + 1)},
                what);
    found = true;
  }
  return found;
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
// simulator, for the loop decision of each left-recursive rule. Other
// decisions go to ANTLR's prediction as usual.
class GreedyOperatorSimulator : public atn::ParserATNSimulator {
public:
  GreedyOperatorSimulator(Parser *parser, const atn::ATN &atn, std::vector<dfa::DFA> &dfas,
                          atn::PredictionContextCache &cache)
      : ParserATNSimulator(parser, atn, dfas, cache), parser_(parser) {
    for (size_t decision = 0; decision < atn.getNumberOfDecisions(); ++decision) {
      auto *entry = dynamic_cast<atn::StarLoopEntryState *>(atn.getDecisionState(decision));
      if (!entry || !entry->isPrecedenceDecision)
        continue;
      // transitions[0] enters the loop (alternative 1), [1] leaves it (2).
      atn::ATNState *block = entry->transitions[0]->target;
      std::vector<LoopAlternative> alternatives;
      for (const atn::Transition *t : block->transitions) {
        atn::ATNState *state = t->target;
        // Each alternative starts, after epsilons, with its precedence predicate.
        while (state && !state->transitions.empty()) {
          auto *pred = dynamic_cast<atn::PrecedencePredicateTransition *>(state->transitions[0]);
          if (pred) {
            alternatives.push_back({pred->precedence, atn.nextTokens(pred->target)});
            break;
          }
          state = state->transitions[0]->isEpsilon() ? state->transitions[0]->target : nullptr;
        }
      }
      loops_[decision] = std::move(alternatives);
    }
  }

  size_t adaptivePredict(TokenStream *input, size_t decision, ParserRuleContext *outerContext) override {
    auto it = loops_.find(decision);
    if (it == loops_.end())
      return ParserATNSimulator::adaptivePredict(input, decision, outerContext);
    size_t next = input->LA(1);
    for (const LoopAlternative &alternative : it->second)
      if (alternative.firstTokens.contains(next) && parser_->precpred(outerContext, alternative.precedence)) {
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
  struct LoopAlternative {
    int precedence;
    misc::IntervalSet firstTokens;
  };
  Parser *parser_;
  std::map<size_t, std::vector<LoopAlternative>> loops_;
  std::unordered_map<antlr4::tree::ParseTree *, unsigned> chainLength_; // by the chain's parent context
};

// The DFA cache the simulator fills, shared by every parse in the process.
struct SharedPrediction {
  std::vector<dfa::DFA> dfas;
  atn::PredictionContextCache cache;
  explicit SharedPrediction(const atn::ATN &atn) {
    for (size_t i = 0; i < atn.getNumberOfDecisions(); ++i)
      dfas.emplace_back(atn.getDecisionState(i), i);
  }
};

SourceLoc locOf(Token *token) {
  return {static_cast<uint32_t>(token->getLine()), static_cast<uint32_t>(token->getCharPositionInLine() + 1)};
}

} // namespace

std::unique_ptr<ast::Script> parseScript(const SourceFile &file, const ParseOptions &options,
                                         Diagnostics &diags) {
  const std::string &text = file.text();
  if (text.size() > maxScriptBytes) {
    diags.error(&file, {}, fmt::format("the script is {} bytes; mstap reads scripts of up to {} bytes",
                                       text.size(), maxScriptBytes));
    return nullptr;
  }
  size_t badByte = 0;
  if (findInvalidUtf8(text, badByte)) {
    diags.error(&file, locationOfOffset(text, badByte),
                fmt::format("the script is not UTF-8 text: byte 0x{:02x} here cannot start a character",
                            static_cast<unsigned char>(text[badByte])));
    return nullptr;
  }

  ANTLRInputStream input(text);
  input.name = file.name();
  StapLexer lexer(&input);
  LexerErrorListener lexerErrors(file, diags);
  lexer.removeErrorListeners();
  lexer.addErrorListener(&lexerErrors);
  CommonTokenStream tokens(&lexer);
  tokens.fill();
  if (reportUnterminated(file, tokens, diags) || diags.hasErrors())
    return nullptr;

  // SLL first: it is much faster and right for nearly every script. Only a
  // failure under SLL is tried again with full LL and real error reporting.
  StapParser parser(&tokens);
  static SharedPrediction shared(parser.getATN());
  // setInterpreter deletes the generated simulator; the parser deletes ours.
  auto *simulator = new GreedyOperatorSimulator(&parser, parser.getATN(), shared.dfas, shared.cache);
  parser.setInterpreter(simulator);
  parser.removeErrorListeners();
  StapParser::ScriptContext *tree = nullptr;
  try {
    parser.getInterpreter<atn::ParserATNSimulator>()->setPredictionMode(atn::PredictionMode::SLL);
    parser.setErrorHandler(std::make_shared<BailErrorStrategy>());
    try {
      tree = parser.script();
    } catch (ParseCancellationException &) {
      tokens.seek(0);
      parser.reset();
      parser.nesting = 0;
      simulator->reset();
      parser.getInterpreter<atn::ParserATNSimulator>()->setPredictionMode(atn::PredictionMode::LL);
      parser.setErrorHandler(std::make_shared<SyntaxErrorStrategy>(file, diags));
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

  Token *deepest = nullptr;
  if (treeTooDeep(tree, deepest)) {
    diags.error(&file, locOf(deepest),
                fmt::format("the script nests too deeply here: its syntax tree is more than {} levels deep",
                            maxTreeDepth));
    return nullptr;
  }

  Transformer transformer(file, options, diags);
  auto script = transformer.transformScript(tree);
  if (diags.hasErrors())
    return nullptr;
  return script;
}

} // namespace mstap
