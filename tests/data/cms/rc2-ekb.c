/*
 * rc2-ekb.c - fixture tool for make-fixtures.sh (not part of the build):
 * RC2-CBC encryption with an effective key size apart from the key length,
 * which no command-line tool offers.  PKCS#7 padding, as CMS uses.
 *
 * usage: rc2-ekb KEYHEX IVHEX EKB < plaintext > ciphertext
 * build: cc -o rc2-ekb rc2-ekb.c -lnettle
 */
#include <nettle/arctwo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t unhex(const char *s, unsigned char *out, size_t max)
{
	size_t n = 0;

	while (s[0] && s[1] && n < max) {
		sscanf(s, "%2hhx", &out[n++]);
		s += 2;
	}
	return n;
}

int main(int argc, char **argv)
{
	struct arctwo_ctx ctx;
	unsigned char key[128], iv[ARCTWO_BLOCK_SIZE], buf[1 << 16];
	size_t klen, n, pad;

	if (argc != 4)
		return 2;
	klen = unhex(argv[1], key, sizeof(key));
	if (unhex(argv[2], iv, sizeof(iv)) != sizeof(iv) || klen == 0)
		return 2;
	arctwo_set_key_ekb(&ctx, klen, key, (unsigned)atoi(argv[3]));
	n = fread(buf, 1, sizeof(buf) - ARCTWO_BLOCK_SIZE, stdin);
	pad = ARCTWO_BLOCK_SIZE - n % ARCTWO_BLOCK_SIZE;
	memset(buf + n, (int)pad, pad);
	n += pad;
	for (size_t i = 0; i < n; i += ARCTWO_BLOCK_SIZE) {
		for (size_t j = 0; j < ARCTWO_BLOCK_SIZE; j++)
			buf[i + j] ^= iv[j];
		arctwo_encrypt(&ctx, ARCTWO_BLOCK_SIZE, buf + i, buf + i);
		memcpy(iv, buf + i, ARCTWO_BLOCK_SIZE);
	}
	fwrite(buf, 1, n, stdout);
	return 0;
}
