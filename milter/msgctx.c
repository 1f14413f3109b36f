/*
 * msgctx.c - one message on its way through the milter (or smime-tool):
 * envelope, connection facts, header fields and the body store.
 *
 * Promises: milter_msg_new gives an empty message whose body stays in
 * memory up to BodyMemoryLimit and then spills to an unlinked 0600 file
 * in TempDirectory, so a 50 MB message costs bounded memory;
 * milter_msg_free releases everything, whatever state the message is in.
 * milter_is_outbound is SPEC section 4's definition, nothing more.
 */
#include "milter.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int milter_msg_new(const milter_config *cfg, milter_msg **out)
{
	milter_msg *m;
	int rc;

	*out = NULL;
	m = calloc(1, sizeof *m);
	if (m == NULL)
		return SMIME_E_NOMEM;
	rc = smime_body_new(cfg->body_memory_limit, cfg->temp_directory,
			    &m->body);
	if (rc < 0) {
		free(m);
		return rc;
	}
	clock_gettime(CLOCK_MONOTONIC, &m->started);
	m->now = time(NULL);
	*out = m;
	return 0;
}

int milter_msg_set(char **field, const char *value)
{
	char *copy = NULL;

	if (value != NULL) {
		copy = strdup(value);
		if (copy == NULL)
			return SMIME_E_NOMEM;
	}
	free(*field);
	*field = copy;
	return 0;
}

int milter_msg_add_rcpt(milter_msg *m, const char *rcpt)
{
	char **v, *copy;

	if (m->nrcpts >= SIZE_MAX / sizeof *v - 1)
		return SMIME_E_NOMEM;
	copy = strdup(rcpt);
	if (copy == NULL)
		return SMIME_E_NOMEM;
	v = realloc(m->rcpts, (m->nrcpts + 1) * sizeof *v);
	if (v == NULL) {
		free(copy);
		return SMIME_E_NOMEM;
	}
	v[m->nrcpts++] = copy;
	m->rcpts = v;
	return 0;
}

void milter_msg_free(milter_msg *m)
{
	size_t i;

	if (m == NULL)
		return;
	free(m->queue_id);
	free(m->client_ip);
	free(m->auth_user);
	free(m->daemon_name);
	free(m->env_from);
	for (i = 0; i < m->nrcpts; i++)
		free(m->rcpts[i]);
	free(m->rcpts);
	smime_headers_free(&m->headers);
	smime_body_free(m->body);
	free(m);
}

bool milter_is_outbound(const milter_config *cfg, const milter_msg *m)
{
	/* A local (non-TCP) client has no address; like OpenDKIM, count
	 * it as this host, i.e. the loopback address. */
	const char *ip = m->client_ip ? m->client_ip : "127.0.0.1";
	size_t i;

	if (m->auth_user != NULL && m->auth_user[0] != '\0')
		return true;
	for (i = 0; i < cfg->ninternal_hosts; i++)
		if (rules_cidr_match(&cfg->internal_hosts[i], ip))
			return true;
	if (m->daemon_name != NULL)
		for (i = 0; i < cfg->noutbound_daemon_names; i++)
			if (strcasecmp(cfg->outbound_daemon_names[i],
				       m->daemon_name) == 0)
				return true;
	return false;
}

int milter_single_from(const smime_headers *h, char **out)
{
	char **addrs = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	if (smime_headers_count(h, "From") != 1)
		return SMIME_OK;
	rc = smime_address_list(smime_headers_get(h, "From", 0), &addrs, &n);
	if (rc < 0)
		return smime_err_is_resource(rc) ? rc : SMIME_OK;
	if (n == 1) {
		*out = addrs[0];
		addrs[0] = NULL;
	}
	smime_address_list_free(addrs, n);
	return SMIME_OK;
}
