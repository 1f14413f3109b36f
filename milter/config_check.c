/*
 * config_check.c - the deeper configuration checks of `smime-milter -n`
 * (and of every start and reload): do the files the configuration names
 * exist and have safe permissions?  Whether they parse is the loaders'
 * business (crypto/trust.c for TrustAnchorFile and CRLFile, the key store
 * and certificate directory, the rules): they run first, and a file that
 * does not parse fails the load with their diagnostics.
 *
 * Promises: milter_config_check reports every problem it finds, one
 * "FILE: message\n" line each (FILE is the file at fault), and returns
 * how many there were.  It never changes anything on disk.  "Readable by
 * UserID" is decided from the mode bits and the user's groups, because
 * SIGHUP re-reads these files after privileges were dropped; without
 * UserID the current user is the one that must read them.
 */
#include "directory.h"
#include "milter.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The identity the daemon reads its files as. */
typedef struct who {
	char *name;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
} who;

static void who_free(who *w)
{
	free(w->name);
	free(w->groups);
}

/* The user and groups of UserID (as initgroups would set them), or the
 * current process's identity. */
static int who_init(const milter_config *cfg, who *w)
{
	struct passwd *pw;
	struct group *gr;
	const char *colon;
	int n;

	memset(w, 0, sizeof *w);
	if (cfg->user_id == NULL) {
		w->uid = geteuid();
		w->gid = getegid();
		pw = getpwuid(w->uid);
		if (pw != NULL)
			w->name = strdup(pw->pw_name);
		else if (asprintf(&w->name, "uid %u", (unsigned)w->uid) < 0)
			w->name = NULL;
		n = getgroups(0, NULL);
		if (n > 0) {
			w->groups = calloc((size_t)n, sizeof(gid_t));
			if (w->groups == NULL)
				return SMIME_E_NOMEM;
			w->ngroups = getgroups(n, w->groups);
			if (w->ngroups < 0)
				w->ngroups = 0;
		}
		return w->name ? 0 : SMIME_E_NOMEM;
	}
	colon = strchr(cfg->user_id, ':');
	w->name = strndup(cfg->user_id, colon ? (size_t)(colon - cfg->user_id)
					      : strlen(cfg->user_id));
	if (w->name == NULL)
		return SMIME_E_NOMEM;
	pw = getpwnam(w->name);
	if (pw == NULL)
		return SMIME_E_ARG; /* the loader checked; it vanished */
	w->uid = pw->pw_uid;
	w->gid = pw->pw_gid;
	if (colon != NULL) {
		gr = getgrnam(colon + 1);
		if (gr == NULL)
			return SMIME_E_ARG;
		w->gid = gr->gr_gid;
	}
	n = 0;
	getgrouplist(w->name, w->gid, NULL, &n);
	if (n <= 0)
		return 0;
	w->groups = calloc((size_t)n, sizeof(gid_t));
	if (w->groups == NULL)
		return SMIME_E_NOMEM;
	if (getgrouplist(w->name, w->gid, w->groups, &n) < 0)
		n = 0;
	w->ngroups = n;
	return 0;
}

/* Whether w has every permission bit of want (4 r, 2 w, 1 x) on st. */
static bool who_may(const who *w, const struct stat *st, unsigned want)
{
	unsigned bits = (unsigned)st->st_mode;
	int i;

	if (w->uid == 0)
		return true;
	if (st->st_uid == w->uid)
		return ((bits >> 6) & want) == want;
	if (st->st_gid == w->gid)
		return ((bits >> 3) & want) == want;
	for (i = 0; i < w->ngroups; i++)
		if (st->st_gid == w->groups[i])
			return ((bits >> 3) & want) == want;
	return (bits & want) == want;
}

/* Appends "FILE: message\n" and counts it. */
__attribute__((format(printf, 4, 5))) static void
problem(smime_buf *diags, int *count, const char *file, const char *fmt, ...)
{
	smime_buf msg = SMIME_BUF_INIT;
	char *text = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	(*count)++;
	if (n < 0)
		return;
	if (smime_buf_printf(&msg, "%s: %s\n", file, text) == 0)
		smime_buf_append(diags, msg.data, msg.len);
	smime_buf_free(&msg);
	free(text);
}

/* A regular file (or, with dir, a directory) that exists and that w may
 * read (directories: read and search).  Fills st. */
static bool check_node(const who *w, const char *path, bool dir,
		       struct stat *st, smime_buf *diags, int *count)
{
	if (stat(path, st) != 0) {
		problem(diags, count, path, "%s", strerror(errno));
		return false;
	}
	if (dir && !S_ISDIR(st->st_mode)) {
		problem(diags, count, path, "not a directory");
		return false;
	}
	if (!dir && !S_ISREG(st->st_mode)) {
		problem(diags, count, path, "not a regular file");
		return false;
	}
	if (!who_may(w, st, dir ? 5 : 4)) {
		problem(diags, count, path,
			"not readable by user %s (owner uid %u, mode %04o)",
			w->name, (unsigned)st->st_uid,
			(unsigned)(st->st_mode & 07777));
		return false;
	}
	return true;
}

/* Calls fn for every entry of dir that does not start with '.', in
 * name order. */
static void
each_entry(const char *dir, smime_buf *diags, int *count,
	   void (*fn)(const char *path, const char *name, void *arg), void *arg)
{
	struct dirent **names = NULL;
	char *path;
	int n, i;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		problem(diags, count, dir, "cannot list: %s", strerror(errno));
		return;
	}
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' &&
		    asprintf(&path, "%s/%s", dir, names[i]->d_name) >= 0) {
			fn(path, names[i]->d_name, arg);
			free(path);
		}
		free(names[i]);
	}
	free(names);
}

struct walk {
	const who *w;
	smime_buf *diags;
	int *count;
};

static void crl_entry(const char *path, const char *name, void *arg)
{
	struct walk *wk = arg;
	struct stat st;

	(void)name;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return; /* subdirectories are not read */
	check_node(wk->w, path, false, &st, wk->diags, wk->count);
}

static void check_crls(const who *w, const char *path, smime_buf *diags,
		       int *count)
{
	struct walk wk = {w, diags, count};
	struct stat st;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (check_node(w, path, true, &st, diags, count))
			each_entry(path, diags, count, crl_entry, &wk);
	} else {
		check_node(w, path, false, &st, diags, count);
	}
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Secrets may be read by their owner only; everything must be readable
 * by the daemon's user. */
static void key_entry(const char *path, const char *name, void *arg)
{
	struct walk *wk = arg;
	bool secret = ends_with(name, ".key") || ends_with(name, ".p12");
	bool pass = ends_with(name, ".pass");
	struct stat st;

	if (stat(path, &st) != 0) {
		problem(wk->diags, wk->count, path, "%s", strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode))
		return;
	if ((secret || pass) && smime_keystore_unsafe_mode(st.st_mode)) {
		problem(wk->diags, wk->count, path,
			"%s %s by group or others (mode %04o); chmod 600",
			pass ? "passphrase" : "private key",
			smime_keystore_unsafe_mode(st.st_mode),
			(unsigned)(st.st_mode & 07777));
		return;
	}
	check_node(wk->w, path, false, &st, wk->diags, wk->count);
}

static void check_key_store(const who *w, const char *path, smime_buf *diags,
			    int *count)
{
	struct walk wk = {w, diags, count};
	struct stat st;

	if (check_node(w, path, true, &st, diags, count))
		each_entry(path, diags, count, key_entry, &wk);
}

/* The directory a socket or pid file will be created in must exist. */
static void check_parent(const char *cfgfile, const char *key, const char *path,
			 smime_buf *diags, int *count)
{
	const char *slash = strrchr(path, '/');
	struct stat st;
	char *dir;

	if (slash == NULL)
		return;
	dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (dir == NULL)
		return;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		problem(diags, count, cfgfile,
			"%s: directory %s does not exist", key, dir);
	free(dir);
}

/* HarvestDirectory, when harvesting: writable by UserID, or, while it
 * does not exist yet (the first harvest creates it), its parent there. */
static void check_harvest_dir(const who *w, const char *cfgfile,
			      const char *dir, smime_buf *diags, int *count)
{
	struct stat st;

	if (stat(dir, &st) != 0) {
		check_parent(cfgfile, "HarvestDirectory", dir, diags, count);
		return;
	}
	if (check_node(w, dir, true, &st, diags, count) && !who_may(w, &st, 3))
		problem(diags, count, dir, "not writable by user %s", w->name);
}

/* MetricsFile (SPEC section 10): not a directory, in a directory UserID
 * may write to (the file is replaced by a rename there); a name the
 * textfile collector would not read is worth a warning, not a refusal. */
static void check_metrics_file(const who *w, const char *cfgfile,
			       const char *path, smime_buf *diags, int *count)
{
	const char *slash = strrchr(path, '/');
	struct stat st;
	char *dir;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		problem(diags, count, cfgfile, "MetricsFile: %s is a directory",
			path);
	dir = slash == NULL
		      ? strdup(".")
		      : strndup(path,
				slash == path ? 1 : (size_t)(slash - path));
	if (dir == NULL)
		return;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		problem(diags, count, cfgfile,
			"MetricsFile: directory %s does not exist", dir);
	else if (!who_may(w, &st, 3))
		problem(diags, count, cfgfile,
			"MetricsFile: directory %s is not writable by user %s",
			dir, w->name);
	free(dir);
	if (!ends_with(path, ".prom"))
		smime_buf_printf(diags,
				 "%s: warning: MetricsFile %s does not end in "
				 ".prom: the node exporter's textfile "
				 "collector reads only *.prom files\n",
				 cfgfile, path);
}

/* The directory keys (SPEC section 9): the files readable by UserID,
 * LDAPHarvestBase under LDAPBase, and a warning (not a problem) for a
 * bind password sent in clear. */
static void check_directory(const milter_config *cfg, const char *cfgfile,
			    const who *w, smime_buf *diags, int *count)
{
	struct stat st;

	if (cfg->ldap_uri == NULL)
		return;
	if (cfg->ldap_bind_password_file != NULL)
		check_node(w, cfg->ldap_bind_password_file, false, &st, diags,
			   count);
	if (cfg->ldap_ca_file != NULL)
		check_node(w, cfg->ldap_ca_file, false, &st, diags, count);
	if (cfg->ldap_harvest_base != NULL && cfg->ldap_base != NULL &&
	    !milter_dn_under(cfg->ldap_harvest_base, cfg->ldap_base))
		problem(diags, count, cfgfile,
			"LDAPHarvestBase '%s' does not lie under LDAPBase "
			"'%s'",
			cfg->ldap_harvest_base, cfg->ldap_base);
	if (cfg->ldap_bind_dn != NULL && !cfg->ldap_starttls &&
	    strstr(cfg->ldap_uri, "ldap://") != NULL)
		smime_buf_printf(diags,
				 "%s: warning: LDAPBindDN is used on ldap:// "
				 "without LDAPStartTLS: the bind password "
				 "crosses the network in clear\n",
				 cfgfile);
}

int milter_config_check(const milter_config *cfg, smime_buf *diags)
{
	const char *cfgfile = cfg->file ? cfg->file : "(defaults)";
	struct stat st;
	int count = 0, rc;
	who w;

	rc = who_init(cfg, &w);
	if (rc < 0) {
		problem(diags, &count, cfgfile, "UserID %s: %s",
			cfg->user_id ? cfg->user_id : "", smime_strerror(rc));
		who_free(&w);
		return count;
	}
	/* SIGHUP re-reads the file itself as UserID, too. */
	if (cfg->file != NULL)
		check_node(&w, cfg->file, false, &st, diags, &count);
	if (cfg->trust_anchor_file != NULL)
		check_node(&w, cfg->trust_anchor_file, false, &st, diags,
			   &count);
	if (cfg->crl_file != NULL)
		check_crls(&w, cfg->crl_file, diags, &count);
	if (cfg->key_store != NULL)
		check_key_store(&w, cfg->key_store, diags, &count);
	if (cfg->cert_directory != NULL)
		check_node(&w, cfg->cert_directory, true, &st, diags, &count);
	if (cfg->rules_file != NULL)
		check_node(&w, cfg->rules_file, false, &st, diags, &count);
	if (cfg->sender_login_map != NULL)
		check_node(&w, cfg->sender_login_map, false, &st, diags,
			   &count);
	if (check_node(&w, cfg->temp_directory, true, &st, diags, &count) &&
	    !who_may(&w, &st, 3))
		problem(diags, &count, cfg->temp_directory,
			"not writable by user %s", w.name);
	if (cfg->harvest_certificates)
		check_harvest_dir(&w, cfgfile, cfg->harvest_directory, diags,
				  &count);
	if (strncmp(cfg->socket, "local:", 6) == 0)
		check_parent(cfgfile, "Socket", cfg->socket + 6, diags, &count);
	if (cfg->pid_file != NULL)
		check_parent(cfgfile, "PidFile", cfg->pid_file, diags, &count);
	check_directory(cfg, cfgfile, &w, diags, &count);
	if (cfg->metrics_file != NULL)
		check_metrics_file(&w, cfgfile, cfg->metrics_file, diags,
				   &count);
	who_free(&w);
	return count;
}
