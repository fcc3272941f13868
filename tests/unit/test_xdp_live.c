/* hive xdp --iface (tools/xdp_live.c) on real interfaces: the test makes a
 * network namespace with two veth pairs (hl0-hl1, hl2-hl3), runs the
 * built `hive xdp` on hl0 and hl2 with tests/hooks/xdp_live.bpf.c (one
 * verdict per UDP port), sends frames into hl1 from an AF_PACKET socket,
 * and checks what comes back: the XDP_TX frames rewritten on hl1, the
 * XDP_REDIRECT frames on hl3, the verdict counts and the PASS frames
 * hive wrote. Then it removes the namespace. Skips (saying why) when not
 * root, without iproute2 or without network namespaces. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static char ns_name[64], dir[1024], obj[1200];
static int home_ns = -1;
static bool in_ns;

#define SKIP(...)                                  \
	do {                                       \
		printf("HIVE-SKIP: " __VA_ARGS__); \
		printf("\n");                      \
		skip();                            \
	} while (0)

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Enter a fresh namespace with the two veth pairs (once per run); false
 * (and why in @why) when this machine cannot. */
static bool ns_enter(char *why, size_t whysz)
{
	if (in_ns) /* made by an earlier test of the group */
		return true;
	if (geteuid() != 0) {
		snprintf(why, whysz, "not root: network namespaces and AF_PACKET need it");
		return false;
	}
	if (sh("ip -V >/dev/null 2>&1")) {
		snprintf(why, whysz, "no `ip` (iproute2)");
		return false;
	}
	if (sh("ip netns add %s 2>/dev/null", ns_name)) {
		snprintf(why, whysz, "`ip netns add` failed: no network namespaces here");
		return false;
	}
	char path[128];
	snprintf(path, sizeof path, "/run/netns/%s", ns_name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	home_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || home_ns < 0 || setns(fd, CLONE_NEWNET)) {
		snprintf(why, whysz, "cannot enter namespace %s: %s", ns_name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	close(fd);
	in_ns = true;
	/* no IPv6 autoconfiguration chatter: the counts must be exact */
	if (sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 2>/dev/null") ||
	    sh("ip link add hl0 type veth peer name hl1") || sh("ip link add hl2 type veth peer name hl3") ||
	    sh("for i in hl0 hl1 hl2 hl3; do ip link set $i up || exit 1; done")) {
		snprintf(why, whysz, "cannot make veth pairs in namespace %s", ns_name);
		return false;
	}
	return true;
}

static void ns_leave(void)
{
	if (in_ns && home_ns >= 0)
		setns(home_ns, CLONE_NEWNET);
	in_ns = false;
	if (home_ns >= 0)
		close(home_ns);
	home_ns = -1;
	if (ns_name[0])
		sh("ip netns del %s 2>/dev/null", ns_name);
}

static int setup(void **state)
{
	(void)state;
	snprintf(ns_name, sizeof ns_name, "hive-live-%d", (int)getpid());
	snprintf(dir, sizeof dir, "%s/xdp_live.%d", HIVE_BINARY_DIR, (int)getpid());
	mkdir(dir, 0755);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ns_leave();
	return sh("rm -rf %s", dir) == 0 ? 0 : -1;
}

/* tests/hooks/xdp_live.bpf.c with BTF (its map is BTF-defined) */
static bool build_obj(void)
{
	const char *cc = sh("command -v clang-14 >/dev/null 2>&1") == 0 ? "clang-14"
			 : sh("command -v clang >/dev/null 2>&1") == 0 ? "clang" : NULL;
	if (!cc)
		return false;
	snprintf(obj, sizeof obj, "%s/xdp_live.o", dir);
	return sh("%s -O2 -g -target bpf -mcpu=v3 -I/usr/include/$(uname -m)-linux-gnu -c %s/tests/hooks/xdp_live.bpf.c "
		  "-o %s", cc, HIVE_SOURCE_DIR, obj) == 0;
}

/* `hive ARGS` in the background, its stdout+stderr into a pipe. */
struct child {
	pid_t pid;
	int fd;
	char out[1 << 14];
	size_t len;
};

static void child_start(struct child *c, const char *args)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	c->len = 0;
	c->out[0] = '\0';
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (!c->pid) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		char cmd[4096];
		snprintf(cmd, sizeof cmd, "exec %s/hive %s", HIVE_BINARY_DIR, args);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	c->fd = p[0];
}

/* Read the child's output until @want appears (true) or @secs pass. */
static bool child_wait_for(struct child *c, const char *want, double secs)
{
	double end = now_s() + secs;
	while (!(want && strstr(c->out, want))) {
		double left = end - now_s();
		if (left <= 0)
			return false;
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		if (poll(&pfd, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		ssize_t n = read(c->fd, c->out + c->len, sizeof c->out - 1 - c->len);
		if (n <= 0)
			return want == NULL; /* EOF */
		c->len += (size_t)n;
		c->out[c->len] = '\0';
	}
	return true;
}

/* Wait for the child to exit (reading the rest of its output); its status. */
static int child_finish(struct child *c, double secs)
{
	child_wait_for(c, NULL, secs);
	int st = 0;
	double end = now_s() + secs;
	while (waitpid(c->pid, &st, WNOHANG) == 0) {
		if (now_s() > end) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &st, 0);
			break;
		}
		usleep(10000);
	}
	close(c->fd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const uint8_t mac_hive[6] = {0x02, 0, 0, 0, 0, 1}, mac_peer[6] = {0x02, 0, 0, 0, 0, 2};

/* An Ethernet/IPv4/UDP frame 10.0.0.2:40000 -> 10.0.0.1:@dport carrying @seq. */
static size_t frame(uint8_t *f, uint16_t dport, uint32_t seq)
{
	static const char tag[] = "hive-live";
	size_t plen = 4 + sizeof tag, ulen = 8 + plen, len = 14 + 20 + ulen;
	memset(f, 0, len);
	memcpy(f, mac_hive, 6);
	memcpy(f + 6, mac_peer, 6);
	f[12] = 0x08;
	uint8_t *ip = f + 14, *udp = ip + 20;
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + ulen) >> 8), ip[3] = (uint8_t)(20 + ulen);
	ip[8] = 64, ip[9] = 17;
	memcpy(ip + 12, (uint8_t[]){10, 0, 0, 2}, 4);
	memcpy(ip + 16, (uint8_t[]){10, 0, 0, 1}, 4);
	udp[0] = 40000 >> 8, udp[1] = 40000 & 0xff;
	udp[2] = (uint8_t)(dport >> 8), udp[3] = (uint8_t)dport;
	udp[4] = (uint8_t)(ulen >> 8), udp[5] = (uint8_t)ulen;
	uint32_t s = htonl(seq);
	memcpy(udp + 8, &s, 4);
	memcpy(udp + 12, tag, sizeof tag);
	return len;
}

static int packet_socket(const char *ifname)
{
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	assert_true(fd >= 0);
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				  .sll_ifindex = (int)if_nametoindex(ifname)};
	assert_true(sll.sll_ifindex > 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sll, sizeof sll), 0);
	return fd;
}

/* Frames received (not sent) on @fd within @secs, checked by @check;
 * returns how many passed it (stops at @want). */
static int receive(int fd, int want, double secs, bool (*check)(const uint8_t *, size_t, void *), void *arg)
{
	int n = 0;
	double end = now_s() + secs;
	while (n < want) {
		double left = end - now_s();
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (left <= 0 || poll(&pfd, 1, (int)(left * 1000) + 1) <= 0)
			break;
		uint8_t buf[2048];
		struct sockaddr_ll from;
		socklen_t fl = sizeof from;
		ssize_t len = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
		if (len > 0 && from.sll_pkttype != PACKET_OUTGOING && check(buf, (size_t)len, arg))
			n++;
	}
	/* more than expected would show as a higher count */
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	while (poll(&pfd, 1, 100) > 0) {
		uint8_t buf[2048];
		struct sockaddr_ll from;
		socklen_t fl = sizeof from;
		ssize_t len = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
		if (len > 0 && from.sll_pkttype != PACKET_OUTGOING && check(buf, (size_t)len, arg))
			n++;
	}
	return n;
}

/* an echo: addresses swapped back to us, from port 7, our sequence number */
static bool is_echo(const uint8_t *f, size_t len, void *arg)
{
	bool *seen = arg;
	if (len < 14 + 20 + 12 || memcmp(f, mac_peer, 6) || memcmp(f + 6, mac_hive, 6))
		return false;
	const uint8_t *ip = f + 14, *udp = ip + 20;
	if (memcmp(ip + 12, (uint8_t[]){10, 0, 0, 1}, 4) || udp[0] != 0 || udp[1] != 7 ||
	    (udp[2] << 8 | udp[3]) != 40000)
		return false;
	uint32_t seq;
	memcpy(&seq, udp + 8, 4);
	seq = ntohl(seq);
	if (seq >= 64 || seen[seq])
		return false;
	return seen[seq] = true;
}

/* a redirected frame: as sent, port 10 */
static bool is_redirected(const uint8_t *f, size_t len, void *arg)
{
	(void)arg;
	uint8_t want[128];
	if (len < 14 + 20 + 12 || (f[14 + 20 + 2] << 8 | f[14 + 20 + 3]) != 10)
		return false;
	uint32_t seq;
	memcpy(&seq, f + 14 + 20 + 8, 4);
	size_t wl = frame(want, 10, ntohl(seq));
	return len >= wl && !memcmp(f, want, wl);
}

static uint64_t count_of(const char *out, const char *what)
{
	char key[64];
	snprintf(key, sizeof key, "\n  %s ", what);
	const char *p = strstr(out, key);
	return p ? strtoull(p + strlen(key), NULL, 10) : UINT64_MAX;
}

/* pcap records in @path (the classic format libpcap's dumper writes) */
static int pcap_records(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	uint8_t hdr[24], rec[16];
	int n = -1;
	if (fread(hdr, 1, 24, f) == 24) {
		n = 0;
		while (fread(rec, 1, 16, f) == 16) {
			uint32_t caplen;
			memcpy(&caplen, rec + 8, 4);
			if (fseek(f, caplen, SEEK_CUR))
				break;
			n++;
		}
	}
	fclose(f);
	return n;
}

/* One run of the checks, on AF_PACKET rings (@mode "") or AF_XDP sockets
 * (@mode "--afxdp"). */
static void live_case(const char *mode)
{
	char why[256];
	if (!ns_enter(why, sizeof why))
		SKIP("%s", why);
	if (!build_obj())
		SKIP("no clang to build tests/hooks/xdp_live.bpf.c");

	/* port 10 goes out of hl2 (to hl3): its ifindex in the program's map */
	unsigned redirect_if = if_nametoindex("hl2");
	assert_true(redirect_if > 0);
	char maps[1200], pass[1200], args[4096];
	snprintf(maps, sizeof maps, "%s/maps.json", dir);
	FILE *f = fopen(maps, "w");
	assert_non_null(f);
	fprintf(f, "{\"redirect_to\": [{\"key\": \"00000000\", \"value\": \"%02x%02x%02x%02x\"}]}\n", redirect_if & 0xff,
		(redirect_if >> 8) & 0xff, (redirect_if >> 16) & 0xff, redirect_if >> 24);
	fclose(f);
	snprintf(pass, sizeof pass, "%s/pass.pcap", dir);

	int tx = packet_socket("hl1"), rx3 = packet_socket("hl3");
	struct child c;
	snprintf(args, sizeof args, "xdp %s --iface hl0 --iface hl2 --maps %s --jit --duration 30 --progress --write %s %s",
		 obj, maps, pass, mode);
	child_start(&c, args);
	if (!child_wait_for(&c, "on Ctrl-C\n", 10)) {
		kill(c.pid, SIGKILL);
		child_finish(&c, 5);
		if (*mode && strstr(c.out, "AF_XDP: "))
			SKIP("no AF_XDP here: %s", strstr(c.out, "AF_XDP: "));
		fail_msg("hive xdp --iface did not start:\n%s", c.out);
	}

	/* 10 echoes (TX), 5 discards (DROP), 4 redirects, 3 non-verdicts
	 * (ABORTED), 6 others (PASS), interleaved */
	static const struct {
		uint16_t port;
		int n;
	} plan[] = {{7, 10}, {9, 5}, {10, 4}, {11, 3}, {1234, 6}};
	uint32_t seq = 0;
	for (int round = 0; round < 10; round++)
		for (size_t k = 0; k < sizeof plan / sizeof *plan; k++)
			if (round < plan[k].n) {
				uint8_t fr[128];
				size_t len = frame(fr, plan[k].port, seq++);
				assert_int_equal(send(tx, fr, len, 0), (ssize_t)len);
			}
	assert_int_equal(seq, 28);

	bool seen[64] = {0};
	int echoes = receive(tx, 10, 5.0, is_echo, seen);
	int redirected = receive(rx3, 4, 5.0, is_redirected, NULL);
	/* a progress line (once a second with --progress), then Ctrl-C */
	bool progress = child_wait_for(&c, " pps  ABORTED 3  DROP 5  PASS 6  TX 10  REDIRECT 4", 5);
	kill(c.pid, SIGINT);
	int st = child_finish(&c, 10);
	close(tx);
	close(rx3);
	printf("%s", c.out);

	assert_int_equal(st, 0);
	assert_true(progress);
	assert_int_equal(echoes, 10);
	assert_int_equal(redirected, 4);
	assert_non_null(strstr(c.out, "28 packets through xdp_live in"));
	assert_non_null(strstr(c.out, "(interrupted)"));
	assert_int_equal(count_of(c.out, "ABORTED"), 3);
	assert_int_equal(count_of(c.out, "DROP"), 5);
	assert_int_equal(count_of(c.out, "PASS"), 6);
	assert_int_equal(count_of(c.out, "TX"), 10);
	assert_int_equal(count_of(c.out, "REDIRECT"), 4);
	assert_non_null(strstr(c.out, "hl0: received 28, sent back (TX) 10, sent here by REDIRECT 0"));
	assert_non_null(strstr(c.out, "hl2: received 0, sent back (TX) 0, sent here by REDIRECT 4"));
	assert_non_null(strstr(c.out, "wrote 6 packets (PASS)"));
	assert_int_equal(pcap_records(pass), 6);

	/* --count: stops by itself after that many packets */
	tx = packet_socket("hl1");
	snprintf(args, sizeof args, "xdp %s --iface hl0 --maps %s --interpret --count 3 --duration 30 %s", obj, maps,
		 mode);
	child_start(&c, args);
	assert_true(child_wait_for(&c, "on Ctrl-C\n", 10));
	for (uint32_t i = 0; i < 5; i++) {
		uint8_t fr[128];
		size_t len = frame(fr, 9, i);
		assert_int_equal(send(tx, fr, len, 0), (ssize_t)len);
	}
	st = child_finish(&c, 10);
	close(tx);
	printf("%s", c.out);
	assert_int_equal(st, 0);
	assert_non_null(strstr(c.out, "3 packets through xdp_live in"));
	assert_null(strstr(c.out, "(interrupted)"));
	assert_int_equal(count_of(c.out, "DROP"), 3);

	/* an interface that does not exist: a clear error, exit 1 */
	snprintf(args, sizeof args, "xdp %s --iface hl-none --duration 1 %s", obj, mode);
	child_start(&c, args);
	st = child_finish(&c, 10);
	assert_int_equal(st, 1);
	assert_non_null(strstr(c.out, "--iface hl-none: No such device"));
}

static void test_live_veth(void **state)
{
	(void)state;
	live_case("");
}

/* The same through AF_XDP sockets: the frames never reach the host's stack. */
static void test_live_afxdp(void **state)
{
	(void)state;
	live_case("--afxdp");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_veth),
		cmocka_unit_test(test_live_afxdp),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
