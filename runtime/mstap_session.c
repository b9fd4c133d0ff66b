// SPDX-License-Identifier: GPL-2.0
/*
 * mstap_session.c - the session (MODULE.md section 5): module init and
 * exit, start and stop, and the two files /proc/MODULE_NAME/output and
 * /proc/MODULE_NAME/control. Everything here runs in process context.
 *
 * Compiled once per kernel build tree and set of -D limits and linked
 * into every script's module (pass 4); the script's own translation unit
 * reaches it through mstap_module_init_script and mstap_module_exit_script
 * (MSTAP_MODULE_MAIN, mstap_session.h).
 */
#include "mstap_module.h"
#include "mstap_registration.h"

#include <linux/fs.h>
#include <linux/proc_fs.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>

/*
 * One object serves every module: it must not know the module's name (a
 * use of KBUILD_MODNAME here would be the first module's); init is given
 * it instead.
 */
#undef KBUILD_MODNAME

/* The runtime's state (mstap_context.h), one per module. */
struct mstap_runtime mstap_rt;
DEFINE_PER_CPU(struct mstap_context *, mstap_cpu_context);
long mstap_target;

/* Bytes a read of `output` may return at once (>= MSTAP_READ_MIN). */
#define MSTAP_READ_BYTES (128 * 1024)
/*
 * Probes do not wake the reader (no wake-up is safe from every context),
 * but for an irq_work when the ring passes half full (mstap_transport.h): a
 * delayed work checks the ring and the stop flag, every MSTAP_RECHECK_MS
 * while output flows, backing off to MSTAP_RECHECK_IDLE_MS while there is
 * none, so that an idle session costs a machine next to nothing. A blocked
 * reader relies on it, and re-checks by itself only every
 * MSTAP_READ_WAIT_MS in case a wake-up was missed.
 */
#define MSTAP_RECHECK_MS 10
#ifndef MSTAP_RECHECK_IDLE_MS
#define MSTAP_RECHECK_IDLE_MS 100
#endif
#ifndef MSTAP_READ_WAIT_MS
#define MSTAP_READ_WAIT_MS 1000
#endif
#if MSTAP_RECHECK_IDLE_MS < MSTAP_RECHECK_MS || MSTAP_READ_WAIT_MS < 10 || \
	MSTAP_RECHECK_IDLE_MS > 60000 || MSTAP_READ_WAIT_MS > 60000
#error "MSTAP_RECHECK_IDLE_MS must lie in 10..60000 and MSTAP_READ_WAIT_MS in 10..60000"
#endif

/* A process-context line on the error stream (may use the ring's reserve). */
static void mstap_session_line(u32 reserve, const char *format, ...)
	__printf(2, 3);

static void mstap_session_line(u32 reserve, const char *format, ...)
{
	va_list args;
	int length;

	va_start(args, format);
	length = vscnprintf(mstap_rt.message, MSTAP_LINE_BYTES, format, args);
	va_end(args);
	mstap_commit_reserved(MSTAP_STREAM_STDERR, mstap_rt.message,
			      (u32)length, reserve);
}

/*
 * Runs every probe of `kind` in priority order (ties in array order):
 * repeatedly the smallest (priority, index) after the previous one.
 */
static void mstap_run_phase_probes(enum mstap_probe_kind kind,
				   enum mstap_run_kind run)
{
	const struct mstap_script *script = mstap_rt.script;
	s64 last_priority = 0;
	s64 last_index = -1;

	for (;;) {
		s64 best = -1;
		u32 i;

		for (i = 0; i < script->probe_count; i++) {
			const struct mstap_probe *p = &script->probes[i];

			if (p->kind != kind)
				continue;
			if (last_index >= 0 &&
			    (p->priority < last_priority ||
			     (p->priority == last_priority && (s64)i <= last_index)))
				continue;
			if (best < 0 || p->priority < script->probes[best].priority)
				best = i;
		}
		if (best < 0)
			return;
		last_priority = script->probes[best].priority;
		last_index = best;
		mstap_run_probe(&script->probes[best], NULL, run);
		cond_resched();
	}
}

/* Queued by a commit that filled the ring past half (mstap_transport.h). */
static void mstap_output_kick(struct irq_work *work)
{
	if (waitqueue_active(&mstap_rt.wait))
		wake_up_interruptible(&mstap_rt.wait);
}

static void mstap_waker_work(struct work_struct *work)
{
	int phase = atomic_read(&mstap_rt.phase);
	bool ready = mstap_ring_has_data(&mstap_rt.ring) ||
		     atomic_read(&mstap_rt.stop_requested);

	if (ready && waitqueue_active(&mstap_rt.wait))
		wake_up_interruptible(&mstap_rt.wait);
	if (ready)
		mstap_rt.waker_delay_ms = MSTAP_RECHECK_MS;
	else
		mstap_rt.waker_delay_ms = min_t(u32, 2 * mstap_rt.waker_delay_ms,
						MSTAP_RECHECK_IDLE_MS);
	if (phase == MSTAP_PHASE_STARTING || phase == MSTAP_PHASE_RUNNING)
		schedule_delayed_work(&mstap_rt.waker,
				      msecs_to_jiffies(mstap_rt.waker_delay_ms));
}

/* The stop sequence of section 5; under session_lock. */
static void mstap_stop_locked(void)
{
	int phase = atomic_read(&mstap_rt.phase);
	int errors, skipped;
	s64 lost;

	if (phase == MSTAP_PHASE_LOADED) {
		atomic_set_release(&mstap_rt.phase, MSTAP_PHASE_STOPPED);
		wake_up_interruptible_all(&mstap_rt.wait);
		return;
	}
	if (phase != MSTAP_PHASE_RUNNING && phase != MSTAP_PHASE_STARTING)
		return;
	atomic_set(&mstap_rt.phase, MSTAP_PHASE_STOPPING);
	if (mstap_rt.waker_live) {
		cancel_delayed_work_sync(&mstap_rt.waker);
		mstap_rt.waker_live = 0;
	}
	mstap_unregister_all();
	if (atomic_read(&mstap_rt.errors) > 0)
		mstap_run_phase_probes(MSTAP_PROBE_ERROR, MSTAP_RUN_END);
	mstap_run_phase_probes(MSTAP_PROBE_END, MSTAP_RUN_END);

	errors = atomic_read(&mstap_rt.errors);
	skipped = atomic_read(&mstap_rt.skipped);
	if (errors || skipped)
		mstap_session_line(0, "WARNING: Number of errors: %d, skipped probes: %d\n",
				   errors, skipped);
	lost = atomic64_read(&mstap_rt.ring.lost_bytes);
	if (lost)
		mstap_session_line(0, "WARNING: %lld output bytes lost\n", lost);
	atomic_set_release(&mstap_rt.phase, MSTAP_PHASE_STOPPED);
	wake_up_interruptible_all(&mstap_rt.wait);
}

static void mstap_session_stop(void)
{
	mutex_lock(&mstap_rt.session_lock);
	mstap_stop_locked();
	mutex_unlock(&mstap_rt.session_lock);
}

static int mstap_session_start(void)
{
	const struct mstap_script *script = mstap_rt.script;
	u32 i;

	mutex_lock(&mstap_rt.session_lock);
	if (atomic_read(&mstap_rt.phase) != MSTAP_PHASE_LOADED) {
		mutex_unlock(&mstap_rt.session_lock);
		return -EINVAL;
	}
	atomic_set(&mstap_rt.phase, MSTAP_PHASE_STARTING);
	mstap_rt.waker_live = 1;
	mstap_rt.waker_delay_ms = MSTAP_RECHECK_MS;
	schedule_delayed_work(&mstap_rt.waker, msecs_to_jiffies(MSTAP_RECHECK_MS));

	mstap_run_phase_probes(MSTAP_PROBE_BEGIN, MSTAP_RUN_BEGIN);

	for (i = 0; i < script->probe_count; i++) {
		struct mstap_registration *r = &mstap_rt.registrations[i];
		int status;

		if (atomic_read(&mstap_rt.stop_requested))
			break;
		switch (r->probe->kind) {
		case MSTAP_PROBE_BEGIN:
		case MSTAP_PROBE_END:
		case MSTAP_PROBE_ERROR:
			continue;
		default:
			break;
		}
		status = mstap_register_probe(r);
		if (status == 0) {
			r->registered = 1;
			continue;
		}
		if (r->probe->optional) {
			mstap_session_line(MSTAP_RING_RESERVE,
					   "WARNING: probe %s registration failed (error %d), skipped\n",
					   r->probe->point, status);
			continue;
		}
		mstap_session_line(MSTAP_RING_RESERVE,
				   "ERROR: probe %s registration failed (error %d)\n",
				   r->probe->point, status);
		atomic_inc(&mstap_rt.errors);
		mstap_request_stop(true);
	}
	atomic_set_release(&mstap_rt.phase, MSTAP_PHASE_RUNNING);
	if (atomic_read(&mstap_rt.stop_requested))
		mstap_stop_locked();
	mutex_unlock(&mstap_rt.session_lock);
	wake_up_interruptible(&mstap_rt.wait);
	return 0;
}

/* --------------------------------------------------------- /proc files */

static int mstap_output_open(struct inode *inode, struct file *file)
{
	return stream_open(inode, file);
}

/*
 * Data, the stop flag (the reader then stops the run) or the end. The stop
 * flag counts only while running: while starting or stopping, another
 * thread owns the session and the reader waits for it (else it would spin).
 */
static bool mstap_output_ready(void)
{
	int phase = atomic_read(&mstap_rt.phase);

	return mstap_ring_has_data(&mstap_rt.ring) ||
	       (atomic_read(&mstap_rt.stop_requested) &&
		phase == MSTAP_PHASE_RUNNING) ||
	       phase == MSTAP_PHASE_STOPPED;
}

static ssize_t mstap_output_read(struct file *file, char __user *buffer,
				 size_t count, loff_t *position)
{
	ssize_t result;

	if (count < MSTAP_READ_MIN)
		return -EINVAL;
	if (mutex_lock_interruptible(&mstap_rt.read_lock))
		return -ERESTARTSYS;
	for (;;) {
		u32 room = count < MSTAP_READ_BYTES ? (u32)count : MSTAP_READ_BYTES;
		u32 taken = mstap_ring_take(&mstap_rt.ring, mstap_rt.read_bounce, room);
		int phase;
		long waited;

		if (taken > 0) {
			result = copy_to_user(buffer, mstap_rt.read_bounce, taken) ?
					 -EFAULT : (ssize_t)taken;
			break;
		}
		phase = atomic_read_acquire(&mstap_rt.phase);
		if (phase == MSTAP_PHASE_STOPPED) {
			/* Records committed before the phase changed are read above. */
			if (mstap_ring_has_data(&mstap_rt.ring))
				continue;
			result = 0;
			break;
		}
		if (phase == MSTAP_PHASE_RUNNING &&
		    atomic_read(&mstap_rt.stop_requested)) {
			mstap_session_stop();
			continue;
		}
		if (file->f_flags & O_NONBLOCK) {
			result = -EAGAIN;
			break;
		}
		waited = wait_event_interruptible_timeout(
			mstap_rt.wait, mstap_output_ready(),
			msecs_to_jiffies(MSTAP_READ_WAIT_MS));
		if (waited < 0) {
			result = -ERESTARTSYS;
			break;
		}
	}
	mutex_unlock(&mstap_rt.read_lock);
	return result;
}

static __poll_t mstap_output_poll(struct file *file, struct poll_table_struct *wait)
{
	poll_wait(file, &mstap_rt.wait, wait);
	return mstap_output_ready() ? EPOLLIN | EPOLLRDNORM : 0;
}

static const char *mstap_phase_name(int phase)
{
	switch (phase) {
	case MSTAP_PHASE_LOADED:
		return "loaded";
	case MSTAP_PHASE_STARTING:
	case MSTAP_PHASE_RUNNING:
		return "running";
	case MSTAP_PHASE_STOPPING:
		return "stopping";
	default:
		return "stopped";
	}
}

static ssize_t mstap_control_read(struct file *file, char __user *buffer,
				  size_t count, loff_t *position)
{
	char line[160];
	int length;

	length = scnprintf(line, sizeof(line),
			   "state=%s errors=%d skipped=%d overruns=%lld exit=%d\n",
			   mstap_phase_name(atomic_read(&mstap_rt.phase)),
			   atomic_read(&mstap_rt.errors),
			   atomic_read(&mstap_rt.skipped),
			   (long long)atomic64_read(&mstap_rt.ring.overruns),
			   atomic_read(&mstap_rt.exit_flag) ? 1 : 0);
	return simple_read_from_buffer(buffer, count, position, line, length);
}

static ssize_t mstap_control_write(struct file *file, const char __user *buffer,
				   size_t count, loff_t *position)
{
	char command[16];
	size_t length = count;
	int status;

	if (length >= sizeof(command))
		return -EINVAL;
	if (copy_from_user(command, buffer, length))
		return -EFAULT;
	while (length > 0 && (command[length - 1] == '\n' ||
			      command[length - 1] == ' '))
		length--;
	command[length] = '\0';
	if (strcmp(command, "start") == 0) {
		status = mstap_session_start();
		if (status)
			return status;
	} else if (strcmp(command, "stop") == 0) {
		mstap_session_stop();
	} else {
		return -EINVAL;
	}
	return (ssize_t)count;
}

static const struct proc_ops mstap_output_ops = {
	.proc_open = mstap_output_open,
	.proc_read = mstap_output_read,
	.proc_poll = mstap_output_poll,
	.proc_lseek = noop_llseek,
};

static const struct proc_ops mstap_control_ops = {
	.proc_read = mstap_control_read,
	.proc_write = mstap_control_write,
	.proc_lseek = default_llseek,
};

/* ------------------------------------------------------- init and exit */

static void mstap_free_runtime(void)
{
	u32 i;
	int cpu;

	if (mstap_rt.contexts) {
		for_each_possible_cpu(cpu) {
			struct mstap_context *c = mstap_rt.contexts[cpu];

			per_cpu(mstap_cpu_context, cpu) = NULL;
			if (!c)
				continue;
			kvfree(c->frames);
			kvfree(c->out_data);
			kvfree(c);
		}
		kvfree(mstap_rt.contexts);
		mstap_rt.contexts = NULL;
	}
	if (mstap_rt.registrations) {
		for (i = 0; i < mstap_rt.script->probe_count; i++)
			kvfree(mstap_rt.registrations[i].profile);
		kvfree(mstap_rt.registrations);
		mstap_rt.registrations = NULL;
	}
	kvfree(mstap_rt.kprobe_list);
	kvfree(mstap_rt.kretprobe_list);
	kvfree(mstap_rt.read_bounce);
	kvfree(mstap_rt.message);
	kvfree(mstap_rt.ring.data);
	mstap_rt.kprobe_list = NULL;
	mstap_rt.kretprobe_list = NULL;
	mstap_rt.read_bounce = NULL;
	mstap_rt.message = NULL;
	mstap_rt.ring.data = NULL;
}

static int mstap_alloc_runtime(const struct mstap_script *script)
{
	u32 count = script->probe_count ? script->probe_count : 1;
	u32 frame_bytes = ALIGN(script->frame_bytes, 8);
	u32 i;
	int cpu;

	mstap_rt.contexts = kvcalloc(nr_cpu_ids, sizeof(*mstap_rt.contexts),
				     GFP_KERNEL);
	mstap_rt.registrations = kvcalloc(count, sizeof(*mstap_rt.registrations),
					  GFP_KERNEL);
	mstap_rt.kprobe_list = kvcalloc(count, sizeof(*mstap_rt.kprobe_list),
					GFP_KERNEL);
	mstap_rt.kretprobe_list = kvcalloc(count, sizeof(*mstap_rt.kretprobe_list),
					   GFP_KERNEL);
	mstap_rt.read_bounce = kvmalloc(MSTAP_READ_BYTES, GFP_KERNEL);
	mstap_rt.message = kvmalloc(MSTAP_LINE_BYTES, GFP_KERNEL);
	mstap_rt.ring.data = kvmalloc(MSTAP_BUFFER_BYTES, GFP_KERNEL);
	if (!mstap_rt.contexts || !mstap_rt.registrations ||
	    !mstap_rt.kprobe_list || !mstap_rt.kretprobe_list ||
	    !mstap_rt.read_bounce || !mstap_rt.message || !mstap_rt.ring.data)
		return -ENOMEM;

	for_each_possible_cpu(cpu) {
		struct mstap_context *c = kvzalloc(sizeof(*c), GFP_KERNEL);

		if (!c)
			return -ENOMEM;
		mstap_rt.contexts[cpu] = c;
		c->frames = kvzalloc(frame_bytes ? frame_bytes : 8, GFP_KERNEL);
		c->out_data = kvmalloc(MSTAP_OUT_BYTES, GFP_KERNEL);
		if (!c->frames || !c->out_data)
			return -ENOMEM;
		c->frame_bytes = frame_bytes;
		c->busy = 0;
		mstap_out_init(&c->out, c->out_data, MSTAP_OUT_BYTES);
		c->out.flush = mstap_out_flush_to_ring;
		c->out.flush_context = c;
		per_cpu(mstap_cpu_context, cpu) = c;
	}
	for (i = 0; i < script->probe_count; i++) {
		struct mstap_registration *r = &mstap_rt.registrations[i];

		r->probe = &script->probes[i];
		if (r->probe->kind == MSTAP_PROBE_PROFILE) {
			r->profile = kvcalloc(nr_cpu_ids, sizeof(*r->profile),
					      GFP_KERNEL);
			if (!r->profile)
				return -ENOMEM;
		}
	}
	return 0;
}

int mstap_module_init_script(const struct mstap_script *script,
			     const char *module_name)
{
	struct mstap_error error;
	struct proc_dir_entry *output, *control;
	int status;

	memset(&mstap_rt, 0, sizeof(mstap_rt));
	mstap_rt.script = script;
	atomic_set(&mstap_rt.phase, MSTAP_PHASE_LOADED);
	mutex_init(&mstap_rt.session_lock);
	mutex_init(&mstap_rt.read_lock);
	init_waitqueue_head(&mstap_rt.wait);
	INIT_DELAYED_WORK(&mstap_rt.waker, mstap_waker_work);
	init_irq_work(&mstap_rt.output_kick, mstap_output_kick);

	status = mstap_alloc_runtime(script);
	if (status) {
		mstap_free_runtime();
		return status;
	}
	mstap_error_clear(&error);
	status = script->init_globals ? script->init_globals(&error) : 0;
	if (status < 0) {
		pr_err("%s: %s: %s\n", module_name, script->name,
		       error.message ? error.message : "cannot initialise globals");
		if (script->free_globals)
			script->free_globals();
		mstap_free_runtime();
		return status;
	}
	mstap_rt.dir = proc_mkdir(module_name, NULL);
	output = mstap_rt.dir ? proc_create("output", 0400, mstap_rt.dir,
					    &mstap_output_ops) : NULL;
	control = output ? proc_create("control", 0600, mstap_rt.dir,
				       &mstap_control_ops) : NULL;
	if (!control) {
		pr_err("%s: cannot create /proc/%s\n", module_name, module_name);
		proc_remove(mstap_rt.dir);
		if (script->free_globals)
			script->free_globals();
		mstap_free_runtime();
		return -EEXIST;
	}
	return 0;
}

void mstap_module_exit_script(void)
{
	const struct mstap_script *script = mstap_rt.script;

	/* Stops the run if needed: after it nothing is registered. */
	mstap_session_stop();
	if (mstap_rt.waker_live) {
		cancel_delayed_work_sync(&mstap_rt.waker);
		mstap_rt.waker_live = 0;
	}
	/* No probe runs now, so nothing queues it again. */
	irq_work_sync(&mstap_rt.output_kick);
	wake_up_interruptible_all(&mstap_rt.wait);
	/* Waits for readers and writers of the files to leave them. */
	proc_remove(mstap_rt.dir);
	mstap_rt.dir = NULL;
	if (script->free_globals)
		script->free_globals();
	mstap_free_runtime();
}
