/*
 * test_logline.c - the per-message log line (SPEC section 7) is exactly
 * what `smime-tool report` and operators' log parsers expect: keys in
 * SPEC order, NULL fields left out, values quoted and escaped so that one
 * message is always one line; and log.c writes any text as one line.
 */
#include "milter.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

/* Formats l into a fresh buffer and compares with want. */
static void formats(const milter_logline *l, const char *want, const char *name)
{
	smime_buf out = SMIME_BUF_INIT;
	int rc = milter_logline_format(l, &out);

	is_long(rc, 0, "%s: formats", name);
	is_mem(out.data, out.len, want, strlen(want), "%s", name);
	ok(out.data == NULL || memchr(out.data, '\n', out.len) == NULL,
	   "%s: one line", name);
	smime_buf_free(&out);
}

/* Characters that could split or disguise a line, and bytes that are
 * not UTF-8, in a value. */
static void test_escapes(void)
{
	static const struct {
		const char *mailer, *want, *why;
	} v[] = {
		{"a\xc2\x85"
		 "b\xe2\x80\xa8"
		 "c\xe2\x80\xa9"
		 "d",
		 "Q11: dir=inbound mailer=\"a\\xc2\\x85b\\xe2\\x80\\xa8"
		 "c\\xe2\\x80\\xa9d\"",
		 "C1 controls (NEL) and the line and paragraph separators are "
		 "escaped like C0: no reader can take them for a line end"},
		{"a\xff"
		 "b\xc3"
		 "c\xed\xa0\x80"
		 "d\xc0\xaf",
		 "Q11: dir=inbound mailer=\"a\\xffb\\xc3c\\xed\\xa0\\x80"
		 "d\\xc0\\xaf\"",
		 "bytes that are not UTF-8 (a lone lead byte, a surrogate, an "
		 "overlong form) are escaped, so the line stays UTF-8"},
	};

	static const struct {
		const char *from, *want, *why;
	} f[] = {
		{"x\xc3", "Q12: dir=inbound from=\"<x\\xc3>\"",
		 "a from address ending in a lone lead byte: the '>' after it "
		 "does not make it UTF-8, the byte is escaped and the <...> "
		 "value quoted"},
		{"a\r\nb@c", "Q12: dir=inbound from=\"<a\\r\\nb@c>\"",
		 "line ends in a from address are escaped inside the quoted "
		 "<...> value"},
		{"\xc3\xa9@x", "Q12: dir=inbound from=<\xc3\xa9@x>",
		 "a from address opening with a UTF-8 letter stays bare"},
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		milter_logline l = {.queue_id = "Q11",
				    .dir = "inbound",
				    .mailer = v[i].mailer,
				    .ms = -1};
		formats(&l, v[i].want, v[i].why);
	}
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		milter_logline l = {.queue_id = "Q12",
				    .dir = "inbound",
				    .from = f[i].from,
				    .ms = -1};
		formats(&l, f[i].want, f[i].why);
	}
}

/* What milter_log() writes to standard error (the -f mode) for text. */
static char *logged(const char *text)
{
	char path[] = "/tmp/test_logline.XXXXXX", *buf = calloc(1, 512);
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	ssize_t n = -1;

	if (fd >= 0 && saved >= 0 && buf != NULL &&
	    dup2(fd, STDERR_FILENO) >= 0) {
		milter_log_open(LOG_MAIL, true);
		milter_log(LOG_INFO, "Q1", "%s", text);
		dup2(saved, STDERR_FILENO);
		n = pread(fd, buf, 511, 0);
	}
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	if (saved >= 0)
		close(saved);
	if (n < 0 && buf != NULL)
		buf[0] = '\0';
	return buf;
}

/* log.c: every line is one line and stays UTF-8, whatever the text. */
static void test_log_text(void)
{
	char *got = logged("l\xc3\xb5ks a\nb\xc2\x85"
			   "c\xe2\x80\xa8"
			   "d\xff"
			   "e");
	char want[128];

	snprintf(want, sizeof(want),
		 "smime-milter[%ld]: Q1: l\xc3\xb5ks a?b??c???d?e\n",
		 (long)getpid());
	is_str(got, want,
	       "log.c keeps UTF-8 letters and makes each byte of a control "
	       "character (LF, NEL, U+2028) or of no UTF-8 a '?'");
	free(got);
}

/* The prefix of a line on standard error is made once, at open: a
 * process forked after that must still write its own pid. */
static void test_log_pid_after_fork(void)
{
	int fds[2];
	char buf[128] = "", want[64];
	pid_t child;
	ssize_t n = -1;

	milter_log_open(LOG_MAIL, true);
	if (pipe(fds) != 0) {
		ok(0, "pipe");
		return;
	}
	child = fork();
	if (child == 0) {
		dup2(fds[1], STDERR_FILENO);
		milter_log(LOG_INFO, "Q1", "child");
		_exit(0);
	}
	close(fds[1]);
	if (child > 0) {
		n = read(fds[0], buf, sizeof buf - 1);
		waitpid(child, NULL, 0);
	}
	close(fds[0]);
	buf[n > 0 ? n : 0] = '\0';
	snprintf(want, sizeof want, "smime-milter[%ld]: Q1: child\n",
		 (long)child);
	is_str(buf, want, "a line written after fork names the child's pid");
}

int main(void)
{
	milter_logline l;
	smime_buf out = SMIME_BUF_INIT;

	/* The SPEC section 7 example, every field set. */
	l = (milter_logline){
		.queue_id = "4XyZ1",
		.dir = "inbound",
		.from = "carol@legacy.example",
		.kind = "enveloped",
		.cipher = "rc2-40-cbc",
		.strength = "weak",
		.action = MILTER_ACT_REENCRYPTED,
		.new_cipher = "aes-256-cbc",
		.signer = "carol@legacy.example",
		.result = "policy",
		.reason = "weak-digest",
		.mailer = "Microsoft Windows Mobile 5.0",
		.ms = 12,
	};
	formats(&l,
		"4XyZ1: dir=inbound from=<carol@legacy.example> kind=enveloped "
		"cipher=rc2-40-cbc strength=weak action=reencrypted "
		"new-cipher=aes-256-cbc signer=carol@legacy.example "
		"result=policy reason=weak-digest "
		"mailer=\"Microsoft Windows Mobile 5.0\" ms=12",
		"every field in SPEC order");

	/* Issue 13: every key of SPEC section 7's new order; reason is the
	 * signature result's, the encryption and signing outcomes have
	 * their own reason keys. */
	l.action = MILTER_ACT_KEPT;
	l.action_reason = "decrypt-failed";
	l.new_cipher = NULL;
	l.sign = MILTER_ACT_KEPT;
	l.sign_reason = "already-encrypted";
	l.result = "fail";
	l.reason = "bad-signature";
	l.entities = 2;
	l.signatures = 3;
	formats(&l,
		"4XyZ1: dir=inbound from=<carol@legacy.example> kind=enveloped "
		"cipher=rc2-40-cbc strength=weak action=kept "
		"action-reason=decrypt-failed sign=kept "
		"sign-reason=already-encrypted signer=carol@legacy.example "
		"result=fail reason=bad-signature entities=2 signatures=3 "
		"mailer=\"Microsoft Windows Mobile 5.0\" ms=12",
		"every key in the SPEC order: dir from kind cipher strength "
		"action action-reason new-cipher sign sign-reason signer "
		"result reason entities signatures mailer ms");
	l.action = MILTER_ACT_REENCRYPTED;
	l.action_reason = NULL;
	l.new_cipher = "aes-256-cbc";
	l.sign = MILTER_ACT_SIGNED;
	l.sign_reason = NULL;
	l.entities = 1;
	l.signatures = 1;
	formats(&l,
		"4XyZ1: dir=inbound from=<carol@legacy.example> kind=enveloped "
		"cipher=rc2-40-cbc strength=weak action=reencrypted "
		"new-cipher=aes-256-cbc sign=signed "
		"signer=carol@legacy.example "
		"result=fail reason=bad-signature "
		"mailer=\"Microsoft Windows Mobile 5.0\" ms=12",
		"entities and signatures only when more than one");

	l = (milter_logline){.queue_id = "Q2",
			     .dir = "outbound",
			     .from = "",
			     .kind = "none",
			     .ms = -1};
	formats(&l, "Q2: dir=outbound from=<> kind=none",
		"NULL fields and negative ms left out; null sender is <>");

	l = (milter_logline){.dir = "inbound", .ms = 0};
	formats(&l, "NOQUEUE: dir=inbound ms=0",
		"no queue id is NOQUEUE; ms=0 is kept");

	l = (milter_logline){.queue_id = "Q3",
			     .dir = "inbound",
			     .mailer = "Evil \"Mailer\"\tv1\r\nX-Fake: 1\\",
			     .ms = -1};
	formats(&l,
		"Q3: dir=inbound mailer=\"Evil "
		"\\\"Mailer\\\"\\tv1\\r\\nX-Fake: "
		"1\\\\\"",
		"blanks, quotes, backslash and line ends are quoted and "
		"escaped");

	l = (milter_logline){.queue_id = "Q4",
			     .dir = "inbound",
			     .mailer = "a\x01z\x7f",
			     .ms = -1};
	formats(&l, "Q4: dir=inbound mailer=\"a\\x01z\\x7f\"",
		"other control characters become \\xHH");

	l = (milter_logline){
		.queue_id = "Q5", .dir = "inbound", .mailer = "", .ms = -1};
	formats(&l, "Q5: dir=inbound mailer=\"\"", "an empty value is \"\"");

	l = (milter_logline){.queue_id = "Q6",
			     .dir = "inbound",
			     .from = "\"john doe\"@example.org",
			     .ms = -1};
	formats(&l, "Q6: dir=inbound from=\"<\\\"john doe\\\"@example.org>\"",
		"a from address with a blank quotes the whole <...> value");

	l = (milter_logline){.queue_id = "Q7",
			     .dir = "inbound",
			     .mailer = "Outlook-\xc3\xbc/16.0",
			     .ms = -1};
	formats(&l, "Q7: dir=inbound mailer=Outlook-\xc3\xbc/16.0",
		"UTF-8 without blanks stays bare");

	l = (milter_logline){.queue_id = "Q10",
			     .dir = "inbound",
			     .from = "l\xc3\xb5ks@n\xc3\xa4ide.ee",
			     .signer = "l\xc3\xb5ks@n\xc3\xa4ide.ee",
			     .mailer = "K\xc3\xa4ttem\xc3\xa4il 2",
			     .ms = -1};
	formats(&l,
		"Q10: dir=inbound from=<l\xc3\xb5ks@n\xc3\xa4ide.ee> "
		"signer=l\xc3\xb5ks@n\xc3\xa4ide.ee "
		"mailer=\"K\xc3\xa4ttem\xc3\xa4il 2\"",
		"internationalised addresses and text keep their UTF-8");

	l = (milter_logline){.queue_id = "Q 8\n", .dir = "inbound", .ms = -1};
	formats(&l, "Q?8?: dir=inbound",
		"a queue id with blanks or line ends cannot break the line");

	/* The line is appended, so a caller can prefix it. */
	smime_buf_puts(&out, "prefix ");
	l = (milter_logline){.queue_id = "Q9", .dir = "inbound", .ms = -1};
	milter_logline_format(&l, &out);
	is_str((const char *)out.data, "prefix Q9: dir=inbound",
	       "appends to what the buffer holds");
	smime_buf_free(&out);
	test_escapes();
	test_log_text();
	test_log_pid_after_fork();
	return tap_done();
}
