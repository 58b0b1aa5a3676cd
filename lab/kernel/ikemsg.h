/*
 * ikemsg.h - IKEv2 messages made to order, for the schedule's `inject`:
 * what a well-behaved charon never sends (an IKE_SA_INIT with a message ID
 * other than 0, a responder SPI where none may be, a header whose length
 * lies, payloads a peer does not expect), sent from a node of the lab to
 * a peer's IKE port.
 *
 * The header (RFC 7296, 3.1) takes every field as given. The body is a
 * list of payloads written in charon's own log notation -- "SA KE No
 * N(NATD_S_IP) V" -- each encoded well-formed: SA with one IKE proposal
 * (AES-CBC-128, HMAC-SHA2-256, PRF-HMAC-SHA2-256, Curve25519, the
 * defaults every strongSwan since 5.x accepts), KE of group 31 with 32
 * bytes, a 32-byte nonce, notifies without data, a 16-byte vendor ID. The
 * random bytes come from the caller's seed, so one seed always sends the
 * same bytes. Raw bytes (`body`) go after them for anything else.
 *
 * Building is pure (no I/O; unit tests and fuzzers call it); sending opens
 * a UDP socket inside the sender's network namespace.
 */
#ifndef IKELAB_IKEMSG_H
#define IKELAB_IKEMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IKEMSG_MAX 8192      /* bytes of one message, header included */
#define IKEMSG_BODY_MAX 4096 /* bytes of `body` */

struct ikemsg {
	uint64_t spi_i, spi_r; /* host order; written big-endian */
	uint8_t exchange, flags, version;
	uint32_t message_id;
	const char *payloads; /* charon's notation; NULL or "" for none */
	const uint8_t *body;  /* raw bytes after the payloads (borrowed) */
	size_t body_len;
	int next_payload;       /* the header's when there are no payloads; -1: 0 */
	const uint32_t *length; /* the header's length field; NULL: the real one */
	bool natt;              /* prefix the four-byte non-ESP marker (port 4500) */
	uint64_t rand;          /* seed of the nonce, KE and vendor ID bytes */
};

/* Whether LIST is payloads ikemsg_build() can write; -1 and err_msg()
 * naming the first word it cannot ("'X' is not a payload: ..."). */
int ikemsg_check_payloads(const char *list);
/* "IKE_SA_INIT" ... or a decimal 0-255 into *out; -1 and err_msg(). */
int ikemsg_exchange(const char *text, uint8_t *out);
/* 16 hex digits into *out; -1 and err_msg(). */
int ikemsg_spi(const char *text, uint64_t *out);
/* An even number of hex digits (at most IKEMSG_BODY_MAX bytes) into a
 * buffer the caller frees; -1 and err_msg(). */
int ikemsg_hex(const char *text, uint8_t **out, size_t *len);

/* The message's bytes into a buffer the caller frees; -1 and err_msg()
 * if it would exceed IKEMSG_MAX or the payloads do not parse. */
int ikemsg_build(const struct ikemsg *m, uint8_t **out, size_t *len);

/* Send BUF to DST (an IPv4 or IPv6 address) port PORT from a UDP socket
 * in the network namespace NSFD, from source port 500 (or 4500 for port
 * 4500) when it is free there, else from any port. The source port used
 * goes to *sport. -1 and err_msg() naming the namespace NS and the call. */
int ikemsg_send(int nsfd, const char *ns, const char *dst, uint16_t port, const uint8_t *buf,
		size_t len, uint16_t *sport);

#endif
