// netlab delayer: holds each packet of an NFQUEUE queue for delay ± jitter, then accepts it.
//
// tc netem is not in this kernel (FAULT-LAB-FACTS.md); an iptables NFQUEUE rule sends a
// host's gossip packets here instead. Each packet gets its own uniformly drawn hold time,
// so jitter larger than the gap between packets reorders them. Verdicts are given from
// a min-heap of due times; the queue is bound with --queue-bypass on the iptables side,
// so packets pass unharmed if this process dies.
//
// Usage: delayer QUEUE_NUM DELAY_MS JITTER_MS SEED
// Built by tools/netlab on demand: cc -O2 -o delayer delayer.c -lnetfilter_queue
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#ifndef NETLINK_NO_ENOBUFS
#define NETLINK_NO_ENOBUFS 5
#endif
#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

typedef struct { long long due_ns; uint32_t id; } Held;

static Held *heap;
static size_t heap_count, heap_capacity;
static long long delay_ns, jitter_ns;
static uint64_t rng_state;
static volatile sig_atomic_t stopping;
static unsigned long long held_total;

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t next_random(void) {  // splitmix64
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void heap_push(Held item) {
    if (heap_count == heap_capacity) {
        heap_capacity = heap_capacity ? heap_capacity * 2 : 1024;
        heap = realloc(heap, heap_capacity * sizeof *heap);
        if (!heap) { perror("delayer: realloc"); exit(1); }
    }
    size_t i = heap_count++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (heap[parent].due_ns <= item.due_ns) break;
        heap[i] = heap[parent];
        i = parent;
    }
    heap[i] = item;
}

static Held heap_pop(void) {
    Held top = heap[0];
    Held last = heap[--heap_count];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= heap_count) break;
        if (child + 1 < heap_count && heap[child + 1].due_ns < heap[child].due_ns) child++;
        if (last.due_ns <= heap[child].due_ns) break;
        heap[i] = heap[child];
        i = child;
    }
    if (heap_count) heap[i] = last;
    return top;
}

static int on_packet(struct nfq_q_handle *queue, struct nfgenmsg *message, struct nfq_data *data, void *context) {
    (void)queue; (void)message; (void)context;
    struct nfqnl_msg_packet_hdr *header = nfq_get_msg_packet_hdr(data);
    if (!header) return 0;
    long long hold = delay_ns;
    if (jitter_ns > 0) hold += (long long)(next_random() % (uint64_t)(2 * jitter_ns + 1)) - jitter_ns;
    if (hold < 0) hold = 0;
    heap_push((Held){now_ns() + hold, ntohl(header->packet_id)});
    held_total++;
    return 0;
}

static void on_signal(int signal_number) { (void)signal_number; stopping = 1; }

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: delayer QUEUE_NUM DELAY_MS JITTER_MS SEED\n");
        return 2;
    }
    int queue_number = atoi(argv[1]);
    delay_ns = atoll(argv[2]) * 1000000LL;
    jitter_ns = atoll(argv[3]) * 1000000LL;
    rng_state = strtoull(argv[4], NULL, 10);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    struct nfq_handle *handle = nfq_open();
    if (!handle) { perror("delayer: nfq_open"); return 1; }
    nfq_unbind_pf(handle, AF_INET);
    if (nfq_bind_pf(handle, AF_INET) < 0) { perror("delayer: nfq_bind_pf"); return 1; }
    struct nfq_q_handle *queue = nfq_create_queue(handle, (uint16_t)queue_number, on_packet, NULL);
    if (!queue) { perror("delayer: nfq_create_queue"); return 1; }
    if (nfq_set_mode(queue, NFQNL_COPY_META, 0) < 0) { perror("delayer: nfq_set_mode"); return 1; }
    nfq_set_queue_maxlen(queue, 65536);
    int fd = nfq_fd(handle);
    int one = 1;
    setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one);
    int buffer_size = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer_size, sizeof buffer_size);
    fprintf(stderr, "delayer: queue %d, %s ms ± %s ms\n", queue_number, argv[2], argv[3]);

    char buffer[65536] __attribute__((aligned));
    while (!stopping) {
        long long now = now_ns();
        while (heap_count && heap[0].due_ns <= now) {
            Held item = heap_pop();
            nfq_set_verdict(queue, item.id, NF_ACCEPT, 0, NULL);
        }
        int timeout_ms = -1;
        if (heap_count) {
            long long wait = heap[0].due_ns - now;
            timeout_ms = (int)((wait + 999999) / 1000000);
        }
        struct pollfd poll_fd = {fd, POLLIN, 0};
        int ready = poll(&poll_fd, 1, timeout_ms);
        if (ready < 0) {
            if (errno == EINTR) continue;
            perror("delayer: poll");
            break;
        }
        if (ready > 0) {
            for (;;) {
                ssize_t n = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
                if (n < 0) {
                    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS && errno != EINTR)
                        perror("delayer: recv");
                    break;
                }
                nfq_handle_packet(handle, buffer, (int)n);
            }
        }
    }
    // Release what is still held rather than letting the kernel drop it.
    while (heap_count) nfq_set_verdict(queue, heap_pop().id, NF_ACCEPT, 0, NULL);
    fprintf(stderr, "delayer: stopped after %llu packets\n", held_total);
    nfq_destroy_queue(queue);
    nfq_close(handle);
    return 0;
}
