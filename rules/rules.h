/*
 * rules.h - the policy language of smime-milter (SPEC section 5): its one
 * public header.  No crypto and no libmilter here: rules see only facts.
 *
 * Life cycle: rules_load() (or rules_load_buffer()) turns a rules file
 * into an immutable rules_set; rules_eval() matches one message's facts
 * against it and lists the actions that apply; rules_set_free() drops it.
 * A loaded set is never changed, so any number of threads may evaluate it
 * at once; a reload builds a new set.
 *
 * Conventions (as in crypto/smime.h): functions return int, 0 on success
 * and a negative RULES_E_* on failure.  One error space: the RULES_E_*
 * codes are the SMIME_E_* codes of the same names and values (rules/
 * keeps its own names only because it knows no crypto and includes no
 * crypto header; milter/ asserts the equality at compile time), and a
 * negative value always means what its name says: RULES_E_NOMEM is out
 * of memory, never "invalid", so "invalid" is RULES_E_PARSE, never -1.
 * Problems a function reports as text go to a rules_diag; a failure
 * described there returns RULES_E_PARSE.  Inside rules/, a parse step
 * that reported its problem returns the positive RULES_REPORTED
 * (internal.h), which no code can be taken for.
 * The language itself is documented in smime-milter.rules(5).
 */
#ifndef RULES_H
#define RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
	RULES_OK = 0,
	RULES_E_NOMEM = -1, /* resource: out of memory */
	RULES_E_IO = -2,    /* resource: the file cannot be read */
	RULES_E_LIMIT = -3, /* the file passes RULES_MAX_FILE_SIZE */
	RULES_E_PARSE = -4, /* the file has errors: see the diagnostics */
	RULES_E_ARG = -7    /* caller error */
};

/* ---- CIDR matching (IPv4 and IPv6), also used for InternalHosts ---- */

typedef struct rules_cidr {
	int family;             /* AF_INET or AF_INET6 */
	unsigned char addr[16]; /* network address, host bits cleared */
	unsigned prefix;        /* prefix length */
} rules_cidr;

/* Parses "ADDR" or "ADDR/PREFIX" (IPv4 or IPv6).  0, or RULES_E_PARSE
 * when invalid; it allocates nothing. */
int rules_cidr_parse(const char *text, rules_cidr *out);
/* True when the textual address ip (IPv4, IPv6, or IPv4-mapped IPv6
 * "::ffff:a.b.c.d", with or without surrounding [ ]) lies in c. */
bool rules_cidr_match(const rules_cidr *c, const char *ip);

/* ---- Globs: '*', '?' and '[...]', case-insensitive everywhere ---- */

/*
 * True when text matches pattern.  '*' matches any run of bytes, '?' one
 * byte, "[...]" one byte of the set (ranges "a-z"; "[!...]" or "[^...]"
 * negate; a ']' first in the set is literal).  Case is folded for ASCII
 * letters only.  There is no escape character: "[*]" matches a '*'.
 * Time is O(len(pattern) * len(text)) at worst, never exponential.  A
 * pattern that rules_glob_check() refuses matches nothing.
 */
bool rules_glob_match(const char *pattern, const char *text);
/* 0 when the glob is well-formed, else RULES_E_PARSE with *err_offset
 * set to the 0-based offset of the offending byte: the '[' that is never
 * closed, or the first byte of a reversed range such as "z-a". */
int rules_glob_check(const char *pattern, size_t *err_offset);

/* ---- Actions and capabilities ---- */

typedef enum rules_action_kind {
	RULES_ACT_SIGN = 0,   /* arg: key store entry name, or NULL for the
			     * entry whose certificate carries From */
	RULES_ACT_REENCRYPT,  /* arg: a SPEC section 6 cipher name */
	RULES_ACT_ENCRYPT,    /* arg: a cipher name or "auto" */
	RULES_ACT_TAG,        /* arg: the label ("smime-policy" by default) */
	RULES_ACT_REJECT,     /* status "5.x.y" and text */
	RULES_ACT_TEMPFAIL,   /* status "4.x.y" and text */
	RULES_ACT_QUARANTINE, /* text: the reason */
	RULES_ACT_DISCARD,
	RULES_ACT_ACCEPT
} rules_action_kind;

#define RULES_ACT_COUNT 9

/* Capability bits: one per action kind.  rules_load() refuses a rules
 * file that uses an action whose bit the caller did not pass, so a build
 * that cannot sign fails at load (and at -n), never silently per message. */
#define RULES_CAP(kind) (1u << (kind))
#define RULES_CAP_SIGN RULES_CAP(RULES_ACT_SIGN)
#define RULES_CAP_REENCRYPT RULES_CAP(RULES_ACT_REENCRYPT)
#define RULES_CAP_ENCRYPT RULES_CAP(RULES_ACT_ENCRYPT)
/* What any caller that can edit headers and set a verdict carries out. */
#define RULES_CAP_BASIC                                                        \
	(RULES_CAP(RULES_ACT_TAG) | RULES_CAP(RULES_ACT_REJECT) |              \
	 RULES_CAP(RULES_ACT_TEMPFAIL) | RULES_CAP(RULES_ACT_QUARANTINE) |     \
	 RULES_CAP(RULES_ACT_DISCARD) | RULES_CAP(RULES_ACT_ACCEPT))
#define RULES_CAP_ALL ((1u << RULES_ACT_COUNT) - 1)

/* Texts used when the rule names none. */
#define RULES_DEFAULT_TAG "smime-policy"
#define RULES_DEFAULT_REJECT_STATUS "5.7.1"
#define RULES_DEFAULT_REJECT_TEXT "Rejected by S/MIME policy"
#define RULES_DEFAULT_TEMPFAIL_STATUS "4.7.1"
#define RULES_DEFAULT_TEMPFAIL_TEXT "Deferred by S/MIME policy"
#define RULES_DEFAULT_QUARANTINE "S/MIME policy"

/*
 * One action of a rule, owned by its rules_set.  Strings are NUL-free,
 * printable ASCII, and never NULL unless said so:
 *   sign        arg = key name, or NULL for the default key
 *   reencrypt   arg = cipher name (lower case) or "auto"
 *   encrypt     arg = cipher name (lower case) or "auto"
 *   tag         arg = label
 *   reject      status = "5.x.y", text = reply text (may be "")
 *   tempfail    status = "4.x.y", text = reply text (may be "")
 *   quarantine  text = reason (never "")
 *   discard, accept: nothing
 * Reply texts may hold '%'; smfi_setreply() wants it doubled.
 */
typedef struct rules_action {
	rules_action_kind kind;
	const char *arg;
	const char *status;
	const char *text;
	const char *file; /* the rules file, for logging */
	unsigned line;    /* the line where the rule starts */
	/* Where the argument word stands (a cipher a caller may refuse
	 * later, e.g. one in WeakCiphers); 0 without an argument. */
	unsigned arg_line;
	unsigned arg_column;
} rules_action;

/* "sign", "reencrypt", ...; "?" for a value outside the enum. */
const char *rules_action_name(rules_action_kind kind);
/* True for reject, tempfail, quarantine, discard and accept. */
bool rules_action_is_terminal(rules_action_kind kind);

/* ---- Diagnostics ---- */

typedef struct rules_diag_entry {
	char *file;
	unsigned line;   /* 1-based; 0 for problems with the whole file */
	unsigned column; /* 1-based byte column; 0 with line 0 */
	char *message;   /* what was expected, without position */
	char *text;      /* "FILE:LINE:COLUMN: message" or "FILE: message" */
} rules_diag_entry;

typedef struct rules_diag {
	rules_diag_entry *v;
	size_t n;
	size_t cap;
} rules_diag;

/* clang-format off */
#define RULES_DIAG_INIT {NULL, 0, 0}
/* clang-format on */

/* After this many errors in one file the loader stops and says so. */
#define RULES_MAX_ERRORS 100
/* Larger rules files are refused (RULES_E_LIMIT). */
#define RULES_MAX_FILE_SIZE (16u * 1024 * 1024)

void rules_diag_free(rules_diag *d);

/* ---- Loading ---- */

typedef struct rules_set rules_set;

/*
 * Reads and checks a rules file.  capabilities is a set of RULES_CAP_*
 * bits: a rule using any other action is an error.  Every problem is
 * appended to diags (when not NULL) as "FILE:LINE:COLUMN: message"; the
 * loader collects all of them (up to RULES_MAX_ERRORS), not just the
 * first.  Returns 0 and a new set, or a negative RULES_E_* and no set:
 * RULES_E_PARSE when the file has errors, RULES_E_IO when it cannot be
 * read, RULES_E_LIMIT when it is too large, RULES_E_NOMEM.
 */
int rules_load(const char *file, unsigned capabilities, rules_set **out,
	       rules_diag *diags);
/* The same for text already in memory; name is used in diagnostics and
 * in rules_action.file.  The text may hold any bytes. */
int rules_load_buffer(const char *name, const char *text, size_t len,
		      unsigned capabilities, rules_set **out,
		      rules_diag *diags);
void rules_set_free(rules_set *rs);

/* Number of rules in the set (0 for NULL). */
size_t rules_set_count(const rules_set *rs);
/* RULES_CAP_* bits of the actions any rule of the set uses, e.g. to skip
 * work no rule can ask for. */
unsigned rules_set_actions(const rules_set *rs);
/* The first action of the set with this kind and argument (compared
 * without regard to case), e.g. a `reencrypt auto`; NULL when none. */
const rules_action *rules_set_find(const rules_set *rs, rules_action_kind kind,
				   const char *arg);

/* ---- Facts: what the caller knows about one message ---- */

typedef enum rules_direction {
	RULES_INBOUND = 0,
	RULES_OUTBOUND
} rules_direction;

typedef struct rules_header_fact {
	const char *name;  /* as received */
	const char *value; /* raw value with folding removed and blanks
			    * at either end trimmed (smime_header_unfold);
			    * no RFC 2047 decoding */
} rules_header_fact;

typedef struct rules_entity_fact {
	const char *cipher;   /* SPEC section 6 name, "rc2-cbc", or NULL
			       * when the cipher is unknown */
	const char *strength; /* "weak", "legacy", "strong" or "unknown" */
} rules_entity_fact;

/*
 * Filled by the caller; rules only read it, and keep no pointer into it.
 * Lists may be NULL when their count is 0.  Addresses are addr-specs
 * without angle brackets.
 */
typedef struct rules_facts {
	rules_direction direction;
	bool authenticated;
	const char *client_ip;   /* textual address; NULL when unknown */
	const char *const *from; /* mailboxes of the From header */
	size_t nfrom;
	const char *sender;       /* envelope MAIL FROM; "" for the null sender,
			     * NULL when unknown (matches nothing) */
	const char *const *rcpts; /* envelope recipients the MTA accepted */
	size_t nrcpts;
	const rules_header_fact *headers; /* every header, in order */
	size_t nheaders;
	bool is_signed; /* a signature was found at any layer */
	/* A-R result words of every signature at any layer: "pass",
	 * "fail", "policy", "neutral", "temperror", "permerror". */
	const char *const *signature_results;
	size_t nsignature_results;
	/* The signer address (A-R body.smime-identifier) of every signature
	 * whose result is pass, at the layers reached without decrypting:
	 * findings from decrypted content never drive a rule. */
	const char *const *signers;
	size_t nsigners;
	const rules_entity_fact *encrypted; /* every encrypted entity */
	size_t nencrypted;
	uint64_t size; /* header and body as received, CRLF line ends */
} rules_facts;

/* ---- Evaluation ---- */

/*
 * The actions that apply to one message, in the order the rules asked
 * for them.  Each entry points into the rules_set, so a result must not
 * outlive its set.  At most one sign, one reencrypt and one encrypt (the
 * first asked for), one tag per distinct label, and at most one terminal
 * action, which is then the last entry and also in verdict.
 */
typedef struct rules_result {
	const rules_action **v;
	size_t n;
	size_t cap;
	const rules_action *verdict;   /* terminal action, or NULL */
	const rules_action *sign;      /* or NULL */
	const rules_action *reencrypt; /* or NULL */
	const rules_action *encrypt;   /* or NULL */
	size_t matched;                /* rules whose conditions held */
} rules_result;

/* clang-format off */
#define RULES_RESULT_INIT {NULL, 0, 0, NULL, NULL, NULL, NULL, 0}
/* clang-format on */

/*
 * Evaluates the rules top to bottom against the facts (SPEC section 5):
 * every matching rule's actions apply, reject, tempfail, quarantine,
 * discard and accept end the evaluation.  rs may be NULL (no Rules file:
 * no actions).  out is reset first, so one result may be reused.
 * Returns 0, RULES_E_NOMEM or RULES_E_ARG.
 */
int rules_eval(const rules_set *rs, const rules_facts *f, rules_result *out);
void rules_result_free(rules_result *r);

#ifdef __cplusplus
}
#endif

#endif /* RULES_H */
