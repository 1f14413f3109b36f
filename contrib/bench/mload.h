/*
 * mload.h - the parts of milter-load: message files (mload_msg.c), the
 * MTA side of the milter protocol (mload_proto.c) and the bytes on the
 * socket (mload_wire.c).
 *
 * The wire format and the constants follow sendmail's published milter
 * protocol (libmilter's mfdef.h) and Postfix 3.7's negotiation
 * (milter8.c); they are written out here so that the load generator
 * needs no libmilter at all.
 */
#ifndef MLOAD_H
#define MLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Commands the MTA sends. */
enum {
	MLOAD_C_ABORT = 'A',
	MLOAD_C_BODY = 'B',
	MLOAD_C_CONNECT = 'C',
	MLOAD_C_MACRO = 'D',
	MLOAD_C_EOB = 'E',
	MLOAD_C_HELO = 'H',
	MLOAD_C_HEADER = 'L',
	MLOAD_C_MAIL = 'M',
	MLOAD_C_EOH = 'N',
	MLOAD_C_OPTNEG = 'O',
	MLOAD_C_QUIT = 'Q',
	MLOAD_C_RCPT = 'R',
	MLOAD_C_DATA = 'T',
};

/* Protocol steps (the third word of OPTNEG). */
#define MLOAD_P_NOCONNECT 0x00000001UL
#define MLOAD_P_NOHELO 0x00000002UL
#define MLOAD_P_NOMAIL 0x00000004UL
#define MLOAD_P_NORCPT 0x00000008UL
#define MLOAD_P_NOBODY 0x00000010UL
#define MLOAD_P_NOHDRS 0x00000020UL
#define MLOAD_P_NOEOH 0x00000040UL
#define MLOAD_P_NR_HDR 0x00000080UL
#define MLOAD_P_NOUNKNOWN 0x00000100UL
#define MLOAD_P_NODATA 0x00000200UL
#define MLOAD_P_SKIP 0x00000400UL
#define MLOAD_P_RCPT_REJ 0x00000800UL
#define MLOAD_P_NR_CONN 0x00001000UL
#define MLOAD_P_NR_HELO 0x00002000UL
#define MLOAD_P_NR_MAIL 0x00004000UL
#define MLOAD_P_NR_RCPT 0x00008000UL
#define MLOAD_P_NR_DATA 0x00010000UL
#define MLOAD_P_NR_UNKN 0x00020000UL
#define MLOAD_P_NR_EOH 0x00040000UL
#define MLOAD_P_NR_BODY 0x00080000UL
#define MLOAD_P_HDR_LEADSPC 0x00100000UL
#define MLOAD_P_NR_ALL                                                         \
	(MLOAD_P_NR_HDR | MLOAD_P_NR_CONN | MLOAD_P_NR_HELO |                  \
	 MLOAD_P_NR_MAIL | MLOAD_P_NR_RCPT | MLOAD_P_NR_DATA |                 \
	 MLOAD_P_NR_UNKN | MLOAD_P_NR_EOH | MLOAD_P_NR_BODY)
/* What Postfix 3.7 offers with milter_protocol = 6. */
#define MLOAD_P_POSTFIX6                                                       \
	(0x7FUL | MLOAD_P_NOUNKNOWN | MLOAD_P_NODATA | MLOAD_P_SKIP |          \
	 MLOAD_P_RCPT_REJ | MLOAD_P_NR_ALL | MLOAD_P_HDR_LEADSPC)

/* Actions (the second word of OPTNEG); Postfix 3.7 offers all nine. */
#define MLOAD_F_ADDHDRS 0x001UL
#define MLOAD_F_CHGBODY 0x002UL
#define MLOAD_F_ADDRCPT 0x004UL
#define MLOAD_F_DELRCPT 0x008UL
#define MLOAD_F_CHGHDRS 0x010UL
#define MLOAD_F_QUARANTINE 0x020UL
#define MLOAD_F_CHGFROM 0x040UL
#define MLOAD_F_ADDRCPT_PAR 0x080UL
#define MLOAD_F_SETSYMLIST 0x100UL
#define MLOAD_F_POSTFIX6 0x1FFUL

/* Macro stages, as numbered in SETSYMLIST. */
enum {
	MLOAD_M_CONNECT,
	MLOAD_M_HELO,
	MLOAD_M_ENVFROM,
	MLOAD_M_ENVRCPT,
	MLOAD_M_DATA,
	MLOAD_M_EOM,
	MLOAD_M_EOH,
	MLOAD_M_COUNT
};

enum { MLOAD_CHUNK = 65535 }; /* largest body chunk libmilter takes */

/* ---- message files ---- */

typedef struct mload_header {
	char *name;
	char *value; /* as after the colon, leading blanks included */
} mload_header;

typedef struct mload_message {
	const char *path;
	mload_header *h;
	size_t nh;
	unsigned char *body; /* CRLF line ends, as an MTA sends it */
	size_t body_len;
} mload_message;

/* Reads path into m; 0, or -1 after a message on stderr. */
int mload_message_read(const char *path, mload_message *m);
void mload_message_free(mload_message *m);

/* ---- the session ---- */

typedef struct mload_config {
	const char *socket; /* inet:PORT@HOST or unix:PATH (local: too) */
	const char *from;
	const char *const *rcpts;
	size_t nrcpts;
	const char *client_addr; /* IPv4 or IPv6 text */
	const char *client_name;
	const char *helo;
	const char *hostname; /* j */
	const char *daemon_name;
	const char *auth_authen; /* NULL: not authenticated */
	unsigned long offer_actions;
	unsigned long offer_steps;
	bool nodelay;     /* TCP_NODELAY on our side; Postfix does not */
	unsigned timeout; /* seconds, each read and write */
} mload_config;

/* How a message ended: the filter's final reply. */
typedef enum mload_kind {
	MLOAD_K_CONTINUE,
	MLOAD_K_ACCEPT,
	MLOAD_K_REJECT,
	MLOAD_K_TEMPFAIL,
	MLOAD_K_DISCARD,
	MLOAD_K_REPLY4, /* SMFIR_REPLYCODE with a 4xx code */
	MLOAD_K_REPLY5, /* ... with a 5xx code */
	MLOAD_K_CONNFAIL,
	MLOAD_K_COUNT
} mload_kind;

extern const char *const mload_kind_names[MLOAD_K_COUNT];

typedef struct mload_result {
	mload_kind kind;
	bool quarantined;
	char stage; /* the command the final reply answered */
	unsigned long hdr_add, hdr_ins, hdr_chg, rcpt_edits;
	unsigned long body_chunks;
	size_t body_bytes;
} mload_result;

typedef struct mload_conn {
	int fd;
	unsigned long actions, steps; /* as negotiated */
	unsigned version;
	char *symlist[MLOAD_M_COUNT]; /* NULL: the MTA's default list */
	bool has_symlist;
	bool in_message; /* an ABORT is due before the next MAIL */
	bool dead;       /* the filter ended the connection */
	unsigned char *out, *in, *pend; /* packet, reply, unwritten */
	size_t out_len, out_cap, in_cap, pend_len, pend_cap;
	size_t bufsize; /* the MTA's write buffer */
	char err[256];
} mload_conn;

/* Connects, negotiates, sends CONNECT and HELO; 0 or -1 (c->err). */
int mload_conn_open(mload_conn *c, const mload_config *cfg);

/* One message from MAIL FROM to the final reply; qid is macro i.
 * 0 and *res, or -1 on a protocol or I/O error (c->err). */
int mload_conn_message(mload_conn *c, const mload_config *cfg,
		       const mload_message *m, const char *qid,
		       mload_result *res);

/* Sends QUIT and closes; safe on a connection that failed. */
void mload_conn_close(mload_conn *c);

/* ---- the wire (mload_wire.c), for mload_proto.c ---- */

/* Formats the reason into c->err; -1. */
int mload_fail(mload_conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Opens c->fd to cfg->socket, with its timeouts and buffer size. */
int mload_connect(mload_conn *c, const mload_config *cfg);
/* Starts the packet cmd in c->out; the put functions add to it. */
int mload_begin(mload_conn *c, char cmd);
int mload_put(mload_conn *c, const void *data, size_t n);
int mload_put_str(mload_conn *c, const char *s); /* with its NUL */
int mload_put_u32(mload_conn *c, uint32_t v);    /* network order */
/* Buffers the packet; writes when the buffer is full. */
int mload_send(mload_conn *c);
/* Writes what is buffered. */
int mload_flush(mload_conn *c);
/* Writes what is buffered, then reads one packet: *cmd, and its data
 * NUL-terminated in c->in. */
int mload_read_packet(mload_conn *c, char *cmd, size_t *len);

#endif
