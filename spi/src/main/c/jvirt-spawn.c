/*
 * jvirt-spawn: the pre-exec helper of io.jvirt.spi.process.Spawner.
 *
 * Java cannot run code between fork and exec. The JVM starts this helper instead of the real
 * program; the helper connects back to the JVM's control socket and then obeys it:
 *
 *   helper -> JVM   "PID <pid>\n"                       once, after connecting
 *   JVM -> helper   "CONNECT <timeout-ms> <path>\n"     connect to a unix socket from this process
 *   helper -> JVM   "FD\n" + SCM_RIGHTS(fd)             the connected descriptor, kept across exec
 *                   "ERR <message>\n"                    or why not
 *   JVM -> helper   "GO\n"                               set session, umask, limits, user; exec
 *                   "ABORT\n" (or EOF, or timeout)       exit 3; nothing is executed
 *   helper -> JVM   "EXECFAIL <errno> <message>\n"      if exec itself fails (exit 127)
 *
 * The control socket is close-on-exec, so a successful exec shows up in the JVM as end of
 * stream. After GO every descriptor but 0-2 and the connected ones is made close-on-exec.
 *
 * usage: jvirt-spawn --control PATH [--timeout MS] [--umask OCTAL] [--rlimit NAME=VALUE]...
 *                    [--gid N] [--uid N] [--cwd DIR] -- PROGRAM [ARG]...
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_KEPT 64
#define MAX_LIMITS 16
#define LINE_MAX_LEN 8192

static int control = -1;
static long timeout_ms = 60000;
static int kept[MAX_KEPT];
static int nkept;

struct limit { int resource; rlim_t value; };

static void die(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "jvirt-spawn: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(code);
}

static int write_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        buf += n;
        len -= (size_t) n;
    }
    return 0;
}

static void reply(const char *fmt, ...) {
    char buf[LINE_MAX_LEN];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t) n >= sizeof buf) n = (int) sizeof buf - 1;
    if (write_all(control, buf, (size_t) n) < 0) die(3, "control socket write failed: %s", strerror(errno));
}

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Reads one line from the control socket; exits on EOF, error or the overall deadline. */
static void read_line(char *buf, size_t cap, long deadline) {
    size_t len = 0;
    for (;;) {
        long left = deadline - now_ms();
        if (left <= 0) die(3, "no word from the JVM within %ld ms; giving up", timeout_ms);
        struct pollfd p = { .fd = control, .events = POLLIN };
        int r = poll(&p, 1, (int) (left > 1000000 ? 1000000 : left));
        if (r < 0) {
            if (errno == EINTR) continue;
            die(3, "poll: %s", strerror(errno));
        }
        if (r == 0) continue;
        char c;
        ssize_t n = read(control, &c, 1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die(3, "control socket read failed: %s", strerror(errno));
        }
        if (n == 0) exit(3); /* the JVM went away: abort */
        if (c == '\n') {
            buf[len] = '\0';
            return;
        }
        if (len + 1 >= cap) die(3, "control line too long");
        buf[len++] = c;
    }
}

static void send_fd(int fd) {
    char data[] = "FD\n";
    struct iovec iov = { .iov_base = data, .iov_len = 3 };
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
    memset(&u, 0, sizeof u);
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    for (;;) {
        ssize_t n = sendmsg(control, &msg, MSG_NOSIGNAL);
        if (n == 3) return;
        if (n < 0 && errno == EINTR) continue;
        die(3, "sendmsg: %s", n < 0 ? strerror(errno) : "short write");
    }
}

static void set_timeouts(int fd, long ms) {
    struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static void do_connect(const char *args) {
    char *end;
    long ms = strtol(args, &end, 10);
    if (end == args || *end != ' ') {
        reply("ERR malformed CONNECT\n");
        return;
    }
    const char *path = end + 1;
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof addr.sun_path) {
        reply("ERR socket path too long: %s\n", path);
        return;
    }
    if (nkept >= MAX_KEPT) {
        reply("ERR too many descriptors\n");
        return;
    }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0); /* no SOCK_CLOEXEC: it is meant to survive exec */
    if (fd < 0) {
        reply("ERR socket: %s\n", strerror(errno));
        return;
    }
    if (ms > 0) set_timeouts(fd, ms);
    while (connect(fd, (struct sockaddr *) &addr, sizeof addr) < 0) {
        if (errno == EINTR) continue;
        int e = errno;
        close(fd);
        reply("ERR connect %s: %s\n", path, strerror(e));
        return;
    }
    kept[nkept++] = fd;
    send_fd(fd);
}

static int is_kept(int fd) {
    for (int i = 0; i < nkept; i++) if (kept[i] == fd) return 1;
    return 0;
}

/* Marks every descriptor but 0-2 and the kept ones close-on-exec. */
static void seal_descriptors(void) {
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL) {
        struct rlimit rl;
        long max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (long) rl.rlim_cur : 65536;
        for (int fd = 3; fd < max; fd++) if (!is_kept(fd)) fcntl(fd, F_SETFD, FD_CLOEXEC);
        return;
    }
    int dfd = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        int fd = atoi(e->d_name);
        if (fd > 2 && fd != dfd && !is_kept(fd)) fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    closedir(d);
    for (int i = 0; i < nkept; i++) {
        set_timeouts(kept[i], 0);
        int flags = fcntl(kept[i], F_GETFD);
        if (flags >= 0) fcntl(kept[i], F_SETFD, flags & ~FD_CLOEXEC);
    }
}

static int resource_of(const char *name) {
    if (strcmp(name, "nofile") == 0) return RLIMIT_NOFILE;
    if (strcmp(name, "memlock") == 0) return RLIMIT_MEMLOCK;
    if (strcmp(name, "core") == 0) return RLIMIT_CORE;
    if (strcmp(name, "nproc") == 0) return RLIMIT_NPROC;
    if (strcmp(name, "fsize") == 0) return RLIMIT_FSIZE;
    if (strcmp(name, "as") == 0) return RLIMIT_AS;
    return -1;
}

int main(int argc, char **argv) {
    const char *control_path = NULL;
    const char *cwd = NULL;
    mode_t mask = 077;
    long uid = -1, gid = -1;
    struct limit limits[MAX_LIMITS];
    int nlimits = 0;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--") == 0) { i++; break; }
        if (v == NULL) die(2, "option %s needs a value", a);
        if (strcmp(a, "--control") == 0) control_path = v;
        else if (strcmp(a, "--timeout") == 0) timeout_ms = strtol(v, NULL, 10);
        else if (strcmp(a, "--umask") == 0) mask = (mode_t) strtol(v, NULL, 8);
        else if (strcmp(a, "--uid") == 0) uid = strtol(v, NULL, 10);
        else if (strcmp(a, "--gid") == 0) gid = strtol(v, NULL, 10);
        else if (strcmp(a, "--cwd") == 0) cwd = v;
        else if (strcmp(a, "--rlimit") == 0) {
            const char *eq = strchr(v, '=');
            char name[32];
            if (eq == NULL || (size_t) (eq - v) >= sizeof name || nlimits >= MAX_LIMITS) die(2, "bad --rlimit %s", v);
            memcpy(name, v, (size_t) (eq - v));
            name[eq - v] = '\0';
            int r = resource_of(name);
            if (r < 0) die(2, "unknown resource limit '%s'", name);
            limits[nlimits].resource = r;
            limits[nlimits].value = strcmp(eq + 1, "unlimited") == 0 ? RLIM_INFINITY : (rlim_t) strtoull(eq + 1, NULL, 10);
            nlimits++;
        } else die(2, "unknown option %s", a);
        i++;
    }
    if (control_path == NULL || i >= argc) die(2, "usage: jvirt-spawn --control PATH [options] -- PROGRAM [ARG]...");
    char **program = &argv[i];

    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(control_path) >= sizeof addr.sun_path) die(2, "control path too long");
    strcpy(addr.sun_path, control_path);
    control = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (control < 0) die(3, "socket: %s", strerror(errno));
    if (connect(control, (struct sockaddr *) &addr, sizeof addr) < 0) die(3, "connect %s: %s", control_path, strerror(errno));
    reply("PID %ld\n", (long) getpid());

    long deadline = now_ms() + timeout_ms;
    char line[LINE_MAX_LEN];
    for (;;) {
        read_line(line, sizeof line, deadline);
        if (strncmp(line, "CONNECT ", 8) == 0) do_connect(line + 8);
        else if (strcmp(line, "GO") == 0) break;
        else if (strcmp(line, "ABORT") == 0) exit(3);
        else die(3, "unknown control command '%s'", line);
    }

    if (setsid() < 0 && errno != EPERM) {
        reply("EXECFAIL %d setsid: %s\n", errno, strerror(errno));
        exit(127);
    }
    umask(mask);
    for (int k = 0; k < nlimits; k++) {
        struct rlimit rl = { limits[k].value, limits[k].value };
        if (setrlimit(limits[k].resource, &rl) < 0) {
            reply("EXECFAIL %d setrlimit: %s\n", errno, strerror(errno));
            exit(127);
        }
    }
    if (gid >= 0) {
        gid_t g = (gid_t) gid;
        if (setgroups(1, &g) < 0 || setgid(g) < 0) {
            reply("EXECFAIL %d setgid %ld: %s\n", errno, gid, strerror(errno));
            exit(127);
        }
    }
    if (uid >= 0 && setuid((uid_t) uid) < 0) {
        reply("EXECFAIL %d setuid %ld: %s\n", errno, uid, strerror(errno));
        exit(127);
    }
    if (cwd != NULL && chdir(cwd) < 0) {
        reply("EXECFAIL %d chdir %s: %s\n", errno, cwd, strerror(errno));
        exit(127);
    }
    seal_descriptors();
    execv(program[0], program);
    int e = errno;
    fprintf(stderr, "jvirt-spawn: exec %s: %s\n", program[0], strerror(e));
    reply("EXECFAIL %d exec %s: %s\n", e, program[0], strerror(e));
    exit(127);
}
