/* hive xdp OBJ --iface IF [--iface IF2 ...]: an XDP program on live
 * interfaces, in user space.
 *
 * Each interface gets an AF_PACKET socket with a TPACKET_V3 receive ring
 * (blocks of packets the kernel hands over whole; a block is retired after
 * 10 ms even when not full). Packets run in batches through a hive_xdp
 * runner, with ctx->ingress_ifindex the interface's real index, and the
 * verdicts are applied: XDP_TX sends the packet as the program left it
 * back out of the interface it came in on, XDP_REDIRECT out of the opened
 * interface whose ifindex bpf_redirect named, XDP_PASS is counted (and
 * written with --write), XDP_DROP dropped, XDP_ABORTED and values that are
 * no verdict counted as ABORTED.
 *
 * AF_PACKET sees a copy of each frame: the kernel's own stack still gets
 * the original, so PASS and DROP decide what hive forwards and records,
 * not what the host's stack sees. Frames hive sends are not received
 * again (PACKET_IGNORE_OUTGOING, and outgoing frames are skipped anyway).
 *
 * With --afxdp each interface gets an AF_XDP socket on queue 0 instead
 * (tools/xdp_afxdp.c): a kernel XDP program steers the queue's frames to
 * hive and the host's stack no longer sees them, so DROP really drops and
 * TX/REDIRECT really forward; PASS cannot go back up the kernel's stack
 * from user space and is counted (and written) like DROP. Other queues of
 * a multi-queue NIC stay with the kernel.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "xdp.h"
#include "xdp_afxdp.h"

enum {
	LIVE_BLOCK_SIZE = 1 << 17,
	LIVE_BLOCKS = 32,
	LIVE_FRAME_SIZE = 2048,
	LIVE_RETIRE_MS = 10,
	LIVE_BATCH = 64,
	LIVE_OUT_CAP = 4096,
};

struct live_if {
	const char *name;
	int ifindex, fd;
	uint8_t *ring;
	size_t ring_size;
	struct xsk_port *xsk;  /* --afxdp: its XDP socket instead of the ring */
	unsigned block;
	uint64_t rx, tx, tx_err, redirected_in, redirect_err;
};

struct live_pkt_meta {
	struct live_if *in;
	struct timeval ts;
	uint32_t len;
};

struct live {
	const struct xdp_live_opts *o;
	struct hive_xdp *runner;
	struct live_if ifs[XDP_MAX_IFACES];
	int nifs;
	pcap_t *dead;
	pcap_dumper_t *dump;
	uint64_t count[XDP_COUNTS], packets, written, redirect_unknown, failed_shown;
	/* the batch being filled */
	struct hive_xdp_pkt batch[LIVE_BATCH];
	struct live_pkt_meta meta[LIVE_BATCH];
	unsigned nbatch;
	uint8_t *out;
};

static volatile sig_atomic_t live_stop;

static void live_on_signal(int sig)
{
	(void)sig;
	live_stop = 1;
}

static double live_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int live_open(struct live_if *li, bool promisc, bool afxdp)
{
	li->fd = -1;
	li->ifindex = (int)if_nametoindex(li->name);
	if (!li->ifindex) {
		fprintf(stderr, "hive xdp: --iface %s: %s\n", li->name, strerror(errno));
		return -1;
	}
	if (afxdp) {
		char why[256];
		int err = xsk_port_open(&li->xsk, li->name, why, sizeof why);
		if (err) {
			fprintf(stderr, "hive xdp: --iface %s: AF_XDP: %s%s\n", li->name, why,
				err == -EPERM ? " (needs root or CAP_NET_ADMIN + CAP_BPF)" : "");
			return -1;
		}
		li->fd = xsk_port_fd(li->xsk);
		return 0;
	}
	/* protocol 0: nothing is received before the ring and the bind are set */
	li->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (li->fd < 0) {
		fprintf(stderr, "hive xdp: --iface %s: AF_PACKET socket: %s%s\n", li->name, strerror(errno),
			errno == EPERM ? " (needs root or CAP_NET_RAW)" : "");
		return -1;
	}
	int v = TPACKET_V3, one = 1;
	struct tpacket_req3 req = {
		.tp_block_size = LIVE_BLOCK_SIZE,
		.tp_block_nr = LIVE_BLOCKS,
		.tp_frame_size = LIVE_FRAME_SIZE,
		.tp_frame_nr = LIVE_BLOCK_SIZE / LIVE_FRAME_SIZE * LIVE_BLOCKS,
		.tp_retire_blk_tov = LIVE_RETIRE_MS,
	};
	const char *what = NULL;
	if (setsockopt(li->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v))
		what = "PACKET_VERSION TPACKET_V3";
	else if (setsockopt(li->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req))
		what = "PACKET_RX_RING";
	if (what) {
		fprintf(stderr, "hive xdp: --iface %s: %s: %s\n", li->name, what, strerror(errno));
		return -1;
	}
	li->ring_size = (size_t)LIVE_BLOCK_SIZE * LIVE_BLOCKS;
	li->ring = mmap(NULL, li->ring_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, li->fd, 0);
	if (li->ring == MAP_FAILED) /* MAP_LOCKED may exceed RLIMIT_MEMLOCK: without */
		li->ring = mmap(NULL, li->ring_size, PROT_READ | PROT_WRITE, MAP_SHARED, li->fd, 0);
	if (li->ring == MAP_FAILED) {
		li->ring = NULL;
		fprintf(stderr, "hive xdp: --iface %s: mmap of the ring: %s\n", li->name, strerror(errno));
		return -1;
	}
	/* older kernels lack it: outgoing frames are skipped by their type */
	(void)setsockopt(li->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = li->ifindex};
	if (bind(li->fd, (struct sockaddr *)&sll, sizeof sll)) {
		fprintf(stderr, "hive xdp: --iface %s: bind: %s\n", li->name, strerror(errno));
		return -1;
	}
	if (promisc) {
		struct packet_mreq mr = {.mr_ifindex = li->ifindex, .mr_type = PACKET_MR_PROMISC};
		if (setsockopt(li->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr))
			fprintf(stderr, "hive xdp: --iface %s: promiscuous mode: %s\n", li->name, strerror(errno));
	}
	return 0;
}

static void live_close(struct live_if *li)
{
	if (li->xsk) {
		xsk_port_close(li->xsk); /* its fd too */
		return;
	}
	if (li->ring)
		munmap(li->ring, li->ring_size);
	if (li->fd >= 0)
		close(li->fd);
}

static struct live_if *live_find(struct live *L, uint32_t ifindex)
{
	for (int i = 0; i < L->nifs; i++)
		if ((uint32_t)L->ifs[i].ifindex == ifindex)
			return &L->ifs[i];
	return NULL;
}

static void live_send(struct live_if *out, const void *data, uint32_t len, uint64_t *ok, uint64_t *bad)
{
	if (out->xsk) {
		if (xsk_port_send(out->xsk, data, len))
			(*bad)++;
		else
			(*ok)++;
		return;
	}
	if (send(out->fd, data, len, MSG_DONTWAIT) == (ssize_t)len)
		(*ok)++;
	else
		(*bad)++;
}

/* Run the batch and apply its verdicts. */
static void live_flush(struct live *L)
{
	if (!L->nbatch)
		return;
	hive_xdp_run(L->runner, L->batch, L->nbatch);
	for (unsigned i = 0; i < L->nbatch; i++) {
		struct hive_xdp_pkt *p = &L->batch[i];
		struct live_if *in = L->meta[i].in;
		uint32_t len = p->len < LIVE_OUT_CAP ? p->len : LIVE_OUT_CAP;
		if (p->err) {
			L->count[XDP_VERDICTS]++;
			if (L->failed_shown++ < 3) {
				uint32_t pc;
				const char *msg = hive_xdp_errmsg(L->runner, &pc);
				fprintf(stderr, "hive xdp: %s: a %u-byte packet: %s (%s)\n", in->name, L->meta[i].len,
					strerror(-p->err), msg);
			}
			continue;
		}
		uint32_t v = p->verdict < XDP_VERDICTS ? p->verdict : V_ABORTED;
		L->count[v]++;
		if (v == V_TX) {
			live_send(in, p->out, len, &in->tx, &in->tx_err);
		} else if (v == V_REDIRECT) {
			struct live_if *to = live_find(L, p->redirect_ifindex);
			if (to)
				live_send(to, p->out, len, &to->redirected_in, &to->redirect_err);
			else
				L->redirect_unknown++;
		} else if (v == V_PASS && L->dump) {
			struct pcap_pkthdr h = {.ts = L->meta[i].ts, .caplen = len, .len = len};
			pcap_dump((u_char *)L->dump, &h, p->out);
			L->written++;
		}
	}
	L->packets += L->nbatch;
	L->nbatch = 0;
	for (int i = 0; i < L->nifs; i++) /* what TX and REDIRECT queued on XDP sockets goes out */
		if (L->ifs[i].xsk)
			xsk_port_kick(L->ifs[i].xsk);
}

static bool live_limit(struct live *L)
{
	return L->o->count && L->packets + L->nbatch >= L->o->count;
}

/* The packets of one ring block. */
static void live_block(struct live *L, struct live_if *li, struct tpacket_block_desc *bd)
{
	uint32_t n = bd->hdr.bh1.num_pkts;
	uint8_t *at = (uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt;
	for (uint32_t i = 0; i < n && !live_limit(L); i++) {
		struct tpacket3_hdr *h = (struct tpacket3_hdr *)at;
		const struct sockaddr_ll *sll = (const void *)(at + TPACKET_ALIGN(sizeof(*h)));
		if (sll->sll_pkttype != PACKET_OUTGOING) {
			li->rx++;
			unsigned k = L->nbatch++;
			L->batch[k] = (struct hive_xdp_pkt){
				.data = at + h->tp_mac,
				/* a frame the ring cut short runs as received: the
				 * ring holds whole frames up to a block */
				.len = h->tp_snaplen,
				.ingress_ifindex = (uint32_t)li->ifindex,
				.out = L->out + (size_t)k * LIVE_OUT_CAP,
				.out_cap = LIVE_OUT_CAP,
			};
			L->meta[k].in = li;
			L->meta[k].len = h->tp_snaplen;
			L->meta[k].ts = (struct timeval){.tv_sec = h->tp_sec, .tv_usec = h->tp_nsec / 1000};
			if (L->nbatch == LIVE_BATCH)
				live_flush(L);
		}
		at += h->tp_next_offset;
	}
	live_flush(L);
}

/* AF_XDP: the frames received, a batch at a time; each goes back to the
 * fill ring once its batch ran (the runner copied what it sends). */
static void live_poll_xsk(struct live *L, struct live_if *li)
{
	struct xsk_frame f[LIVE_BATCH];
	struct timeval now;
	for (;;) {
		unsigned want = LIVE_BATCH;
		if (L->o->count && L->o->count - L->packets < want)
			want = (unsigned)(L->o->count - L->packets);
		unsigned n = want ? xsk_port_rx(li->xsk, f, want) : 0;
		if (!n)
			return;
		gettimeofday(&now, NULL);
		for (unsigned i = 0; i < n; i++) {
			li->rx++;
			L->batch[i] = (struct hive_xdp_pkt){
				.data = f[i].data,
				.len = f[i].len,
				.ingress_ifindex = (uint32_t)li->ifindex,
				.out = L->out + (size_t)i * LIVE_OUT_CAP,
				.out_cap = LIVE_OUT_CAP,
			};
			L->meta[i] = (struct live_pkt_meta){.in = li, .ts = now, .len = f[i].len};
		}
		L->nbatch = n;
		live_flush(L);
		xsk_port_recycle(li->xsk, f, n);
	}
}

/* The blocks the kernel has handed over, in ring order. */
static void live_poll_if(struct live *L, struct live_if *li)
{
	if (li->xsk) {
		live_poll_xsk(L, li);
		return;
	}
	for (unsigned seen = 0; seen < LIVE_BLOCKS && !live_limit(L); seen++) {
		struct tpacket_block_desc *bd = (void *)(li->ring + (size_t)li->block * LIVE_BLOCK_SIZE);
		if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
			break;
		live_block(L, li, bd);
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		li->block = (li->block + 1) % LIVE_BLOCKS;
	}
}

static void live_counts(const struct live *L, FILE *f, const char *sep)
{
	for (int v = 0; v < XDP_VERDICTS; v++)
		fprintf(f, "%s%s %" PRIu64, v ? sep : "", xdp_verdict_name[v], L->count[v]);
	if (L->count[XDP_VERDICTS])
		fprintf(f, "%sfailed %" PRIu64, sep, L->count[XDP_VERDICTS]);
}

int xdp_live_run(struct hive_prog *prog, const char *prog_name, const struct xdp_live_opts *o)
{
	struct live *L = calloc(1, sizeof(*L));
	if (!L) {
		fprintf(stderr, "hive xdp: out of memory\n");
		return 1;
	}
	int rc = 1, err = -ENOMEM;
	L->o = o;
	for (int i = 0; i < XDP_MAX_IFACES; i++)
		L->ifs[i].fd = -1;
	L->out = malloc((size_t)LIVE_BATCH * LIVE_OUT_CAP);
	HIVE_OPTS(hive_xdp_opts, xo, .use_jit = o->jit);
	if (!L->out || (err = hive_xdp_new(prog, &xo, &L->runner))) {
		fprintf(stderr, "hive xdp: %s\n", L->out ? strerror(-err) : "out of memory");
		goto out;
	}
	for (int i = 0; i < o->nifaces; i++) {
		L->ifs[i].name = o->ifaces[i];
		L->nifs = i + 1;
		if (live_open(&L->ifs[i], o->promisc, o->afxdp))
			goto out;
	}
	if (o->write) {
		L->dead = pcap_open_dead(DLT_EN10MB, 65535);
		L->dump = L->dead ? pcap_dump_open(L->dead, o->write) : NULL;
		if (!L->dump) {
			fprintf(stderr, "hive xdp: %s: %s\n", o->write, L->dead ? pcap_geterr(L->dead) : "cannot open");
			goto out;
		}
	}
	struct sigaction sa = {.sa_handler = live_on_signal}, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	live_stop = 0;

	printf("hive xdp: %s on", prog_name);
	for (int i = 0; i < L->nifs; i++)
		printf("%s %s (ifindex %d)", i ? "," : "", L->ifs[i].name, L->ifs[i].ifindex);
	printf(" (%s, %s); stops after ", o->afxdp ? "AF_XDP" : "AF_PACKET", o->jit ? "JIT" : "interpreter");
	if (o->count)
		printf("%" PRIu64 " packets, ", o->count);
	if (o->duration > 0)
		printf("%g s, ", o->duration);
	printf("on Ctrl-C\n");
	fflush(stdout);

	bool tty = isatty(STDERR_FILENO);
	struct pollfd pfd[XDP_MAX_IFACES];
	for (int i = 0; i < L->nifs; i++)
		pfd[i] = (struct pollfd){.fd = L->ifs[i].fd, .events = POLLIN | POLLERR};
	double t0 = live_now(), next_progress = t0 + 1, last = t0;
	uint64_t last_packets = 0;
	while (!live_stop) {
		int r = poll(pfd, (nfds_t)L->nifs, 100);
		if (r < 0 && errno != EINTR) {
			fprintf(stderr, "hive xdp: poll: %s\n", strerror(errno));
			break;
		}
		/* the ring says what is ready; poll only wakes us */
		for (int i = 0; i < L->nifs; i++)
			live_poll_if(L, &L->ifs[i]);
		double now = live_now();
		if (live_limit(L) || (o->duration > 0 && now - t0 >= o->duration))
			break;
		if ((tty || o->progress) && now >= next_progress) {
			fprintf(stderr, "%s[%6.1f s] %8.0f pps  ", tty ? "\r\033[K" : "", now - t0,
				(double)(L->packets - last_packets) / (now - last));
			live_counts(L, stderr, "  ");
			fputs(tty ? "" : "\n", stderr);
			fflush(stderr);
			last = now;
			last_packets = L->packets;
			next_progress = now + 1;
		}
	}
	double secs = live_now() - t0;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (tty)
		fputs("\r\033[K", stderr);

	printf("%" PRIu64 " packets through %s in %.3f s: %.0f pps%s\n", L->packets, prog_name, secs,
	       secs > 0 ? (double)L->packets / secs : 0.0, live_stop ? " (interrupted)" : "");
	printf("  ");
	live_counts(L, stdout, "\n  ");
	printf("\n");
	if (L->count[XDP_VERDICTS])
		printf("  (failed: packets the test run refuses, longer than 3520 bytes or shorter than 14, or runs that faulted)\n");
	for (int i = 0; i < L->nifs; i++) {
		struct live_if *li = &L->ifs[i];
		/* frames the kernel could not put in the ring (hive too slow) */
		struct tpacket_stats_v3 ks = {0};
		socklen_t kl = sizeof ks;
		bool have = !getsockopt(li->fd, SOL_PACKET, PACKET_STATISTICS, &ks, &kl);
		printf("%s: received %" PRIu64, li->name, li->rx);
		if (have && ks.tp_drops)
			printf(" (and %u the ring had no room for)", ks.tp_drops);
		printf(", sent back (TX) %" PRIu64, li->tx);
		if (li->tx_err)
			printf(" (%" PRIu64 " failed)", li->tx_err);
		printf(", sent here by REDIRECT %" PRIu64, li->redirected_in);
		if (li->redirect_err)
			printf(" (%" PRIu64 " failed)", li->redirect_err);
		printf("\n");
	}
	if (L->redirect_unknown)
		printf("REDIRECT to an interface not opened with --iface: %" PRIu64 " dropped\n", L->redirect_unknown);
	if (L->dump)
		printf("wrote %" PRIu64 " packets (PASS) to %s\n", L->written, o->write);
	rc = 0;
out:
	if (L->dump)
		pcap_dump_close(L->dump);
	if (L->dead)
		pcap_close(L->dead);
	for (int i = 0; i < L->nifs; i++)
		live_close(&L->ifs[i]);
	hive_xdp_free(L->runner);
	free(L->out);
	free(L);
	return rc;
}
