#include <errno.h>
#include "hive/hive.h"
int cmd_asm(int argc, char **argv) { (void)argc; (void)argv; return 1; }
int cmd_disasm(int argc, char **argv) { (void)argc; (void)argv; return 1; }
int hive_asm(const char *text, struct hive_insn **out, size_t *cnt, char *errbuf, size_t errsize) { (void)text; (void)out; (void)cnt; (void)errbuf; (void)errsize; return -ENOSYS; }
