/*
 * rum_dpdk_shim.c: the C side of io.rum.net.dpdk, called from Java through FFM (no JNI).
 *
 * Why a shim at all: rte_eth_rx_burst, rte_eth_tx_burst and rte_pktmbuf_alloc are static inline
 * in the DPDK headers, so no library exports them, and struct rte_mbuf / rte_eth_conf are ABI
 * details Java should not hard-code. Compiled from source against the installed headers by
 * build-shim.sh, so it always matches the DPDK on the machine. Every exported function takes and
 * returns only scalars and pointers, so each maps 1:1 onto an FFM FunctionDescriptor.
 *
 * Errors: functions returning int return >= 0 on success or a negative RUM_E* code below; the
 * underlying DPDK error (a positive errno value) is then available from rum_last_error() on the
 * same thread (it is thread-local). Functions returning a pointer return NULL on failure.
 * The codes are mirrored in DpdkShim.java: keep both in sync.
 *
 * Data path: rum_tx_gather and rum_rx_burst_view do one frame (tx) or one burst (rx) per call, so
 * Java pays one downcall per frame or burst and never handles an mbuf: a frame is copied into its
 * mbuf from where Java built it (and sealed there with its CRC32C), and a received frame is read in
 * its mbuf until the next burst (its CRC32C checked here). Java passes byte[]-backed memory to them
 * through Linker.Option.critical(true): they must not block, call back, or keep those pointers after
 * returning; a receive may poll for a frame for a bounded time (wait_ns, at most 100 us from Java).
 *
 * Threads: EAL init/cleanup and port control run on Java's "rum-dpdk-eal" thread; a (port,
 * queue) pair is used by one poller thread at a time (DPDK queues are single-producer,
 * single-consumer). Which thread that is changes (the transport's poller, or a caller running the
 * duty cycle), and none of them is an EAL thread: see "the data path's lcore" below.
 */
#include <errno.h>
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_version.h>

#define RUM_API __attribute__((visibility("default")))

#define RUM_OK 0
#define RUM_EINVAL -1      /* bad argument */
#define RUM_EEAL -2        /* rte_eal_init / rte_eal_cleanup failed */
#define RUM_ENODEV -3      /* no port with that name or id */
#define RUM_EMEMPOOL -4    /* mempool creation failed */
#define RUM_ECONFIGURE -5  /* rte_eth_dev_configure or descriptor adjustment failed */
#define RUM_ERXQ -6        /* rx queue setup failed */
#define RUM_ETXQ -7        /* tx queue setup failed */
#define RUM_ESTART -8      /* rte_eth_dev_start failed (memif client: no server yet) */
#define RUM_ESTOP -9       /* rte_eth_dev_stop failed */
#define RUM_ECLOSE -10     /* rte_eth_dev_close failed */
#define RUM_ENOBUFS -11    /* mbuf pool empty */
#define RUM_ETOOBIG -12    /* frame does not fit one mbuf */
#define RUM_EQUERY -13     /* info / link / mac / stats query failed */
#define RUM_EVDEV -14      /* vdev hot-plug failed */
#define RUM_EMAC -15       /* setting the MAC address failed */

#define RUM_MAX_BURST 32

static __thread int rum_tls_err;

/*
 * The data path's lcore. A mempool keeps a per-lcore cache of free mbufs (LIFO: the mbuf just freed
 * is the next one allocated, still in the CPU's cache), but only for threads with an lcore id. Our
 * data-path threads are not EAL threads, so without one every alloc and free, ours and the PMD's
 * (memif allocates an mbuf per received frame and frees every sent one), went to the pool's ring,
 * which is FIFO: the frames cycled through all 4,095 mbufs (35 MB of 8 KiB buffers), so each one was
 * written into memory no cache held. Measured: RUM over memif at 4 KiB 5.2 us against 4.5 us with a
 * 63-mbuf pool, same run. So each data-path call acts as one lcore, picked once at EAL init among
 * the ids EAL left unused (ROLE_OFF), and restores the thread's own id on return. This is safe
 * because the cache is per (pool, lcore) and a port and its pool are used by one thread at a time
 * (the transport's duty-cycle lock orders those threads, which also publishes the cache between
 * them); two ports used at once by two threads have two pools. Threads that touch a pool outside
 * these calls (EAL's interrupt thread, the control thread) keep their own ids and so never share
 * this cache.
 */
static unsigned rum_data_lcore = LCORE_ID_ANY;

static unsigned pick_data_lcore(void)
{
	for (unsigned id = RTE_MAX_LCORE; id-- > 0;)
		if (rte_eal_lcore_role(id) == ROLE_OFF)
			return id;
	return LCORE_ID_ANY;
}

/* Enters a data-path call: returns the thread's own lcore id, to hand to leave_data_path. */
static inline unsigned enter_data_path(void)
{
	unsigned own = RTE_PER_LCORE(_lcore_id);
	if (own == LCORE_ID_ANY)
		RTE_PER_LCORE(_lcore_id) = rum_data_lcore;
	return own;
}

static inline void leave_data_path(unsigned own) { RTE_PER_LCORE(_lcore_id) = own; }

/* TSC cycles per nanosecond, 32.32 fixed point, set at EAL init: a receive's wait is given in ns. */
static uint64_t rum_tsc_per_ns_q32;

static inline int fail(int code, int err)
{
	rum_tls_err = err < 0 ? -err : err;
	return code;
}

/* ---- CRC32C ------------------------------------------------------------------------------ */

/*
 * Every RUM frame carries a CRC32C (Castagnoli; FrameHeaderFlyweight: 4 bytes little-endian at frame offset 8,
 * computed with that field zero, over the frame length at offset 4). Java computes it with java.util.zip.CRC32C; over
 * DPDK this file computes it instead, as it copies a frame into its mbuf and right after the PMD put a received one
 * in its mbuf, so the bytes are read while they are in the CPU's cache and Java pays no pass or call for it.
 * Measured against Java's CRC, same build (docs/BENCHMARKS.md, stop 12), memif round trip pinned: 64 B 0.68-0.70 ->
 * 0.61-0.65 us, 1 KiB 0.83-0.86 -> 0.77-0.81 us.
 *
 * How: frames of 128 bytes or more are folded 256 bytes at a time with carry-less multiplies (VPCLMULQDQ on four
 * 512-bit lanes, Intel's "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ", in the bit-reflected
 * form), down to one 128-bit value that the crc32 instruction finishes; shorter ones go 8 bytes at a time through
 * the crc32 instruction. The fold constants are computed at load from the polynomial rather than typed in, and a
 * self-test against a bitwise CRC decides whether this is used at all: without AVX-512 and VPCLMULQDQ, or if the
 * test fails, rum_crc_in_c() says 0 and Java keeps computing the CRC (as fast as the crc32 instruction alone).
 */
#define CRC32C_POLY 0x1EDC6F41u    /* x^32 + ... in normal form, x^32 implied */
#define CRC32C_REFLECTED 0x82F63B78u
#define CRC_FOLD_MIN 128

static uint64_t fold_2048[2], fold_512[2], fold_384[2], fold_256[2], fold_128[2];
static int crc_in_c;

/* x^n mod P, bit d the coefficient of x^d. */
static uint32_t xpow_mod(unsigned n)
{
	uint64_t v = 1;
	while (n-- > 0) {
		v <<= 1;
		if (v & 0x100000000ull)
			v ^= 0x100000000ull | CRC32C_POLY;
	}
	return (uint32_t)v;
}

static uint32_t reflect32(uint32_t v)
{
	uint32_t r = 0;
	for (int i = 0; i < 32; i++)
		if (v & (1u << i))
			r |= 1u << (31 - i);
	return r;
}

/*
 * The two multipliers that move a 128-bit lane d bits further on in the message. With bit i of a little-endian
 * 64-bit word the coefficient of x^(E-i), a carry-less product of the lane's low half L by x^(d+63) mod P (reflected,
 * in the high 32 bits) is x^(d+64)·L / x, which lands bit for bit on the lane d bits later; the high half likewise
 * with x^(d-1) mod P.
 */
static void fold_constants(uint64_t k[2], unsigned d)
{
	k[0] = (uint64_t)reflect32(xpow_mod(d + 63)) << 32;
	k[1] = (uint64_t)reflect32(xpow_mod(d - 1)) << 32;
}

/* Register in, register out (no inversion), one bit at a time: the reference for the self-test. */
static uint32_t crc32c_bitwise(uint32_t c, const uint8_t *p, size_t n)
{
	while (n-- > 0) {
		c ^= *p++;
		for (int i = 0; i < 8; i++)
			c = (c >> 1) ^ (CRC32C_REFLECTED & (0u - (c & 1)));
	}
	return c;
}

__attribute__((target("sse4.2"))) static uint32_t crc32c_words(uint32_t c, const uint8_t *p, size_t n)
{
	uint64_t c64 = c;
	for (; n >= 8; n -= 8, p += 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		c64 = _mm_crc32_u64(c64, v);
	}
	c = (uint32_t)c64;
	for (; n > 0; n--, p++)
		c = _mm_crc32_u8(c, *p);
	return c;
}

__attribute__((target("sse4.2,pclmul"))) static inline __m128i fold_lane(__m128i x, const uint64_t k[2])
{
	const __m128i kk = _mm_set_epi64x((long long)k[1], (long long)k[0]);
	return _mm_xor_si128(_mm_clmulepi64_si128(x, kk, 0x00), _mm_clmulepi64_si128(x, kk, 0x11));
}

__attribute__((target("avx512f,vpclmulqdq"))) static inline __m512i fold_lanes(__m512i x, const uint64_t k[2])
{
	const __m512i kk = _mm512_broadcast_i32x4(_mm_set_epi64x((long long)k[1], (long long)k[0]));
	return _mm512_xor_si512(_mm512_clmulepi64_epi128(x, kk, 0x00), _mm512_clmulepi64_epi128(x, kk, 0x11));
}

/* n >= 64. Four accumulators of four lanes fold 256 bytes a turn; then 64, then 16 at a time; crc32 finishes. */
__attribute__((target("avx512f,vpclmulqdq,sse4.2,pclmul"))) static uint32_t crc32c_fold(uint32_t c, const uint8_t *p,
											  size_t n)
{
	/* The running CRC goes into the message's first 32 bits: the same as starting the register with it. */
	const __m512i init = _mm512_zextsi128_si512(_mm_cvtsi32_si128((int)c));
	__m512i last;
	if (n >= 256) {
		__m512i a0 = _mm512_xor_si512(_mm512_loadu_si512(p), init);
		__m512i a1 = _mm512_loadu_si512(p + 64);
		__m512i a2 = _mm512_loadu_si512(p + 128);
		last = _mm512_loadu_si512(p + 192);
		for (p += 256, n -= 256; n >= 256; p += 256, n -= 256) {
			a0 = _mm512_xor_si512(fold_lanes(a0, fold_2048), _mm512_loadu_si512(p));
			a1 = _mm512_xor_si512(fold_lanes(a1, fold_2048), _mm512_loadu_si512(p + 64));
			a2 = _mm512_xor_si512(fold_lanes(a2, fold_2048), _mm512_loadu_si512(p + 128));
			last = _mm512_xor_si512(fold_lanes(last, fold_2048), _mm512_loadu_si512(p + 192));
		}
		a1 = _mm512_xor_si512(a1, fold_lanes(a0, fold_512));
		a2 = _mm512_xor_si512(a2, fold_lanes(a1, fold_512));
		last = _mm512_xor_si512(last, fold_lanes(a2, fold_512));
	} else {
		last = _mm512_xor_si512(_mm512_loadu_si512(p), init);
		p += 64;
		n -= 64;
	}
	for (; n >= 64; p += 64, n -= 64)
		last = _mm512_xor_si512(fold_lanes(last, fold_512), _mm512_loadu_si512(p));
	__m128i r = _mm512_extracti32x4_epi32(last, 3);
	r = _mm_xor_si128(r, fold_lane(_mm512_extracti32x4_epi32(last, 2), fold_128));
	r = _mm_xor_si128(r, fold_lane(_mm512_extracti32x4_epi32(last, 1), fold_256));
	r = _mm_xor_si128(r, fold_lane(_mm512_extracti32x4_epi32(last, 0), fold_384));
	for (; n >= 16; p += 16, n -= 16)
		r = _mm_xor_si128(fold_lane(r, fold_128), _mm_loadu_si128((const __m128i *)p));
	/* r is congruent to everything so far, ending where it ends: its CRC from 0 is the CRC so far. */
	uint64_t c64 = _mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(r));
	c64 = _mm_crc32_u64(c64, (uint64_t)_mm_extract_epi64(r, 1));
	return crc32c_words((uint32_t)c64, p, n);
}

/* Register in and out. Only when crc_in_c. */
static inline uint32_t crc32c_update(uint32_t c, const uint8_t *p, size_t n)
{
	return n >= CRC_FOLD_MIN ? crc32c_fold(c, p, n) : crc32c_words(c, p, n);
}

__attribute__((constructor)) static void crc_init(void)
{
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("vpclmulqdq") ||
	    !__builtin_cpu_supports("sse4.2") || !__builtin_cpu_supports("pclmul"))
		return;
	fold_constants(fold_2048, 2048);
	fold_constants(fold_512, 512);
	fold_constants(fold_384, 384);
	fold_constants(fold_256, 256);
	fold_constants(fold_128, 128);
	uint8_t data[1200];
	uint32_t x = 0x9E3779B9u;
	for (size_t i = 0; i < sizeof(data); i++) {
		x = x * 1664525u + 1013904223u;
		data[i] = (uint8_t)(x >> 24);
	}
	for (size_t n = 0; n <= sizeof(data) - 3; n += (n < 300 ? 1 : 37))
		for (size_t off = 0; off < 3; off++)
			if (crc32c_update(~0u, data + off, n) != crc32c_bitwise(~0u, data + off, n))
				return;
	crc_in_c = 1;
}

/* The frame's fields the CRC depends on, as FrameHeaderFlyweight lays them out. */
#define FRAME_LENGTH_AT 4
#define FRAME_MIN_LENGTH 40

/* CRC32C of a received frame[0..len) with the 4 bytes at crc_at taken as zero (they are zeroed, then restored). */
static inline uint32_t frame_crc(uint8_t *frame, uint32_t len, uint32_t crc_at)
{
	uint32_t stored;
	const uint32_t zero = 0;
	memcpy(&stored, frame + crc_at, 4);
	memcpy(frame + crc_at, &zero, 4);
	const uint32_t crc = ~crc32c_update(~0u, frame, len);
	memcpy(frame + crc_at, &stored, 4);
	return crc;
}

/* 1 if frames are sealed and checked here (see above), 0 if Java must do it. */
RUM_API int rum_crc_in_c(void) { return crc_in_c; }

/* CRC32C of p[off..off+len), as java.util.zip.CRC32C gives it; -1 if not computed here. For tests. */
RUM_API int64_t rum_crc32c(const uint8_t *p, uint64_t off, uint32_t len)
{
	return crc_in_c ? (int64_t)(uint32_t)~crc32c_update(~0u, p + off, len) : -1;
}

/* ---- information ---------------------------------------------------------------------- */

RUM_API int rum_last_error(void) { return rum_tls_err; }

RUM_API const char *rum_strerror(int err) { return rte_strerror(err); }

RUM_API const char *rum_dpdk_version(void) { return rte_version(); }

RUM_API int rum_max_burst(void) { return RUM_MAX_BURST; }

/* ---- EAL -------------------------------------------------------------------------------- */

/*
 * argv[0] is a program name. rte_eal_init may keep and permute argv: the caller keeps the
 * strings alive until rum_eal_cleanup. Logs go to stderr, so stdout stays the program's own.
 * Returns the number of arguments parsed, or RUM_EEAL (rum_last_error() is EALREADY on a
 * second call, also after a cleanup: EAL is once per process).
 */
RUM_API int rum_eal_init(int argc, char **argv)
{
	if (argc < 1 || argv == NULL)
		return fail(RUM_EINVAL, EINVAL);
	rte_openlog_stream(stderr);
	int ret = rte_eal_init(argc, argv);
	if (ret < 0)
		return fail(RUM_EEAL, rte_errno);
	rum_data_lcore = pick_data_lcore();
	rum_tsc_per_ns_q32 = (uint64_t)(((unsigned __int128)rte_get_tsc_hz() << 32) / 1000000000u);
	return ret;
}

/* The lcore id data-path calls act as (see above), or -1 if EAL left none unused. */
RUM_API int rum_data_lcore_id(void) { return rum_data_lcore == LCORE_ID_ANY ? -1 : (int)rum_data_lcore; }

/* Free mbufs held in the data path's cache of this pool (diagnostics and tests). */
RUM_API int rum_pool_cached(struct rte_mempool *mp)
{
	if (mp == NULL)
		return fail(RUM_EINVAL, EINVAL);
	if (rum_data_lcore == LCORE_ID_ANY || mp->cache_size == 0)
		return 0;
	return (int)mp->local_cache[rum_data_lcore].len;
}

/* Call after every port is closed and every pool freed. */
RUM_API int rum_eal_cleanup(void)
{
	int ret = rte_eal_cleanup();
	return ret < 0 ? fail(RUM_EEAL, ret) : RUM_OK;
}

/* Creates a virtual device after EAL init, e.g. to re-open a port that was closed. */
RUM_API int rum_vdev_create(const char *name, const char *args)
{
	if (name == NULL)
		return fail(RUM_EINVAL, EINVAL);
	int ret = rte_vdev_init(name, args);
	return ret < 0 ? fail(RUM_EVDEV, ret) : RUM_OK;
}

/* Removes a virtual device whose port was closed. */
RUM_API int rum_vdev_remove(const char *name)
{
	if (name == NULL)
		return fail(RUM_EINVAL, EINVAL);
	int ret = rte_vdev_uninit(name);
	return ret < 0 ? fail(RUM_EVDEV, ret) : RUM_OK;
}

/* ---- mempool ---------------------------------------------------------------------------- */

/*
 * A packet mbuf pool of n mbufs, each with data_room bytes including the headroom.
 * With --no-huge it lives in the -m memory. NULL on failure.
 */
RUM_API struct rte_mempool *rum_pool_create(const char *name, uint32_t n, uint32_t cache, uint32_t data_room)
{
	if (name == NULL || n == 0 || data_room <= RTE_PKTMBUF_HEADROOM || data_room > UINT16_MAX) {
		fail(0, EINVAL);
		return NULL;
	}
	struct rte_mempool *mp = rte_pktmbuf_pool_create(name, n, cache, 0, (uint16_t)data_room,
							 (int)rte_socket_id());
	if (mp == NULL)
		fail(0, rte_errno);
	return mp;
}

/* Bytes of packet data one mbuf of this pool holds after the default headroom. */
RUM_API int rum_pool_frame_room(struct rte_mempool *mp)
{
	if (mp == NULL)
		return fail(RUM_EINVAL, EINVAL);
	return (int)rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM;
}

RUM_API int rum_pool_available(struct rte_mempool *mp)
{
	return mp == NULL ? fail(RUM_EINVAL, EINVAL) : (int)rte_mempool_avail_count(mp);
}

RUM_API void rum_pool_free(struct rte_mempool *mp) { rte_mempool_free(mp); }

/* ---- ports ------------------------------------------------------------------------------ */

RUM_API int rum_port_by_name(const char *name)
{
	uint16_t port;
	if (name == NULL)
		return fail(RUM_EINVAL, EINVAL);
	int ret = rte_eth_dev_get_port_by_name(name, &port);
	return ret < 0 ? fail(RUM_ENODEV, ret) : port;
}

/*
 * Configures one rx and one tx queue (id 0), rx buffers from mp, ring sizes nb_rxd/nb_txd
 * (0: driver default). Does not start the port: see rum_port_start.
 */
RUM_API int rum_port_setup(uint16_t port, struct rte_mempool *mp, uint16_t nb_rxd, uint16_t nb_txd)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	if (mp == NULL)
		return fail(RUM_EINVAL, EINVAL);
	if (!rte_eth_dev_is_valid_port(port))
		return fail(RUM_ENODEV, ENODEV);
	int ret = rte_eth_dev_info_get(port, &info);
	if (ret != 0)
		return fail(RUM_EQUERY, ret);
	memset(&conf, 0, sizeof(conf));
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	ret = rte_eth_dev_configure(port, 1, 1, &conf);
	if (ret < 0)
		return fail(RUM_ECONFIGURE, ret);
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	if (ret < 0)
		return fail(RUM_ECONFIGURE, ret);
	int socket = rte_eth_dev_socket_id(port);
	if (socket < 0)
		socket = (int)rte_socket_id();
	ret = rte_eth_rx_queue_setup(port, 0, nb_rxd, (unsigned)socket, NULL, mp);
	if (ret < 0)
		return fail(RUM_ERXQ, ret);
	ret = rte_eth_tx_queue_setup(port, 0, nb_txd, (unsigned)socket, NULL);
	if (ret < 0)
		return fail(RUM_ETXQ, ret);
	return RUM_OK;
}

/* Starts a configured port. A memif client fails here while no server listens: retry. */
RUM_API int rum_port_start(uint16_t port)
{
	int ret = rte_eth_dev_start(port);
	return ret < 0 ? fail(RUM_ESTART, ret) : RUM_OK;
}

RUM_API int rum_port_promiscuous(uint16_t port, int on)
{
	int ret = on ? rte_eth_promiscuous_enable(port) : rte_eth_promiscuous_disable(port);
	return ret < 0 ? fail(RUM_EQUERY, ret) : RUM_OK;
}

/* 1 if the link is up, 0 if down, < 0 on error. Never waits. */
RUM_API int rum_port_link_up(uint16_t port)
{
	struct rte_eth_link link;
	memset(&link, 0, sizeof(link));
	int ret = rte_eth_link_get_nowait(port, &link);
	if (ret < 0)
		return fail(RUM_EQUERY, ret);
	return link.link_status == RTE_ETH_LINK_UP ? 1 : 0;
}

RUM_API int rum_port_mac(uint16_t port, uint8_t *out)
{
	struct rte_ether_addr addr;
	if (out == NULL)
		return fail(RUM_EINVAL, EINVAL);
	int ret = rte_eth_macaddr_get(port, &addr);
	if (ret < 0)
		return fail(RUM_EQUERY, ret);
	memcpy(out, addr.addr_bytes, RTE_ETHER_ADDR_LEN);
	return RUM_OK;
}

RUM_API int rum_port_set_mac(uint16_t port, const uint8_t *mac)
{
	struct rte_ether_addr addr;
	if (mac == NULL)
		return fail(RUM_EINVAL, EINVAL);
	memcpy(addr.addr_bytes, mac, RTE_ETHER_ADDR_LEN);
	int ret = rte_eth_dev_default_mac_addr_set(port, &addr);
	return ret < 0 ? fail(RUM_EMAC, ret) : RUM_OK;
}

/* out[0..7]: ipackets, opackets, ibytes, obytes, imissed, ierrors, oerrors, rx_nombuf. */
RUM_API int rum_port_stats(uint16_t port, uint64_t *out)
{
	struct rte_eth_stats s;
	if (out == NULL)
		return fail(RUM_EINVAL, EINVAL);
	int ret = rte_eth_stats_get(port, &s);
	if (ret < 0)
		return fail(RUM_EQUERY, ret);
	out[0] = s.ipackets;
	out[1] = s.opackets;
	out[2] = s.ibytes;
	out[3] = s.obytes;
	out[4] = s.imissed;
	out[5] = s.ierrors;
	out[6] = s.oerrors;
	out[7] = s.rx_nombuf;
	return RUM_OK;
}

RUM_API int rum_port_stop(uint16_t port)
{
	int ret = rte_eth_dev_stop(port);
	return ret < 0 ? fail(RUM_ESTOP, ret) : RUM_OK;
}

/* Frees the queues (their mbufs go back to the pool) and releases the port id. */
RUM_API int rum_port_close(uint16_t port)
{
	int ret = rte_eth_dev_close(port);
	return ret < 0 ? fail(RUM_ECLOSE, ret) : RUM_OK;
}

/* ---- data path: one call per frame or burst --------------------------------------------- */

/*
 * Allocates an mbuf, copies the Ethernet header hdr[0..hdr_len) and then a[a_off..a_off+a_len) and
 * b[b_off..b_off+b_len) behind it (a RUM frame and, if it was built in two parts, its payload, each
 * from where it was built, so Java copies nothing first), and transmits it. Bases and offsets come
 * apart because Java passes a whole byte[] (a heap segment) and the frame's place in it.
 * b may be NULL when b_len is 0. If crc_at >= 0 (only when rum_crc_in_c()), seals the frame that follows the
 * Ethernet header: its CRC32C, computed with those 4 bytes zero as the caller leaves them, is stored
 * little-endian at crc_at in it.
 * Returns 1 if the PMD took it, 0 if the tx ring was full (mbuf freed: the frame is not sent),
 * RUM_ENOBUFS if the pool is empty, RUM_ETOOBIG if the frame exceeds one mbuf, RUM_EINVAL if crc_at is
 * not inside the frame or sealing is not done here.
 */
static int tx_gather(uint16_t port, uint16_t queue, struct rte_mempool *mp, const uint8_t *hdr, uint32_t hdr_len,
		     const uint8_t *a, uint64_t a_off, uint32_t a_len, const uint8_t *b, uint64_t b_off, uint32_t b_len,
		     int32_t crc_at)
{
	if (crc_at >= 0 && (!crc_in_c || (uint64_t)crc_at + 4 > (uint64_t)a_len + b_len))
		return fail(RUM_EINVAL, EINVAL);
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	if (m == NULL)
		return fail(RUM_ENOBUFS, ENOBUFS);
	uint64_t len = (uint64_t)hdr_len + a_len + b_len;
	if (len > rte_pktmbuf_tailroom(m)) {
		rte_pktmbuf_free(m);
		return fail(RUM_ETOOBIG, EMSGSIZE);
	}
	uint8_t *out = rte_pktmbuf_mtod(m, uint8_t *);
	rte_memcpy(out, hdr, hdr_len);
	if (a_len > 0)
		rte_memcpy(out + hdr_len, a + a_off, a_len);
	if (b_len > 0)
		rte_memcpy(out + hdr_len + a_len, b + b_off, b_len);
	if (crc_at >= 0) {
		/* The caller leaves the field zero (Medium#sendToSeal): the CRC is that of the bytes as they are. */
		uint8_t *frame = out + hdr_len;
		const uint32_t crc = ~crc32c_update(~0u, frame, a_len + b_len);
		memcpy(frame + crc_at, &crc, 4);
	}
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	if (rte_eth_tx_burst(port, queue, &m, 1) == 1)
		return 1;
	rte_pktmbuf_free(m);
	return 0;
}

/* One contiguous frame, Ethernet header included (raw frames from tests and tools). */
RUM_API int rum_tx_copy(uint16_t port, uint16_t queue, struct rte_mempool *mp, const uint8_t *src, uint32_t len)
{
	unsigned own = enter_data_path();
	int rc = tx_gather(port, queue, mp, src, len, NULL, 0, 0, NULL, 0, 0, -1);
	leave_data_path(own);
	return rc;
}

RUM_API int rum_tx_gather(uint16_t port, uint16_t queue, struct rte_mempool *mp, const uint8_t *hdr,
			  uint32_t hdr_len, const uint8_t *a, uint64_t a_off, uint32_t a_len, const uint8_t *b,
			  uint64_t b_off, uint32_t b_len, int32_t crc_at)
{
	unsigned own = enter_data_path();
	int rc = tx_gather(port, queue, mp, hdr, hdr_len, a, a_off, a_len, b, b_off, b_len, crc_at);
	leave_data_path(own);
	return rc;
}

/*
 * Receives up to max (<= RUM_MAX_BURST) frames and leaves them in their mbufs, so Java reads each
 * where the PMD put it. First frees the n_held mbufs of the previous burst (held[0..n_held), whose
 * frames Java has finished with: a frame is valid until the next call), then stores this burst's
 * mbufs in held[]: one downcall per burst, as with copying.
 * For frame i: addrs[i] is the address of its first byte (Ethernet header) and lens[i] its length.
 * Only a frame in one direct mbuf of the port's own pool mp is read in place (Java reads frames
 * only inside that pool's memory); any other (chained segments, an external or indirect buffer,
 * another pool) is copied to dst + i * slot_size and addrs[i] points there; one longer than
 * slot_size is not copied, addrs[i] is 0 and lens[i] its length negated. If crc_at >= 0, a frame whose RUM
 * frame (at frame_at, its length at FRAME_LENGTH_AT in it) carries the right CRC32C at crc_at has RUM_RX_CHECKED
 * added to lens[i]; any other is left for Java to check and count. Those are freed at once
 * (held[i] becomes NULL), and an mbuf of another pool under the thread's own lcore id: that pool
 * may be another port's, driven by another thread acting as the same data lcore.
 * Returns the number of frames, 0..max; held[] then holds that many mbufs.
 */
#define RUM_RX_CHECKED (1 << 30)

/* RUM_RX_CHECKED if the RUM frame at frame_at in the received frame f[0..len) carries the right CRC32C, else 0. */
static inline int32_t checked(uint8_t *f, uint32_t len, uint32_t frame_at, int32_t crc_at)
{
	if (crc_at < 0 || len < frame_at + FRAME_MIN_LENGTH)
		return 0;
	uint8_t *frame = f + frame_at;
	uint32_t frame_len, stored;
	memcpy(&frame_len, frame + FRAME_LENGTH_AT, 4);
	if (frame_len < FRAME_MIN_LENGTH || frame_len > len - frame_at || (uint32_t)crc_at + 4 > frame_len)
		return 0;
	memcpy(&stored, frame + crc_at, 4);
	return frame_crc(frame, frame_len, (uint32_t)crc_at) == stored ? RUM_RX_CHECKED : 0;
}

static int rx_burst_view(unsigned own, uint16_t port, uint16_t queue, const struct rte_mempool *mp,
			 struct rte_mbuf **held, uint16_t n_held, uint8_t *dst, uint32_t slot_size, int64_t *addrs,
			 int32_t *lens, uint16_t max, uint32_t frame_at, int32_t crc_at)
{
	if (n_held > 0)
		rte_pktmbuf_free_bulk(held, n_held);
	if (max > RUM_MAX_BURST)
		max = RUM_MAX_BURST;
	uint16_t n = rte_eth_rx_burst(port, queue, held, max);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = held[i];
		uint32_t len = m->pkt_len;
		if (m->nb_segs == 1 && RTE_MBUF_DIRECT(m) && m->pool == mp) {
			addrs[i] = (int64_t)(uintptr_t)rte_pktmbuf_mtod(m, const uint8_t *);
			lens[i] = (int32_t)m->data_len | checked(rte_pktmbuf_mtod(m, uint8_t *), m->data_len, frame_at, crc_at);
			continue;
		}
		if (len > slot_size) {
			addrs[i] = 0;
			lens[i] = -(int32_t)len;
		} else {
			uint8_t *out = dst + (size_t)i * slot_size;
			uint32_t at = 0;
			for (const struct rte_mbuf *s = m; s != NULL && at < len; s = s->next) {
				uint32_t part = RTE_MIN((uint32_t)s->data_len, len - at);
				rte_memcpy(out + at, rte_pktmbuf_mtod(s, const uint8_t *), part);
				at += part;
			}
			addrs[i] = (int64_t)(uintptr_t)out;
			lens[i] = (int32_t)at | checked(out, at, frame_at, crc_at);
		}
		held[i] = NULL;
		if (m->pool == mp) {
			rte_pktmbuf_free(m);
		} else {
			leave_data_path(own);
			rte_pktmbuf_free(m);
			enter_data_path();
		}
	}
	return n;
}

/*
 * Receives as rx_burst_view does; if the ring is empty and wait_ns > 0, polls it again until a frame comes, wait_ns
 * have passed or *doorbell is non-zero, whichever is first (the last checked every WAIT_CLOCK_POLLS polls: a TSC
 * read costs about half an empty poll here). Why wait in C: a thread that waits for a frame by calling this again
 * and again pays the downcall and the Java around it on every empty poll, so a frame is noticed later (measured:
 * RUM memif round trip 0.69-0.73 -> 0.63-0.66 us at 64 B). The caller rings the doorbell (from any thread) when
 * work other than frames is waiting for the thread in here. wait_ns is capped by Java; this must stay short, as
 * the call is critical (the JVM cannot reach a safepoint while it runs).
 */
#define WAIT_CLOCK_POLLS 8

RUM_API int rum_rx_burst_view(uint16_t port, uint16_t queue, const struct rte_mempool *mp, struct rte_mbuf **held,
			      uint16_t n_held, uint8_t *dst, uint32_t slot_size, int64_t *addrs, int32_t *lens,
			      uint16_t max, uint32_t frame_at, int32_t crc_at, uint32_t wait_ns, const int32_t *doorbell)
{
	if (crc_at >= 0 && !crc_in_c)
		crc_at = -1;
	unsigned own = enter_data_path();
	int n = rx_burst_view(own, port, queue, mp, held, n_held, dst, slot_size, addrs, lens, max, frame_at, crc_at);
	if (n == 0 && wait_ns > 0 && doorbell != NULL) {
		const uint64_t start = rte_get_tsc_cycles();
		const uint64_t cycles = ((uint64_t)wait_ns * rum_tsc_per_ns_q32) >> 32;
		for (uint32_t polls = 1; n == 0 && __atomic_load_n(doorbell, __ATOMIC_RELAXED) == 0; polls++) {
			if (polls % WAIT_CLOCK_POLLS == 0 && rte_get_tsc_cycles() - start >= cycles)
				break;
			n = rx_burst_view(own, port, queue, mp, held, 0, dst, slot_size, addrs, lens, max, frame_at,
					  crc_at);
		}
	}
	leave_data_path(own);
	return n;
}

/* Frees mbufs: a medium closing with a burst still held. */
RUM_API void rum_mbuf_free_bulk(struct rte_mbuf **mbufs, uint32_t n)
{
	unsigned own = enter_data_path();
	if (n > 0)
		rte_pktmbuf_free_bulk(mbufs, n);
	leave_data_path(own);
}

/*
 * The memory chunks of a pool, where its mbufs and so every received frame lie: up to max
 * (address, length) pairs into addrs/lens. Java wraps each once as a ByteBuffer, so a frame read in
 * place is a view of one rather than a new object. Returns the number of chunks (may exceed max).
 */
RUM_API int rum_pool_chunks(struct rte_mempool *mp, int64_t *addrs, int64_t *lens, uint32_t max)
{
	if (mp == NULL)
		return fail(RUM_EINVAL, EINVAL);
	uint32_t n = 0;
	struct rte_mempool_memhdr *hdr;
	STAILQ_FOREACH(hdr, &mp->mem_list, next) {
		if (n < max) {
			addrs[n] = (int64_t)(uintptr_t)hdr->addr;
			lens[n] = (int64_t)hdr->len;
		}
		n++;
	}
	return (int)n;
}
