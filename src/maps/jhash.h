/* Bob Jenkins' lookup3 hash as the kernel's <linux/jhash.h> computes it, so
 * that maps created with HIVE_F_ZERO_SEED lay out (and iterate) exactly as
 * Linux's do. */
#ifndef HIVE_MAPS_JHASH_H
#define HIVE_MAPS_JHASH_H

#include <stdint.h>
#include <string.h>

#define JHASH_INITVAL 0xdeadbeefu

static inline uint32_t jhash_rol32(uint32_t w, unsigned s)
{
	return (w << s) | (w >> (32 - s));
}

#define JHASH_MIX(a, b, c)                                                                         \
	do {                                                                                       \
		a -= c; a ^= jhash_rol32(c, 4); c += b;                                            \
		b -= a; b ^= jhash_rol32(a, 6); a += c;                                            \
		c -= b; c ^= jhash_rol32(b, 8); b += a;                                            \
		a -= c; a ^= jhash_rol32(c, 16); c += b;                                           \
		b -= a; b ^= jhash_rol32(a, 19); a += c;                                           \
		c -= b; c ^= jhash_rol32(b, 4); b += a;                                            \
	} while (0)

#define JHASH_FINAL(a, b, c)                                                                       \
	do {                                                                                       \
		c ^= b; c -= jhash_rol32(b, 14);                                                   \
		a ^= c; a -= jhash_rol32(c, 11);                                                   \
		b ^= a; b -= jhash_rol32(a, 25);                                                   \
		c ^= b; c -= jhash_rol32(b, 16);                                                   \
		a ^= c; a -= jhash_rol32(c, 4);                                                    \
		b ^= a; b -= jhash_rol32(a, 14);                                                   \
		c ^= b; c -= jhash_rol32(b, 24);                                                   \
	} while (0)

static inline uint32_t jhash_get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* jhash(): any length, bytes */
static inline uint32_t jhash_bytes(const void *key, uint32_t length, uint32_t initval)
{
	const uint8_t *k = key;
	uint32_t a, b, c;
	a = b = c = JHASH_INITVAL + length + initval;
	while (length > 12) {
		a += jhash_get32(k);
		b += jhash_get32(k + 4);
		c += jhash_get32(k + 8);
		JHASH_MIX(a, b, c);
		length -= 12;
		k += 12;
	}
	switch (length) {
	case 12: c += (uint32_t)k[11] << 24; /* fall through */
	case 11: c += (uint32_t)k[10] << 16; /* fall through */
	case 10: c += (uint32_t)k[9] << 8;   /* fall through */
	case 9: c += k[8];                   /* fall through */
	case 8: b += (uint32_t)k[7] << 24;   /* fall through */
	case 7: b += (uint32_t)k[6] << 16;   /* fall through */
	case 6: b += (uint32_t)k[5] << 8;    /* fall through */
	case 5: b += k[4];                   /* fall through */
	case 4: a += (uint32_t)k[3] << 24;   /* fall through */
	case 3: a += (uint32_t)k[2] << 16;   /* fall through */
	case 2: a += (uint32_t)k[1] << 8;    /* fall through */
	case 1:
		a += k[0];
		JHASH_FINAL(a, b, c);
		break;
	default:
		break;
	}
	return c;
}

/* jhash2(): @words 32-bit words */
static inline uint32_t jhash_words(const void *key, uint32_t words, uint32_t initval)
{
	const uint8_t *k = key;
	uint32_t a, b, c;
	a = b = c = JHASH_INITVAL + (words << 2) + initval;
	while (words > 3) {
		a += jhash_get32(k);
		b += jhash_get32(k + 4);
		c += jhash_get32(k + 8);
		JHASH_MIX(a, b, c);
		words -= 3;
		k += 12;
	}
	switch (words) {
	case 3: c += jhash_get32(k + 8); /* fall through */
	case 2: b += jhash_get32(k + 4); /* fall through */
	case 1:
		a += jhash_get32(k);
		JHASH_FINAL(a, b, c);
		break;
	default:
		break;
	}
	return c;
}

/* What htab_map_hash() and the bloom filter use: jhash2 on whole words. */
static inline uint32_t jhash_key(const void *key, uint32_t len, uint32_t seed)
{
	return len % 4 == 0 ? jhash_words(key, len / 4, seed) : jhash_bytes(key, len, seed);
}

#endif
