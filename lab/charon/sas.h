/*
 * sas.h - what a charon holds right now, from VICI list-sas (noblock, so a
 * busy IKE_SA never stalls the answer), as JSON: one object per IKE_SA
 * with its CHILD_SAs, every field charon reports kept as a string.
 */
#ifndef IKELAB_SAS_H
#define IKELAB_SAS_H

#include <jansson.h>

struct vici_conn;
struct vici_node;

/* An array of IKE_SA objects, each with "name" added (the VICI section
 * name) and "child-sas" as an array with "key" added. */
json_t *sas_list(struct vici_conn *c, int timeout_ms);
/* The same on a connection registered for "list-sa" once and for all
 * (one round trip per call instead of three, for samplers), in two halves
 * so that several charons answer at once: the request now, the answer
 * (NULL and err_msg() on failure) later. */
int sas_list_start(struct vici_conn *c, int timeout_ms);
json_t *sas_list_finish(struct vici_conn *c, int timeout_ms);

struct sa_counts {
	int ike, ike_established;
	int child, child_installed;
};
void sas_count(const json_t *list, struct sa_counts *out);

/* The IKE_SAs of one list-sa event (one section each, named by the
 * IKE_SA's connection) appended to LIST as objects with "name" and a
 * "child-sas" array (each child with its "key"). */
void sas_collect(json_t *list, const struct vici_node *msg);

/* A VICI message tree as JSON: sections are objects, lists arrays. */
json_t *sas_json(const struct vici_node *sec);

#endif
