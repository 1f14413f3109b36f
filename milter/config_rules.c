/*
 * config_rules.c - loads the Rules file as part of the configuration, so
 * -n checks it, SIGHUP reloads it with everything else, and a rules file
 * that does not parse keeps the old configuration in force.
 *
 * The capability set names what this build carries out: the basic
 * actions, reencrypt and sign.  A rule asking for anything else (encrypt,
 * until it lands) is a load error, because policy never silently does
 * nothing (SPEC 5).
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
	(RULES_CAP_BASIC | RULES_CAP_REENCRYPT | RULES_CAP_SIGN)

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
	return rc < 0 ? milter_cfg_reported(rc) : SMIME_OK;
}
