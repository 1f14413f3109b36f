/*
 * report_parse.c - one line of a mail log, as `smime-tool report` reads
 * it: the milter's per-message line (SPEC section 7, written by
 * logline.c) in the forms it reaches a file in:
 *
 *   Dec  6 04:05:06 HOST smime-milter[PID]: QUEUEID: dir=...   (syslog)
 *   2026-12-06T04:05:06.123456+00:00 HOST smime-milter[PID]: QUEUEID: dir=...
 *   smime-milter[PID]: QUEUEID: dir=...      (the daemon's -f stderr)
 *   QUEUEID: dir=...                         (smime-tool process stderr)
 *
 * The last two have no time.  A year-less syslog date is local time in
 * the current year, or in the one before when that would lie in the
 * future (or the date does not exist in the current year: 29 February).
 * RFC 3339 times keep their offset (journalctl's +HHMM too).
 *
 * The fields are key=value, separated by one blank; a value is bare, or
 * double-quoted with the escapes \" \\ \t \n \r \xHH that logline.c
 * writes.  Keys the milter writes must come in its order, once each;
 * other keys are passed over.  Anything else - another program's line,
 * another line of the milter, an unterminated quote, an unknown escape,
 * an escaped NUL, a from= without its brackets - makes the line one to
 * skip: a line cut short is read only when what is left parses, and
 * nothing is read beyond the line.
 */
#include "report.h"
#include "tool.h"

#include <string.h>

void report_clock_init(report_clock *c, time_t now)
{
	struct tm tm;

	c->now = now;
	localtime_r(&now, &tm);
	c->year = tm.tm_year;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* n digits at p (stops at the first that is not, so never passes a NUL) */
static bool digits(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(p[i]))
			return false;
	return true;
}

static int num2(const char *p)
{
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/* How the line starts. */
typedef enum { STAMP_NONE, STAMP_SYSLOG, STAMP_RFC3339 } stamp_kind;

/* "Mmm dd HH:MM:SS " (the day space-padded or not): the position after
 * it, or NULL.  The fields go to *d. */
static char *syslog_stamp(char *s, struct tm *d)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *m = NULL;
	char *p;
	int day;

	for (int i = 0; i < 12 && m == NULL; i++)
		if (strncmp(s, months + 3 * i, 3) == 0)
			m = months + 3 * i;
	if (m == NULL || s[3] != ' ')
		return NULL;
	p = s + (s[4] == ' ' ? 5 : 4);
	if (!is_digit(*p))
		return NULL;
	day = *p++ - '0';
	if (is_digit(*p))
		day = day * 10 + (*p++ - '0');
	if (*p != ' ' || !digits(p + 1, 2) || p[3] != ':' ||
	    !digits(p + 4, 2) || p[6] != ':' || !digits(p + 7, 2) ||
	    p[9] != ' ')
		return NULL;
	memset(d, 0, sizeof(*d));
	d->tm_mon = (int)((m - months) / 3);
	d->tm_mday = day;
	d->tm_hour = num2(p + 1);
	d->tm_min = num2(p + 4);
	d->tm_sec = num2(p + 7);
	if (day < 1 || day > 31 || d->tm_hour > 23 || d->tm_min > 59 ||
	    d->tm_sec > 59)
		return NULL;
	return p + 10;
}

/* The date d in local time of year (struct tm's count); false when that
 * day does not exist in that year. */
static bool local_in_year(const struct tm *d, int year, time_t *out)
{
	struct tm tm = *d;

	tm.tm_year = year;
	tm.tm_isdst = -1;
	*out = mktime(&tm);
	return tm.tm_mon == d->tm_mon && tm.tm_mday == d->tm_mday;
}

/* A year-less date: this year, or the one before when it would lie in the
 * future or does not exist this year.  0 or SMIME_E_PARSE. */
static int syslog_time(const struct tm *d, const report_clock *c, time_t *out)
{
	if (local_in_year(d, c->year, out) && *out <= c->now)
		return 0;
	return local_in_year(d, c->year - 1, out) ? 0 : SMIME_E_PARSE;
}

/* An RFC 3339 time followed by a blank: the position after the blank, or
 * NULL; the time (UTC) to *out. */
static char *rfc3339_stamp(char *s, time_t *out)
{
	size_t n = strcspn(s, " ");
	char buf[48];

	if (n < 20 || n > sizeof(buf) - 2 || s[n] != ' ' || !digits(s, 4) ||
	    s[4] != '-')
		return NULL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	/* journalctl -o short-iso writes the offset as +HHMM */
	if ((buf[n - 5] == '+' || buf[n - 5] == '-') && n - 5 >= 19 &&
	    digits(buf + n - 4, 4)) {
		memmove(buf + n - 1, buf + n - 2, 3);
		buf[n - 2] = ':';
	}
	if (tool_parse_at(buf, out) < 0)
		return NULL;
	return s + n + 1;
}

/* "smime-milter: " or "smime-milter[PID]: ": the position after it. */
static char *after_tag(char *s)
{
	static const char tag[] = "smime-milter";
	char *p;

	if (strncmp(s, tag, sizeof(tag) - 1) != 0)
		return NULL;
	p = s + sizeof(tag) - 1;
	if (*p == '[') {
		if (!is_digit(*++p))
			return NULL;
		while (is_digit(*p))
			p++;
		if (*p++ != ']')
			return NULL;
	}
	if (p[0] != ':' || p[1] != ' ')
		return NULL;
	return p + 2;
}

/* "HOST smime-milter[PID]: " */
static char *after_host(char *s)
{
	size_t n = strcspn(s, " ");

	return n > 0 && s[n] == ' ' ? after_tag(s + n + 1) : NULL;
}

/* "QUEUEID: dir=": the position of "dir=", or NULL.  The queue id is
 * printable ASCII without blanks, as logline.c writes it. */
static char *after_queue_id(char *s)
{
	size_t n = strcspn(s, " ");

	if (n < 2 || s[n - 1] != ':' || s[n] != ' ')
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return NULL;
	return strncmp(s + n + 1, "dir=", 4) == 0 ? s + n + 1 : NULL;
}

/* The fields of the per-message line, with the time of the line. */
static char *message_part(char *s, const report_clock *c, report_line *l)
{
	struct tm d;
	stamp_kind kind = STAMP_NONE;
	time_t t = 0;
	char *p;

	if ((p = syslog_stamp(s, &d)) != NULL)
		kind = STAMP_SYSLOG;
	else if ((p = rfc3339_stamp(s, &t)) != NULL)
		kind = STAMP_RFC3339;
	if (kind != STAMP_NONE)
		p = after_host(p);
	else if ((p = after_tag(s)) == NULL)
		p = s;
	if (p == NULL || (p = after_queue_id(p)) == NULL)
		return NULL;
	/* only now, for the milter's lines: mktime is not free */
	if (kind == STAMP_SYSLOG && syslog_time(&d, c, &t) < 0)
		return NULL;
	l->timed = kind != STAMP_NONE;
	l->when = t;
	return p;
}

/* The keys of SPEC section 7, in the order logline.c writes them. */
enum {
	KEY_DIR,
	KEY_FROM,
	KEY_KIND,
	KEY_CIPHER,
	KEY_STRENGTH,
	KEY_ACTION,
	KEY_ACTION_REASON,
	KEY_NEW_CIPHER,
	KEY_SIGN,
	KEY_SIGN_REASON,
	KEY_SIGNER,
	KEY_RESULT,
	KEY_REASON,
	KEY_ENTITIES,
	KEY_SIGNATURES,
	KEY_MAILER,
	KEY_NOTE,
	KEY_MS,
	KEY_COUNT
};

static int key_index(const char *k, size_t n)
{
	static const char *const keys[KEY_COUNT] = {
		"dir",      "from",        "kind",          "cipher",
		"strength", "action",      "action-reason", "new-cipher",
		"sign",     "sign-reason", "signer",        "result",
		"reason",   "entities",    "signatures",    "mailer",
		"note",     "ms"};

	for (int i = 0; i < KEY_COUNT; i++)
		if (strlen(keys[i]) == n && memcmp(keys[i], k, n) == 0)
			return i;
	return -1; /* not ours: passed over */
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The escape at p (a backslash) decoded to *c; the position after it, or
 * NULL for an escape logline.c does not write (or one of a NUL). */
static char *unescape(char *p, char *c)
{
	int hi, lo;

	switch (p[1]) {
	case '"':
	case '\\':
		*c = p[1];
		return p + 2;
	case 't':
		*c = '\t';
		return p + 2;
	case 'n':
		*c = '\n';
		return p + 2;
	case 'r':
		*c = '\r';
		return p + 2;
	case 'x':
		hi = hex_digit(p[2]);
		lo = hi < 0 ? -1 : hex_digit(p[3]);
		if (lo < 0 || (hi == 0 && lo == 0))
			return NULL;
		*c = (char)(hi * 16 + lo);
		return p + 4;
	default:
		return NULL;
	}
}

/* A quoted value at p (after its opening quote), decoded in place (the
 * decoded form is never longer) and NUL-terminated; the position of the
 * closing quote, or NULL when there is none or an escape is bad. */
static char *quoted(char *p)
{
	char *w = p;

	while (*p != '"') {
		if (*p == '\0')
			return NULL; /* cut in the middle of the value */
		if (*p == '\\') {
			if ((p = unescape(p, w++)) == NULL)
				return NULL;
		} else {
			*w++ = *p++;
		}
	}
	*w = '\0'; /* w <= p: the closing quote at most */
	return p;
}

/* The value at *pp, NUL-terminated in place, to *out; *pp moves to the
 * next field (or the end).  0 or SMIME_E_PARSE. */
static int value(char **pp, char **out)
{
	char *p = *pp, sep;

	if (*p == '"') {
		*out = p + 1;
		if ((p = quoted(p + 1)) == NULL)
			return SMIME_E_PARSE;
		sep = *++p;
	} else {
		*out = p;
		p += strcspn(p, " \"\\"); /* logline.c quotes those */
		sep = *p;
		if (sep == '"' || sep == '\\')
			return SMIME_E_PARSE;
		*p = '\0';
	}
	if (sep != ' ' && sep != '\0')
		return SMIME_E_PARSE;
	*pp = sep == ' ' ? p + 1 : p;
	return 0;
}

/* from=<ADDRESS>: the address, its domain ASCII-lowercased (a domain is
 * one whatever its case). */
static int from_value(char *v, const char **out)
{
	size_t n = strlen(v);
	char *at;

	if (n < 2 || v[0] != '<' || v[n - 1] != '>')
		return SMIME_E_PARSE;
	v[n - 1] = '\0';
	if ((at = strrchr(v, '@')) != NULL)
		for (char *p = at + 1; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	*out = v + 1;
	return 0;
}

static int keep(report_line *l, int key, char *v)
{
	switch (key) {
	case KEY_FROM:
		return from_value(v, &l->from);
	case KEY_CIPHER:
		l->cipher = v;
		break;
	case KEY_STRENGTH:
		l->strength = v;
		break;
	case KEY_REASON:
		l->reason = v;
		break;
	case KEY_MAILER:
		l->mailer = v;
		break;
	default:
		break;
	}
	return 0;
}

/* "key=value key=value ...", starting at "dir=". */
static int fields(char *p, report_line *l)
{
	static const char key_chars[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
	int last = -1;

	while (*p != '\0') {
		size_t n = strspn(p, key_chars);
		int key;
		char *v;

		if (n == 0 || p[n] != '=')
			return SMIME_E_PARSE;
		key = key_index(p, n);
		if (key >= 0 && key <= last)
			return SMIME_E_PARSE; /* out of order or twice */
		if (key >= 0)
			last = key;
		p += n + 1;
		if (value(&p, &v) < 0 || keep(l, key, v) < 0)
			return SMIME_E_PARSE;
	}
	return 0;
}

int report_parse_line(char *line, size_t len, const report_clock *c,
		      report_line *out)
{
	char *p;

	memset(out, 0, sizeof(*out));
	if (strlen(line) != len)
		return SMIME_E_PARSE; /* a NUL byte: not a line syslog wrote */
	/* a CRLF file, trailing blanks: never part of a value */
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' ||
			   line[len - 1] == '\t'))
		line[--len] = '\0';
	if ((p = message_part(line, c, out)) == NULL)
		return SMIME_E_PARSE;
	return fields(p, out);
}
