// SPDX-License-Identifier: GPL-2.0
/*
 * A module written by hand the way pass 3 generates one (runtime/MODULE.md),
 * for this script (mstap_rt_test.stp; line numbers as in the locations):
 *
 *   1  global clones, returns, forks, ticks, profiles, profile_regs
 *   2  function fact(n) { if (n <= 1) return 1; return n * fact(n - 1) }
 *   3  function deep(n) { return deep(n + 1) }
 *   4  probe begin(-1) { printf("begin: first, %s\n", kernel_string(TEXT))
 *   5                    if (target() == 2) kernel_long(0) }
 *   6  probe begin { printf("begin: fact(5)=%d target=%d\n", fact(5), target())
 *   7                log("begin: log line"); if (target() == 0) deep(0) }
 *   8  probe begin(1) { if (target() == 0) while (1) {}
 *   8a                  if (target() == 3) for (i = 0; i < 300; i++) printf("%-4000d\n", i)
 *   8b                  if (target() == 2) { printf("pp=%s\n", pp()); warn("begin warns"); user_string(0) } }
 *   9  probe kernel.function("kernel_clone") { clones++ }
 *  10  probe kernel.function("kernel_clone").return { returns++ }
 *  11  probe kernel.trace("sched_process_fork") { f = ++forks
 *  12      if (f == 3 || (target() == 1 && f >= 3)) x = 1 / (f - f)
 *  13      if (target() == 0 && f == 6) { printf("fork %d by %s: exit\n", f, execname()); exit() } }
 *  14  probe timer.ms(10).randomize(2) { ticks++ }
 *  15  probe timer.profile { profiles++; if (registers) profile_regs++ }
 *  16  probe kernel.function("mstap_no_such_function")? { }
 *  17  probe error { println("error probe ran") }
 *  18  probe end { printf("end: clones=%d returns=%d forks=%d ticks=%d profiles=%d regs=%d\n", ...)
 *  19              for (i = 0; i < 300; i++) printf("line %03d of the end probe ......................\n", i) }
 *  20  (pass 3's dump of the globals, an end probe of priority S64_MAX: "dump last")
 *
 * Built with -DMAXERRORS=3 (stap's name). target() picks a scenario:
 *   0  two errors in begin (MAXNESTING, MAXACTION), division by 0 at the
 *      third fork (3 errors: not past 3), exit() at the sixth;
 *   1  division by 0 from the third fork on: the fourth error stops the run;
 *   2  kernel_long(0) and user_string(0) fault in begin, division by 0 at
 *      the third fork (3 errors), and the run goes on until the runner
 *      writes stop;
 *   3  as 2 without the fault, and begin prints 1.2 MB before anyone reads:
 *      more than the 1 MiB ring holds, so whole records are dropped and
 *      counted (overruns, "output bytes lost").
 */
#include "mstap_module.h"

struct mstap_globals {
	s64 clones, returns, forks, ticks, profiles, profile_regs;
};
static struct mstap_globals mstap_g;
static const char kernel_text[] = "kernel text";

enum { G_CLONES, G_RETURNS, G_FORKS, G_TICKS, G_PROFILES, G_PROFILE_REGS, G_COUNT };

struct fact_locals {
	s64 n;
};

static s64 function_fact(struct mstap_context *c, s64 n)
{
	struct fact_locals *l = mstap_frame_push(c, sizeof(*l));
	s64 result = 0, next;

	if (!l) {
		mstap_locate(c, "mstap_rt_test.stp:6:47");
		return 0;
	}
	l->n = n;
	if (!mstap_actions(c, 1))
		goto out;
	if (l->n <= 1) {
		result = 1;
		goto out;
	}
	if (!mstap_actions(c, 1))
		goto out;
	next = function_fact(c, l->n - 1);
	if (c->error.message) {
		mstap_locate(c, "mstap_rt_test.stp:2:54");
		goto out;
	}
	result = l->n * next;
out:
	mstap_frame_pop(c, sizeof(*l));
	return result;
}

struct deep_locals {
	s64 n;
};

static s64 function_deep(struct mstap_context *c, s64 n)
{
	struct deep_locals *l = mstap_frame_push(c, sizeof(*l));
	s64 result = 0;

	if (!l)
		return 0;
	l->n = n;
	if (!mstap_actions(c, 1))
		goto out;
	result = function_deep(c, l->n + 1);
	if (c->error.message) {
		mstap_locate(c, "mstap_rt_test.stp:3:28");
		goto out;
	}
out:
	mstap_frame_pop(c, sizeof(*l));
	return result;
}

static void probe_0_begin(struct mstap_context *c)
{
	char text[MSTAP_MAXSTRINGLEN];
	struct mstap_arg args[1];

	if (!mstap_actions(c, 1))
		goto out;
	mstap_fn_kernel_string(c, text, (s64)(uintptr_t)kernel_text);
	if (c->error.message) {
		mstap_locate(c, "mstap_rt_test.stp:4:43");
		goto out;
	}
	args[0] = mstap_arg_string(text);
	mstap_format(&c->out, "begin: first, %s\n", args, 1, &c->error);
	if (c->error.message)
		goto out;
	if (!mstap_actions(c, 1))
		goto out;
	if (mstap_fn_target(c) == 2) {
		mstap_fn_kernel_long(c, 0);
		if (c->error.message) {
			mstap_locate(c, "mstap_rt_test.stp:5:38");
			goto out;
		}
	}
out:
	return;
}

static void probe_1_begin(struct mstap_context *c)
{
	struct mstap_arg args[2];
	s64 f;

	if (!mstap_actions(c, 1))
		goto out;
	f = function_fact(c, 5);
	if (c->error.message)
		goto out;
	args[0] = mstap_arg_long(f);
	args[1] = mstap_arg_long(mstap_fn_target(c));
	mstap_format(&c->out, "begin: fact(5)=%d target=%d\n", args, 2, &c->error);
	if (c->error.message)
		goto out;
	if (!mstap_actions(c, 2))
		goto out;
	mstap_fn_log(c, "begin: log line");
	if (mstap_fn_target(c) == 0) {
		function_deep(c, 0);
		if (c->error.message) {
			mstap_locate(c, "mstap_rt_test.stp:7:54");
			goto out;
		}
	}
out:
	return;
}

static void probe_2_begin(struct mstap_context *c)
{
	char text[MSTAP_MAXSTRINGLEN];
	struct mstap_arg args[1];
	s64 i;

	if (!mstap_actions(c, 1))
		goto out;
	if (mstap_fn_target(c) == 2) {
		if (!mstap_actions(c, 3))
			goto out;
		mstap_fn_pp(c, text);
		args[0] = mstap_arg_string(text);
		mstap_format(&c->out, "pp=%s\n", args, 1, &c->error);
		if (c->error.message)
			goto out;
		mstap_fn_warn(c, "begin warns");
		mstap_fn_user_string(c, text, 0);
		if (c->error.message) {
			mstap_locate(c, "mstap_rt_test.stp:8:70");
			goto out;
		}
	}
	if (mstap_fn_target(c) == 3) {
		for (i = 0; i < 300; i++) {
			if (!mstap_actions(c, 2)) {
				mstap_locate(c, "mstap_rt_test.stp:8:40");
				goto out;
			}
			args[0] = mstap_arg_long(i);
			mstap_format(&c->out, "%-4000d\n", args, 1, &c->error);
			if (c->error.message)
				goto out;
		}
	}
	if (mstap_fn_target(c) == 0) {
		for (;;) {
			if (!mstap_actions(c, 1)) {
				mstap_locate(c, "mstap_rt_test.stp:8:38");
				goto out;
			}
		}
	}
out:
	return;
}

static void probe_3_kprobe(struct mstap_context *c)
{
	if (!mstap_actions(c, 1))
		return;
	mstap_g.clones++;
}

static void probe_4_kretprobe(struct mstap_context *c)
{
	if (!mstap_actions(c, 1))
		return;
	mstap_g.returns++;
}

static void probe_5_tracepoint(struct mstap_context *c)
{
	char name[MSTAP_MAXSTRINGLEN];
	struct mstap_arg args[2];
	s64 f;

	if (!mstap_actions(c, 2))
		goto out;
	f = ++mstap_g.forks;
	if (f == 3 || (mstap_fn_target(c) == 1 && f >= 3)) {
		mstap_divide(c, 1, f - f);
		if (c->error.message) {
			mstap_locate(c, "mstap_rt_test.stp:12:43");
			goto out;
		}
	}
	if (!mstap_actions(c, 1))
		goto out;
	if (mstap_fn_target(c) == 0 && f == 6) {
		mstap_fn_execname(c, name);
		args[0] = mstap_arg_long(f);
		args[1] = mstap_arg_string(name);
		mstap_format(&c->out, "fork %d by %s: exit\n", args, 2, &c->error);
		if (c->error.message)
			goto out;
		mstap_fn_exit(c);
	}
out:
	return;
}

static void probe_6_timer(struct mstap_context *c)
{
	if (!mstap_actions(c, 1))
		return;
	mstap_g.ticks++;
}

static void probe_7_profile(struct mstap_context *c)
{
	if (!mstap_actions(c, 2))
		return;
	mstap_g.profiles++;
	if (c->regs)
		mstap_g.profile_regs++;
}

static void probe_8_kprobe(struct mstap_context *c)
{
	mstap_actions(c, 1);
}

static void probe_9_error(struct mstap_context *c)
{
	if (!mstap_actions(c, 1))
		return;
	mstap_out_string(&c->out, "error probe ran\n");
}

static void probe_10_end(struct mstap_context *c)
{
	struct mstap_arg args[6];
	s64 i;

	if (!mstap_actions(c, 1))
		goto out;
	args[0] = mstap_arg_long(mstap_g.clones);
	args[1] = mstap_arg_long(mstap_g.returns);
	args[2] = mstap_arg_long(mstap_g.forks);
	args[3] = mstap_arg_long(mstap_g.ticks);
	args[4] = mstap_arg_long(mstap_g.profiles);
	args[5] = mstap_arg_long(mstap_g.profile_regs);
	mstap_format(&c->out,
		     "end: clones=%d returns=%d forks=%d ticks=%d profiles=%d regs=%d\n",
		     args, 6, &c->error);
	if (c->error.message)
		goto out;
	for (i = 0; i < 300; i++) {
		if (!mstap_actions(c, 2)) {
			mstap_locate(c, "mstap_rt_test.stp:19:15");
			goto out;
		}
		args[0] = mstap_arg_long(i);
		mstap_format(&c->out,
			     "line %03d of the end probe ......................\n",
			     args, 1, &c->error);
		if (c->error.message)
			goto out;
	}
out:
	return;
}

static void probe_11_end(struct mstap_context *c)
{
	if (!mstap_actions(c, 1))
		return;
	mstap_out_string(&c->out, "dump last\n");
}

static const struct mstap_lock_use probe_3_locks[] = { { G_CLONES, 1 } };
static const struct mstap_lock_use probe_4_locks[] = { { G_RETURNS, 1 } };
static const struct mstap_lock_use probe_5_locks[] = { { G_FORKS, 1 } };
static const struct mstap_lock_use probe_6_locks[] = { { G_TICKS, 1 } };
static const struct mstap_lock_use probe_7_locks[] = {
	{ G_PROFILES, 1 }, { G_PROFILE_REGS, 1 }
};
static const struct mstap_lock_use probe_10_locks[] = {
	{ G_CLONES, 0 }, { G_RETURNS, 0 }, { G_FORKS, 0 },
	{ G_TICKS, 0 }, { G_PROFILES, 0 }, { G_PROFILE_REGS, 0 }
};

static const struct mstap_probe mstap_probes[] = {
	{ .kind = MSTAP_PROBE_BEGIN, .point = "begin(-1)", .function = "",
	  .location = "mstap_rt_test.stp:4:1", .handler = probe_0_begin, .priority = -1 },
	{ .kind = MSTAP_PROBE_BEGIN, .point = "begin", .function = "",
	  .location = "mstap_rt_test.stp:6:1", .handler = probe_1_begin, .priority = 0 },
	{ .kind = MSTAP_PROBE_BEGIN, .point = "begin(1)", .function = "",
	  .location = "mstap_rt_test.stp:8:1", .handler = probe_2_begin, .priority = 1 },
	{ .kind = MSTAP_PROBE_KPROBE, .point = "kernel.function(\"kernel_clone@kernel/fork.c:2648\")",
	  .function = "kernel_clone", .location = "mstap_rt_test.stp:9:1",
	  .handler = probe_3_kprobe, .symbol = "kernel_clone",
	  .locks = probe_3_locks, .lock_count = ARRAY_SIZE(probe_3_locks) },
	{ .kind = MSTAP_PROBE_KRETPROBE,
	  .point = "kernel.function(\"kernel_clone@kernel/fork.c:2648\").return",
	  .function = "kernel_clone", .location = "mstap_rt_test.stp:10:1",
	  .handler = probe_4_kretprobe, .symbol = "kernel_clone",
	  .locks = probe_4_locks, .lock_count = ARRAY_SIZE(probe_4_locks) },
	{ .kind = MSTAP_PROBE_TRACEPOINT, .point = "kernel.trace(\"sched:sched_process_fork\")",
	  .function = "", .location = "mstap_rt_test.stp:11:1",
	  .handler = probe_5_tracepoint, .symbol = "sched_process_fork",
	  .locks = probe_5_locks, .lock_count = ARRAY_SIZE(probe_5_locks) },
	{ .kind = MSTAP_PROBE_TIMER, .point = "timer.ms(10).randomize(2)", .function = "",
	  .location = "mstap_rt_test.stp:14:1", .handler = probe_6_timer,
	  .interval_ns = 10000000, .randomize_ns = 2000000,
	  .locks = probe_6_locks, .lock_count = ARRAY_SIZE(probe_6_locks) },
	{ .kind = MSTAP_PROBE_PROFILE, .point = "timer.profile", .function = "",
	  .location = "mstap_rt_test.stp:15:1", .handler = probe_7_profile,
	  .interval_ns = NSEC_PER_SEC / HZ,
	  .locks = probe_7_locks, .lock_count = ARRAY_SIZE(probe_7_locks) },
	{ .kind = MSTAP_PROBE_KPROBE, .point = "kernel.function(\"mstap_no_such_function\")?",
	  .function = "mstap_no_such_function", .location = "mstap_rt_test.stp:16:1",
	  .handler = probe_8_kprobe, .symbol = "mstap_no_such_function", .optional = 1 },
	/* A program that is not there: its uprobe fails to register (-ENOENT), skipped. */
	{ .kind = MSTAP_PROBE_UPROBE,
	  .point = "process(\"/nonexistent/mstap-program\").function(\"main\")?",
	  .function = "main", .location = "mstap_rt_test.stp:16:1", .handler = probe_8_kprobe,
	  .path = "/nonexistent/mstap-program", .offset = 0x1139, .optional = 1 },
	{ .kind = MSTAP_PROBE_ERROR, .point = "error", .function = "",
	  .location = "mstap_rt_test.stp:17:1", .handler = probe_9_error },
	{ .kind = MSTAP_PROBE_END, .point = "end", .function = "",
	  .location = "mstap_rt_test.stp:18:1", .handler = probe_10_end,
	  .locks = probe_10_locks, .lock_count = ARRAY_SIZE(probe_10_locks) },
	{ .kind = MSTAP_PROBE_END, .point = "end", .function = "",
	  .location = "mstap_rt_test.stp:20:1", .handler = probe_11_end,
	  .priority = S64_MAX },
};

static struct mstap_rwlock mstap_locks[G_COUNT];

static int mstap_init_globals(struct mstap_error *error)
{
	memset(&mstap_g, 0, sizeof(mstap_g));
	return 0;
}

static void mstap_free_globals(void)
{
}

static const struct mstap_script mstap_script = {
	.name = "mstap_rt_test.stp",
	.probes = mstap_probes, .probe_count = ARRAY_SIZE(mstap_probes),
	.locks = mstap_locks, .lock_count = ARRAY_SIZE(mstap_locks),
	.init_globals = mstap_init_globals, .free_globals = mstap_free_globals,
	.frame_bytes = 4096,
};
MSTAP_MODULE_MAIN(mstap_script)

/*
 * Pass 4 compiles the runtime's .c files once and links their objects
 * beside the generated file; kbuild-check.sh builds this module that way
 * (with MSTAP_RUNTIME_LINKED). Built from this file and its Kbuild alone,
 * as tests/vm/runtime_module_test.cpp does, the module takes them in here.
 */
#ifndef MSTAP_RUNTIME_LINKED
#include "mstap_session.c"
#include "mstap_probes.c"
#include "mstap_map.c"
#include "mstap_stat.c"
#endif
