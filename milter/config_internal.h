/*
 * config_internal.h - what config.c (the key table and the loader) and
 * config_types.c (one setter per value type) share.  Not for other
 * modules: milter.h is the configuration's interface.
 */
#ifndef MILTER_CONFIG_INTERNAL_H
#define MILTER_CONFIG_INTERNAL_H

#include "milter.h"

typedef struct cfg_key cfg_key;

/* Sets the key's field from value (never empty for scalar types).
 * Returns 0; SMIME_REPORTED (positive) with what was expected written to
 * why; or a negative SMIME_E_* code, SMIME_E_NOMEM when out of memory.
 * A bad value is never negative, so out of memory never reads as one. */
typedef int (*cfg_setter)(const cfg_key *k, const char *value,
			  milter_config *cfg, smime_buf *why);
/* Frees what the setter allocated (NULL for plain values). */
typedef void (*cfg_releaser)(const cfg_key *k, milter_config *cfg);

typedef struct cfg_type {
	cfg_setter set;
	cfg_releaser release;
	bool list; /* an empty value is an empty list */
} cfg_type;

struct cfg_key {
	const char *name;
	const cfg_type *type;
	const char *def;             /* default as file text; NULL: none */
	unsigned long long min, max; /* numbers, sizes, modes */
	size_t off;                  /* the field in milter_config */
	size_t count_off;            /* lists: the element count */
	const char *const *choices;  /* enumerations, NULL-terminated */
};

#define FIELD(k, cfg, type) ((type *)(void *)((char *)(cfg) + (k)->off))
#define COUNT(k, cfg) ((size_t *)(void *)((char *)(cfg) + (k)->count_off))

/* The value types (config_types.c). */
extern const cfg_type milter_cfgtype_path;
extern const cfg_type milter_cfgtype_text;
extern const cfg_type milter_cfgtype_uris;
extern const cfg_type milter_cfgtype_socket;
extern const cfg_type milter_cfgtype_authserv;
extern const cfg_type milter_cfgtype_user;
extern const cfg_type milter_cfgtype_choice;
extern const cfg_type milter_cfgtype_onerr;
extern const cfg_type milter_cfgtype_bool;
extern const cfg_type milter_cfgtype_uint;
extern const cfg_type milter_cfgtype_size;
extern const cfg_type milter_cfgtype_mode;
extern const cfg_type milter_cfgtype_facility;
extern const cfg_type milter_cfgtype_names;
extern const cfg_type milter_cfgtype_cidrs;
extern const cfg_type milter_cfgtype_ciphers;
extern const cfg_type milter_cfgtype_auto_cipher;

/* The lines (0: not in the file) of the keys checked together. */
typedef struct milter_cfg_lines {
	unsigned harvest_directory, cert_directory;
	unsigned default_cipher, weak_ciphers;
	unsigned harvest_to_ldap;
} milter_cfg_lines;

/* config_harvest.c: HarvestDirectory is not CertDirectory, DefaultCipher
 * is not in WeakCiphers, HarvestToLDAP has LDAPURI and LDAPHarvestBase;
 * "FILE:LINE: KEY: message" lines in diags.
 * Returns the number of problems, or SMIME_E_NOMEM. */
int milter_cfg_check_harvest(const milter_config *cfg, const char *file,
			     const milter_cfg_lines *l, smime_buf *diags);

/* Appends s for a diagnostic: control characters as '?', long values
 * cut, so a hostile value cannot forge log or terminal output. */
int milter_cfg_put_shown(smime_buf *b, const char *s);

/* The i-th key of the table (0-based), its name and its default as
 * written (NULL: none); false past the last.  For smime-milter.conf(5)'s
 * test, which checks the page against the table. */
bool milter_config_key_at(size_t i, const char **name, const char **def);

#endif
