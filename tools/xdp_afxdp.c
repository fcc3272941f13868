/* AF_XDP ports for `hive xdp --iface IF --afxdp` (tools/xdp_live.c): one
 * XDP socket per interface on queue 0, through libxdp (the Debian-packaged
 * library that also loads and later removes the small kernel XDP program
 * steering the queue's frames into the socket; writing that by hand would
 * repeat its netlink and XSKMAP handling for nothing).
 *
 * One UMEM per port: the first half of its frames circulate through the
 * fill and RX rings, the second half is a free list for frames hive
 * transmits (copies: a verdict's packet may come from another port).
 * Built only where libxdp is found; otherwise opening says so. */
#include "xdp_afxdp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#if HIVE_HAVE_AFXDP
#include <stdlib.h>
#include <sys/mman.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

enum {
	XP_FRAMES = 4096,
	XP_FRAME = XSK_UMEM__DEFAULT_FRAME_SIZE,
	XP_RX_FRAMES = XP_FRAMES / 2,
	XP_RING = XSK_RING_CONS__DEFAULT_NUM_DESCS,
};

struct xsk_port {
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fill, tx;
	struct xsk_ring_cons comp, rx;
	void *area;
	uint64_t free_tx[XP_FRAMES - XP_RX_FRAMES];
	uint32_t nfree_tx;
};

static void xp_fill(struct xsk_port *p, const uint64_t *addrs, uint32_t n)
{
	uint32_t idx;
	while (xsk_ring_prod__reserve(&p->fill, n, &idx) != n)
		; /* the fill ring holds every RX frame: room is always there */
	for (uint32_t i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&p->fill, idx + i) = addrs[i];
	xsk_ring_prod__submit(&p->fill, n);
}

/* the libraries' notes (no bpffs for the dispatcher, unknown ELF sections
 * of their own objects): failures come back as return codes anyway */
static int xp_quiet(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0;
}

static int xp_quiet_bpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0;
}

int xsk_port_open(struct xsk_port **out, const char *ifname, char *err, size_t errsz)
{
	*out = NULL;
	libxdp_set_print(xp_quiet);
	libbpf_set_print(xp_quiet_bpf);
	struct xsk_port *p = calloc(1, sizeof(*p));
	if (!p)
		return snprintf(err, errsz, "out of memory"), -ENOMEM;
	p->area = mmap(NULL, (size_t)XP_FRAMES * XP_FRAME, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->area == MAP_FAILED) {
		free(p);
		return snprintf(err, errsz, "UMEM: %s", strerror(errno)), -ENOMEM;
	}
	struct xsk_umem_config uc = {.fill_size = XP_RING, .comp_size = XP_RING, .frame_size = XP_FRAME};
	int e = xsk_umem__create(&p->umem, p->area, (uint64_t)XP_FRAMES * XP_FRAME, &p->fill, &p->comp, &uc);
	if (e) {
		snprintf(err, errsz, "UMEM registration: %s", strerror(-e));
		goto fail;
	}
	struct xsk_socket_config sc = {.rx_size = XP_RING, .tx_size = XP_RING};
	e = xsk_socket__create(&p->xsk, ifname, 0, p->umem, &p->rx, &p->tx, &sc);
	if (e) {
		snprintf(err, errsz, "XDP socket on queue 0: %s", strerror(-e));
		goto fail;
	}
	uint64_t addrs[XP_RX_FRAMES];
	for (uint32_t i = 0; i < XP_RX_FRAMES; i++)
		addrs[i] = (uint64_t)i * XP_FRAME;
	xp_fill(p, addrs, XP_RX_FRAMES);
	for (uint32_t i = 0; i < XP_FRAMES - XP_RX_FRAMES; i++)
		p->free_tx[p->nfree_tx++] = (uint64_t)(XP_RX_FRAMES + i) * XP_FRAME;
	*out = p;
	return 0;
fail:
	xsk_port_close(p);
	return e ? e : -EINVAL;
}

int xsk_port_fd(const struct xsk_port *p)
{
	return xsk_socket__fd(p->xsk);
}

unsigned xsk_port_rx(struct xsk_port *p, struct xsk_frame *f, unsigned n)
{
	uint32_t idx;
	unsigned got = xsk_ring_cons__peek(&p->rx, n, &idx);
	for (unsigned i = 0; i < got; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&p->rx, idx + i);
		f[i].addr = d->addr;
		f[i].len = d->len;
		f[i].data = xsk_umem__get_data(p->area, d->addr);
	}
	if (got)
		xsk_ring_cons__release(&p->rx, got);
	return got;
}

void xsk_port_recycle(struct xsk_port *p, const struct xsk_frame *f, unsigned n)
{
	uint64_t addrs[64];
	while (n) {
		unsigned k = n < 64 ? n : 64;
		for (unsigned i = 0; i < k; i++)
			addrs[i] = xsk_umem__extract_addr(f[i].addr); /* back to the frame's start */
		xp_fill(p, addrs, k);
		f += k, n -= k;
	}
}

/* Frames the kernel finished sending go back to the free list. */
static void xp_complete(struct xsk_port *p)
{
	uint32_t idx;
	unsigned done = xsk_ring_cons__peek(&p->comp, XP_RING, &idx);
	for (unsigned i = 0; i < done; i++)
		p->free_tx[p->nfree_tx++] = *xsk_ring_cons__comp_addr(&p->comp, idx + i);
	if (done)
		xsk_ring_cons__release(&p->comp, done);
}

int xsk_port_send(struct xsk_port *p, const void *data, uint32_t len)
{
	if (len > XP_FRAME)
		return -EMSGSIZE;
	if (!p->nfree_tx)
		xp_complete(p);
	uint32_t idx;
	if (!p->nfree_tx || xsk_ring_prod__reserve(&p->tx, 1, &idx) != 1)
		return -ENOBUFS;
	uint64_t addr = p->free_tx[--p->nfree_tx];
	memcpy(xsk_umem__get_data(p->area, addr), data, len);
	struct xdp_desc *d = xsk_ring_prod__tx_desc(&p->tx, idx);
	d->addr = addr;
	d->len = len;
	xsk_ring_prod__submit(&p->tx, 1);
	return 0;
}

void xsk_port_kick(struct xsk_port *p)
{
	if (xsk_ring_prod__needs_wakeup(&p->tx))
		sendto(xsk_socket__fd(p->xsk), NULL, 0, MSG_DONTWAIT, NULL, 0);
	xp_complete(p);
}

void xsk_port_close(struct xsk_port *p)
{
	if (!p)
		return;
	if (p->xsk)
		xsk_socket__delete(p->xsk); /* the last one removes libxdp's program */
	if (p->umem)
		xsk_umem__delete(p->umem);
	if (p->area && p->area != MAP_FAILED)
		munmap(p->area, (size_t)XP_FRAMES * XP_FRAME);
	free(p);
}

#else /* no libxdp */

int xsk_port_open(struct xsk_port **out, const char *ifname, char *err, size_t errsz)
{
	(void)ifname;
	*out = NULL;
	snprintf(err, errsz, "this hive was built without libxdp (libxdp-dev): no AF_XDP");
	return -EOPNOTSUPP;
}
int xsk_port_fd(const struct xsk_port *p) { (void)p; return -1; }
unsigned xsk_port_rx(struct xsk_port *p, struct xsk_frame *f, unsigned n) { (void)p, (void)f, (void)n; return 0; }
void xsk_port_recycle(struct xsk_port *p, const struct xsk_frame *f, unsigned n) { (void)p, (void)f, (void)n; }
int xsk_port_send(struct xsk_port *p, const void *data, uint32_t len) { (void)p, (void)data, (void)len; return -EOPNOTSUPP; }
void xsk_port_kick(struct xsk_port *p) { (void)p; }
void xsk_port_close(struct xsk_port *p) { (void)p; }

#endif
