/* embed_server: a tiny request-filtering server that embeds hive.
 *
 *   embed_server FILTER.o SCRIPT [--workers N] [--repeat N]
 *                [--mode jit|interp|checked] [--check] [-v]
 *
 * The server declares a hook (struct request_ctx as a context layout the
 * verifier checks accesses against, plus two helpers of its own), loads the
 * filter object, verifies each program against the hook, loads and
 * JIT-compiles the ones the verifier accepts, then answers requests on a
 * Unix socket from a pool of worker threads, running the filter once per
 * request. A scripted client (threads of this same process) sends SCRIPT's
 * requests; at the end the server prints the filter's per-client map.
 * Everything stays inside the process: an abstract Unix socket, no files,
 * no network. README.md walks through the code.
 *
 * SCRIPT lines (# starts a comment):
 *   config max_path_len N          filter configuration (.rodata.config)
 *   config prefix STRING
 *   budget CLIENT_IP N             rate_limit_check allows N requests
 *   METHOD PATH CLIENT_IP STATUS   a request and the status it expects
 *
 * --check compares what happened with what SCRIPT expects (statuses,
 * the filter's map, helper calls, the verifier's verdicts); exit 1 on any
 * difference. Exit 2: usage or setup failure. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "hive/hive.h"
#include "request.h"

enum { MAX_WORKERS = 16, MAX_LINES = 256, MAX_BUDGETS = 16, PATH_BYTES = 256, LINE_BYTES = 512 };

/* {===== the hook: what a filter program sees and may call */

/* struct request_ctx (request.h) as data for the verifier: which bytes of
 * r1 a program may read or write, and what a load yields. path/path_end are
 * "packet" pointers: the verifier makes the program compare against
 * path_end before it reads a byte of the path. */
#define FIELD(F, ACC, KIND) \
	{.off = offsetof(struct request_ctx, F), .size = sizeof(((struct request_ctx *)0)->F), \
	 .access = ACC, .kind = KIND, .name = #F}
static const struct hive_ctx_field request_fields[] = {
	FIELD(path, HIVE_CTX_READ, HIVE_CTX_PKT),
	FIELD(path_end, HIVE_CTX_READ, HIVE_CTX_PKT_END),
	FIELD(method, HIVE_CTX_READ, HIVE_CTX_SCALAR),
	FIELD(path_len, HIVE_CTX_READ, HIVE_CTX_SCALAR),
	FIELD(client_ip, HIVE_CTX_READ, HIVE_CTX_SCALAR),
	FIELD(worker, HIVE_CTX_READ, HIVE_CTX_SCALAR),
	FIELD(status, HIVE_CTX_READ | HIVE_CTX_WRITE, HIVE_CTX_SCALAR),
};
static const struct hive_ctx_layout request_layout = {
	.name = "request_ctx",
	.size = sizeof(struct request_ctx),
	.nfields = sizeof(request_fields) / sizeof(request_fields[0]),
	.fields = request_fields,
};

/* rate_limit_check's budgets: a client listed here gets `budget` requests. */
struct budget {
	uint32_t ip;
	uint32_t budget;
	atomic_uint used;
};
static struct budget budgets[MAX_BUDGETS];
static size_t nbudgets;

static atomic_ulong log_calls;
static bool verbose;
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

/* long rate_limit_check(__u64 client_ip): 1 once the client's budget is spent. */
static uint64_t helper_rate_limit_check(uint64_t ip, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
					struct hive_run *run)
{
	(void)r2, (void)r3, (void)r4, (void)r5, (void)run;
	for (size_t i = 0; i < nbudgets; i++)
		if (budgets[i].ip == (uint32_t)ip)
			return atomic_fetch_add(&budgets[i].used, 1) >= budgets[i].budget;
	return 0;
}

/* long log_request(struct request_ctx *ctx, const char *msg, __u32 len).
 * The verifier has checked that ctx is the context and that [msg, msg+len)
 * is readable memory of the program, so the helper may trust both. */
static uint64_t helper_log_request(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				   struct hive_run *run)
{
	(void)r4, (void)r5, (void)run;
	const struct request_ctx *ctx = (const struct request_ctx *)(uintptr_t)r1;
	const char *msg = (const char *)(uintptr_t)r2;
	size_t len = strnlen(msg, (size_t)r3);
	atomic_fetch_add(&log_calls, 1);
	if (verbose) {
		struct in_addr a = {htonl(ctx->client_ip)};
		char ip[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &a, ip, sizeof(ip));
		pthread_mutex_lock(&print_lock);
		printf("  [worker %u] %s %.*s: %u %.*s\n", ctx->worker, ip, (int)ctx->path_len,
		       (const char *)(uintptr_t)ctx->path, ctx->status, (int)len, msg);
		pthread_mutex_unlock(&print_lock);
	}
	return 0;
}

/* The environment: Linux's helpers (maps, time...) and ours. */
static int hook_env_new(struct hive_env **out)
{
	struct hive_env *env;
	int err = hive_env_new(&env);
	if (err)
		return err;
	/* what the verifier checks each call against */
	static const struct hive_helper_proto log_proto = {
		.name = "log_request",
		.ret = HIVE_RET_INTEGER,
		.args = {HIVE_ARG_PTR_TO_CTX, HIVE_ARG_PTR_TO_MEM, HIVE_ARG_CONST_SIZE},
	};
	static const struct hive_helper_proto rate_proto = {
		.name = "rate_limit_check",
		.ret = HIVE_RET_INTEGER,
		.args = {HIVE_ARG_SCALAR},
	};
	if ((err = hive_helpers_install(env, NULL)) ||
	    (err = hive_env_set_helper(env, REQ_FN_LOG_REQUEST, "log_request", helper_log_request)) ||
	    (err = hive_env_set_helper_proto(env, REQ_FN_LOG_REQUEST, &log_proto)) ||
	    (err = hive_env_set_helper(env, REQ_FN_RATE_LIMIT, "rate_limit_check", helper_rate_limit_check)) ||
	    (err = hive_env_set_helper_proto(env, REQ_FN_RATE_LIMIT, &rate_proto))) {
		hive_env_free(env);
		return err;
	}
	*out = env;
	return 0;
}

/* }===== */

/* {===== loading: open, configure, verify, load, JIT */

enum run_mode { MODE_JIT, MODE_INTERP, MODE_CHECKED };

struct filter {
	struct hive_object *obj;
	struct hive_env *env;
	const struct hive_prog *prog; /* the one the server runs */
	struct hive_map *clients;
	bool jit;
	unsigned accepted, refused;
	char refused_names[256];
};

/* Replace the filter's .rodata.config before load. */
static int filter_configure(struct hive_object *obj, const struct filter_config *want, bool have)
{
	struct hive_object_map *m = hive_object_find_map(obj, ".rodata.config");
	size_t size;
	if (!m || !hive_object_map_initial_value(m, &size) || size != sizeof(struct filter_config)) {
		fprintf(stderr, "embed: the object has no .rodata.config of %zu bytes\n", sizeof(struct filter_config));
		return -EINVAL;
	}
	if (!have)
		return 0;
	return hive_object_map_set_initial_value(m, want, sizeof(*want));
}

/* Give every program of the hook its type and context, and report what the
 * verifier says of each; only accepted ones are loaded (hive_object_load
 * verifies them again, as it verifies every program it loads). */
static int filter_verify(struct filter *f)
{
	char *log = malloc(1 << 16);
	if (!log)
		return -ENOMEM;
	for (size_t i = 0; i < hive_object_prog_cnt(f->obj); i++) {
		struct hive_program *p = hive_object_prog(f->obj, i);
		if (strcmp(hive_program_section(p), "request")) {
			hive_program_set_autoload(p, false); /* not for this hook */
			continue;
		}
		/* "request" is our own hook: a custom program type, whose context
		 * is struct request_ctx as request_layout describes it */
		int err = hive_program_set_type(p, HIVE_PROG_CUSTOM);
		if (!err)
			err = hive_program_set_ctx_layout(p, &request_layout);
		if (err) {
			free(log);
			return err;
		}
		log[0] = '\0';
		HIVE_OPTS(hive_verify_opts, vo, .env = f->env, .log_buf = log, .log_size = 1 << 16);
		struct hive_verify_stats st = {0};
		err = hive_program_verify(p, &vo, &st);
		if (err == -EACCES) {
			printf("verifier: %s: refused\n", hive_program_name(p));
			/* where and why, the registers, a hint and the source line */
			for (const char *l = log; *l;) {
				size_t n = strcspn(l, "\n");
				printf("  | %.*s\n", (int)n, l);
				l += n + (l[n] == '\n');
			}
			hive_program_set_autoload(p, false);
			f->refused++;
			size_t used = strlen(f->refused_names);
			snprintf(f->refused_names + used, sizeof(f->refused_names) - used, "%s%s", used ? "," : "",
				 hive_program_name(p));
		} else if (err) {
			fprintf(stderr, "embed: verifying %s: %s\n%s", hive_program_name(p), strerror(-err), log);
			free(log);
			return err;
		} else {
			size_t cnt;
			hive_program_insns(p, &cnt);
			printf("verifier: %s: accepted (%" PRIu64 " insns processed, %zu insns)\n", hive_program_name(p),
			       st.processed_insns, cnt);
			f->accepted++;
		}
	}
	free(log);
	return 0;
}

static int filter_open(struct filter *f, const char *path, const struct filter_config *cfg, bool have_cfg,
		       enum run_mode mode)
{
	char log[2048] = "";
	memset(f, 0, sizeof(*f));
	HIVE_OPTS(hive_object_open_opts, oo, .log_buf = log, .log_size = sizeof(log));
	int err = hive_object_open_file(path, &oo, &f->obj);
	if (err) {
		fprintf(stderr, "embed: %s: %s\n%s\n", path, strerror(-err), log);
		return err;
	}
	if ((err = filter_configure(f->obj, cfg, have_cfg)) || (err = hook_env_new(&f->env)) ||
	    (err = filter_verify(f)))
		return err;

	/* Verified programs need no run-time checks; --mode checked keeps them. */
	HIVE_OPTS(hive_object_load_opts, lo, .env = f->env, .checked = mode == MODE_CHECKED, .log_buf = log,
		  .log_size = sizeof(log));
	if ((err = hive_object_load(f->obj, &lo))) {
		fprintf(stderr, "embed: load: %s\n%s\n", strerror(-err), log);
		return err;
	}
	struct hive_program *p = hive_object_find_program(f->obj, "filter_request");
	struct hive_object_map *m = hive_object_find_map(f->obj, "clients");
	if (!p || !hive_program_prog(p) || !m) {
		fprintf(stderr, "embed: %s: no loaded filter_request or no map clients\n", path);
		return -ENOENT;
	}
	f->prog = hive_program_prog(p);
	f->clients = hive_object_map_map(m);
	if (mode == MODE_JIT) {
		err = hive_prog_jit(hive_program_prog(p), NULL);
		if (err && err != -EOPNOTSUPP) {
			fprintf(stderr, "embed: jit: %s\n", strerror(-err));
			return err;
		}
		f->jit = err == 0; /* -EOPNOTSUPP: no JIT on this host, interpret */
	}
	printf("loaded filter_request: %zu insns, %s\n", hive_prog_insn_cnt(f->prog),
	       f->jit ? "JIT" : mode == MODE_CHECKED ? "interpreter, checked" : "interpreter");
	return 0;
}

static void filter_close(struct filter *f)
{
	hive_object_close(f->obj);
	hive_env_free(f->env);
}

/* }===== */

/* {===== the server: workers accept connections and filter each request */

struct server {
	int lfd;
	struct sockaddr_un addr;
	socklen_t addrlen;
	struct filter *filter;
	atomic_bool stopping;
	atomic_ulong requests, faults;
	atomic_ullong run_ns; /* time inside hive_prog_run, all workers */
};

static const char *status_text(unsigned status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 405: return "Method Not Allowed";
	case 414: return "URI Too Long";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

static enum req_method parse_method(const char *s)
{
	static const char *const names[] = {[REQ_GET] = "GET", [REQ_POST] = "POST", [REQ_PUT] = "PUT",
					    [REQ_DELETE] = "DELETE"};
	for (unsigned i = REQ_GET; i <= REQ_DELETE; i++)
		if (!strcmp(s, names[i]))
			return (enum req_method)i;
	return REQ_OTHER;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The next space-separated word of *s (NUL-terminated in place), or NULL. */
static char *next_word(char **s)
{
	char *w = *s + strspn(*s, " \t\r");
	size_t n = strcspn(w, " \t\r");
	if (!n)
		return NULL;
	*s = w + n + (w[n] != '\0');
	w[n] = '\0';
	return w;
}

/* One request line "METHOD PATH CLIENT_IP": run the filter, return the status. */
static unsigned server_handle(struct server *s, unsigned worker, char *line)
{
	char *method = next_word(&line), *path = next_word(&line), *ip = next_word(&line);
	struct in_addr a;
	if (!ip || next_word(&line) || inet_pton(AF_INET, ip, &a) != 1)
		return 400;

	/* The context points at the path where it was received: no copy. */
	size_t len = strlen(path);
	struct request_ctx ctx = {
		.path = (uintptr_t)path,
		.path_end = (uintptr_t)path + len,
		.method = parse_method(method),
		.path_len = (uint32_t)len,
		.client_ip = ntohl(a.s_addr),
		.worker = worker,
	};
	/* r1 = &ctx, r2 = its size. In checked mode the program may read the
	 * context, write only its status field and read the path bytes, and
	 * nothing else; a verified program run trusted ignores these. */
	const struct hive_region regions[] = {
		{.ptr = &ctx.status, .size = sizeof(ctx.status), .writable = true},
		{.ptr = path, .size = len, .writable = false},
	};
	HIVE_OPTS(hive_run_opts, ro, .mem = &ctx, .mem_size = sizeof(ctx), .mem_readonly = true,
		  .regions = regions, .nregions = 2, .use_jit = s->filter->jit);
	/* hive_prog_run is re-entrant: every worker runs the same program at
	 * once, each on its own request. */
	atomic_fetch_add(&s->requests, 1);
	uint64_t t0 = now_ns();
	int err = hive_prog_run(s->filter->prog, &ro);
	atomic_fetch_add(&s->run_ns, now_ns() - t0);
	if (err) {
		atomic_fetch_add(&s->faults, 1);
		fprintf(stderr, "embed: filter failed at insn %u: %s\n", ro.fault_pc, ro.errmsg);
		return 500;
	}
	if (ro.retval == VERDICT_ALLOW)
		return 200;
	return ctx.status ? ctx.status : 403;
}

/* Serve one connection: a request per line, a status line per request. */
static void server_serve(struct server *s, unsigned worker, int fd)
{
	char buf[LINE_BYTES];
	size_t have = 0;
	for (;;) {
		char *nl = memchr(buf, '\n', have);
		if (!nl) {
			if (have == sizeof(buf))
				return; /* line too long: drop the connection */
			ssize_t n = read(fd, buf + have, sizeof(buf) - have);
			if (n <= 0)
				return;
			have += (size_t)n;
			continue;
		}
		*nl = '\0';
		unsigned status = server_handle(s, worker, buf);
		char out[64];
		int n = snprintf(out, sizeof(out), "%u %s\n", status, status_text(status));
		if (write(fd, out, (size_t)n) != n)
			return;
		size_t used = (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, have - used);
		have -= used;
	}
}

struct worker {
	pthread_t thread;
	struct server *server;
	unsigned id;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	while (!atomic_load(&w->server->stopping)) {
		int fd = accept(w->server->lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break; /* the listener was shut down */
		}
		server_serve(w->server, w->id, fd);
		close(fd);
	}
	return NULL;
}

/* Listen on an abstract Unix socket: nothing on disk, nothing on the network. */
static int server_listen(struct server *s)
{
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		return -errno;
	memset(&s->addr, 0, sizeof(s->addr));
	s->addr.sun_family = AF_UNIX;
	int n = snprintf(s->addr.sun_path + 1, sizeof(s->addr.sun_path) - 1, "hive-embed-%d", (int)getpid());
	s->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	if (bind(s->lfd, (struct sockaddr *)&s->addr, s->addrlen) || listen(s->lfd, 64)) {
		int err = -errno;
		close(s->lfd);
		return err;
	}
	return 0;
}

/* }===== */

/* {===== the scripted client */

struct script_line {
	char text[LINE_BYTES]; /* "METHOD PATH CLIENT_IP" as sent */
	uint32_t ip;
	unsigned expect;
	atomic_uint got[600];  /* responses by status */
};

struct script {
	struct script_line *lines;
	size_t nlines;
	struct filter_config cfg;
	bool have_cfg;
};

struct client {
	pthread_t thread;
	struct server *server;
	struct script *script;
	unsigned id, nclients, repeat;
	int err;
};

static int client_roundtrip(int fd, const char *line, unsigned *status)
{
	char out[LINE_BYTES + 1];
	int n = snprintf(out, sizeof(out), "%s\n", line);
	if (n < 0 || n >= (int)sizeof(out) || write(fd, out, (size_t)n) != n)
		return -EIO;
	char in[64];
	size_t have = 0;
	while (have < sizeof(in) - 1) {
		ssize_t r = read(fd, in + have, 1); /* one reply line; short and simple */
		if (r <= 0)
			return -EIO;
		if (in[have++] == '\n')
			break;
	}
	in[have] = '\0';
	return sscanf(in, "%u", status) == 1 ? 0 : -EIO;
}

/* Client k sends the lines i with i % nclients == k, repeat times, over one connection. */
static void *client_main(void *arg)
{
	struct client *c = arg;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&c->server->addr, c->server->addrlen)) {
		c->err = -errno;
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (unsigned r = 0; r < c->repeat && !c->err; r++)
		for (size_t i = c->id; i < c->script->nlines; i += c->nclients) {
			unsigned status;
			if ((c->err = client_roundtrip(fd, c->script->lines[i].text, &status)))
				break;
			atomic_fetch_add(&c->script->lines[i].got[status < 600 ? status : 0], 1);
		}
	close(fd);
	return NULL;
}

static int script_read(const char *path, struct script *sc)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "embed: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	sc->lines = calloc(MAX_LINES, sizeof(*sc->lines));
	if (!sc->lines) {
		fclose(f);
		return -ENOMEM;
	}
	sc->cfg = (struct filter_config){.max_path_len = 64, .prefix_len = 6, .prefix = "/admin"};
	char line[LINE_BYTES];
	unsigned lineno = 0;
	int err = 0;
	while (!err && fgets(line, sizeof(line), f)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char a[16], b[PATH_BYTES], c[64];
		unsigned n;
		int k = sscanf(line, "%15s %255s %63s %u", a, b, c, &n);
		struct in_addr ip;
		if (k <= 0)
			continue;
		if (k == 3 && !strcmp(a, "config") && !strcmp(b, "max_path_len")) {
			sc->cfg.max_path_len = (uint32_t)strtoul(c, NULL, 10);
			sc->have_cfg = true;
		} else if (k == 3 && !strcmp(a, "config") && !strcmp(b, "prefix") && strlen(c) <= CFG_PREFIX_MAX) {
			memset(sc->cfg.prefix, 0, sizeof(sc->cfg.prefix));
			memcpy(sc->cfg.prefix, c, strlen(c));
			sc->cfg.prefix_len = (uint32_t)strlen(c);
			sc->have_cfg = true;
		} else if (k == 3 && !strcmp(a, "budget") && inet_pton(AF_INET, b, &ip) == 1 && nbudgets < MAX_BUDGETS) {
			budgets[nbudgets].ip = ntohl(ip.s_addr);
			budgets[nbudgets++].budget = (uint32_t)strtoul(c, NULL, 10);
		} else if (k == 4 && inet_pton(AF_INET, c, &ip) == 1 && n < 600 && sc->nlines < MAX_LINES) {
			struct script_line *l = &sc->lines[sc->nlines++];
			snprintf(l->text, sizeof(l->text), "%s %s %s", a, b, c);
			l->ip = ntohl(ip.s_addr);
			l->expect = n;
		} else {
			fprintf(stderr, "embed: %s:%u: cannot read this line\n", path, lineno);
			err = -EINVAL;
		}
	}
	fclose(f);
	return err;
}

/* }===== */

/* {===== statistics and checks */

struct client_row {
	uint32_t ip;
	struct client_stats st;
};

static int row_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct client_row *)a)->ip, y = ((const struct client_row *)b)->ip;
	return x < y ? -1 : x > y;
}

/* The filter's map, read through the user API, sorted by client. */
static size_t stats_read(struct hive_map *map, struct client_row *rows, size_t max)
{
	uint32_t key, next;
	size_t n = 0;
	const void *prev = NULL;
	while (n < max && hive_map_get_next_key(map, prev, &next) == 0) {
		key = next;
		prev = &key;
		rows[n].ip = key;
		if (hive_map_lookup(map, &key, &rows[n].st) == 0)
			n++;
	}
	qsort(rows, n, sizeof(*rows), row_cmp);
	return n;
}

static const struct budget *budget_of(uint32_t ip)
{
	for (size_t i = 0; i < nbudgets; i++)
		if (budgets[i].ip == ip)
			return &budgets[i];
	return NULL;
}

#define CHECK(cond, ...)                                   \
	do {                                               \
		if (!(cond)) {                             \
			printf("check failed: " __VA_ARGS__); \
			printf("\n");                      \
			bad++;                             \
		}                                          \
	} while (0)

static int check_all(const struct script *sc, unsigned repeat, const struct client_row *rows, size_t nrows,
		     const struct filter *f, const struct server *s)
{
	int bad = 0;
	CHECK(f->accepted == 1 && f->refused == 2 && !strcmp(f->refused_names, "filter_unchecked,filter_rewrites_method"),
	      "verifier: %u accepted, %u refused (%s); want 1 and filter_unchecked,filter_rewrites_method", f->accepted,
	      f->refused, f->refused_names);
	CHECK(atomic_load(&s->faults) == 0, "%lu runs faulted", (unsigned long)atomic_load(&s->faults));

	/* Per line: a status other than 200 is certain. An expected 200 of a
	 * client with a budget may be a 429, depending on which thread came first. */
	unsigned long denied = 0;
	for (size_t i = 0; i < sc->nlines; i++) {
		const struct script_line *l = &sc->lines[i];
		unsigned want = l->expect, total = 0, ok = atomic_load(&l->got[want]);
		for (unsigned st = 0; st < 600; st++)
			total += atomic_load(&l->got[st]);
		if (want == 200 && budget_of(l->ip))
			ok += atomic_load(&l->got[429]);
		CHECK(total == repeat && ok == repeat, "line '%s': %u of %u answers as expected (%u)", l->text, ok, total,
		      want);
		denied += total - atomic_load(&l->got[200]);
	}
	CHECK(atomic_load(&log_calls) == denied, "log_request called %lu times for %lu denied requests",
	      (unsigned long)atomic_load(&log_calls), denied);

	/* Per client: the map agrees with the answers, the budget holds. */
	for (size_t i = 0; i < sc->nlines; i++) {
		uint32_t ip = sc->lines[i].ip;
		bool first = true;
		for (size_t j = 0; j < i; j++)
			first &= sc->lines[j].ip != ip;
		if (!first)
			continue;
		uint64_t requests = 0, allowed = 0, may_pass = 0;
		for (size_t j = i; j < sc->nlines; j++)
			if (sc->lines[j].ip == ip) {
				requests += repeat;
				allowed += atomic_load(&sc->lines[j].got[200]);
				may_pass += sc->lines[j].expect == 200 ? repeat : 0;
			}
		const struct budget *b = budget_of(ip);
		if (b)
			CHECK(allowed == (may_pass < b->budget ? may_pass : b->budget),
			      "client %08x: %" PRIu64 " allowed, budget %u of %" PRIu64, ip, allowed, b->budget, may_pass);
		const struct client_stats *st = NULL;
		for (size_t r = 0; r < nrows; r++)
			if (rows[r].ip == ip)
				st = &rows[r].st;
		CHECK(st, "client %08x: not in the map", ip);
		if (st)
			CHECK(st->requests == requests && st->allowed == allowed && st->denied == requests - allowed,
			      "client %08x: map says %" PRIu64 "/%" PRIu64 "/%" PRIu64 ", want %" PRIu64 "/%" PRIu64
			      "/%" PRIu64,
			      ip, (uint64_t)st->requests, (uint64_t)st->allowed, (uint64_t)st->denied, requests, allowed,
			      requests - allowed);
	}
	printf("check: %s\n", bad ? "FAILED" : "ok");
	return bad ? 1 : 0;
}

/* }===== */

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "embed: timed out\n";
	if (write(2, msg, sizeof(msg) - 1) < 0) {
	}
	_exit(3);
}

static int usage(void)
{
	fprintf(stderr, "usage: embed_server FILTER.o SCRIPT [--workers N] [--repeat N] [--mode jit|interp|checked] "
			"[--check] [-v]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *obj_path = NULL, *script_path = NULL;
	unsigned nworkers = 4, repeat = 1;
	enum run_mode mode = MODE_JIT;
	bool check = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--workers") && i + 1 < argc)
			nworkers = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			repeat = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
			i++;
			if (!strcmp(argv[i], "jit"))
				mode = MODE_JIT;
			else if (!strcmp(argv[i], "interp"))
				mode = MODE_INTERP;
			else if (!strcmp(argv[i], "checked"))
				mode = MODE_CHECKED;
			else
				return usage();
		} else if (!strcmp(argv[i], "--check"))
			check = true;
		else if (!strcmp(argv[i], "-v"))
			verbose = true;
		else if (argv[i][0] != '-' && !obj_path)
			obj_path = argv[i];
		else if (argv[i][0] != '-' && !script_path)
			script_path = argv[i];
		else
			return usage();
	}
	if (!obj_path || !script_path || !nworkers || nworkers > MAX_WORKERS || !repeat)
		return usage();
	signal(SIGALRM, on_alarm);
	alarm(120); /* it stops by itself, whatever happens */
	signal(SIGPIPE, SIG_IGN);

	struct script sc = {0};
	struct filter f = {0};
	struct server s = {.lfd = -1};
	int rc = 2;
	if (script_read(script_path, &sc) || filter_open(&f, obj_path, &sc.cfg, sc.have_cfg, mode))
		goto out_filter;
	s.filter = &f;
	int err = server_listen(&s);
	if (err) {
		fprintf(stderr, "embed: listen: %s\n", strerror(-err));
		goto out_filter;
	}

	struct worker workers[MAX_WORKERS];
	struct client clients[MAX_WORKERS];
	unsigned started = 0, cstarted = 0;
	for (; started < nworkers; started++) {
		workers[started] = (struct worker){.server = &s, .id = started};
		if (pthread_create(&workers[started].thread, NULL, worker_main, &workers[started]))
			break;
	}
	for (; started == nworkers && cstarted < nworkers; cstarted++) {
		clients[cstarted] = (struct client){.server = &s, .script = &sc, .id = cstarted, .nclients = nworkers,
						    .repeat = repeat};
		if (pthread_create(&clients[cstarted].thread, NULL, client_main, &clients[cstarted]))
			break;
	}
	int client_err = started == nworkers && cstarted == nworkers ? 0 : -EAGAIN;
	for (unsigned i = 0; i < cstarted; i++) {
		pthread_join(clients[i].thread, NULL);
		if (clients[i].err && !client_err)
			client_err = clients[i].err;
	}
	/* Clients are done: stop the workers blocked in accept(). */
	atomic_store(&s.stopping, true);
	shutdown(s.lfd, SHUT_RDWR);
	for (unsigned i = 0; i < started; i++)
		pthread_join(workers[i].thread, NULL);
	close(s.lfd);
	if (client_err) {
		fprintf(stderr, "embed: client: %s\n", strerror(-client_err));
		goto out_filter;
	}

	struct client_row rows[64];
	size_t nrows = stats_read(f.clients, rows, sizeof(rows) / sizeof(rows[0]));
	unsigned long served = (unsigned long)atomic_load(&s.requests);
	printf("served %lu requests with %u workers; log_request called %lu times; %llu ns per filter run\n",
	       served, nworkers, (unsigned long)atomic_load(&log_calls),
	       served ? (unsigned long long)atomic_load(&s.run_ns) / served : 0ULL);
	printf("%-15s %9s %9s %9s\n", "client", "requests", "allowed", "denied");
	for (size_t i = 0; i < nrows; i++) {
		struct in_addr a = {htonl(rows[i].ip)};
		char ip[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &a, ip, sizeof(ip));
		printf("%-15s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 "\n", ip, (uint64_t)rows[i].st.requests,
		       (uint64_t)rows[i].st.allowed, (uint64_t)rows[i].st.denied);
	}
	rc = check ? check_all(&sc, repeat, rows, nrows, &f, &s) : 0;
out_filter:
	filter_close(&f);
	free(sc.lines);
	return rc;
}
