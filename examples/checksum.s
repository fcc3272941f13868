# The internet checksum (RFC 1071) of the memory, as llvm-objdump prints
# eBPF: r1 = memory, r2 = its length.
	r0 = 0
	r3 = r1
	r3 += r2
	r4 = r1
	r4 += 1
loop:
	if r4 >= r3 goto tail
	r5 = *(u8 *)(r4 - 1)
	r5 <<= 8
	r6 = *(u8 *)(r4 + 0)
	r5 |= r6
	r0 += r5
	r4 += 2
	goto loop
tail:
	r4 += -1
	if r4 >= r3 goto fold
	r5 = *(u8 *)(r4 + 0)
	r5 <<= 8
	r0 += r5
fold:
	r5 = r0
	r5 >>= 16
	if r5 == 0 goto done
	r0 &= 0xffff
	r0 += r5
	goto fold
done:
	r0 ^= 0xffff
	exit
