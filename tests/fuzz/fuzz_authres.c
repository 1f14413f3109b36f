/*
 * fuzz_authres.c - fuzz harness for Authentication-Results handling
 * (crypto/authres.c): writing our header from verdicts whose strings come
 * from certificates a stranger made, and reading incoming headers to
 * decide which ones forge ours (SPEC section 7).
 *
 * One input is: a result byte, a reason byte, a count byte (1 to 3
 * resinfos), then NUL-separated fields: authserv-id, identifier, part,
 * serial, issuer, and last an incoming header value (the rest of the
 * input, NULs and all cut at the first one, as a C string is).  An empty
 * authserv-id means "mx.example.org"; other empty fields are absent.
 *
 * Checks: smime_authres_format() returns 0 or, for an authserv-id no
 * header can carry, SMIME_E_ARG; its output keeps the promises checked by
 * fuzz_check_authres_value() (fuzz.h): printable, folded only at blanks,
 * lines under 998, read back as ours with smime and nothing else.
 * smime_authres_inspect() answers any value, and is_forged agrees with it:
 * ours, and smime in a resinfo or anywhere after the id, or not readable
 * to its end (issue 13, F8).
 */
#include "fuzz.h"

#define NFIELDS 6

/* Cuts data after the three leading bytes into NUL-terminated fields;
 * missing fields are "".  Returns a malloc'd block holding them. */
static char *split_fields(const uint8_t *data, size_t size,
			  const char *field[NFIELDS])
{
	char *copy = malloc(size + NFIELDS + 1);
	size_t k = 0;

	if (copy == NULL)
		return NULL;
	memcpy(copy, data, size);
	memset(copy + size, 0, NFIELDS + 1);
	field[k++] = copy;
	for (size_t i = 0; i < size && k < NFIELDS; i++)
		if (copy[i] == '\0')
			field[k++] = copy + i + 1;
	while (k < NFIELDS)
		field[k++] = copy + size; /* "" */
	return copy;
}

static const char *opt(const char *s)
{
	return *s != '\0' ? s : NULL;
}

static void check_format(const uint8_t hdr[3], const char *field[NFIELDS])
{
	smime_resinfo v[3];
	smime_buf out = SMIME_BUF_INIT;
	const char *id = *field[0] ? field[0] : "mx.example.org";
	size_t n = 1 + hdr[2] % 3;
	int rc;

	for (size_t i = 0; i < n; i++) {
		/* Vary the resinfos a little so each is different. */
		v[i].result = (smime_result)(1 + (hdr[0] + i) % 6);
		v[i].reason = (smime_reason)((hdr[1] + i) % SMIME_REASON_COUNT);
		v[i].identifier = opt(field[1]);
		v[i].part = i == 1 ? "1.2" : opt(field[2]);
		v[i].serial = opt(field[3]);
		v[i].issuer = opt(field[4]);
	}
	rc = smime_authres_format(id, v, n, &out);
	fuzz_check(rc == 0 || rc == SMIME_E_ARG || rc == SMIME_E_NOMEM);
	/* Only an id no line can hold: quoted, each byte at most escaped,
	 * after the header name and before the ';'. */
	if (rc == SMIME_E_ARG)
		fuzz_check(24 + 2 + 2 * strlen(id) + 1 > 997);
	if (rc == 0)
		fuzz_check_authres_value(id, &out);
	smime_buf_free(&out);
}

static void check_inspect(const char *value, const char *id)
{
	smime_authres_info info;

	fuzz_check(smime_authres_inspect(value, id, &info) == 0);
	fuzz_check(smime_authres_is_forged(value, id) ==
		   (info.ours &&
		    (info.has_smime || info.mentions_smime || !info.complete)));
	/* A resinfo named smime is a mention of the word. */
	fuzz_check(!info.has_smime || info.mentions_smime || !info.ours);
	/* Without an id nothing is ours. */
	fuzz_check(smime_authres_inspect(value, "", &info) == 0 && !info.ours);
}

int fuzz_authres(const uint8_t *data, size_t size)
{
	const char *field[NFIELDS];
	uint8_t hdr[3] = {0, 0, 0};
	char *block;

	if (size >= 3) {
		memcpy(hdr, data, 3);
		data += 3;
		size -= 3;
	}
	block = split_fields(data, size, field);
	if (block == NULL)
		return 0;
	check_format(hdr, field);
	check_inspect(field[5], *field[0] ? field[0] : "mx.example.org");
	/* The whole rest of the input as one header value too. */
	check_inspect(block, "mx.example.org");
	free(block);
	return 0;
}

FUZZ_LIBFUZZER_ENTRY(fuzz_authres)
