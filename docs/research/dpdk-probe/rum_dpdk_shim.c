/*
 * rum_dpdk_shim.c - minimal C shim exposing DPDK (22.11) to Java FFM.
 *
 * Why a shim: rte_eth_rx_burst/tx_burst, rte_pktmbuf_alloc/free,
 * rte_pktmbuf_mtod etc. are `static inline` in the DPDK headers and have no
 * exported symbol, and struct rte_mbuf / rte_eth_conf layouts are ABI details
 * Java should not hard-code. Every function here is a plain C ABI symbol with
 * scalar/pointer arguments only, so each maps 1:1 onto a FFM
 * FunctionDescriptor.
 *
 * Error convention: functions returning `int` return >= 0 on success and one
 * of the negative RUM_E* codes below on failure. The underlying DPDK error
 * (a positive errno / rte_errno value) can be fetched with rum_last_error()
 * on the SAME thread right after the failing call (it is thread-local).
 * Pointer-returning functions return NULL on failure (then rum_last_error()).
 *
 * State: the shim keeps NO global state of its own except a thread-local
 * "last DPDK error" int. Ports are identified by DPDK port id, pools by
 * their rte_mempool pointer - both owned by the caller.
 *
 * Thread-safety (follows DPDK's rules):
 *  - rum_eal_init / rum_eal_cleanup: call exactly once each, from the same
 *    dedicated thread. rte_eal_init PINS THE CALLING THREAD to the main
 *    lcore's cpuset (threads it creates afterwards inherit that affinity).
 *  - port setup/stop/close, pool create/free: control path, not thread-safe
 *    w.r.t. each other or w.r.t. rx/tx on the same port; call from one thread.
 *  - rum_rx_burst / rum_tx_burst: a given (port, queue) pair must be used by
 *    ONE thread at a time (DPDK queues are lock-free single-producer /
 *    single-consumer). Different queues may be polled by different threads.
 *  - mbuf alloc/free: safe from any thread, but the per-lcore mempool cache is
 *    only used from EAL threads (lcore id != LCORE_ID_ANY); from non-EAL
 *    threads every alloc/free hits the shared ring (slower, still correct).
 *  - mbuf accessors: plain loads/stores on an mbuf the caller owns.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_version.h>

#define RUM_API __attribute__((visibility("default")))

/* ---- error codes (negative, stable; keep in sync with the Java side) ---- */
#define RUM_OK              0
#define RUM_EINVAL         -1  /* bad argument (NULL pointer, zero size...) */
#define RUM_EEAL           -2  /* rte_eal_init / rte_eal_cleanup failed     */
#define RUM_ENODEV         -3  /* no ethdev port with that name / id        */
#define RUM_EMEMPOOL       -4  /* mempool creation failed                   */
#define RUM_ECONFIGURE     -5  /* rte_eth_dev_configure failed              */
#define RUM_ERXQ           -6  /* rx queue setup failed                     */
#define RUM_ETXQ           -7  /* tx queue setup failed                     */
#define RUM_ESTART         -8  /* rte_eth_dev_start failed                  */
#define RUM_ESTOP          -9  /* rte_eth_dev_stop failed                   */
#define RUM_ECLOSE        -10  /* rte_eth_dev_close failed                  */
#define RUM_ENOBUFS       -11  /* mbuf alloc failed / pool exhausted        */
#define RUM_ETOOBIG       -12  /* data does not fit into the mbuf           */
#define RUM_EQUERY        -13  /* info/link/mac/stats query failed          */
#define RUM_ETIMEDOUT     -14  /* link did not come up within the timeout   */

/* Thread-local last DPDK error (positive errno-style value, 0 = none). */
static __thread int rum_tls_err;

static inline int fail(int rum_code, int dpdk_err)
{
	/* Callers pass either a -errno return value or a positive rte_errno. */
	rum_tls_err = dpdk_err < 0 ? -dpdk_err : dpdk_err;
	return rum_code;
}

/* ======================================================================= */
/* Info / ABI                                                               */
/* ======================================================================= */

/** Last DPDK error (errno value) recorded on this thread, 0 if none. */
RUM_API int rum_last_error(void) { return rum_tls_err; }

/** Human readable text for a DPDK/errno value (static storage, don't free). */
RUM_API const char *rum_strerror(int err) { return rte_strerror(err); }

/** DPDK version string, e.g. "DPDK 22.11.11". */
RUM_API const char *rum_dpdk_version(void) { return rte_version(); }

/** sizeof(struct rte_mbuf) - 128 on x86_64 for DPDK 22.11 (2 cache lines). */
RUM_API uint32_t rum_mbuf_struct_size(void) { return (uint32_t)sizeof(struct rte_mbuf); }

/** Default headroom in front of packet data (RTE_PKTMBUF_HEADROOM). */
RUM_API uint32_t rum_mbuf_headroom_default(void) { return RTE_PKTMBUF_HEADROOM; }

/* ======================================================================= */
/* EAL                                                                      */
/* ======================================================================= */

/**
 * Initialise the EAL. argv[0] is the program name (any string). rte_eal_init
 * may permute argv; keep the array and strings alive until rum_eal_cleanup to
 * be safe. Returns number of parsed args (>= 0) or RUM_EEAL (rum_last_error()
 * = EALREADY(114) on a 2nd call, also after cleanup: EAL is once-per-process).
 * Pins the calling thread to the main lcore's CPU (-l N) unless the lcore is
 * mapped to a cpuset (e.g. --lcores=0@(0-1)); EAL control threads
 * (eal-intr-thread, rte_mp_handle) get the CPUs NOT in the lcore list.
 */
RUM_API int rum_eal_init(int argc, char **argv)
{
	if (argc < 1 || argv == NULL)
		return fail(RUM_EINVAL, EINVAL);
	int ret = rte_eal_init(argc, argv);
	if (ret < 0)
		return fail(RUM_EEAL, rte_errno);
	return ret;
}

/**
 * rte_eal_cleanup(): releases EAL memory/threads. Close ports and free pools
 * first. Leaves /var/run/dpdk/<file-prefix>/ behind (config + fbarray files,
 * or an empty dir with --no-shconf): the caller should delete it.
 */
RUM_API int rum_eal_cleanup(void)
{
	int ret = rte_eal_cleanup();
	return ret < 0 ? fail(RUM_EEAL, ret) : RUM_OK;
}

/** lcore id of the calling thread (LCORE_ID_ANY = UINT32_MAX for non-EAL). */
RUM_API uint32_t rum_lcore_id(void) { return rte_lcore_id(); }

/** Socket (NUMA node) id of the calling thread's lcore (may be -1/ANY). */
RUM_API int rum_socket_id(void) { return (int)rte_socket_id(); }

/* ======================================================================= */
/* Mempool                                                                  */
/* ======================================================================= */

/**
 * Create a packet mbuf pool. `n` mbufs (a power of two minus one is optimal),
 * per-lcore cache `cache` (0..512, must be <= n/1.5), `data_room` bytes of
 * buffer per mbuf INCLUDING the headroom (0 => RTE_MBUF_DEFAULT_BUF_SIZE =
 * 2048+128). With --no-huge the pool lives in the -m / default anonymous
 * memory (64 MiB without -m; measured: 8191 x 2176 B fits, 16383 x 2176 B
 * does not), so size -m to >= 2 x n x (data_room + ~192) + a few MiB.
 */
RUM_API struct rte_mempool *rum_pool_create(const char *name, uint32_t n,
					    uint32_t cache, uint32_t data_room)
{
	if (name == NULL || n == 0) {
		fail(0, EINVAL);
		return NULL;
	}
	if (data_room == 0)
		data_room = RTE_MBUF_DEFAULT_BUF_SIZE;
	if (data_room > UINT16_MAX) {
		fail(0, EINVAL);
		return NULL;
	}
	struct rte_mempool *mp = rte_pktmbuf_pool_create(name, n, cache, 0,
			(uint16_t)data_room, (int)rte_socket_id());
	if (mp == NULL)
		fail(0, rte_errno);
	return mp;
}

/** Free a pool (all mbufs must have been returned). NULL is ignored. */
RUM_API void rum_pool_free(struct rte_mempool *mp) { rte_mempool_free(mp); }

/** Number of mbufs currently available in the pool (approximate). */
RUM_API uint32_t rum_pool_avail(const struct rte_mempool *mp)
{
	return mp ? rte_mempool_avail_count(mp) : 0;
}

/* ======================================================================= */
/* Ports                                                                    */
/* ======================================================================= */

/** Port id for a device name (e.g. "net_memif0"), or RUM_ENODEV. */
RUM_API int rum_port_by_name(const char *name)
{
	uint16_t port;
	if (name == NULL)
		return fail(RUM_EINVAL, EINVAL);
	int ret = rte_eth_dev_get_port_by_name(name, &port);
	if (ret < 0)
		return fail(RUM_ENODEV, ret);
	return port;
}

/** Number of available ethdev ports. */
RUM_API int rum_port_count(void) { return rte_eth_dev_count_avail(); }

/**
 * Configure `port` with 1 RX + 1 TX queue (queue id 0), RX buffers from `mp`,
 * descriptor rings of nb_rxd / nb_txd (0 => driver default, clamped to driver
 * limits), optional MTU (0 => keep default 1500; must be <= dev max: memif
 * reports max frame 1518 although its datapath does not enforce it),
 * promiscuous on/off, then start it. Returns RUM_OK or a RUM_E* code.
 * memif client: start fails (RUM_ESTART) if no server is listening yet -
 * retry later. af_packet: promisc sets IFF_PROMISC on the kernel iface and
 * it is NOT cleared on close/exit.
 */
RUM_API int rum_port_setup(uint16_t port, struct rte_mempool *mp,
			   uint16_t nb_rxd, uint16_t nb_txd,
			   uint32_t mtu, int promisc)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	int ret;

	if (mp == NULL)
		return fail(RUM_EINVAL, EINVAL);
	if (!rte_eth_dev_is_valid_port(port))
		return fail(RUM_ENODEV, ENODEV);

	ret = rte_eth_dev_info_get(port, &info);
	if (ret != 0)
		return fail(RUM_EQUERY, ret);

	memset(&conf, 0, sizeof(conf));
	if (mtu != 0)
		conf.rxmode.mtu = mtu;
	/* Accept multi-segment TX if the driver can (needed for jumbo chains). */
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;

	ret = rte_eth_dev_configure(port, 1, 1, &conf);
	if (ret < 0)
		return fail(RUM_ECONFIGURE, ret);

	/* Let the driver clamp/align the ring sizes (0 => its defaults). */
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	if (ret < 0)
		return fail(RUM_ECONFIGURE, ret);

	int sock = rte_eth_dev_socket_id(port);
	if (sock < 0)
		sock = (int)rte_socket_id();

	ret = rte_eth_rx_queue_setup(port, 0, nb_rxd, (unsigned)sock, NULL, mp);
	if (ret < 0)
		return fail(RUM_ERXQ, ret);
	ret = rte_eth_tx_queue_setup(port, 0, nb_txd, (unsigned)sock, NULL);
	if (ret < 0)
		return fail(RUM_ETXQ, ret);

	ret = rte_eth_dev_start(port);
	if (ret < 0)
		return fail(RUM_ESTART, ret);

	/* Not every PMD supports promiscuous control (-ENOTSUP): not fatal. */
	if (promisc)
		(void)rte_eth_promiscuous_enable(port);
	return RUM_OK;
}

/**
 * Link status: 1 = up, 0 = down, < 0 error. If wait_ms > 0, polls every 1 ms
 * (non-blocking get, sleeping in between) until up or timeout, returning
 * RUM_ETIMEDOUT on timeout. Sleeps, so do not call from a hot loop.
 */
RUM_API int rum_port_link_wait(uint16_t port, uint32_t wait_ms)
{
	struct rte_eth_link link;
	uint32_t waited = 0;
	for (;;) {
		memset(&link, 0, sizeof(link));
		int ret = rte_eth_link_get_nowait(port, &link);
		if (ret < 0)
			return fail(RUM_EQUERY, ret);
		if (link.link_status == RTE_ETH_LINK_UP)
			return 1;
		if (wait_ms == 0)
			return 0;
		if (waited >= wait_ms)
			return fail(RUM_ETIMEDOUT, ETIMEDOUT);
		rte_delay_us_sleep(1000);
		waited++;
	}
}

/** Copy the port's 6-byte MAC address into out[0..5]. */
RUM_API int rum_port_mac(uint16_t port, uint8_t *out)
{
	struct rte_ether_addr a;
	if (out == NULL)
		return fail(RUM_EINVAL, EINVAL);
	int ret = rte_eth_macaddr_get(port, &a);
	if (ret < 0)
		return fail(RUM_EQUERY, ret);
	memcpy(out, a.addr_bytes, RTE_ETHER_ADDR_LEN);
	return RUM_OK;
}

/**
 * Basic counters into out[0..6]: ipackets, opackets, ibytes, obytes,
 * imissed, ierrors, oerrors. Also out[7] = rx_nombuf.
 */
RUM_API int rum_port_stats(uint16_t port, uint64_t *out)
{
	struct rte_eth_stats s;
	if (out == NULL)
		return fail(RUM_EINVAL, EINVAL);
	int ret = rte_eth_stats_get(port, &s);
	if (ret < 0)
		return fail(RUM_EQUERY, ret);
	out[0] = s.ipackets; out[1] = s.opackets;
	out[2] = s.ibytes;   out[3] = s.obytes;
	out[4] = s.imissed;  out[5] = s.ierrors;
	out[6] = s.oerrors;  out[7] = s.rx_nombuf;
	return RUM_OK;
}

/** Stop the port (queues stop, mbufs in RX rings stay owned by the PMD). */
RUM_API int rum_port_stop(uint16_t port)
{
	int ret = rte_eth_dev_stop(port);
	return ret < 0 ? fail(RUM_ESTOP, ret) : RUM_OK;
}

/** Close the port (frees queues/rings; returns their mbufs to the pool). */
RUM_API int rum_port_close(uint16_t port)
{
	int ret = rte_eth_dev_close(port);
	return ret < 0 ? fail(RUM_ECLOSE, ret) : RUM_OK;
}

/* ======================================================================= */
/* Datapath                                                                 */
/* ======================================================================= */

/** Receive up to n mbufs into pkts[]; returns count (0..n). Caller owns them. */
RUM_API uint16_t rum_rx_burst(uint16_t port, uint16_t queue,
			      struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_rx_burst(port, queue, pkts, n);
}

/**
 * Transmit up to n mbufs; returns how many the PMD accepted (ownership of
 * those passes to the PMD). The caller still owns pkts[ret..n-1] and must
 * retry or free them.
 */
RUM_API uint16_t rum_tx_burst(uint16_t port, uint16_t queue,
			      struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_tx_burst(port, queue, pkts, n);
}

/* ---- mbuf alloc/free ---- */

/** Allocate one mbuf (data_len = pkt_len = 0), NULL if pool empty. */
RUM_API struct rte_mbuf *rum_mbuf_alloc(struct rte_mempool *mp)
{
	return rte_pktmbuf_alloc(mp);
}

/** Allocate exactly n mbufs into pkts[] (all or nothing). RUM_OK / RUM_ENOBUFS. */
RUM_API int rum_mbuf_alloc_bulk(struct rte_mempool *mp, struct rte_mbuf **pkts,
				uint32_t n)
{
	if (mp == NULL || pkts == NULL)
		return fail(RUM_EINVAL, EINVAL);
	int ret = rte_pktmbuf_alloc_bulk(mp, pkts, n);
	return ret < 0 ? fail(RUM_ENOBUFS, ENOBUFS) : RUM_OK;
}

/** Free one mbuf (whole chain). NULL is ignored. */
RUM_API void rum_mbuf_free(struct rte_mbuf *m) { rte_pktmbuf_free(m); }

/** Free n mbufs (whole chains). NULL entries are ignored. */
RUM_API void rum_mbuf_free_bulk(struct rte_mbuf **pkts, uint32_t n)
{
	rte_pktmbuf_free_bulk(pkts, n);
}

/* ---- mbuf accessors (so Java hard-codes no struct offsets) ---- */

/** Pointer to the first data byte of this segment (buf_addr + data_off). */
RUM_API void *rum_mbuf_data(struct rte_mbuf *m) { return rte_pktmbuf_mtod(m, void *); }

/** Bytes of data in this segment. */
RUM_API uint16_t rum_mbuf_data_len(const struct rte_mbuf *m) { return m->data_len; }

/** Total packet length over all segments. */
RUM_API uint32_t rum_mbuf_pkt_len(const struct rte_mbuf *m) { return m->pkt_len; }

/** Number of segments in the chain. */
RUM_API uint16_t rum_mbuf_nb_segs(const struct rte_mbuf *m) { return m->nb_segs; }

/** Next segment, NULL for the last one. */
RUM_API struct rte_mbuf *rum_mbuf_next(const struct rte_mbuf *m) { return m->next; }

/** Writable bytes available after data_off in this (single) segment. */
RUM_API uint16_t rum_mbuf_tailroom_total(const struct rte_mbuf *m)
{
	return (uint16_t)(m->buf_len - m->data_off);
}

/**
 * Set the length of a single-segment mbuf (data_len = pkt_len = len).
 * Returns RUM_ETOOBIG if len exceeds buf_len - data_off.
 */
RUM_API int rum_mbuf_set_len(struct rte_mbuf *m, uint32_t len)
{
	if (m == NULL)
		return fail(RUM_EINVAL, EINVAL);
	if (m->nb_segs != 1 || len > (uint32_t)(m->buf_len - m->data_off))
		return fail(RUM_ETOOBIG, EMSGSIZE);
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	return RUM_OK;
}

/**
 * Batch accessor: for pkts[0..n-1] write data pointer into addrs[i] and
 * pkt_len into lens[i] (nb_segs > 1 is reported as the NEGATED pkt_len so
 * the caller knows it must walk the chain). One downcall per burst instead
 * of 2*n.
 */
RUM_API void rum_mbuf_info_bulk(struct rte_mbuf **pkts, uint32_t n,
				void **addrs, int32_t *lens)
{
	for (uint32_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		addrs[i] = rte_pktmbuf_mtod(m, void *);
		lens[i] = m->nb_segs == 1 ? (int32_t)m->pkt_len
					  : -(int32_t)m->pkt_len;
	}
}

/**
 * Copy a whole packet (any number of segments) into dst[0..cap-1].
 * Returns the number of bytes copied, or RUM_ETOOBIG if pkt_len > cap.
 * Does NOT free the mbuf.
 */
RUM_API int rum_mbuf_read(const struct rte_mbuf *m, void *dst, uint32_t cap)
{
	if (m == NULL || dst == NULL)
		return fail(RUM_EINVAL, EINVAL);
	if (m->pkt_len > cap)
		return fail(RUM_ETOOBIG, EMSGSIZE);
	uint32_t off = 0;
	for (const struct rte_mbuf *s = m; s != NULL; s = s->next) {
		memcpy((char *)dst + off, rte_pktmbuf_mtod(s, const char *), s->data_len);
		off += s->data_len;
	}
	return (int)off;
}

/**
 * Convenience TX of one frame: alloc mbuf from mp, copy src[0..len-1],
 * tx_burst it. Returns 1 if sent, 0 if the TX ring was full (mbuf freed,
 * caller may retry), or RUM_ENOBUFS / RUM_ETOOBIG.
 */
RUM_API int rum_tx_copy(uint16_t port, uint16_t queue, struct rte_mempool *mp,
			const void *src, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	if (m == NULL)
		return fail(RUM_ENOBUFS, ENOBUFS);
	if (len > rte_pktmbuf_tailroom(m)) {
		rte_pktmbuf_free(m);
		return fail(RUM_ETOOBIG, EMSGSIZE);
	}
	memcpy(rte_pktmbuf_mtod(m, void *), src, len);
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	if (rte_eth_tx_burst(port, queue, &m, 1) == 1)
		return 1;
	rte_pktmbuf_free(m);
	return 0;
}

/**
 * Convenience RX of at most one frame: rx_burst(1), copy into dst, free.
 * Returns bytes copied, 0 if nothing was received, RUM_ETOOBIG if the frame
 * was larger than cap (frame dropped).
 */
RUM_API int rum_rx_copy(uint16_t port, uint16_t queue, void *dst, uint32_t cap)
{
	struct rte_mbuf *m;
	if (rte_eth_rx_burst(port, queue, &m, 1) == 0)
		return 0;
	int ret = rum_mbuf_read(m, dst, cap);
	rte_pktmbuf_free(m);
	return ret;
}
