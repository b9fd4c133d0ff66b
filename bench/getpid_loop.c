// The workload of the probe-overhead benchmark (vm_probe_overhead.cpp), run
// inside the VM: N getpid system calls, straight through syscall(2) so that
// no C library cache answers them, timed with CLOCK_MONOTONIC.
//
//   mstap-getpid-loop [N] [LABEL]
//
// Prints one line: "getpid-loop LABEL calls=N ns=TOTAL" (what the benchmark
// parses). Linked statically: the guest has no C library.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
	const char *label = argc > 2 ? argv[2] : "run";
	if (n <= 0) {
		fprintf(stderr, "usage: mstap-getpid-loop [N>0] [LABEL]\n");
		return 2;
	}
	volatile long sink = 0;
	long long start = now_ns();
	for (long i = 0; i < n; i++)
		sink += syscall(SYS_getpid);
	long long end = now_ns();
	printf("getpid-loop %s calls=%ld ns=%lld\n", label, n, end - start);
	fflush(stdout);
	return sink == 0; /* getpid is never 0 here */
}
