// A tiny reader of /proc/NAME/output for the VM tests (runtime/MODULE.md
// section 5), built static on the host and copied into the guest:
//
//   mstap-read-output NAME [STOP_AFTER_MS]
//
// Decodes the records (u16 stream, u16 length, little-endian, then the
// bytes) to standard output (stream 1) and standard error (stream 2) until
// end of file. With STOP_AFTER_MS it writes "stop" to /proc/NAME/control
// once that many milliseconds have passed. It first checks that a read
// with a buffer under 65540 bytes is refused with EINVAL.
// Exit status: 0 end of file; 2 a system call failed; 3 a malformed record.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char buffer[131072];

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int write_all(int fd, const char *data, size_t length) {
  while (length > 0) {
    ssize_t n = write(fd, data, length);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    data += n;
    length -= (size_t)n;
  }
  return 0;
}

int main(int argc, char **argv) {
  char path[256];
  long long stop_at = -1;
  int fd;

  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: %s NAME [STOP_AFTER_MS]\n", argv[0]);
    return 2;
  }
  if (argc == 3)
    stop_at = now_ms() + atoll(argv[2]);
  snprintf(path, sizeof(path), "/proc/%s/output", argv[1]);
  fd = open(path, O_RDONLY);
  if (fd < 0) {
    perror(path);
    return 2;
  }
  if (read(fd, buffer, 100) != -1 || errno != EINVAL) {
    fprintf(stderr, "reader: a 100-byte read was not refused with EINVAL\n");
    return 2;
  }
  for (;;) {
    ssize_t got;
    size_t at = 0;

    if (stop_at >= 0) {
      struct pollfd p = {fd, POLLIN, 0};
      long long left = stop_at - now_ms();
      int ready = poll(&p, 1, left > 0 ? (int)left : 0);

      if (ready < 0 && errno != EINTR) {
        perror("poll");
        return 2;
      }
      if (ready <= 0 && now_ms() >= stop_at) {
        char control[256];
        int cfd;

        snprintf(control, sizeof(control), "/proc/%s/control", argv[1]);
        cfd = open(control, O_WRONLY);
        if (cfd < 0 || write(cfd, "stop\n", 5) != 5) {
          perror(control);
          return 2;
        }
        close(cfd);
        stop_at = -1;
        continue;
      }
      if (ready <= 0)
        continue;
    }
    got = read(fd, buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0) {
      perror("read");
      return 2;
    }
    if (got == 0)
      break;
    while (at < (size_t)got) {
      const unsigned char *h = (const unsigned char *)buffer + at;
      unsigned stream, length;

      if ((size_t)got - at < 4) {
        fprintf(stderr, "reader: a torn record header\n");
        return 3;
      }
      stream = h[0] | (h[1] << 8);
      length = h[2] | (h[3] << 8);
      if ((size_t)got - at - 4 < length || (stream != 1 && stream != 2)) {
        fprintf(stderr, "reader: a bad record (stream %u, length %u)\n", stream, length);
        return 3;
      }
      if (write_all(stream == 1 ? 1 : 2, buffer + at + 4, length) != 0)
        return 2;
      at += 4 + length;
    }
  }
  close(fd);
  return 0;
}
