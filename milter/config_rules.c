/*
 * config_rules.c - loads the Rules file as part of the configuration, so
 * -n checks it, SIGHUP reloads it with everything else, and a rules file
 * that does not parse keeps the old configuration in force.
 *
 * The capability set names what this build carries out: the basic
 * actions, reencrypt, sign and encrypt.  A rule asking for anything else
 * is a load error, because policy never silently does nothing (SPEC 5).
 */
#include "milter.h"

/* rules/ keeps its own codes (it knows no crypto); they are the SMIME_E_*
 * codes of the same names, so smime_strerror() and milter_cfg_reported()
 * read them right. */
#define SAME_CODE(name)                                                        \
	_Static_assert((int)RULES_E_##name == (int)SMIME_E_##name,             \
		       "RULES_E_" #name " is SMIME_E_" #name)
SAME_CODE(NOMEM);
SAME_CODE(IO);
SAME_CODE(LIMIT);
SAME_CODE(PARSE);
SAME_CODE(ARG);

/* The actions this build carries out. */
#define MILTER_RULES_CAPS                                                      \
	(RULES_CAP_BASIC | RULES_CAP_REENCRYPT | RULES_CAP_SIGN |              \
	 RULES_CAP_ENCRYPT)

/* Where a rule's cipher stands, FILE:LINE:COLUMN. */
static void at(smime_buf *diags, const rules_action *a)
{
	smime_buf_printf(diags, "%s:%u:%u: %s %s: ", a->file, a->arg_line,
			 a->arg_column, rules_action_name(a->kind), a->arg);
}

/* SPEC 5: `encrypt` or `reencrypt` naming a cipher in WeakCiphers is a
 * load error, so the gateway never writes what it calls weak.  SPEC 9:
 * `auto` must always find a cipher, which des-ede3-cbc (every S/MIME v3
 * client reads it) guarantees; a rule saying `auto` while WeakCiphers
 * names it is a load error.  Every offending rule is reported. */
static int check_targets(const milter_config *cfg, smime_buf *diags)
{
	static const rules_action_kind kinds[] = {RULES_ACT_REENCRYPT,
						  RULES_ACT_ENCRYPT};
	int rc = SMIME_OK;

	for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
		const rules_action *a =
			rules_set_find(cfg->rules, kinds[k], "auto");

		if (a != NULL &&
		    (cfg->weak_ciphers &
		     SMIME_CIPHER_BIT(SMIME_CIPHER_DES_EDE3_CBC))) {
			at(diags, a);
			smime_buf_printf(diags,
					 "WeakCiphers names des-ede3-cbc, so "
					 "auto could find no cipher every "
					 "recipient reads\n");
			rc = SMIME_REPORTED;
		}
		for (unsigned id = 0; id < 32; id++) {
			const smime_cipher_info *c;

			if (!(cfg->weak_ciphers & SMIME_CIPHER_BIT(id)) ||
			    (c = smime_cipher_by_id((smime_cipher_id)id)) ==
				    NULL ||
			    (a = rules_set_find(cfg->rules, kinds[k],
						c->name)) == NULL)
				continue;
			at(diags, a);
			smime_buf_printf(diags,
					 "the cipher is in WeakCiphers: "
					 "expected a cipher the gateway may "
					 "write, or auto\n");
			rc = SMIME_REPORTED;
		}
	}
	return rc;
}

int milter_config_load_rules(milter_config *cfg, smime_buf *diags)
{
	rules_diag d = RULES_DIAG_INIT;
	int rc;

	if (cfg->rules_file == NULL)
		return SMIME_OK;
	rc = rules_load(cfg->rules_file, MILTER_RULES_CAPS, &cfg->rules, &d);
	for (size_t i = 0; i < d.n; i++)
		smime_buf_printf(diags, "%s\n", d.v[i].text);
	if (rc < 0 && d.n == 0)
		smime_buf_printf(diags, "%s: %s\n", cfg->rules_file,
				 smime_strerror(rc));
	rules_diag_free(&d);
	if (rc < 0)
		return milter_cfg_reported(rc);
	return check_targets(cfg, diags);
}
