/*
 * memif_pingpong.c: the raw C baseline of `./rum bench transport` for the DPDK memif rows.
 *
 * Two processes over one memif link, DPDK used directly (no RUM shim, no protocol): the server
 * echoes every frame back on the mbuf it arrived in (MACs swapped), the client sends one frame,
 * spins until its echo is back, and records the round trip. What Java over memif is compared
 * with is therefore the floor: two rx_burst/tx_burst pairs and the memif copies, nothing else.
 *
 *   memif_pingpong <EAL args> -- server
 *   memif_pingpong <EAL args> -- client <calls> <warmup> <seconds> <in-flight> <size>...
 *
 * Frame: Ethernet header (broadcast dst, port MAC src, EtherType 0x88B5), then <size> bytes of
 * payload: magic 'RUMB' (u32), kind (u32: 1 echo, 2 stop), sequence (u64), filler. So <size> is
 * the payload after the Ethernet header, as the RPC payload size is for the Java rows.
 *
 * Output (stdout, one line each, parsed by MemifPingPong.java):
 *   LISTENING lcore=<l> cpu=<c>                                  (server, port started)
 *   CLIENT lcore=<l> cpu=<c>                                     (client, link up)
 *   LATENCY size=<B> n=<n> lost=<n> p50=<ns> p99=<ns> p999=<ns> min=<ns>
 *   THROUGHPUT size=<B> inflight=<k> seconds=<s> rate=<round trips/s> lost=<n>
 * Diagnostics go to stderr. The server stops on a stop frame or SIGTERM/SIGINT, cleans EAL up and
 * exits 0. A frame not echoed within LOSS_TIMEOUT_NS is counted as lost (memif drops frames now and
 * then), never recorded as a latency.
 */
#define _GNU_SOURCE /* sched_getcpu */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#define ETHER_TYPE_RUM 0x88B5
#define MAGIC 0x524D5542u
#define KIND_ECHO 1u
#define KIND_STOP 2u
#define PAYLOAD_MIN 16u  /* magic + kind + seq */
#define PAYLOAD_MAX 8192u
#define BURST 32
#define POOL_SIZE 2047
#define POOL_CACHE 128
#define DATA_ROOM (RTE_PKTMBUF_HEADROOM + RTE_ETHER_HDR_LEN + PAYLOAD_MAX)
#define LOSS_TIMEOUT_NS 100000000ull   /* 100 ms */
#define START_TIMEOUT_NS 10000000000ull /* 10 s for the server to listen / the link to come up */
#define MAX_LOST 100                   /* a link that loses this many frames in a row is broken */
#define LINK_CHECK_POLLS 65536         /* empty polls between link checks on the server (~1-2 ms) */
#define STOP_GRACE_US 100000           /* the client waits this long after its stop frame */

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "memif_pingpong: %s failed: %s (%d)\n", what, rte_strerror(err < 0 ? -err : err), err);
	exit(1);
}

static uint16_t port;
static struct rte_mempool *pool;
static struct rte_ether_addr my_mac;
static uint8_t pattern[PAYLOAD_MAX];

static void port_open(int is_client)
{
	struct rte_eth_conf conf;
	uint16_t nb_rxd = 0, nb_txd = 0;
	if (rte_eth_dev_count_avail() < 1) {
		fprintf(stderr, "memif_pingpong: no port: give --vdev=net_memif0,...\n");
		exit(1);
	}
	RTE_ETH_FOREACH_DEV(port) break;
	pool = rte_pktmbuf_pool_create("bench_pool", POOL_SIZE, POOL_CACHE, 0, DATA_ROOM, (int)rte_socket_id());
	if (pool == NULL)
		die("rte_pktmbuf_pool_create", rte_errno);
	memset(&conf, 0, sizeof(conf));
	int rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc < 0)
		die("rte_eth_dev_configure", rc);
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	if (rc < 0)
		die("rte_eth_dev_adjust_nb_rx_tx_desc", rc);
	rc = rte_eth_rx_queue_setup(port, 0, nb_rxd, rte_socket_id(), NULL, pool);
	if (rc < 0)
		die("rte_eth_rx_queue_setup", rc);
	rc = rte_eth_tx_queue_setup(port, 0, nb_txd, rte_socket_id(), NULL);
	if (rc < 0)
		die("rte_eth_tx_queue_setup", rc);
	/* A memif client cannot start before its server listens: retry. */
	const uint64_t deadline = now_ns() + START_TIMEOUT_NS;
	while ((rc = rte_eth_dev_start(port)) < 0 && is_client && now_ns() < deadline && !stopping)
		usleep(10000);
	if (rc < 0)
		die("rte_eth_dev_start", rc);
	rte_eth_macaddr_get(port, &my_mac);
}

static int link_up(void)
{
	struct rte_eth_link link;
	memset(&link, 0, sizeof(link));
	return rte_eth_link_get_nowait(port, &link) == 0 && link.link_status == RTE_ETH_LINK_UP;
}

/* Waits for the link: up to START_TIMEOUT_NS, or until stopped if forever. */
static int link_wait(int bounded)
{
	const uint64_t deadline = now_ns() + START_TIMEOUT_NS;
	while ((!bounded || now_ns() < deadline) && !stopping) {
		if (link_up())
			return 1;
		usleep(1000);
	}
	return 0;
}

static void port_close(void)
{
	struct rte_eth_stats st;
	if (rte_eth_stats_get(port, &st) == 0)
		fprintf(stderr, "memif_pingpong: port ipackets=%lu opackets=%lu imissed=%lu ierrors=%lu oerrors=%lu\n",
			(unsigned long)st.ipackets, (unsigned long)st.opackets, (unsigned long)st.imissed,
			(unsigned long)st.ierrors, (unsigned long)st.oerrors);
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	rte_mempool_free(pool);
	rte_eal_cleanup();
}

/* Fields of the payload, read and written unaligned. */
static inline uint8_t *payload(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, uint8_t *, RTE_ETHER_HDR_LEN);
}

static int is_ours(struct rte_mbuf *m, uint32_t *kind, uint64_t *seq)
{
	if (m->pkt_len < RTE_ETHER_HDR_LEN + PAYLOAD_MIN || m->nb_segs != 1)
		return 0;
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (eth->ether_type != rte_cpu_to_be_16(ETHER_TYPE_RUM))
		return 0;
	uint32_t magic;
	const uint8_t *p = payload(m);
	memcpy(&magic, p, 4);
	memcpy(kind, p + 4, 4);
	memcpy(seq, p + 8, 8);
	return magic == MAGIC;
}

/* ---- server ------------------------------------------------------------------------------ */

static int serve(void)
{
	struct rte_mbuf *pkts[BURST], *echo[BURST];
	uint64_t echoed = 0;
	uint32_t empty = 0;
	printf("LISTENING lcore=%u cpu=%d\n", rte_lcore_id(), sched_getcpu());
	fflush(stdout);
	/*
	 * The memif PMD has been seen to crash in rx_burst when the peer disconnects while it is polled: wait
	 * for the link before polling, and stop when it goes down (checked every LINK_CHECK_POLLS empty polls).
	 * The client sends a stop frame and waits before it disconnects, so normally the server is gone first.
	 */
	if (!link_wait(0)) {
		fprintf(stderr, "memif_pingpong: server link did not come up\n");
		return 1;
	}
	while (!stopping) {
		const uint16_t n = rte_eth_rx_burst(port, 0, pkts, BURST);
		if (n == 0 && ++empty == LINK_CHECK_POLLS) {
			empty = 0;
			if (!link_up()) {
				fprintf(stderr, "memif_pingpong: server link went down\n");
				break;
			}
		}
		uint16_t k = 0;
		for (uint16_t i = 0; i < n; i++) {
			uint32_t kind;
			uint64_t seq;
			if (!is_ours(pkts[i], &kind, &seq)) {
				rte_pktmbuf_free(pkts[i]);
				continue;
			}
			if (kind == KIND_STOP) {
				stopping = 1;
				rte_pktmbuf_free(pkts[i]);
				continue;
			}
			/* Echo on the same mbuf: the source becomes the destination. */
			struct rte_ether_hdr *eth = rte_pktmbuf_mtod(pkts[i], struct rte_ether_hdr *);
			rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
			rte_ether_addr_copy(&my_mac, &eth->src_addr);
			echo[k++] = pkts[i];
		}
		uint16_t sent = 0;
		while (sent < k && !stopping)
			sent += rte_eth_tx_burst(port, 0, echo + sent, (uint16_t)(k - sent));
		if (sent < k)
			rte_pktmbuf_free_bulk(echo + sent, (unsigned)(k - sent));
		echoed += sent;
	}
	fprintf(stderr, "memif_pingpong: server echoed %lu frames\n", (unsigned long)echoed);
	return 0;
}

/* ---- client ------------------------------------------------------------------------------ */

/* Builds and transmits one frame; 0 if the pool is empty or the ring stays full. */
static int send_frame(uint32_t kind, uint64_t seq, uint32_t size)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	if (m == NULL)
		return 0;
	uint8_t *frame = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(RTE_ETHER_HDR_LEN + size));
	if (frame == NULL) {
		rte_pktmbuf_free(m);
		return 0;
	}
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)frame;
	memset(&eth->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
	rte_ether_addr_copy(&my_mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(ETHER_TYPE_RUM);
	uint8_t *p = frame + RTE_ETHER_HDR_LEN;
	const uint32_t magic = MAGIC;
	memcpy(p, &magic, 4);
	memcpy(p + 4, &kind, 4);
	memcpy(p + 8, &seq, 8);
	rte_memcpy(p + PAYLOAD_MIN, pattern, size - PAYLOAD_MIN);
	for (int tries = 0; tries < 1000000; tries++)
		if (rte_eth_tx_burst(port, 0, &m, 1) == 1)
			return 1;
	rte_pktmbuf_free(m);
	return 0;
}

/* One echo for seq: its round trip in ns, or 0 if it was lost. Stale echoes are dropped. */
static uint64_t round_trip(uint64_t seq, uint32_t size)
{
	struct rte_mbuf *pkts[BURST];
	const uint64_t start = now_ns();
	if (!send_frame(KIND_ECHO, seq, size))
		die("send (pool empty or tx ring full)", ENOBUFS);
	for (;;) {
		const uint16_t n = rte_eth_rx_burst(port, 0, pkts, BURST);
		int done = 0;
		for (uint16_t i = 0; i < n; i++) {
			uint32_t kind;
			uint64_t got;
			if (is_ours(pkts[i], &kind, &got) && got == seq)
				done = 1;
			rte_pktmbuf_free(pkts[i]);
		}
		const uint64_t end = now_ns();
		if (done)
			return end - start;
		if (end - start > LOSS_TIMEOUT_NS)
			return 0;
	}
}

static void latency(long calls, long warmup, uint32_t size, uint64_t *seq, uint64_t *rtt)
{
	long lost = 0, got = 0, lost_in_row = 0;
	for (long i = -warmup; i < calls && lost_in_row < MAX_LOST && !stopping; i++) {
		const uint64_t ns = round_trip(++*seq, size);
		if (ns == 0) {
			lost++;
			lost_in_row++;
			continue;
		}
		lost_in_row = 0;
		if (i >= 0)
			rtt[got++] = ns;
	}
	if (got == 0) {
		printf("LATENCY size=%u n=0 lost=%ld p50=0 p99=0 p999=0 min=0\n", size, lost);
		return;
	}
	qsort(rtt, (size_t)got, sizeof(uint64_t), cmp_u64);
	printf("LATENCY size=%u n=%ld lost=%ld p50=%lu p99=%lu p999=%lu min=%lu\n", size, got, lost,
	       (unsigned long)rtt[got * 50 / 100], (unsigned long)rtt[got * 99 / 100],
	       (unsigned long)rtt[got * 999 / 1000], (unsigned long)rtt[0]);
	fflush(stdout);
}

/*
 * Keeps in_flight frames outstanding for the given time: each echo that returns is answered with a
 * new frame. A frame lost on the way shrinks the window, so after LOSS_TIMEOUT_NS without any echo
 * the window is refilled and the missing frames counted as lost.
 */
static void throughput(int in_flight, double seconds, uint32_t size, uint64_t *seq)
{
	struct rte_mbuf *pkts[BURST];
	long outstanding = 0, done = 0, lost = 0;
	for (; outstanding < in_flight; outstanding++)
		if (!send_frame(KIND_ECHO, ++*seq, size))
			die("send (pool empty or tx ring full)", ENOBUFS);
	const uint64_t start = now_ns();
	const uint64_t end = start + (uint64_t)(seconds * 1e9);
	uint64_t last_echo = start, now = start;
	while (now < end && !stopping) {
		const uint16_t n = rte_eth_rx_burst(port, 0, pkts, BURST);
		now = now_ns();
		for (uint16_t i = 0; i < n; i++) {
			uint32_t kind;
			uint64_t got;
			const int ours = is_ours(pkts[i], &kind, &got);
			rte_pktmbuf_free(pkts[i]);
			if (!ours)
				continue;
			done++;
			outstanding--;
			last_echo = now;
			if (send_frame(KIND_ECHO, ++*seq, size))
				outstanding++;
		}
		if (now - last_echo > LOSS_TIMEOUT_NS) {
			lost += outstanding;
			for (outstanding = 0; outstanding < in_flight; outstanding++)
				if (!send_frame(KIND_ECHO, ++*seq, size))
					break;
			last_echo = now;
		}
	}
	const double elapsed = (double)(now_ns() - start) / 1e9;
	/* Drain what is still in flight, so it does not reach the next measurement. */
	const uint64_t drain_end = now_ns() + LOSS_TIMEOUT_NS;
	while (outstanding > 0 && now_ns() < drain_end) {
		const uint16_t n = rte_eth_rx_burst(port, 0, pkts, BURST);
		outstanding -= n;
		rte_pktmbuf_free_bulk(pkts, n);
	}
	printf("THROUGHPUT size=%u inflight=%d seconds=%.3f rate=%.0f lost=%ld\n", size, in_flight, elapsed,
	       done / elapsed, lost);
	fflush(stdout);
}

static int client(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: memif_pingpong <EAL> -- client <calls> <warmup> <seconds> <in-flight> <size>...\n");
		return 2;
	}
	const long calls = atol(argv[0]), warmup = atol(argv[1]);
	const double seconds = atof(argv[2]);
	const int in_flight = atoi(argv[3]);
	if (calls <= 0 || warmup < 0 || seconds <= 0 || in_flight <= 0 || in_flight > POOL_SIZE / 4) {
		fprintf(stderr, "memif_pingpong: bad client arguments\n");
		return 2;
	}
	uint64_t *rtt = malloc(sizeof(uint64_t) * (size_t)calls);
	if (rtt == NULL)
		die("malloc", ENOMEM);
	for (unsigned i = 0; i < PAYLOAD_MAX; i++)
		pattern[i] = (uint8_t)i;
	printf("CLIENT lcore=%u cpu=%d\n", rte_lcore_id(), sched_getcpu());
	fflush(stdout);
	uint64_t seq = 0;
	for (int s = 4; s < argc && !stopping; s++) {
		const long size = atol(argv[s]);
		if (size < (long)PAYLOAD_MIN || size > (long)PAYLOAD_MAX) {
			fprintf(stderr, "memif_pingpong: size %ld not in %u..%u\n", size, PAYLOAD_MIN, PAYLOAD_MAX);
			return 2;
		}
		latency(calls, warmup, (uint32_t)size, &seq, rtt);
	}
	throughput(in_flight, seconds, 64, &seq);
	/* Stop the server; it also stops on SIGTERM if this frame is lost. */
	send_frame(KIND_STOP, ++seq, PAYLOAD_MIN);
	usleep(STOP_GRACE_US);
	free(rtt);
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	const int parsed = rte_eal_init(argc, argv);
	if (parsed < 0)
		die("rte_eal_init", rte_errno);
	/* EAL moves the program name to argv[parsed]; the application's arguments follow it. */
	argc -= parsed + 1;
	argv += parsed + 1;
	if (argc > 0 && strcmp(argv[0], "--") == 0) {
		argc--;
		argv++;
	}
	if (argc < 1 || (strcmp(argv[0], "server") != 0 && strcmp(argv[0], "client") != 0)) {
		fprintf(stderr, "usage: memif_pingpong <EAL args> -- server | client <calls> <warmup> <seconds> "
				"<in-flight> <size>...\n");
		rte_eal_cleanup();
		return 2;
	}
	const int is_client = strcmp(argv[0], "client") == 0;
	port_open(is_client);
	int rc;
	if (is_client) {
		if (!link_wait(1)) {
			fprintf(stderr, "memif_pingpong: client link did not come up\n");
			port_close();
			return 1;
		}
		rc = client(argc - 1, argv + 1);
	} else {
		rc = serve();
	}
	port_close();
	return rc;
}
