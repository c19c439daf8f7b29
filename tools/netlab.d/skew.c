// netlab skew shim: LD_PRELOAD library that shifts the wall clock of one process.
//
// Only wall-clock reads move (CLOCK_REALTIME, CLOCK_REALTIME_COARSE, CLOCK_TAI,
// gettimeofday, time); monotonic clocks are untouched, so Task.sleep, Dispatch and
// NIO timers keep working (libfaketime stops them, see FAULT-LAB-FACTS.md). Calls that
// wait until a wall-clock deadline get the deadline translated back to real time:
// clock_nanosleep(TIMER_ABSTIME) on a realtime clock, pthread_cond_timedwait on a
// realtime condition variable, pthread_cond_clockwait, sem_timedwait, and absolute
// timerfds on a realtime clock.
//
// The offset, in whole or fractional seconds (may be negative), is read from the file
// named by NETLAB_SKEW_FILE, re-read at most every 100 ms so a running process can be
// skewed and unskewed; a missing or empty file means no offset.
//
// Built by tools/netlab on demand: cc -O2 -shared -fPIC -o skew.so skew.c -ldl -lpthread
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define NSEC 1000000000LL
#define MAX_FDS 4096

static _Atomic long long offset_ns;      // current offset
static _Atomic long long next_read_ns;   // monotonic time of the next file read
static _Atomic unsigned char realtime_fd[MAX_FDS];  // timerfds created on a realtime clock

static long long raw_monotonic_ns(void) {
    struct timespec ts;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * NSEC + ts.tv_nsec;
}

static long long current_offset(void) {
    long long now = raw_monotonic_ns();
    if (now >= atomic_load(&next_read_ns)) {
        atomic_store(&next_read_ns, now + 100000000LL);
        const char *path = getenv("NETLAB_SKEW_FILE");
        long long value = 0;
        if (path) {
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd >= 0) {
                char buffer[64];
                ssize_t n = read(fd, buffer, sizeof buffer - 1);
                close(fd);
                if (n > 0) {
                    buffer[n] = 0;
                    value = (long long)(strtod(buffer, NULL) * (double)NSEC);
                }
            }
        }
        atomic_store(&offset_ns, value);
    }
    return atomic_load(&offset_ns);
}

static int is_wall(clockid_t clock) {
    return clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE || clock == CLOCK_TAI;
}

static void shift(struct timespec *ts, long long by) {
    long long total = (long long)ts->tv_sec * NSEC + ts->tv_nsec + by;
    if (total < 0) total = 0;
    ts->tv_sec = total / NSEC;
    ts->tv_nsec = total % NSEC;
}

#define REAL(name) \
    static __typeof__(name) *real_##name; \
    if (!real_##name) real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

int clock_gettime(clockid_t clock, struct timespec *ts) {
    REAL(clock_gettime);
    int result = real_clock_gettime(clock, ts);
    if (result == 0 && is_wall(clock)) shift(ts, current_offset());
    return result;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
    REAL(gettimeofday);
    int result = real_gettimeofday(tv, tz);
    if (result == 0) {
        struct timespec ts = {tv->tv_sec, tv->tv_usec * 1000};
        shift(&ts, current_offset());
        tv->tv_sec = ts.tv_sec;
        tv->tv_usec = ts.tv_nsec / 1000;
    }
    return result;
}

time_t time(time_t *out) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (out) *out = ts.tv_sec;
    return ts.tv_sec;
}

int clock_nanosleep(clockid_t clock, int flags, const struct timespec *request, struct timespec *remain) {
    REAL(clock_nanosleep);
    if ((flags & TIMER_ABSTIME) && is_wall(clock) && request) {
        struct timespec real_deadline = *request;
        shift(&real_deadline, -current_offset());
        return real_clock_nanosleep(clock, flags, &real_deadline, remain);
    }
    return real_clock_nanosleep(clock, flags, request, remain);
}

// glibc keeps a condition variable's clock in bit 1 of __wrefs (1 = CLOCK_MONOTONIC).
static int cond_is_realtime(pthread_cond_t *cond) {
    return (cond->__data.__wrefs & 2) == 0;
}

int pthread_cond_timedwait(pthread_cond_t *restrict cond, pthread_mutex_t *restrict mutex,
                           const struct timespec *restrict abstime) {
    REAL(pthread_cond_timedwait);
    if (cond_is_realtime(cond)) {
        struct timespec real_deadline = *abstime;
        shift(&real_deadline, -current_offset());
        return real_pthread_cond_timedwait(cond, mutex, &real_deadline);
    }
    return real_pthread_cond_timedwait(cond, mutex, abstime);
}

int pthread_cond_clockwait(pthread_cond_t *restrict cond, pthread_mutex_t *restrict mutex, clockid_t clock,
                           const struct timespec *restrict abstime) {
    REAL(pthread_cond_clockwait);
    if (is_wall(clock)) {
        struct timespec real_deadline = *abstime;
        shift(&real_deadline, -current_offset());
        return real_pthread_cond_clockwait(cond, mutex, clock, &real_deadline);
    }
    return real_pthread_cond_clockwait(cond, mutex, clock, abstime);
}

int sem_timedwait(sem_t *restrict sem, const struct timespec *restrict abstime) {
    REAL(sem_timedwait);
    struct timespec real_deadline = *abstime;
    shift(&real_deadline, -current_offset());
    return real_sem_timedwait(sem, &real_deadline);
}

int timerfd_create(int clock, int flags) {
    REAL(timerfd_create);
    int fd = real_timerfd_create(clock, flags);
    if (fd >= 0 && fd < MAX_FDS) atomic_store(&realtime_fd[fd], is_wall(clock) ? 1 : 0);
    return fd;
}

int timerfd_settime(int fd, int flags, const struct itimerspec *new_value, struct itimerspec *old_value) {
    REAL(timerfd_settime);
    if ((flags & TFD_TIMER_ABSTIME) && new_value && fd >= 0 && fd < MAX_FDS && atomic_load(&realtime_fd[fd])
        && (new_value->it_value.tv_sec || new_value->it_value.tv_nsec)) {
        struct itimerspec real_value = *new_value;
        shift(&real_value.it_value, -current_offset());
        return real_timerfd_settime(fd, flags, &real_value, old_value);
    }
    return real_timerfd_settime(fd, flags, new_value, old_value);
}
