/*
 * A small program whose calls and arguments are known, for the user-space
 * probe tests: the DWARF reader's unit tests, the -L listings in
 * tests/lang/user, and the end-to-end cases in the VM. Built with -g -O0 so
 * that every parameter is in its register at each function's entry;
 * noinline keeps every call a real call. Changing a declaration here means
 * changing the expected listings (they quote the line numbers).
 */
#include <stddef.h>

struct point {
	int x;
	int y;
	const char *label;
	struct point *tail;
	unsigned int flags : 3;
	unsigned int level : 5;
};

typedef unsigned long counter_t;

__attribute__((noinline)) int add(int a, int b)
{
	return a + b;
}

__attribute__((noinline)) long scale(long value, unsigned char factor)
{
	return value * factor;
}

__attribute__((noinline)) const char *describe(const struct point *p)
{
	return p->label;
}

__attribute__((noinline)) counter_t count_chain(struct point *head, counter_t limit)
{
	counter_t n = 0;

	for (; head && n < limit; head = head->tail)
		n++;
	return n;
}

__attribute__((noinline)) long many(int a, int b, int c, int d, int e, int f, int g, long h)
{
	return a + b + c + d + e + f + g + h;
}

__attribute__((noinline)) double halve(double x)
{
	return x / 2;
}

__attribute__((noinline)) int by_value(struct point p)
{
	return p.x + p.y;
}

__attribute__((noinline)) void nothing(void)
{
}

static volatile long sink;

int main(int argc, char **argv)
{
	struct point second = { 30, 40, "second", NULL, 2, 9 };
	struct point first = { 10, 20, "origin", &second, 5, 17 };
	int depth(int n); /* defined below main: the lines above stay put */
	int stress(const char *mode);

	if (argc > 1)
		return stress(argv[1]);

	sink += add(2, 3);
	sink += add(40, argc);
	sink += scale(-7, 3);
	sink += (long)describe(&first);
	sink += (long)count_chain(&first, 10);
	sink += many(1, 2, 3, 4, 5, 6, 7, 80000000000L);
	sink += (long)halve(5.0);
	sink += by_value(first);
	sink += depth(3);
	nothing();
	return 0;
}

/* Recursive: a .return probe must see each call's own entry values. */
__attribute__((noinline)) int depth(int n)
{
	return n > 0 ? depth(n - 1) + 1 : 0;
}

/*
 * Calls that never return, for the table that keeps .return probes' entry
 * values: "jumps" leaves 1000 recursions of escape() by longjmp, "exits"
 * forks 200 children that each exit inside quit(), "deep" recurses past the
 * kernel's 64 nested uretprobe returns with depth(100), "threads" has
 * three threads call depth(20) 50 times each at once. Then add(1, 2).
 */
#include <pthread.h>
#include <setjmp.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static jmp_buf escape_point;
static volatile int escaping = 1;

__attribute__((noinline)) int escape(int n)
{
	if (n > 0)
		return escape(n - 1) + 1;
	if (escaping)
		longjmp(escape_point, 1);
	return 0;
}

__attribute__((noinline)) void quit(int status)
{
	_exit(status);
}

static void *recurse_often(void *unused)
{
	int i;

	(void)unused;
	for (i = 0; i < 50; i++)
		sink += depth(20);
	return NULL;
}

int stress(const char *mode)
{
	int i;

	if (strcmp(mode, "jumps") == 0) {
		for (i = 0; i < 1000; i++)
			if (setjmp(escape_point) == 0)
				sink += escape(i % 50);
	} else if (strcmp(mode, "exits") == 0) {
		for (i = 0; i < 200; i++) {
			pid_t child = fork();

			if (child == 0)
				quit(0);
			if (child > 0)
				waitpid(child, NULL, 0);
		}
	} else if (strcmp(mode, "deep") == 0) {
		sink += depth(100);
	} else if (strcmp(mode, "threads") == 0) {
		pthread_t threads[3];

		for (i = 0; i < 3; i++)
			pthread_create(&threads[i], NULL, recurse_often, NULL);
		for (i = 0; i < 3; i++)
			pthread_join(threads[i], NULL);
	} else {
		return 2;
	}
	sink += add(1, 2);
	return 0;
}
