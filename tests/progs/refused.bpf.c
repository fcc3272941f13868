/* Features hive refuses at open, each behind its own macro so the test
 * compiles one object per case:
 *   KSYM    a kernel variable (.ksyms extern)
 *   KFUNC   a call to a kernel function (kfunc)
 *   STATIC  a static function as a program
 *   UNKNOWN an extern that is neither .kconfig nor .ksyms */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#ifdef KSYM
extern const int bpf_prog_active __ksym;
SEC("socket")
int use_ksym(void *ctx)
{
	return *(const int *)&bpf_prog_active;
}
#endif

#ifdef KFUNC
extern void bpf_rcu_read_lock(void) __ksym;
SEC("socket")
int use_kfunc(void *ctx)
{
	bpf_rcu_read_lock();
	return 0;
}
#endif

#ifdef STATIC
SEC("socket")
static int static_prog(void *ctx)
{
	return 0;
}
SEC("socket")
int keep(void *ctx)
{
	return static_prog(ctx);
}
#endif

#ifdef UNKNOWN
extern int some_global;
SEC("socket")
int use_unknown(void *ctx)
{
	return some_global;
}
#endif

char LICENSE[] SEC("license") = "GPL";
