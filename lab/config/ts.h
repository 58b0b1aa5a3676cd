/*
 * ts.h - IKEv2 traffic selectors as swanctl.conf writes them, checked
 * strictly before they reach charon.
 *
 * A selector is "dynamic" (the IKE address), an address, a CIDR or an
 * address range ("10.1.0.1-10.1.0.9"), IPv4 or IPv6, optionally followed by
 * "[proto]" or "[proto/port]" (proto a name charon knows or 0-255; port a
 * number, a range "1000-2000", or "%any"). "protected" and "protected:N"
 * name the topology's protected subnets instead of an address: all of a
 * peer's, or its N-th (from 0); in local_ts the peer's own, in remote_ts
 * the other peer's, so one profile serves both peers. Nothing else passes: a
 * selector travels from a report into a VICI message and a rendered
 * swanctl.conf, so a comma, a brace or a newline must never get through.
 */
#ifndef IKELAB_TS_H
#define IKELAB_TS_H

#include <stdbool.h>
#include <stddef.h>

#define TS_LEN 128 /* longest selector accepted, with its NUL */

/* 0 when S is a selector; -1 and err_msg() saying why otherwise. */
int ts_check(const char *s);

/* Whether S is "protected" or "protected:N" (with an optional [..]
 * suffix): *INDEX is N, or -1 for all; *SUFFIX points at the '[' or the
 * end. */
bool ts_symbolic(const char *s, int *index, const char **suffix);

/* The subnet the kernel shows for S's address part, masked ("10.1.0.1/16"
 * -> "10.1.0.0/16", "2001:db8::1" -> "2001:db8::1/128"), into BUF. false
 * when S is no plain address or CIDR (dynamic, a range): its kernel policy
 * cannot be named in advance. */
bool ts_subnet(const char *s, char *buf, size_t len);

#endif
