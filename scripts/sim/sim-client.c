/*
 * The simulator's fast stand-in client (docs/simulator.md, "Processes and the shell interface"): what
 * `drbd-sentinel sim drbdadm|drbdsetup|mount|umount|fuser -- ARGS` does, without starting Node
 * (a real drbdadm answers in ~10-30 ms; a Node process needs ~0.1 s before its first line of code).
 *
 *   sim-client OP [ARGS...]      OP: drbdadm | drbdsetup | mount | umount | fuser
 *   OP [ARGS...]                 the same through a symlink named OP (bench/failover.ts uses these)
 *   DRBD_SIM_TRACE=1             appends "START_MS END_MS OP ARGS..." to $DRBD_SIM_DIR/trace at exit
 *
 * It speaks the node's control protocol (src/sim/process/control-client.ts) and reproduces the Node
 * client's stdout, stderr and exit code byte for byte (test/unit/sim/fast-client.test.ts):
 *   - socket path.join(DRBD_SIM_DIR, "ctl.sock"); no DRBD_SIM_DIR: usage error, exit 2
 *   - request: one JSON line {"op":OP,"args":[...]}
 *   - answers: JSON lines {"line":S} (events2 streaming), {"error":S} or {"result":R}, where
 *     R = {"stdout":S,"stderr":S,"exitCode":N} is printed as is and N becomes the exit code
 *   - `drbdsetup events2` without --now streams lines until the node closes the connection and then
 *     exits 0, silently, even when the node could not be reached (as the Node client does)
 *   - socket errors read as the Node client's "cannot reach the simulated node at DIR: connect|write|read
 *     ECODE ..."; stdout or stderr gone (the reader of an events2 stream ended): exit 1, as Node's EPIPE
 *     (with SIGPIPE at its default, as a child of Node or a shell has it, the signal ends us first)
 *   - an answer line longer than MAX_ANSWER_BYTES is refused (the node's answers are a few KiB)
 * Built by scripts/sim/build-client.sh into dist/sim-client (-Wall -Wextra -Werror); the unit test
 * test/unit/sim/fast-client.test.ts also builds it with AddressSanitizer and UBSan.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#define EXIT_FAILURE_CLI 1
#define EXIT_USAGE 2
#define MAX_ANSWER_BYTES (16u << 20)

typedef struct {
  char *p;
  size_t n, cap;
} buf_t;

/* All of it, across partial writes; 0, or -1 with errno set. */
static int write_all(int fd, const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    s += w;
    n -= (size_t)w;
  }
  return 0;
}

static void buf_put(buf_t *b, const char *s, size_t n) {
  if (n > SIZE_MAX / 4 - b->n) {
    (void)write_all(2, "sim-client: out of memory\n", 26);
    exit(EXIT_FAILURE_CLI);
  }
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + n + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
      (void)write_all(2, "sim-client: out of memory\n", 26);
      exit(EXIT_FAILURE_CLI);
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
}

static void buf_putc(buf_t *b, char c) { buf_put(b, &c, 1); }

/* stdout/stderr: when the reader has gone there is nobody left to tell; end as Node's EPIPE does. */
static void out(int fd, const char *s, size_t n) {
  if (write_all(fd, s, n) < 0) exit(EXIT_FAILURE_CLI);
}

/* The CLI's way out of a failed command: "drbd-sentinel: MESSAGE" on stderr. */
static void die(int code, const char *a, const char *b, const char *c) {
  buf_t m = {0};
  buf_put(&m, "drbd-sentinel: ", 15);
  buf_put(&m, a, strlen(a));
  if (b) buf_put(&m, b, strlen(b));
  if (c) buf_put(&m, c, strlen(c));
  buf_putc(&m, '\n');
  (void)write_all(2, m.p, m.n);
  exit(code);
}

/* ---- JSON: just what the control protocol needs ---- */

static void json_string_out(buf_t *b, const char *s) {
  /* JSON.stringify's escapes; bytes >= 0x80 pass through (the node decodes the line as UTF-8, as it
   * would the Node client's). */
  buf_putc(b, '"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
      case '"': buf_put(b, "\\\"", 2); break;
      case '\\': buf_put(b, "\\\\", 2); break;
      case '\b': buf_put(b, "\\b", 2); break;
      case '\f': buf_put(b, "\\f", 2); break;
      case '\n': buf_put(b, "\\n", 2); break;
      case '\r': buf_put(b, "\\r", 2); break;
      case '\t': buf_put(b, "\\t", 2); break;
      default:
        if (*p < 0x20) {
          char u[7];
          snprintf(u, sizeof u, "\\u%04x", *p);
          buf_put(b, u, 6);
        } else {
          buf_putc(b, (char)*p);
        }
    }
  }
  buf_putc(b, '"');
}

typedef struct {
  const char *p, *end;
  int bad;
} rd_t;

static void ws(rd_t *r) {
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')) r->p++;
}

static int hex4(rd_t *r, unsigned *out) {
  if (r->end - r->p < 4) return 0;
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = r->p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return 0;
  }
  r->p += 4;
  *out = v;
  return 1;
}

static void utf8(buf_t *b, unsigned cp) {
  char o[4];
  if (cp < 0x80) {
    o[0] = (char)cp;
    buf_put(b, o, 1);
  } else if (cp < 0x800) {
    o[0] = (char)(0xC0 | (cp >> 6));
    o[1] = (char)(0x80 | (cp & 0x3F));
    buf_put(b, o, 2);
  } else if (cp < 0x10000) {
    o[0] = (char)(0xE0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    buf_put(b, o, 3);
  } else {
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    buf_put(b, o, 4);
  }
}

/* A JSON string into `out` (NULL: skipped). A lone surrogate becomes U+FFFD, as Node writes it. */
static void str(rd_t *r, buf_t *out) {
  buf_t sink = {0};
  buf_t *b = out ? out : &sink;
  if (r->p >= r->end || *r->p != '"') {
    r->bad = 1;
    return;
  }
  r->p++;
  for (;;) {
    if (r->p >= r->end) {
      r->bad = 1;
      break;
    }
    unsigned char c = (unsigned char)*r->p++;
    if (c == '"') break;
    if (c < 0x20) {
      r->bad = 1;
      break;
    }
    if (c != '\\') {
      buf_putc(b, (char)c);
      continue;
    }
    if (r->p >= r->end) {
      r->bad = 1;
      break;
    }
    char e = *r->p++;
    unsigned cp;
    switch (e) {
      case '"': buf_putc(b, '"'); break;
      case '\\': buf_putc(b, '\\'); break;
      case '/': buf_putc(b, '/'); break;
      case 'b': buf_putc(b, '\b'); break;
      case 'f': buf_putc(b, '\f'); break;
      case 'n': buf_putc(b, '\n'); break;
      case 'r': buf_putc(b, '\r'); break;
      case 't': buf_putc(b, '\t'); break;
      case 'u':
        if (!hex4(r, &cp)) {
          r->bad = 1;
          goto done;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF && r->end - r->p >= 6 && r->p[0] == '\\' && r->p[1] == 'u') {
          rd_t look = {r->p + 2, r->end, 0};
          unsigned lo;
          if (hex4(&look, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
            r->p = look.p;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
        }
        utf8(b, cp >= 0xD800 && cp <= 0xDFFF ? 0xFFFD : cp);
        break;
      default:
        r->bad = 1;
        goto done;
    }
  }
done:
  free(sink.p);
}

static void value(rd_t *r);

static void lit(rd_t *r, const char *w) {
  size_t n = strlen(w);
  if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0) r->bad = 1;
  else r->p += n;
}

static void number(rd_t *r, double *out) {
  char tmp[64];
  size_t n = 0;
  while (r->p + n < r->end && n < sizeof tmp - 1 && r->p[n] != '\0' && strchr("+-0123456789.eE", r->p[n])) n++;
  if (n == 0) {
    r->bad = 1;
    return;
  }
  memcpy(tmp, r->p, n);
  tmp[n] = '\0';
  char *e;
  double d = strtod(tmp, &e);
  if ((size_t)(e - tmp) != n) r->bad = 1;
  r->p += n;
  if (out) *out = d;
}

/* Visits the members of an object; `member` is called with the reader at each value. */
typedef void (*member_fn)(rd_t *r, const char *key, void *ctx);

static void object(rd_t *r, member_fn member, void *ctx) {
  r->p++; /* '{' */
  ws(r);
  if (r->p < r->end && *r->p == '}') {
    r->p++;
    return;
  }
  for (;;) {
    buf_t key = {0};
    ws(r);
    str(r, &key);
    ws(r);
    if (r->bad || r->p >= r->end || *r->p != ':') {
      r->bad = 1;
      free(key.p);
      return;
    }
    r->p++;
    ws(r);
    if (member) member(r, key.p ? key.p : "", ctx);
    else value(r);
    free(key.p);
    ws(r);
    if (r->bad || r->p >= r->end) {
      r->bad = 1;
      return;
    }
    if (*r->p == ',') {
      r->p++;
      continue;
    }
    if (*r->p == '}') {
      r->p++;
      return;
    }
    r->bad = 1;
    return;
  }
}

static void value(rd_t *r) {
  ws(r);
  if (r->p >= r->end) {
    r->bad = 1;
    return;
  }
  switch (*r->p) {
    case '"': str(r, NULL); break;
    case '{': object(r, NULL, NULL); break;
    case '[':
      r->p++;
      ws(r);
      if (r->p < r->end && *r->p == ']') {
        r->p++;
        break;
      }
      for (;;) {
        value(r);
        ws(r);
        if (r->bad || r->p >= r->end) {
          r->bad = 1;
          return;
        }
        if (*r->p == ',') {
          r->p++;
          continue;
        }
        if (*r->p == ']') {
          r->p++;
          break;
        }
        r->bad = 1;
        return;
      }
      break;
    case 't': lit(r, "true"); break;
    case 'f': lit(r, "false"); break;
    case 'n': lit(r, "null"); break;
    default: number(r, NULL);
  }
}

/* One answer line; JSON.parse semantics for what is read (the last of duplicate keys wins). */
typedef struct {
  int is_object;
  int has_line; /* "line" is a string */
  buf_t line;
  int has_error; /* "error" is present (not undefined) */
  buf_t error;
  int has_result;
  rd_t result; /* where the result value starts */
} answer_t;

static void answer_member(rd_t *r, const char *key, void *ctx) {
  answer_t *a = ctx;
  if (strcmp(key, "line") == 0) {
    a->has_line = *r->p == '"';
    a->line.n = 0;
    if (a->has_line) str(r, &a->line);
    else value(r);
  } else if (strcmp(key, "error") == 0) {
    a->has_error = 1;
    a->error.n = 0;
    if (*r->p == '"') str(r, &a->error);
    else value(r);
  } else if (strcmp(key, "result") == 0) {
    a->has_result = 1;
    a->result = *r;
    value(r);
  } else {
    value(r);
  }
}

typedef struct {
  buf_t out, err;
  int has_exit;
  double exit_code;
} result_t;

static void result_member(rd_t *r, const char *key, void *ctx) {
  result_t *res = ctx;
  if (strcmp(key, "stdout") == 0 && *r->p == '"') {
    res->out.n = 0;
    str(r, &res->out);
  } else if (strcmp(key, "stderr") == 0 && *r->p == '"') {
    res->err.n = 0;
    str(r, &res->err);
  } else if (strcmp(key, "exitCode") == 0) {
    res->has_exit = 1;
    if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9')) number(r, &res->exit_code);
    else value(r);
  } else {
    value(r);
  }
}

/* Returns 0 for a syntax error. */
static int parse_answer(const char *line, size_t n, answer_t *a) {
  rd_t r = {line, line + n, 0};
  ws(&r);
  if (r.p < r.end && *r.p == '{') {
    a->is_object = 1;
    object(&r, answer_member, a);
  } else {
    value(&r);
  }
  ws(&r);
  return !r.bad && r.p == r.end;
}

/* Prints a drbdadm-like result and exits with its code (DRBD's codes, not the CLI's). */
static void emit(rd_t at, int streaming) {
  result_t res = {0};
  ws(&at);
  if (at.p >= at.end || *at.p != '{') {
    if (streaming) exit(0);
    die(EXIT_FAILURE_CLI, "internal error: the simulated node answered no command result", NULL, NULL);
  }
  object(&at, result_member, &res);
  if (streaming && !res.has_exit) exit(0);
  if (res.out.n) out(1, res.out.p, res.out.n);
  if (res.err.n) out(2, res.err.p, res.err.n);
  /* Node refuses a non-integer process.exitCode; converting one to int would be undefined behaviour. */
  double c = res.exit_code;
  if (!isfinite(c) || c < INT32_MIN || c > INT32_MAX || (double)(int)c != c)
    die(EXIT_FAILURE_CLI, "internal error: the simulated node answered a bad exit code", NULL, NULL);
  exit((int)c);
}

/* The Node client's text for a socket error: "cannot reach the simulated node at DIR: SYSCALL ECODE[ PATH]". */
static void unreachable(const char *dir, const char *syscall, int e, const char *path) {
  const char *name = strerrorname_np(e);
  buf_t m = {0};
  buf_put(&m, "cannot reach the simulated node at ", 35);
  buf_put(&m, dir, strlen(dir));
  buf_put(&m, ": ", 2);
  buf_put(&m, syscall, strlen(syscall));
  buf_putc(&m, ' ');
  buf_put(&m, name ? name : "EIO", strlen(name ? name : "EIO"));
  if (path) {
    buf_putc(&m, ' ');
    buf_put(&m, path, strlen(path));
  }
  die(EXIT_FAILURE_CLI, m.p, NULL, NULL);
}

/* path.posix.normalize(dir + "/ctl.sock"), as the Node client's join(dir, 'ctl.sock'). */
static char *socket_path(const char *dir) {
  size_t n = strlen(dir);
  char *joined = malloc(n + 10);
  char *outp = malloc(n + 12);
  if (!joined || !outp) exit(EXIT_FAILURE_CLI);
  memcpy(joined, dir, n);
  memcpy(joined + n, "/ctl.sock", 10);
  int absolute = joined[0] == '/';
  size_t o = 0;
  char *save = NULL;
  for (char *seg = strtok_r(joined, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
    if (strcmp(seg, ".") == 0) continue;
    if (strcmp(seg, "..") == 0) {
      /* drop the last segment unless it is '..' itself (or there is none) */
      size_t start = o;
      while (start > 0 && outp[start - 1] != '/') start--;
      int last_is_up = o - start == 2 && outp[start] == '.' && outp[start + 1] == '.';
      if (o > 0 && !last_is_up) {
        o = start > 0 ? start - 1 : 0;
        continue;
      }
      if (absolute) continue;
    }
    if (o > 0) outp[o++] = '/';
    size_t l = strlen(seg);
    memcpy(outp + o, seg, l);
    o += l;
  }
  outp[o] = '\0';
  free(joined);
  if (absolute) {
    char *a = malloc(o + 2);
    if (!a) exit(EXIT_FAILURE_CLI);
    a[0] = '/';
    memcpy(a + 1, outp, o + 1);
    free(outp);
    return a;
  }
  return outp; /* always ends in ctl.sock, never empty */
}

static int known_op(const char *op) {
  return !strcmp(op, "drbdadm") || !strcmp(op, "drbdsetup") || !strcmp(op, "mount") || !strcmp(op, "umount") ||
         !strcmp(op, "fuser");
}

/* DRBD_SIM_TRACE=1: one line per run, "START_MS END_MS OP ARGS...", appended to $DRBD_SIM_DIR/trace at
 * exit (bench/failover.ts sums the commands' time from it; a run killed by a signal leaves no line). */
static double trace_start_ms;
static char trace_line[2048];
static char trace_path[4096];

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void trace_at_exit(void) {
  char line[2200];
  int n = snprintf(line, sizeof line, "%.3f %.3f %s\n", trace_start_ms, now_ms(), trace_line);
  int fd = open(trace_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || n <= 0) return;
  (void)write_all(fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
  close(fd);
}

static void trace_begin(const char *op, int first, int argc, char **argv) {
  const char *on = getenv("DRBD_SIM_TRACE");
  const char *dir = getenv("DRBD_SIM_DIR");
  if (!on || strcmp(on, "1") || !dir || !*dir) return;
  trace_start_ms = now_ms();
  size_t used = (size_t)snprintf(trace_line, sizeof trace_line, "%s", op);
  for (int i = first; i < argc && used < sizeof trace_line; i++)
    used += (size_t)snprintf(trace_line + used, sizeof trace_line - used, " %s", argv[i]);
  snprintf(trace_path, sizeof trace_path, "%s/trace", dir);
  atexit(trace_at_exit);
}

int main(int argc, char **argv) {
  /* Called by the name of the command (a symlink drbdadm -> sim-client), like busybox: no shell
   * wrapper in between, so a run costs what the client costs. */
  const char *base = strrchr(argv[0], '/');
  base = base ? base + 1 : argv[0];
  int first = 2; /* the first argument of OP */
  const char *op;
  if (known_op(base)) {
    op = base;
    first = 1;
  } else {
    if (argc < 2) {
      (void)write_all(2, "usage: sim-client drbdadm|drbdsetup|mount|umount|fuser [ARGS...]\n", 65);
      return EXIT_USAGE;
    }
    op = argv[1];
    if (!known_op(op)) die(EXIT_USAGE, "sim-client: unknown command ", op, NULL);
  }
  trace_begin(op, first, argc, argv);
  int streaming = 0;
  if (strcmp(op, "drbdsetup") == 0 && argc > first && strcmp(argv[first], "events2") == 0) {
    streaming = 1;
    for (int i = first; i < argc; i++)
      if (strcmp(argv[i], "--now") == 0) streaming = 0;
  }

  const char *dir = getenv("DRBD_SIM_DIR");
  if (!dir || !*dir) die(EXIT_USAGE, "no simulator directory: pass --dir DIR or set DRBD_SIM_DIR", NULL, NULL);
  char *path = socket_path(dir);

  buf_t req = {0};
  buf_put(&req, "{\"op\":", 6);
  json_string_out(&req, op);
  buf_put(&req, ",\"args\":[", 9);
  for (int i = first; i < argc; i++) {
    if (i > first) buf_putc(&req, ',');
    json_string_out(&req, argv[i]);
  }
  buf_put(&req, "]}\n", 3);

  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  /* libuv truncates a path too long for sun_path; so do we, for the same answer */
  strncpy(sa.sun_path, path, sizeof sa.sun_path - 1);
  if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    if (streaming) return 0;
    unreachable(dir, "connect", errno, path);
  }
  /* send(MSG_NOSIGNAL): a node that went away is an error to report, not a SIGPIPE */
  for (size_t sent = 0; sent < req.n;) {
    ssize_t w = send(fd, req.p + sent, req.n - sent, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      if (streaming) return 0;
      unreachable(dir, "write", errno, NULL);
    }
    sent += (size_t)w;
  }

  buf_t in = {0};
  size_t scanned = 0; /* bytes of `in` known to hold no newline */
  char chunk[65536];
  for (;;) {
    ssize_t got = read(fd, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      if (streaming) return 0;
      unreachable(dir, "read", errno, NULL);
    }
    if (got == 0) break;
    buf_put(&in, chunk, (size_t)got);
    size_t start = 0;
    for (;;) {
      char *nl = memchr(in.p + scanned, '\n', in.n - scanned);
      if (!nl) {
        scanned = in.n;
        break;
      }
      size_t len = (size_t)(nl - (in.p + start));
      answer_t a = {0};
      int ok = parse_answer(in.p + start, len, &a);
      if (!ok || !a.is_object) {
        if (streaming) return 0;
        die(EXIT_FAILURE_CLI, "bad answer from the simulated node", NULL, NULL);
      }
      if (a.has_line) {
        if (streaming) {
          buf_putc(&a.line, '\n');
          out(1, a.line.p, a.line.n);
        }
      } else if (a.has_error) {
        if (streaming) return 0;
        if (!a.error.n) return EXIT_FAILURE_CLI; /* the CLI prints no empty message */
        /* by length: the message may hold a NUL (\u0000), which Node prints too */
        buf_t m = {0};
        buf_put(&m, "drbd-sentinel: ", 15);
        buf_put(&m, a.error.p, a.error.n);
        buf_putc(&m, '\n');
        (void)write_all(2, m.p, m.n);
        return EXIT_FAILURE_CLI;
      } else if (a.has_result) {
        emit(a.result, streaming);
      } else {
        if (streaming) return 0;
        die(EXIT_FAILURE_CLI, "internal error: the simulated node answered no command result", NULL, NULL);
      }
      free(a.line.p);
      free(a.error.p);
      start += len + 1;
      scanned = start;
    }
    memmove(in.p, in.p + start, in.n - start);
    in.n -= start;
    scanned -= start;
    if (in.n > MAX_ANSWER_BYTES) {
      if (streaming) return 0;
      die(EXIT_FAILURE_CLI, "bad answer from the simulated node (a line longer than 16 MiB)", NULL, NULL);
    }
  }
  if (streaming) return 0;
  die(EXIT_FAILURE_CLI, "the simulated node closed the connection", NULL, NULL);
  return EXIT_FAILURE_CLI;
}
