/*
 * kind.h - which of ikelab's three file kinds a YAML file is, for the
 * commands that take any of them (ikelab check).
 *
 * A file says what it is in the line editors read,
 *
 *	# yaml-language-server: $schema=../schemas/scenario.schema.json
 *
 * and that line decides when it is among the comments that open the file.
 * Otherwise its top-level keys do: one of the keys only a topology has
 * (`nodes`, `links`, `routes`) makes it a topology, one only a scenario
 * has (`duration`, `topology`, `schedule`, ...) a scenario -- so that a
 * broken file is still checked as what it was meant to be; every key of a
 * profile is optional, so a file that is neither is checked as a profile.
 * Only keys at the start of a line are read, which is where a block
 * mapping's top-level keys are.
 */
#ifndef IKELAB_KIND_H
#define IKELAB_KIND_H

enum file_kind {
	KIND_SCENARIO,
	KIND_TOPOLOGY,
	KIND_PROFILE
};

/* "scenario", "topology" or "profile" (static). */
const char *file_kind_name(enum file_kind k);
/* The kind of the file at PATH into *out: 0, or -1 with err_msg() when it
 * cannot be read. */
int file_kind_guess(const char *path, enum file_kind *out);
/* The kind named by a $schema comment among the text's opening comments ("....scenario.schema.json"):
 * 0, or -1 when the text names none of the three. */
int file_kind_of_text(const char *text, enum file_kind *out);

#endif
