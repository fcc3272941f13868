/* Reading a program out of a clang-built BPF object with libelf.  The
 * bench programs use no maps and no global data, so a section's bytes are the
 * program as they stand; anything with relocations is refused. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

int bench_elf_section(const char *path, const char *sec, struct hive_insn **out, size_t *cnt,
			     char *err, size_t errsz)
{
	Elf_Scn *scn = NULL, *found = NULL;
	size_t shstrndx, idx = 0;
	Elf *elf;
	int fd, ret = -ENOENT;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return snprintf(err, errsz, "libelf too old"), -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ret = -errno, snprintf(err, errsz, "%s: %s", path, strerror(errno)), ret;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx)) {
		snprintf(err, errsz, "%s: not an ELF object", path);
		ret = -EINVAL;
		goto out;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
			continue;
		if (!strcmp(name, sec)) {
			found = scn;
			idx = elf_ndxscn(scn);
		}
	}
	if (!found) {
		snprintf(err, errsz, "%s: no section %s", path, sec);
		goto out;
	}
	/* The programs must not need relocating: refuse if something points in. */
	scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && (sh.sh_type == SHT_REL || sh.sh_type == SHT_RELA) &&
		    sh.sh_info == idx && sh.sh_size) {
			snprintf(err, errsz, "%s: section %s has relocations (maps or globals?)", path, sec);
			ret = -EINVAL;
			goto out;
		}
	}
	Elf_Data *d = elf_getdata(found, NULL);
	if (!d || !d->d_buf || !d->d_size || d->d_size % sizeof(struct hive_insn)) {
		snprintf(err, errsz, "%s: section %s is empty or not whole instructions", path, sec);
		ret = -EINVAL;
		goto out;
	}
	*out = malloc(d->d_size);
	if (!*out) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(*out, d->d_buf, d->d_size);
	*cnt = d->d_size / sizeof(struct hive_insn);
	ret = 0;
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return ret;
}
