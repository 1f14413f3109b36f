/*
 * args.c - checks of the words that rules pass to the milter: sizes, header
 * names, key names, tag labels, SMTP reply texts and quarantine reasons.
 *
 * Promises: whatever passes here is safe to hand to the MTA as it is:
 * labels, replies and reasons are printable ASCII of bounded length (no
 * CR or LF can reach a header or an SMTP reply), key names cannot climb
 * out of the key store directory, sizes never overflow.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define LABEL_MAX 256
#define REPLY_MAX 400
#define KEY_NAME_MAX 255

int rules_parse_size(const char *text, uint64_t *out)
{
	uint64_t v = 0, mult = 1;
	const char *p = text;

	if (*p < '0' || *p > '9')
		return RULES_E_PARSE;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return RULES_E_LIMIT;
		v = v * 10 + d;
	}
	if (*p == 'K' || *p == 'k')
		mult = 1024;
	else if (*p == 'M' || *p == 'm')
		mult = 1024 * 1024;
	if (mult > 1)
		p++;
	if (*p != '\0')
		return RULES_E_PARSE;
	if (v > UINT64_MAX / mult)
		return RULES_E_LIMIT;
	*out = v * mult;
	return 0;
}

/* RFC 5322 field name: printable ASCII without ':'. */
bool rules_is_header_name(const char *text)
{
	if (*text == '\0')
		return false;
	for (; *text != '\0'; text++)
		if (*text < 0x21 || *text > 0x7e || *text == ':')
			return false;
	return true;
}

/* The NAME of NAME.p12 / NAME.crt in the key store: no path tricks. */
bool rules_is_key_name(const char *text)
{
	size_t n = strlen(text);

	if (n == 0 || n > KEY_NAME_MAX || text[0] == '.')
		return false;
	for (; *text != '\0'; text++) {
		char c = *text;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-' || c == '+' || c == '@'))
			return false;
	}
	return true;
}

static bool printable(const char *text, size_t *bad)
{
	for (size_t i = 0; text[i] != '\0'; i++) {
		if (text[i] < 0x20 || text[i] > 0x7e) {
			if (bad != NULL)
				*bad = i;
			return false;
		}
	}
	return true;
}

/* A header value: printable ASCII, no blank at either end. */
bool rules_is_label(const char *text)
{
	size_t n = strlen(text);

	return n > 0 && n <= LABEL_MAX && printable(text, NULL) &&
	       text[0] != ' ' && text[n - 1] != ' ';
}

bool rules_is_reason(const char *text)
{
	size_t n = strlen(text);

	return n > 0 && n <= REPLY_MAX && printable(text, NULL);
}

/* 1*3DIGIT at *p; advances *p. */
static bool digits3(const char **p)
{
	int n = 0;

	while (**p >= '0' && **p <= '9' && n < 4) {
		(*p)++;
		n++;
	}
	return n >= 1 && n <= 3;
}

int rules_split_reply(const char *reply, char cls, char **status, char **text,
		      const char **why, size_t *at)
{
	const char *p = reply, *t;
	size_t bad = 0;

	*status = *text = NULL;
	*at = 0;
	if ((*p != '2' && *p != '4' && *p != '5') || p[1] != '.') {
		*why = cls == '5' ? "expected the reply to start with a status "
				    "code 5.X.Y, as in \"5.7.1 text\""
				  : "expected the reply to start with a status "
				    "code 4.X.Y, as in \"4.7.1 text\"";
		return RULES_E_PARSE;
	}
	p += 2;
	if (!digits3(&p) || *p++ != '.' || !digits3(&p) ||
	    (*p != '\0' && *p != ' ')) {
		*why = "expected a status code of the form C.SSS.DDD "
		       "followed by a blank and text";
		return RULES_E_PARSE;
	}
	if (reply[0] != cls) {
		*why = cls == '5' ? "reject needs a 5.X.Y status code "
				    "(4.X.Y is for tempfail)"
				  : "tempfail needs a 4.X.Y status code "
				    "(5.X.Y is for reject)";
		return RULES_E_PARSE;
	}
	if (!printable(reply, &bad)) {
		*why = "expected printable ASCII in the reply text";
		*at = bad;
		return RULES_E_PARSE;
	}
	if (strlen(reply) > REPLY_MAX) {
		*why = "reply text too long: at most 400 bytes";
		*at = REPLY_MAX;
		return RULES_E_PARSE;
	}
	for (t = p; *t == ' '; t++)
		;
	*status = rules_strndup(reply, (size_t)(p - reply));
	*text = rules_strdup(t);
	if (*status == NULL || *text == NULL) {
		free(*status);
		free(*text);
		*status = *text = NULL;
		return RULES_E_NOMEM;
	}
	return 0;
}
