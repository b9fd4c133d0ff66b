// The SystemTap script language, as far as mstap accepts it.
//
// The parse tree this produces is turned into mstap's own AST by
// compiler/parse/transformer.cpp (one transform function per rule); nothing
// after pass 1 sees ANTLR types. Precedence follows stap's recursive-descent
// parser: assignment < ?: < || < && < in < | < ^ < & < comparison < shift
// < additive (+ - .) < multiplicative < unary < postfix.
grammar Stap;

@parser::members {
  // Hostile input ("((((((..." or "- - - - ...") must not overflow the
  // stack: the statement and expression rules count how deep they are, and
  // past maxNesting the parse is abandoned with NestingTooDeep.
  struct NestingTooDeep {
    antlr4::Token *at;
  };
  static constexpr int maxNesting = 400;
  int nesting = 0;
  struct NestingGuard {
    StapParser &parser;
    explicit NestingGuard(StapParser &p) : parser(p) {
      if (++parser.nesting > maxNesting) {
        --parser.nesting;
        throw NestingTooDeep{p.getCurrentToken()};
      }
    }
    ~NestingGuard() { --parser.nesting; }
  };

  // Whether the next token is a '.' that names a member of a target
  // variable (file->f_path.dentry after the dollar) rather than
  // concatenating strings. stap itself has no '.' in target chains (its
  // '->' serves embedded structs too, and "a.b" after a dollar is "a . b"
  // there); mstap reads a '.' as a member only when it touches both the
  // chain before it and a name after it, so a spaced '.' or one before a
  // string literal stays a concatenation.
  bool memberDotAhead() {
    antlr4::Token *before = _input->LT(-1), *dot = _input->LT(1), *name = _input->LT(2);
    auto nameLike = [](const std::string &t) { return !t.empty() && (std::isalpha((unsigned char)t[0]) || t[0] == '_'); };
    return before && dot && name && dot->getText() == "." && nameLike(name->getText()) &&
           before->getStopIndex() + 1 == dot->getStartIndex() && dot->getStopIndex() + 1 == name->getStartIndex();
  }
}

// ---------------------------------------------------------------- top level

script
  : topLevel* EOF
  ;

topLevel
  : globalDecl
  | privateDecl
  | functionDecl
  | aliasDecl
  | probeDecl
  | embeddedCode
  | ';'
  ;

globalDecl
  : 'global' globalVar (',' globalVar)*
  ;

// A private global or function is visible in its own file only; stap takes
// "private x" for "private global x".
privateDecl
  : 'private' (functionDecl | 'global'? globalVar (',' globalVar)*)
  ;

// A '%' makes an array wrap around (stap's "global a%[N]", "global a%"):
// adding to it when full replaces its oldest element.
globalVar
  : Identifier wrap='%'? ('[' size=literal ']')? ('=' init=literal)?
  ;

functionDecl
  : 'function' Identifier typeSuffix? '(' (param (',' param)*)? ')' functionBody
  ;

functionBody
  : block
  | embeddedCode
  ;

typeSuffix
  : ':' Identifier
  ;

param
  : Identifier typeSuffix?
  ;

probeDecl
  : 'probe' probePoint (',' probePoint)* block
  ;

// probe syscall.read = kernel.function("...") { prologue }, or "+=" for an
// epilogue: the names on the left stand for the points on the right.
aliasDecl
  : 'probe' aliasName (',' aliasName)* op=('=' | '+=') probePoint (',' probePoint)* block
  ;

aliasName
  : probeComponent ('.' probeComponent)*
  ;

probePoint
  : probeSegment ('.' probeSegment)* probeMark? ('if' '(' expression ')')?
  ;

// A component, or alternatives in braces that the point is expanded over,
// as stap's brace expansion: kernel.{function("a"),function("b")}.return,
// vfs.{read,write}, {kernel,module("nfs")}.function("f"); an alternative's
// mark is its points' (kernel.{trace("a")!, trace("b")}). A script
// argument ($1, @1) stands for the probe point text it holds.
probeSegment
  : probeComponent
  | '{' (probeAlternative (',' probeAlternative)*)? '}'
  | argRef
  ;

probeAlternative
  : probeSegment ('.' probeSegment)* probeMark?
  ;

probeMark
  : '?'
  | '!'
  ;

probeComponent
  : probeName ('(' literal ')')?
  ;

// A component name may hold wildcards ("sys*", "*"); the transformer checks
// that its pieces touch.
probeName
  : (Identifier | '*' | 'function' | 'return' | 'global' | 'private' | 'probe' | 'next' | 'in' | 'if' | 'else' | 'delete')+
  ;

// The markers of conditional compilation, %( CONDITION %? THEN %: ELSE %):
// the token source resolves them (parse/preprocessor.h), so the parser never
// sees one; this rule only makes them tokens.
preprocessorMarker
  : '%(' | '%?' | '%:' | '%)'
  ;

literal
  : '-'? IntegerLiteral
  | strings
  | '-'? argRef
  ;

// Adjacent string literals are one string, as in C and stap ("a" "b",
// across comments too); an @N or @# is a string literal there (stap pastes
// the argument in as one), so "x" @1 glues. A lone @N stays an argRef.
strings
  : StringLiteral (StringLiteral | AtNumber | AtHash)*
  | (AtNumber | AtHash) (StringLiteral | AtNumber | AtHash)+
  ;

argRef
  : DollarNumber
  | AtNumber
  | DollarHash
  | AtHash
  ;

embeddedCode
  : EmbeddedCode
  ;

// --------------------------------------------------------------- statements

block
  : '{' statement* '}'
  ;

// A simple statement may end in ';' (as in C, "if (x) y = 1; else ..."), or
// not (as in stap, "x = 1 y = 2"); a lone ';' is an empty statement.
statement
@init { NestingGuard nestingGuard(*this); }
  : block                                                            # blockStmt
  | ';'                                                              # emptyStmt
  | 'if' '(' expression ')' statement ('else' statement)?            # ifStmt
  | 'while' '(' expression ')' statement                             # whileStmt
  | 'for' '(' forInit=expression? ';' forCond=expression? ';' forStep=expression? ')' statement # forStmt
  | 'foreach' '(' foreachHead ')' statement                          # foreachStmt
  | 'break' ';'?                                                     # breakStmt
  | 'continue' ';'?                                                  # continueStmt
  | 'next' ';'?                                                      # nextStmt
  | 'return' expression? ';'?                                        # returnStmt
  | 'delete' expression ';'?                                         # deleteStmt
  | 'try' body=block 'catch' ('(' Identifier ')')? handler=block     # tryStmt
  | expression ';'?                                                  # exprStmt
  ;

// A mark on the value ("v- = k") or after the array sorts by value; for an
// array of statistics an extractor before that mark says by which
// (foreach (k in s @sum-)).
foreachHead
  : (valueVar=Identifier valueMark=sortMark? '=')? foreachKeys 'in' array=Identifier aggregate=AtName? arrayMark=sortMark?
    ('limit' limit=expression)?
  ;

foreachKeys
  : foreachKey
  | '[' foreachKey (',' foreachKey)* ']'
  ;

foreachKey
  : Identifier sortMark?
  ;

sortMark
  : '+'
  | '-'
  ;

// -------------------------------------------------------------- expressions

expression
@init { NestingGuard nestingGuard(*this); }
  : primary                                                          # primaryExpr
  | expression op=('++' | '--')                                      # postfixExpr
  | op=('++' | '--' | '!' | '~' | '-' | '+' | '&') expression        # unaryExpr
  | expression op=('*' | '/' | '%') expression                       # binaryExpr
  | expression op=('+' | '-' | '.') expression                       # binaryExpr
  | expression op=('<<' | '>>' | '>>>') expression                   # binaryExpr
  | expression op=('==' | '!=' | '<' | '<=' | '>' | '>=') expression # binaryExpr
  | expression op='&' expression                                     # binaryExpr
  | expression op='^' expression                                     # binaryExpr
  | expression op='|' expression                                     # binaryExpr
  | expression 'in' Identifier                                       # inExpr
  | expression op='&&' expression                                    # binaryExpr
  | expression op='||' expression                                    # binaryExpr
  | <assoc=right> expression '?' expression ':' expression           # ternaryExpr
  | <assoc=right> expression op=('=' | '+=' | '-=' | '*=' | '/=' | '%=' | '<<=' | '>>=' | '&=' | '^=' | '|=' | '.=' | '<<<') expression # assignExpr
  ;

primary
  : IntegerLiteral                                                   # intLiteral
  | strings                                                          # stringLiteral
  | argRef                                                           # argRefExpr
  | '(' expression ')'                                               # parenExpr
  | Identifier '(' (expression (',' expression)*)? ')'               # callExpr
  | Identifier '[' expression (',' expression)* ']'                  # indexExpr
  | Identifier                                                       # symbolExpr
  | TargetName targetSuffix*                                         # targetExpr
  | AtName '(' (expression (',' expression)*)? ')' targetSuffix*     # atExpr
  | '[' expression (',' expression)* ']' 'in' Identifier             # multiInExpr
  | embeddedCode                                                     # embeddedExpr
  ;

// A member of a struct through a pointer ('->', which stap also takes for an
// embedded struct), of an embedded struct ('.', see memberDotAhead), or an
// element of an array or of what a pointer points to.
// A member may be named like a keyword ($skb->next, $req->limit), as in C.
targetSuffix
  : '->' (Identifier | keywordName)
  | {memberDotAhead()}? '.' (Identifier | keywordName)
  | '[' expression ']'
  ;

keywordName
  : 'break' | 'catch' | 'continue' | 'delete' | 'else' | 'for' | 'foreach' | 'function' | 'global' | 'if'
  | 'in' | 'limit' | 'next' | 'private' | 'probe' | 'return' | 'try' | 'while'
  ;

// ------------------------------------------------------------------- tokens

EmbeddedCode
  : '%{' .*? '%}'
  ;

// Matches only where no closing "%}" follows (the rule above is then longer).
UnterminatedEmbeddedCode
  : '%{' (~'%' | '%'+ ~[%}])* '%'*
  ;

IntegerLiteral
  : [0-9] [0-9a-zA-Z_]*   // junk such as "12ab" is one token, rejected with its text
  ;

StringLiteral
  : '"' ('\\' . | ~["\\\r\n])* '"'
  ;

UnterminatedString
  : '"' ('\\' . | ~["\\\r\n])*
  ;

Identifier
  : [a-zA-Z_] [a-zA-Z0-9_]*
  ;

TargetName
  : '$' '$'? [a-zA-Z_] [a-zA-Z0-9_]* ('$' '$'?)?
  ;

DollarNumber : '$' [0-9]+ ;
AtNumber     : '@' [0-9]+ ;
DollarHash   : '$#' ;
AtHash       : '@#' ;

AtName
  : '@' [a-zA-Z_] [a-zA-Z0-9_]*
  ;

BlockComment
  : '/*' .*? '*/' -> skip
  ;

UnterminatedComment
  : '/*' (~'*' | '*'+ ~[*/])* '*'*
  ;

LineComment
  : ('#' | '//') ~[\r\n]* -> skip
  ;

Whitespace
  : [ \t\r\n\f\u000B]+ -> skip
  ;
