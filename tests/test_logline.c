/*
 * test_logline.c - the per-message log line (SPEC section 7) is exactly
 * what `smime-tool report` and operators' log parsers expect: keys in
 * SPEC order, NULL fields left out, values quoted and escaped so that one
 * message is always one line.
 */
#include "milter.h"
#include "tap.h"

#include <string.h>

/* Formats l into a fresh buffer and compares with want. */
static void formats(const milter_logline *l, const char *want,
		    const char *name)
{
	smime_buf out = SMIME_BUF_INIT;
	int rc = milter_logline_format(l, &out);

	is_long(rc, 0, "%s: formats", name);
	is_mem(out.data, out.len, want, strlen(want), "%s", name);
	ok(out.data == NULL || memchr(out.data, '\n', out.len) == NULL,
	   "%s: one line", name);
	smime_buf_free(&out);
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
		.action = "reencrypted",
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

	l = (milter_logline){.queue_id = "Q2", .dir = "outbound", .from = "",
			     .kind = "none", .ms = -1};
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
		"Q3: dir=inbound mailer=\"Evil \\\"Mailer\\\"\\tv1\\r\\nX-Fake: "
		"1\\\\\"",
		"blanks, quotes, backslash and line ends are quoted and "
		"escaped");

	l = (milter_logline){.queue_id = "Q4",
			     .dir = "inbound",
			     .mailer = "a\x01z\x7f",
			     .ms = -1};
	formats(&l, "Q4: dir=inbound mailer=\"a\\x01z\\x7f\"",
		"other control characters become \\xHH");

	l = (milter_logline){.queue_id = "Q5", .dir = "inbound", .mailer = "",
			     .ms = -1};
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
	return tap_done();
}
