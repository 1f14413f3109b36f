/*
 * tool_inspect.c - `smime-tool inspect [--json] FILE`: describes the S/MIME
 * structure of a message or raw CMS file, layer by layer, as far as the
 * gateway can see without keys.  Exits 0 for any readable file, whatever
 * it holds, and 2 for usage errors or an unreadable file.
 *
 * With --trust FILE (and optionally --crl PATH, --at TIME, --weak-digests
 * LIST, --min-rsa-bits N, --authserv-id ID) every signature is also
 * verified as the milter would, and each signer gets its result, reason,
 * all problems found, identifier and whether only the bare-LF form
 * verified; the JSON gains the Authentication-Results value.  --trust ""
 * verifies with no trust anchors at all (every chain untrusted).
 *
 * With --content FILE (SPEC section 3), the file inspected is a DER or
 * PEM SignedData detached over that content, and each signer also says
 * whether its signature matches it (signature=ok, bad or unsupported),
 * with no trust judgement unless --trust asks for one.  The content is
 * compared as the milter compares a multipart/signed's first part: with
 * CRLF line ends, then with bare LF ones.
 */
#include "tool.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes s as a JSON string (or null). */
static void json_str(FILE *out, const char *s)
{
	if (s == NULL) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

/* Writes s for the text form: bare when it is one safe word, else quoted. */
static void text_val(FILE *out, const char *s)
{
	bool plain = s != NULL && *s != '\0';

	for (const char *p = s; plain && *p; p++)
		if (*p == ' ' || *p == '"' || *p == '\\' || *p == '=' ||
		    (unsigned char)*p < 0x20)
			plain = false;
	if (plain)
		fputs(s, out);
	else
		json_str(out, s ? s : "");
}

static const char *ri_type_name(smime_ri_type t)
{
	static const char *names[] = {"ktri", "kari", "kekri", "pwri", "ori"};
	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

static bool digest_is_weak(const char *d)
{
	return d && (strcmp(d, "md5") == 0 || strcmp(d, "sha1") == 0 ||
		     strcmp(d, "md4") == 0 || strcmp(d, "md2") == 0);
}

static bool is_encrypted(const smime_layer *l)
{
	return l->kind == SMIME_KIND_ENVELOPED ||
	       l->kind == SMIME_KIND_AUTH_ENVELOPED;
}

static const char *cipher_name(const smime_layer *l)
{
	return l->cms.cipher ? l->cms.cipher->name : l->cms.cipher_oid;
}

static void json_recipient(FILE *o, const smime_recipient *r)
{
	fprintf(o, "{\"type\":\"%s\",\"id\":", ri_type_name(r->type));
	if (r->type == SMIME_RI_KEKRI)
		json_str(o, "kekid");
	else
		json_str(o, r->by_ski ? "subjectKeyIdentifier"
				      : "issuerAndSerialNumber");
	fputs(",\"issuer\":", o);
	json_str(o, r->issuer);
	fputs(",\"serial\":", o);
	json_str(o, r->serial);
	fputs(",\"ski\":", o);
	json_str(o, r->ski);
	fputs(",\"kek_id\":", o);
	json_str(o, r->kek_id);
	fputs(",\"key_alg\":", o);
	json_str(o, r->key_alg);
	fputc('}', o);
}

/* What a verdict shows: whether the signature matches (--content), the
 * result and reason (--trust). */
typedef struct shown {
	bool match, verdict;
} shown;

static void json_match(FILE *o, const shown *w, const smime_sigcheck *c)
{
	const char *m = smime_sigmatch_name(c->match);

	if (!w->match)
		return;
	fputs(",\"signature\":", o);
	json_str(o, m ? m : "unsupported");
	if (!w->verdict) /* else json_check says it */
		fprintf(o, ",\"lf_form\":%s", c->lf_form ? "true" : "false");
}

static void json_check(FILE *o, const smime_sigcheck *c)
{
	bool first = true;

	fputs(",\"result\":", o);
	json_str(o, smime_result_name(c->result));
	fputs(",\"reason\":", o);
	json_str(o, smime_reason_name(c->reason));
	fputs(",\"problems\":[", o);
	for (int r = 1; r < SMIME_REASON_COUNT; r++) {
		if (!(c->problems & SMIME_REASON_BIT(r)))
			continue;
		if (!first)
			fputc(',', o);
		first = false;
		json_str(o, smime_reason_name((smime_reason)r));
	}
	fputs("],\"identifier\":", o);
	json_str(o, c->identifier);
	fprintf(o, ",\"lf_form\":%s", c->lf_form ? "true" : "false");
}

static void json_signer(FILE *o, const smime_signer *s, const smime_sigcheck *c,
			const shown *w)
{
	fputs("{\"address\":", o);
	json_str(o, s->address);
	fputs(",\"issuer\":", o);
	json_str(o, s->issuer);
	fputs(",\"serial\":", o);
	json_str(o, s->serial);
	fputs(",\"ski\":", o);
	json_str(o, s->ski);
	fputs(",\"digest\":", o);
	json_str(o, s->digest);
	fputs(",\"sig_alg\":", o);
	json_str(o, s->sig_alg);
	fprintf(o, ",\"signed_attrs\":%s,\"weak_digest\":%s",
		s->has_signed_attrs ? "true" : "false",
		digest_is_weak(s->digest) ? "true" : "false");
	if (c != NULL)
		json_match(o, w, c);
	if (c != NULL && w->verdict)
		json_check(o, c);
	fputc('}', o);
}

static void json_layer(FILE *o, const smime_layer *l, const shown *w)
{
	fprintf(o, "{\"level\":%u,\"part\":", l->level);
	json_str(o, l->part);
	fputs(",\"kind\":", o);
	json_str(o, smime_kind_name(l->kind));
	if (is_encrypted(l)) {
		fputs(",\"cipher\":", o);
		json_str(o, cipher_name(l));
		fprintf(o,
			",\"effective_bits\":%u,\"key_bits\":%u,\"strength\":",
			l->cms.eff_bits, l->cms.key_bits);
		json_str(o, smime_strength_name(l->strength));
		fprintf(o, ",\"weak\":%s",
			l->strength == SMIME_STRENGTH_WEAK ? "true" : "false");
		fputs(",\"recipients\":[", o);
		for (size_t i = 0; i < l->cms.nrecipients; i++) {
			if (i)
				fputc(',', o);
			json_recipient(o, &l->cms.recipients[i]);
		}
		fputc(']', o);
	}
	if (l->kind == SMIME_KIND_SIGNED ||
	    l->kind == SMIME_KIND_OPAQUE_SIGNED ||
	    l->kind == SMIME_KIND_CERTS_ONLY) {
		fputs(",\"signers\":[", o);
		for (size_t i = 0; i < l->cms.nsigners; i++) {
			if (i)
				fputc(',', o);
			json_signer(o, &l->cms.signers[i],
				    i < l->nchecks ? &l->checks[i] : NULL, w);
		}
		fprintf(o, "],\"certificates\":%zu", l->cms.ncertificates);
		/* A signed layer that could not be read: its one verdict. */
		if (l->nchecks > l->cms.nsigners) {
			fputs(",\"verdict\":{\"layer\":true", o);
			json_match(o, w, &l->checks[l->nchecks - 1]);
			if (w->verdict)
				json_check(o, &l->checks[l->nchecks - 1]);
			fputc('}', o);
		}
	}
	if (l->kind == SMIME_KIND_OTHER) {
		fputs(",\"content_type\":", o);
		json_str(o, l->cms.content_type_oid);
	}
	fputs(",\"error\":", o);
	json_str(o, l->error ? smime_strerror(l->error) : NULL);
	fputc('}', o);
}

static void print_json(FILE *o, const char *file, const smime_facts *f,
		       const char *authres, const shown *w)
{
	fputs("{\"file\":", o);
	json_str(o, file);
	fputs(",\"kind\":", o);
	json_str(o, f->nlayers ? smime_kind_name(f->layers[0].kind) : "none");
	fprintf(o, ",\"truncated\":%s,\"layers\":[",
		f->truncated ? "true" : "false");
	for (size_t i = 0; i < f->nlayers; i++) {
		if (i)
			fputc(',', o);
		json_layer(o, &f->layers[i], w);
	}
	fputc(']', o);
	if (authres != NULL) {
		fputs(",\"authentication_results\":", o);
		json_str(o, authres);
	}
	fputs("}\n", o);
}

static void text_check(FILE *o, const smime_sigcheck *c, const shown *w)
{
	const char *m = smime_sigmatch_name(c->match);

	if (w->match)
		fprintf(o, " signature=%s", m ? m : "unsupported");
	if (w->verdict) {
		fprintf(o, " result=%s", smime_result_name(c->result));
		if (c->reason != SMIME_REASON_NONE)
			fprintf(o, " reason=%s", smime_reason_name(c->reason));
	}
	if (c->lf_form)
		fputs(" lf-form", o);
}

static void text_layer(FILE *o, const smime_layer *l, const shown *w)
{
	fprintf(o, "layer %u part=%s kind=%s", l->level, l->part,
		smime_kind_name(l->kind));
	if (is_encrypted(l)) {
		fputs(" cipher=", o);
		text_val(o, cipher_name(l));
		fprintf(o, " bits=%u strength=%s", l->cms.eff_bits,
			smime_strength_name(l->strength));
	}
	if (l->error)
		fprintf(o, " error=\"%s\"", smime_strerror(l->error));
	fputc('\n', o);
	for (size_t i = 0; i < l->cms.nrecipients; i++) {
		const smime_recipient *r = &l->cms.recipients[i];
		fprintf(o, "  recipient %s", ri_type_name(r->type));
		if (r->by_ski) {
			fputs(" ski=", o);
			text_val(o, r->ski);
		} else if (r->issuer) {
			fputs(" issuer=", o);
			text_val(o, r->issuer);
			fputs(" serial=", o);
			text_val(o, r->serial);
		}
		if (r->kek_id) {
			fputs(" kek-id=", o);
			text_val(o, r->kek_id);
		}
		fputs(" key-alg=", o);
		text_val(o, r->key_alg);
		fputc('\n', o);
	}
	for (size_t i = 0; i < l->cms.nsigners; i++) {
		const smime_signer *s = &l->cms.signers[i];
		fputs("  signer address=", o);
		text_val(o, s->address);
		fputs(" issuer=", o);
		text_val(o, s->issuer);
		fputs(" serial=", o);
		text_val(o, s->serial);
		fputs(" digest=", o);
		text_val(o, s->digest);
		fputs(" sig-alg=", o);
		text_val(o, s->sig_alg);
		if (digest_is_weak(s->digest))
			fputs(" weak-digest", o);
		if (i < l->nchecks)
			text_check(o, &l->checks[i], w);
		fputc('\n', o);
	}
	if (l->nchecks > l->cms.nsigners) {
		fputs("  verdict", o);
		text_check(o, &l->checks[l->nchecks - 1], w);
		fputc('\n', o);
	}
}

static void print_text(FILE *o, const char *file, const smime_facts *f,
		       const char *authres, const shown *w)
{
	fprintf(o, "%s: kind=%s%s\n", file,
		f->nlayers ? smime_kind_name(f->layers[0].kind) : "none",
		f->truncated ? " (truncated: a limit stopped the analysis)"
			     : "");
	for (size_t i = 0; i < f->nlayers; i++)
		text_layer(o, &f->layers[i], w);
	if (authres != NULL)
		fprintf(o, "Authentication-Results: %s\n", authres);
}

#define INSPECT_USAGE                                                          \
	"usage: smime-tool inspect [--json] [--content FILE]\n"                \
	"       [--trust FILE [--crl PATH] [--at TIME]] [--weak-digests "      \
	"LIST]\n"                                                              \
	"       [--min-rsa-bits N] [--authserv-id ID] FILE\n"

typedef struct inspect_args {
	bool json;
	const char *trust, *crl, *at, *weak, *authserv_id, *content;
	unsigned min_rsa_bits;
} inspect_args;

/* 0, or SMIME_E_ARG for a command line to answer with the usage. */
static int parse_args(int argc, char **argv, inspect_args *a)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"trust", required_argument, NULL, 't'},
		{"crl", required_argument, NULL, 'c'},
		{"at", required_argument, NULL, 'T'},
		{"weak-digests", required_argument, NULL, 'w'},
		{"min-rsa-bits", required_argument, NULL, 'm'},
		{"authserv-id", required_argument, NULL, 'A'},
		{"content", required_argument, NULL, 'C'},
		{NULL, 0, NULL, 0}};
	char *end;
	int c;

	memset(a, 0, sizeof(*a));
	a->weak = "md5,sha1";
	a->authserv_id = "localhost";
	while ((c = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			a->json = true;
			break;
		case 't':
			a->trust = optarg;
			break;
		case 'c':
			a->crl = optarg;
			break;
		case 'T':
			a->at = optarg;
			break;
		case 'w':
			a->weak = optarg;
			break;
		case 'A':
			a->authserv_id = optarg;
			break;
		case 'C':
			a->content = optarg;
			break;
		case 'm':
			a->min_rsa_bits = (unsigned)strtoul(optarg, &end, 10);
			if (*end != '\0' || a->min_rsa_bits == 0)
				return SMIME_E_ARG;
			break;
		default:
			return SMIME_E_ARG;
		}
	}
	if (optind + 1 != argc)
		return SMIME_E_ARG;
	if (a->trust == NULL && (a->crl || a->at))
		return SMIME_E_ARG; /* those only mean something with --trust */
	return 0;
}

/* The trust store of --trust/--crl/--weak-digests/--min-rsa-bits; with
 * --content alone, one without anchors: the signatures are checked, and
 * the verdicts not shown. */
static int load_trust(const inspect_args *a, smime_trust **out)
{
	smime_trust_config tc = {0};
	smime_buf diags = SMIME_BUF_INIT;
	char *words = strdup(a->weak), *save = NULL;
	const char *list[16];
	int rc;

	if (words == NULL)
		return SMIME_E_NOMEM;
	for (char *w = strtok_r(words, ", ", &save);
	     w != NULL && tc.nweak_digests < 16;
	     w = strtok_r(NULL, ", ", &save))
		list[tc.nweak_digests++] = w;
	tc.anchor_file = a->trust != NULL && *a->trust ? a->trust : NULL;
	tc.crl_path = a->crl;
	tc.weak_digests = list;
	tc.min_rsa_bits = a->min_rsa_bits;
	rc = smime_trust_load(&tc, out, &diags);
	if (rc < 0)
		fprintf(stderr, "smime-tool: %s",
			diags.len ? (char *)diags.data : "cannot load trust\n");
	smime_buf_free(&diags);
	free(words);
	return rc;
}

static int authres_value(const inspect_args *a, const smime_facts *f,
			 smime_buf *out)
{
	smime_resinfo *v = NULL;
	size_t n = 0;
	int rc = smime_authres_collect(f, &v, &n);

	if (rc == 0 && n > 0)
		rc = smime_authres_format(a->authserv_id, v, n, out);
	free(v);
	return rc;
}

/* FILE, and the content of --content; false after saying why not. */
static bool read_inputs(const inspect_args *a, const char *file,
			smime_buf *data, smime_buf *content)
{
	const char *bad = NULL;

	if (tool_read_file(file, data) < 0)
		bad = file;
	else if (a->content != NULL && tool_read_file(a->content, content) < 0)
		bad = a->content;
	if (bad != NULL)
		fprintf(stderr, "smime-tool: %s: %m\n", bad);
	return bad == NULL;
}

int tool_inspect(int argc, char **argv)
{
	smime_buf data = SMIME_BUF_INIT, ar = SMIME_BUF_INIT,
		  content = SMIME_BUF_INIT;
	smime_facts facts = {0};
	smime_analyze_opts opts;
	smime_trust *trust = NULL;
	inspect_args a;
	shown w;
	const char *file;
	int rc, status = TOOL_EXIT_ACCEPT;

	if (parse_args(argc, argv, &a) < 0) {
		fputs(INSPECT_USAGE, stderr);
		return TOOL_EXIT_USAGE;
	}
	file = argv[optind];
	smime_analyze_opts_default(&opts);
	if (a.at != NULL && tool_parse_at(a.at, &opts.now) < 0) {
		fprintf(stderr,
			"smime-tool: --at %s: expected RFC 3339 time or "
			"@EPOCH\n",
			a.at);
		return TOOL_EXIT_USAGE;
	}
	w.match = a.content != NULL;
	w.verdict = a.trust != NULL;
	if (w.match || w.verdict) {
		if (load_trust(&a, &trust) < 0)
			return TOOL_EXIT_USAGE;
		opts.trust = trust;
	}
	if (!read_inputs(&a, file, &data, &content)) {
		status = TOOL_EXIT_USAGE;
		goto cleanup;
	}
	if (w.match) {
		/* an empty file is content too, just none to look at */
		opts.content =
			content.data ? content.data : (const unsigned char *)"";
		opts.content_len = content.len;
	}
	rc = smime_analyze(data.data, data.len, NULL, &opts, &facts);
	if (rc == 0 && w.verdict)
		rc = authres_value(&a, &facts, &ar);
	if (rc < 0) {
		fprintf(stderr, "smime-tool: %s: %s\n", file,
			smime_strerror(rc));
		status = TOOL_EXIT_TEMPFAIL;
		goto cleanup;
	}
	if (a.json)
		print_json(stdout, file, &facts,
			   ar.len ? (char *)ar.data : NULL, &w);
	else
		print_text(stdout, file, &facts,
			   ar.len ? (char *)ar.data : NULL, &w);
cleanup:
	smime_facts_free(&facts);
	smime_trust_free(trust);
	smime_buf_free(&data);
	smime_buf_free(&content);
	smime_buf_free(&ar);
	return status;
}
