/* AF_XDP ports (tools/xdp_afxdp.c) for hive xdp --iface --afxdp. */
#ifndef HIVE_TOOLS_XDP_AFXDP_H
#define HIVE_TOOLS_XDP_AFXDP_H

#include <stddef.h>
#include <stdint.h>

struct xsk_port;

/* A received frame: its UMEM address (for recycling), bytes and length. */
struct xsk_frame {
	uint64_t addr;
	uint8_t *data;
	uint32_t len;
};

/* An XDP socket on queue 0 of @ifname (libxdp loads the steering program);
 * 0, or a negative errno and why in @err. */
int xsk_port_open(struct xsk_port **out, const char *ifname, char *err, size_t errsz);
int xsk_port_fd(const struct xsk_port *p);
/* Up to @n received frames; they stay ours until recycled. */
unsigned xsk_port_rx(struct xsk_port *p, struct xsk_frame *f, unsigned n);
void xsk_port_recycle(struct xsk_port *p, const struct xsk_frame *f, unsigned n);
/* Queue a copy of @data for sending (-ENOBUFS when the TX frames are all in
 * flight); xsk_port_kick makes the kernel send what is queued. */
int xsk_port_send(struct xsk_port *p, const void *data, uint32_t len);
void xsk_port_kick(struct xsk_port *p);
void xsk_port_close(struct xsk_port *p);

#endif
