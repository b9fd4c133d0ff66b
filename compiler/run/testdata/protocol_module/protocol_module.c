// SPDX-License-Identifier: GPL-2.0
/*
 * The session protocol of runtime/MODULE.md section 5 and nothing else, so
 * that mstap-runner can be tested apart from the real runtime:
 *
 *   /proc/protocol_module/control  "start\n", "stop\n"; reads give
 *        state=loaded|running|stopping|stopped errors=N skipped=0 overruns=K exit=0|1
 *   /proc/protocol_module/output   records: u16 stream, u16 length (LE), bytes
 *
 * On start: "protocol_module: begin target=T" and `lines` lines "line I" on
 * stdout, then a WARNING on stderr. After run_ms (0: never) a timer asks
 * for the end, as exit() does: it only sets a flag, which a reader blocked
 * in `output` notices within 20 ms and stops the run itself. Stopping
 * writes "protocol_module: end" on stdout and, with errors=N, stap's
 * "WARNING: Number of errors: N, skipped probes: 0" on stderr.
 */
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/slab.h>
#include <linux/timer.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

static long mstap_target;
module_param(mstap_target, long, 0444);
static int lines = 3;
module_param(lines, int, 0444);
static int run_ms = 500;
module_param(run_ms, int, 0444);
static int errors;
module_param(errors, int, 0444);

enum { LOADED, RUNNING, STOPPING, STOPPED };
static const char *const state_names[] = { "loaded", "running", "stopping", "stopped" };
static int state = LOADED;
static DEFINE_MUTEX(state_lock);      /* state changes */
static DEFINE_MUTEX(ring_lock);       /* ring, used, overruns */
static DECLARE_WAIT_QUEUE_HEAD(readers);
static atomic_t exit_wanted = ATOMIC_INIT(0);
static struct timer_list end_timer;
static struct proc_dir_entry *dir;
#define RING_BYTES 65536
static char *ring;
static size_t used;
static long overruns, exit_code;

static void emit(u16 stream, const char *fmt, ...)
{
	char text[256];
	va_list args;
	int len;

	va_start(args, fmt);
	len = vscnprintf(text, sizeof(text), fmt, args);
	va_end(args);
	mutex_lock(&ring_lock);
	if (used + 4 + len > RING_BYTES) {
		overruns += len;
	} else {
		ring[used] = stream & 0xff; ring[used + 1] = stream >> 8;
		ring[used + 2] = len & 0xff; ring[used + 3] = len >> 8;
		memcpy(ring + used + 4, text, len);
		used += 4 + len;
	}
	mutex_unlock(&ring_lock);
	wake_up_interruptible(&readers);
}

static void end_timer_fired(struct timer_list *t)
{
	atomic_set(&exit_wanted, 1); /* no wake-up from here, as in probe context */
}

static int session_start(void)
{
	int i, ret = 0;

	mutex_lock(&state_lock);
	if (state != LOADED) {
		ret = -EBUSY;
	} else {
		state = RUNNING;
		emit(1, "protocol_module: begin target=%ld\n", mstap_target);
		for (i = 1; i <= lines; i++)
			emit(1, "line %d\n", i);
		emit(2, "WARNING: protocol_module says this on stderr\n");
		if (run_ms > 0)
			mod_timer(&end_timer, jiffies + msecs_to_jiffies(run_ms));
	}
	mutex_unlock(&state_lock);
	return ret;
}

static void session_stop(void)
{
	mutex_lock(&state_lock);
	if (state == RUNNING) {
		state = STOPPING;
		del_timer_sync(&end_timer);
		emit(1, "protocol_module: end\n");
		if (errors)
			emit(2, "WARNING: Number of errors: %d, skipped probes: 0\n", errors);
		exit_code = atomic_read(&exit_wanted) || errors;
	}
	state = STOPPED;
	mutex_unlock(&state_lock);
	wake_up_interruptible(&readers);
}

static ssize_t output_read(struct file *file, char __user *buf, size_t count, loff_t *pos)
{
	ssize_t n;

	if (count < 65540)
		return -EINVAL;
	for (;;) {
		mutex_lock(&ring_lock);
		n = used;
		if (n) {
			if (copy_to_user(buf, ring, n))
				n = -EFAULT;
			else
				used = 0;
		}
		mutex_unlock(&ring_lock);
		if (n)
			return n;
		if (READ_ONCE(state) == STOPPED)
			return 0;
		if (atomic_read(&exit_wanted) && READ_ONCE(state) == RUNNING) {
			session_stop();
			continue;
		}
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible_timeout(readers, READ_ONCE(used) || READ_ONCE(state) == STOPPED,
						     msecs_to_jiffies(20)) < 0)
			return -ERESTARTSYS;
	}
}

static ssize_t control_read(struct file *file, char __user *buf, size_t count, loff_t *pos)
{
	char line[128];
	int len = scnprintf(line, sizeof(line), "state=%s errors=%d skipped=0 overruns=%ld exit=%ld\n",
			    state_names[READ_ONCE(state)], errors, overruns, exit_code);

	return simple_read_from_buffer(buf, count, pos, line, len);
}

static ssize_t control_write(struct file *file, const char __user *buf, size_t count, loff_t *pos)
{
	char word[16] = {};

	if (count >= sizeof(word) || copy_from_user(word, buf, count))
		return -EINVAL;
	if (!strcmp(word, "start\n")) {
		int ret = session_start();
		return ret ? ret : count;
	}
	if (!strcmp(word, "stop\n")) {
		session_stop();
		return count;
	}
	return -EINVAL;
}

static const struct proc_ops output_ops = { .proc_read = output_read };
static const struct proc_ops control_ops = { .proc_read = control_read, .proc_write = control_write };

static int __init protocol_module_init(void)
{
	ring = kmalloc(RING_BYTES, GFP_KERNEL);
	if (!ring)
		return -ENOMEM;
	timer_setup(&end_timer, end_timer_fired, 0);
	/* The name it was loaded under: mstap-runner -R renames it. */
	dir = proc_mkdir(THIS_MODULE->name, NULL);
	if (!dir || !proc_create("output", 0400, dir, &output_ops) ||
	    !proc_create("control", 0600, dir, &control_ops)) {
		proc_remove(dir);
		kfree(ring);
		return -ENOMEM;
	}
	return 0;
}

static void __exit protocol_module_exit(void)
{
	session_stop();
	proc_remove(dir);
	del_timer_sync(&end_timer);
	kfree(ring);
}

module_init(protocol_module_init);
module_exit(protocol_module_exit);
MODULE_DESCRIPTION("The mstap session protocol alone, for testing mstap-runner");
MODULE_LICENSE("GPL");
