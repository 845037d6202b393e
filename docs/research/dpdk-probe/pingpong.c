/*
 * pingpong.c - C baseline for the RUM DPDK shim (uses only librum_dpdk_shim).
 *
 * usage: pingpong <EAL args> -- ping|pong <port-name> <iters> <frame-size>...
 *
 * Wire format (same as Probe.java):
 *   [0..5] dst MAC  [6..11] src MAC  [12..13] EtherType 0x88B5
 *   [14..17] magic 'RUMP' (0x52554D50) [18..21] kind (1=ping 2=stop)
 *   [22..29] seq (little-endian u64)   [30..] filler
 * pong echoes every ping frame back unchanged except MACs; exits on kind=2
 * or after 10 s idle. ping sends, waits for the echo with the same seq
 * (timeout 200 ms => counted lost), records RTT, then prints p50/p99.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* --- shim prototypes (would normally be a header) --- */
struct rte_mempool; struct rte_mbuf;
int rum_eal_init(int, char **);
int rum_eal_cleanup(void);
int rum_last_error(void);
const char *rum_strerror(int);
struct rte_mempool *rum_pool_create(const char *, uint32_t, uint32_t, uint32_t);
void rum_pool_free(struct rte_mempool *);
int rum_port_by_name(const char *);
int rum_port_setup(uint16_t, struct rte_mempool *, uint16_t, uint16_t, uint32_t, int);
int rum_port_link_wait(uint16_t, uint32_t);
int rum_port_mac(uint16_t, uint8_t *);
int rum_port_stats(uint16_t, uint64_t *);
int rum_port_stop(uint16_t);
int rum_port_close(uint16_t);
uint16_t rum_rx_burst(uint16_t, uint16_t, struct rte_mbuf **, uint16_t);
uint16_t rum_tx_burst(uint16_t, uint16_t, struct rte_mbuf **, uint16_t);
struct rte_mbuf *rum_mbuf_alloc(struct rte_mempool *);
void rum_mbuf_free(struct rte_mbuf *);
void *rum_mbuf_data(struct rte_mbuf *);
uint32_t rum_mbuf_pkt_len(const struct rte_mbuf *);
uint16_t rum_mbuf_nb_segs(const struct rte_mbuf *);
int rum_mbuf_set_len(struct rte_mbuf *, uint32_t);
int rum_mbuf_read(const struct rte_mbuf *, void *, uint32_t);
uint32_t rum_mbuf_struct_size(void);

#define MAGIC 0x52554D50u
static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}
static void die(const char *what, int rc)
{
	int e = rum_last_error();
	fprintf(stderr, "%s failed: rc=%d dpdk_err=%d (%s)\n", what, rc, e, rum_strerror(e));
	exit(1);
}

static uint8_t my_mac[6];
static uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* Send one frame: alloc, fill, tx (retry while ring full). */
static void send_frame(uint16_t port, struct rte_mempool *mp, uint32_t kind,
		       uint64_t seq, uint32_t size)
{
	struct rte_mbuf *m = rum_mbuf_alloc(mp);
	if (!m)
		die("mbuf_alloc", -11);
	uint8_t *p = rum_mbuf_data(m);
	int rc = rum_mbuf_set_len(m, size);
	if (rc < 0)
		die("mbuf_set_len", rc);
	memcpy(p, bcast, 6);
	memcpy(p + 6, my_mac, 6);
	p[12] = 0x88; p[13] = 0xB5;
	uint32_t mg = MAGIC;
	memcpy(p + 14, &mg, 4);
	memcpy(p + 18, &kind, 4);
	memcpy(p + 22, &seq, 8);
	if (size > 30)
		memset(p + 30, (int)(seq & 0xff), size - 30);
	while (rum_tx_burst(port, 0, &m, 1) == 0)
		;
}

int main(int argc, char **argv)
{
	int n = rum_eal_init(argc, argv);
	if (n < 0)
		die("eal_init", n);
	/* rte_eal_init returns optind-1 and puts argv[0] (prog name) at argv[n],
	 * the app args (after "--") follow it. */
	argc -= n + 1; argv += n + 1;
	if (argc < 3) {
		fprintf(stderr, "usage: pingpong <EAL> -- ping|pong <port> <iters> <size>...\n");
		return 2;
	}
	int is_ping = strcmp(argv[0], "ping") == 0;
	const char *pname = argv[1];
	long iters = atol(argv[2]);

	int port = rum_port_by_name(pname);
	if (port < 0)
		die("port_by_name", port);
	struct rte_mempool *mp = rum_pool_create("rum_pool", 4095, 256, 8192 + 128);
	if (!mp)
		die("pool_create", -4);
	int rc = rum_port_setup(port, mp, 0, 0, 0, 1);
	if (rc < 0)
		die("port_setup", rc);
	rum_port_mac(port, my_mac);
	uint64_t t0 = now_ns();
	rc = rum_port_link_wait(port, 30000);
	if (rc < 0)
		die("link_wait", rc);
	fprintf(stderr, "[c-%s] mbuf=%u B, port %d link up after %.1f ms, mac %02x:%02x:%02x:%02x:%02x:%02x\n",
		argv[0], rum_mbuf_struct_size(), port, (now_ns() - t0) / 1e6,
		my_mac[0], my_mac[1], my_mac[2], my_mac[3], my_mac[4], my_mac[5]);

	static uint8_t buf[16384];
	struct rte_mbuf *pk[32];
	if (!is_ping) {
		uint64_t last = now_ns(), echoed = 0;
		for (;;) {
			uint16_t k = rum_rx_burst(port, 0, pk, 32);
			if (k == 0) {
				uint64_t idle = now_ns() - last;
				if (idle > 10000000000ull) { fprintf(stderr, "[c-pong] idle timeout\n"); break; }
				if (idle > 100000000ull) usleep(1000); /* be nice when idle */
				continue;
			}
			last = now_ns();
			int stop = 0;
			for (int i = 0; i < k; i++) {
				uint8_t *p = rum_mbuf_data(pk[i]);
				uint32_t mg, kind;
				memcpy(&mg, p + 14, 4); memcpy(&kind, p + 18, 4);
				if (rum_mbuf_pkt_len(pk[i]) < 30 || mg != MAGIC) { rum_mbuf_free(pk[i]); continue; }
				if (kind == 2) { stop = 1; rum_mbuf_free(pk[i]); continue; }
				/* Same work as the Java side: copy the frame out of the
				 * mbuf, free it, build the reply in a fresh mbuf. */
				int len = rum_mbuf_read(pk[i], buf, sizeof(buf));
				rum_mbuf_free(pk[i]);
				if (len < 30) continue;
				memcpy(buf, buf + 6, 6);
				memcpy(buf + 6, my_mac, 6);
				struct rte_mbuf *r = rum_mbuf_alloc(mp);
				if (!r) die("mbuf_alloc", -11);
				rum_mbuf_set_len(r, (uint32_t)len);
				memcpy(rum_mbuf_data(r), buf, (size_t)len);
				while (rum_tx_burst(port, 0, &r, 1) == 0)
					;
				echoed++;
			}
			if (stop) break;
		}
		fprintf(stderr, "[c-pong] echoed %lu frames\n", (unsigned long)echoed);
	} else {
		uint64_t *rtt = malloc(sizeof(uint64_t) * iters);
		uint64_t seq = 0;
		for (int s = 3; s < argc; s++) {
			uint32_t size = (uint32_t)atoi(argv[s]);
			long warm = iters / 10, lost = 0, got = 0, bad = 0;
			for (long i = -warm; i < iters; i++) {
				seq++;
				uint64_t ts = now_ns();
				send_frame(port, mp, 1, seq, size);
				for (;;) {
					uint16_t k = rum_rx_burst(port, 0, pk, 1);
					if (k == 1) {
						int len = rum_mbuf_read(pk[0], buf, sizeof(buf));
						rum_mbuf_free(pk[0]);
						uint64_t rs; memcpy(&rs, buf + 22, 8);
						if (rs != seq) continue; /* stale echo of a "lost" frame */
						if (len != (int)size) bad++;
						uint64_t d = now_ns() - ts;
						if (i >= 0) rtt[got++] = d;
						break;
					}
					if (now_ns() - ts > 200000000ull) { lost++; break; }
				}
				if (lost >= 20) { fprintf(stderr, "[c-ping] size %u: 20 frames lost, giving up\n", size); break; }
			}
			qsort(rtt, got, sizeof(uint64_t), cmp_u64);
			if (got)
				printf("C    size=%5u n=%ld lost=%ld badlen=%ld p50=%.2f us p99=%.2f us min=%.2f us\n",
				       size, got, lost, bad, rtt[got / 2] / 1e3,
				       rtt[(long)(got * 0.99)] / 1e3, rtt[0] / 1e3);
			fflush(stdout);
		}
		send_frame(port, mp, 2, ++seq, 64);
		usleep(100000);
		free(rtt);
	}
	uint64_t st[8];
	if (rum_port_stats(port, st) == 0)
		fprintf(stderr, "[c-%s] stats ipackets=%lu opackets=%lu imissed=%lu ierrors=%lu oerrors=%lu rx_nombuf=%lu\n",
			argv[0], st[0], st[1], st[4], st[5], st[6], st[7]);
	rc = rum_port_stop(port); if (rc < 0) fprintf(stderr, "stop rc=%d\n", rc);
	rc = rum_port_close(port); if (rc < 0) fprintf(stderr, "close rc=%d\n", rc);
	rum_pool_free(mp);
	rc = rum_eal_cleanup();
	fprintf(stderr, "[c-%s] eal_cleanup rc=%d\n", argv[0], rc);
	return 0;
}
