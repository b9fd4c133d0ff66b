#!/usr/bin/env python3
"""Random scripts for pass 3: well-typed SystemTap scripts drawn from a seed,
mixing the language's statements, operators, built-ins, arrays, statistics
and extreme literals, so that what pass 2 accepts can be shown to build.

  random_scripts.py SEED          prints one script
  random_scripts.py SEED COUNT DIR  writes DIR/rSEED.stp ... for COUNT seeds

The same seed always gives the same script (random.Random(seed)).
"""
import os
import random
import sys

LONG_GLOBALS = ["g0", "g1", "g2"]
STRING_GLOBALS = ["gs"]
EXTREMES = ["0", "1", "-1", "9223372036854775807", "-9223372036854775808", "4294967296", "0x7f", "0777"]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.functions = []  # (name, returns "long"/"string", params)
        self.locals_long = []
        self.locals_string = []
        self.in_loop = 0
        self.in_function = None
        self.foreach_arrays = []

    def pick(self, xs):
        return self.r.choice(xs)

    # -------------------------------------------------------- expressions

    def long(self, d=0):
        r = self.r.random()
        if d > 3 or r < 0.25:
            return self.pick(EXTREMES + ["%d" % self.r.randint(-1000, 1000)] * 3)
        if r < 0.40:
            return self.pick(LONG_GLOBALS + self.locals_long)
        choice = self.r.randint(0, 17)
        if choice == 0:
            return "(%s %s %s)" % (self.long(d + 1), self.pick(["+", "-", "*", "&", "|", "^", "<<", ">>"]),
                                   self.long(d + 1))
        if choice == 1:
            return "(%s %s %s)" % (self.long(d + 1), self.pick(["/", "%"]), self.long(d + 1))
        if choice == 2:
            return "(%s %s %s)" % (self.long(d + 1), self.pick(["<", "<=", ">", ">=", "==", "!="]), self.long(d + 1))
        if choice == 3:
            return "(%s %s %s)" % (self.string(d + 1), self.pick(["<", "==", "!=", ">="]), self.string(d + 1))
        if choice == 4:
            return "(%s %s %s)" % (self.long(d + 1), self.pick(["&&", "||"]), self.long(d + 1))
        if choice == 5:
            return "%s(%s)" % (self.pick(["-", "!", "~", "+"]), self.long(d + 1))
        if choice == 6:
            return "(%s ? %s : %s)" % (self.long(d + 1), self.long(d + 1), self.long(d + 1))
        if choice == 7:
            return "strlen(%s)" % self.string(d + 1)
        if choice == 8:
            return "a[%s]" % self.long(d + 1)
        if choice == 9:
            return "(%s in a)" % self.long(d + 1)
        if choice == 10:
            return "@%s(st)" % self.pick(["count", "sum"])
        if choice == 11:
            return "m[%s, %s]" % (self.string(d + 1), self.long(d + 1))
        if choice == 12:
            fs = [f for f in self.functions if f[1] == "long"]
            if fs:
                name, _, params = self.pick(fs)
                return "%s(%s)" % (name, ", ".join(self.long(d + 1) if p == "long" else self.string(d + 1)
                                                    for p in params))
            return "pid()"
        if choice == 13:
            return self.pick(["pid()", "tid()", "cpu()", "uid()", "gettimeofday_ns()", "jiffies()"])
        if choice == 14:
            return "%s(%s, %s)" % (self.pick(["min", "max"]), self.long(d + 1), self.long(d + 1))
        if choice == 15:
            return "isinstr(%s, %s)" % (self.string(d + 1), self.string(d + 1))
        if choice == 16:
            return "strtol(%s, %s)" % (self.string(d + 1), self.pick(["10", "16", "8"]))
        target = self.pick(LONG_GLOBALS + self.locals_long)
        return "(%s %s %s)" % (target, self.pick(["=", "+=", "-=", "*=", "|=", "<<="]), self.long(d + 1))

    def string(self, d=0):
        r = self.r.random()
        if d > 3 or r < 0.3:
            return self.pick(['"x"', '""', '"a\\tb\\n"', '"%d %s"', '"\\"q\\""', '"\\\\"'])
        if r < 0.45:
            return self.pick(STRING_GLOBALS + self.locals_string)
        choice = self.r.randint(0, 6)
        if choice == 0:
            return "(%s . %s)" % (self.string(d + 1), self.string(d + 1))
        if choice == 1:
            return 'sprintf("%%d-%%s-%%x", %s, %s, %s)' % (self.long(d + 1), self.string(d + 1), self.long(d + 1))
        if choice == 2:
            return "substr(%s, %s, %s)" % (self.string(d + 1), self.long(d + 1), self.long(d + 1))
        if choice == 3:
            return "(%s ? %s : %s)" % (self.long(d + 1), self.string(d + 1), self.string(d + 1))
        if choice == 4:
            fs = [f for f in self.functions if f[1] == "string"]
            if fs:
                name, _, params = self.pick(fs)
                return "%s(%s)" % (name, ", ".join(self.long(d + 1) if p == "long" else self.string(d + 1)
                                                    for p in params))
            return "execname()"
        if choice == 5:
            return "sprint(%s)" % self.long(d + 1)
        return "n[%s]" % self.long(d + 1)

    # --------------------------------------------------------- statements

    def stmt(self, d=0):
        choice = self.r.randint(0, 16 if d < 2 else 9)
        if choice == 0:
            return "%s = %s" % (self.pick(LONG_GLOBALS + self.locals_long), self.long())
        if choice == 1:
            return "%s = %s" % (self.pick(STRING_GLOBALS + self.locals_string), self.string())
        if choice == 2:
            return "a[%s] %s %s" % (self.long(), self.pick(["=", "+=", "%="]), self.long())
        if choice == 3:
            return "m[%s, %s]++" % (self.string(), self.long())
        if choice == 4:
            return "st <<< %s; sa[%s] <<< %s" % (self.long(), self.string(), self.long())
        if choice == 5:
            return 'printf("%%d %%s %%5.3s|%%-4d|%%x\\n", %s, %s, %s, %s, %s)' % (
                self.long(), self.string(), self.string(), self.long(), self.long())
        if choice == 6:
            return "println(%s, %s)" % (self.long(), self.string())
        if choice == 7:
            return "n[%s] = %s; n[%s] .= %s" % (self.long(), self.string(), self.long(), self.string())
        if choice == 8:
            return "delete a[%s]" % self.long()
        if choice == 9:
            return "if (@count(st) > 0) print(@hist_log(st))"
        if choice == 10:
            return "if (%s) { %s } else { %s }" % (self.long(), self.stmt(d + 1), self.stmt(d + 1))
        if choice == 11:
            self.in_loop += 1
            body = "%s; %s" % (self.stmt(d + 1), self.pick(["break", "continue", "i++"]))
            self.in_loop -= 1
            return "for (i = 0; i < 3; i++) { %s }" % body
        if choice == 12:
            # The body leaves the iterated array alone (pass 2 refuses that).
            order = self.pick(["", "+", "-"])
            return "foreach ([k] in a%s limit 5) { x = k + a[k]; printf(\"%%d %%s\\n\", x, gs) }" % order
        if choice == 13:
            return "foreach ([ks, kl] in m-) { x += kl; println(ks, kl, \" \", x) }"
        if choice == 14:
            return "foreach ([kk] in sa) { printf(\"%s %d %d\\n\", kk, @count(sa[kk]), @max(sa[kk])) }"
        if choice == 15:
            return "try { %s; error(%s) } catch (msg) { println(msg) }" % (self.stmt(d + 1), self.string())
        return "delete m; delete st"

    def block(self, n):
        return "\n".join("  " + self.stmt() for _ in range(n))

    def script(self):
        out = ["global g0 = %s, g1, g2 = %s" % (self.pick(EXTREMES), self.pick(EXTREMES)),
               'global gs = "start"',
               "global a[%d], m, n, st, sa" % self.r.randint(1, 4096)]
        for i in range(self.r.randint(0, 3)):
            ret = self.pick(["long", "string"])
            params = [self.pick(["long", "string"]) for _ in range(self.r.randint(0, 3))]
            name = "f%d" % i
            self.locals_long = [("p%d" % j) for j, p in enumerate(params) if p == "long"] + ["i", "x", "k"]
            self.locals_string = [("p%d" % j) for j, p in enumerate(params) if p == "string"]
            decl = ", ".join("p%d:%s" % (j, p) for j, p in enumerate(params))
            body = ["  i = 0; x = 0; k = 0", self.block(self.r.randint(1, 4)),
                    "  return %s" % (self.long() if ret == "long" else self.string())]
            out.append("function %s:%s(%s) {\n%s\n}" % (name, ret, decl, "\n".join(body)))
            self.functions.append((name, ret, params))
        for point in ["begin", "timer.ms(%d)" % self.r.randint(100, 5000), "end"]:
            self.locals_long = ["i", "x", "k", "l0"]
            self.locals_string = ["ls0"]
            self.locals_long = ["i", "x", "k"]
            self.locals_string = []
            init = "  i = 0; x = 0; k = 0; l0 = %s; ls0 = %s" % (self.long(), self.string())
            self.locals_long.append("l0")
            self.locals_string.append("ls0")
            body = [init, self.block(self.r.randint(1, 6))]
            if point == "begin":
                body.append("  exit()")
            out.append("probe %s {\n%s\n}" % (point, "\n".join(body)))
        return "\n".join(out) + "\n"


def main():
    seed = int(sys.argv[1])
    if len(sys.argv) == 2:
        sys.stdout.write(Gen(seed).script())
        return
    count, folder = int(sys.argv[2]), sys.argv[3]
    for s in range(seed, seed + count):
        with open(os.path.join(folder, "r%d.stp" % s), "w") as f:
            f.write(Gen(s).script())


if __name__ == "__main__":
    main()
