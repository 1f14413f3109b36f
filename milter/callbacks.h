/*
 * callbacks.h - the libmilter side of smime-milter: the callbacks, and
 * the current configuration that each new message pins at MAIL FROM.
 */
#ifndef MILTER_CALLBACKS_H
#define MILTER_CALLBACKS_H

#include "milter.h"

/* Registers the callbacks and flags with libmilter (smfi_register).
 * 0, or -1 when libmilter refuses. */
int milter_callbacks_register(void);

/* Installs cfg as the configuration new messages pin, taking over
 * the caller's reference; the previous one is unreferenced, so it lives
 * on exactly as long as connections still use it. */
void milter_callbacks_set_config(milter_config *cfg);

/* A new reference to the current configuration (NULL before the first
 * milter_callbacks_set_config).  Release it with milter_config_unref. */
milter_config *milter_callbacks_get_config(void);

/* Connections open right now (for a graceful stop). */
unsigned milter_callbacks_active(void);

/* Sets TCP_NODELAY on the listening TCP socket smfi_opensocket() made
 * (socket.c); the number of sockets set (0 for a local: socket), or -1
 * when setsockopt fails. */
int milter_socket_nodelay(void);

#endif
