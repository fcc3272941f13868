/* hive-bench internals shared by its files: the test packets
 * (bench_packet.c), reading program sections (bench_elf.c) and the kernel
 * engine (bench_kernel.c).  hive-bench.c has the rest. */
#ifndef HIVE_BENCH_H
#define HIVE_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "hive/hive.h"

/* {===== packets (bench_packet.c) */

/* One test packet: Ethernet, 0-2 VLAN tags, an IPv4-like header, a TCP or
 * UDP header, then xorshift32 bytes. */
struct bench_pkt_spec {
	const char *name;
	uint16_t len;
	uint8_t vlans;       /* tags before the ethertype: 802.1Q, or 802.1ad + 802.1Q */
	uint16_t ethertype;
	uint8_t ver_ihl;     /* first IP byte */
	uint16_t frag;       /* IP flags and fragment offset */
	uint8_t proto;
	uint16_t dport;
	uint32_t parse;      /* what the parse program must return */
};

/* The first row is the bundled packet, the one the timings use; the others
 * only feed the result check, mostly to walk the parser's other paths. */
extern const struct bench_pkt_spec bench_pkt_specs[];
extern const size_t bench_pkt_nspecs;

enum { BENCH_PKT_BUF = 3072 };
/* The packet every engine runs on, and its length. */
extern uint8_t bench_pkt[BENCH_PKT_BUF];
extern size_t bench_pkt_len;

/* Build packet @s in bench_pkt and set bench_pkt_len. */
void bench_packet_fill(const struct bench_pkt_spec *s);

/* }===== */

/* {===== reading a program out of its object (bench_elf.c) */

/* The instructions of section @sec of the ELF object @path, malloc'd into
 * *out.  A section that needs relocations is refused (-EINVAL).  On failure
 * the reason is in @err. */
int bench_elf_section(const char *path, const char *sec, struct hive_insn **out, size_t *cnt, char *err,
		      size_t errsz);

/* }===== */

/* {===== the kernel through bpf() (bench_kernel.c) */

/* Can this process use bpf()?  Loads `r0 = XDP_PASS; exit` and returns its
 * fd, or -1 with the reason ("skipped: bpf() not permitted") in @why. */
int bench_kernel_probe(char *why, size_t whysz);

/* Load an XDP program: its fd or -errno.  With @log, the verifier's log goes
 * there (level 1). */
int bench_kernel_load(const struct hive_insn *insns, size_t cnt, char *log, size_t logsz);

/* BPF_PROG_TEST_RUN @fd @repeat times on [data, data+len): r0 in *retval,
 * the kernel's own ns per run in *ns (either may be NULL). */
int bench_kernel_run(int fd, const void *data, size_t len, uint32_t repeat, uint32_t *retval, double *ns);

/* The last line of a verifier log that says what went wrong (not the
 * "processed N insns" summary).  Edits @log in place. */
const char *bench_kernel_log_reason(char *log);

/* }===== */

#endif
