/*
 * tool_inspect.c - `smime-tool inspect [--json] FILE`: describes the S/MIME
 * structure of a message or raw CMS file, layer by layer, as far as the
 * gateway can see without keys.  Exits 0 for any readable file, whatever
 * it holds, and 2 for usage errors or an unreadable file.
 */
#include "tool.h"

#include <getopt.h>
#include <stdio.h>
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

static void json_signer(FILE *o, const smime_signer *s)
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
	fprintf(o, ",\"signed_attrs\":%s,\"weak_digest\":%s}",
		s->has_signed_attrs ? "true" : "false",
		digest_is_weak(s->digest) ? "true" : "false");
}

static void json_layer(FILE *o, const smime_layer *l)
{
	fprintf(o, "{\"level\":%u,\"part\":", l->level);
	json_str(o, l->part);
	fputs(",\"kind\":", o);
	json_str(o, smime_kind_name(l->kind));
	if (is_encrypted(l)) {
		fputs(",\"cipher\":", o);
		json_str(o, cipher_name(l));
		fprintf(o, ",\"effective_bits\":%u,\"key_bits\":%u,\"strength\":",
			l->cms.eff_bits, l->cms.key_bits);
		json_str(o, smime_strength_name(l->strength));
		fprintf(o, ",\"weak\":%s", l->strength == SMIME_STRENGTH_WEAK
						   ? "true" : "false");
		fputs(",\"recipients\":[", o);
		for (size_t i = 0; i < l->cms.nrecipients; i++) {
			if (i)
				fputc(',', o);
			json_recipient(o, &l->cms.recipients[i]);
		}
		fputc(']', o);
	}
	if (l->kind == SMIME_KIND_SIGNED || l->kind == SMIME_KIND_OPAQUE_SIGNED) {
		fputs(",\"signers\":[", o);
		for (size_t i = 0; i < l->cms.nsigners; i++) {
			if (i)
				fputc(',', o);
			json_signer(o, &l->cms.signers[i]);
		}
		fprintf(o, "],\"certificates\":%zu", l->cms.ncertificates);
	}
	if (l->kind == SMIME_KIND_OTHER) {
		fputs(",\"content_type\":", o);
		json_str(o, l->cms.content_type_oid);
	}
	fputs(",\"error\":", o);
	json_str(o, l->error ? smime_strerror(l->error) : NULL);
	fputc('}', o);
}

static void print_json(FILE *o, const char *file, const smime_facts *f)
{
	fputs("{\"file\":", o);
	json_str(o, file);
	fputs(",\"kind\":", o);
	json_str(o, f->nlayers ? smime_kind_name(f->layers[0].kind) : "none");
	fprintf(o, ",\"truncated\":%s,\"layers\":[", f->truncated ? "true" : "false");
	for (size_t i = 0; i < f->nlayers; i++) {
		if (i)
			fputc(',', o);
		json_layer(o, &f->layers[i]);
	}
	fputs("]}\n", o);
}

static void text_layer(FILE *o, const smime_layer *l)
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
		fputc('\n', o);
	}
}

static void print_text(FILE *o, const char *file, const smime_facts *f)
{
	fprintf(o, "%s: kind=%s%s\n", file,
		f->nlayers ? smime_kind_name(f->layers[0].kind) : "none",
		f->truncated ? " (truncated: a limit stopped the analysis)" : "");
	for (size_t i = 0; i < f->nlayers; i++)
		text_layer(o, &f->layers[i]);
}

int tool_inspect(int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
					     {NULL, 0, NULL, 0}};
	smime_buf data = SMIME_BUF_INIT;
	smime_facts facts = {0};
	bool json = false;
	int c, rc, status = TOOL_EXIT_ACCEPT;

	while ((c = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (c != 'j') {
			fprintf(stderr, "usage: smime-tool inspect [--json] FILE\n");
			return TOOL_EXIT_USAGE;
		}
		json = true;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: smime-tool inspect [--json] FILE\n");
		return TOOL_EXIT_USAGE;
	}
	if (tool_read_file(argv[optind], &data) < 0) {
		fprintf(stderr, "smime-tool: %s: %m\n", argv[optind]);
		return TOOL_EXIT_USAGE;
	}
	rc = smime_analyze(data.data, data.len, NULL, NULL, &facts);
	if (rc < 0) {
		fprintf(stderr, "smime-tool: %s: %s\n", argv[optind],
			smime_strerror(rc));
		status = TOOL_EXIT_TEMPFAIL;
		goto cleanup;
	}
	if (json)
		print_json(stdout, argv[optind], &facts);
	else
		print_text(stdout, argv[optind], &facts);
cleanup:
	smime_facts_free(&facts);
	smime_buf_free(&data);
	return status;
}
