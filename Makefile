# ikelab - a lab for IPsec race conditions on real strongSwan daemons.
#
#   make lab-up     install what is missing, build, bring the default lab up
#   make lab-down   take it down again
#   make test       unit tests, sanitizer build, integration tests on real labs
#   make bench      benchmarks (ratios against baselines measured in the same run)

BUILD   ?= build
CC      ?= cc
PKGS    := libnl-3.0 libnl-route-3.0 libnl-xfrm-3.0 libnl-nf-3.0 libcyaml yaml-0.1 jansson libkmod
# Recursive (=) on purpose: pkg-config runs when a compile runs, which is
# after `make deps` had a chance to install the libraries.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))

# What the code needs is in IKELAB_CFLAGS and cannot be lost: CFLAGS and
# LDFLAGS are the user's (optimization, debugging, sanitizers), added after
# it, so `make CFLAGS=-O0` still builds with every warning and -Werror.
# The code uses GNU extensions (statement expressions, `?:`): gnu11.
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
IKELAB_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) -MMD -MP -Ilab
ALL_CFLAGS = $(IKELAB_CFLAGS) $(CFLAGS) $(PKG_CFLAGS)
LDLIBS  += -lpthread -lm

LAB_SRCS  := $(filter-out lab/cmd/main.c lab/backend/uml/uml-fpfix.c,$(shell find lab -name '*.c'))
PROBE_SRCS := $(wildcard probes/*.c)
LAB_OBJS  := $(LAB_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

all: $(BUILD)/ikelab $(BUILD)/uml-fpfix.so $(BUILD)/ikelab-probe $(BUILD)/ikelab-blast

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Made afresh: `ar rcs` never drops the object of a source that is gone.
$(BUILD)/libikelab.a: $(LAB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/ikelab: $(BUILD)/lab/cmd/main.o $(BUILD)/libikelab.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

# Loaded into user-mode Linux, not into ikelab: see lab/backend/uml/uml-fpfix.c.
# Never with the sanitizers of CFLAGS: linux.uml does not carry their
# runtime, and a shim that needs it stops the kernel before it boots.
SHIM_CFLAGS = $(filter-out -fsanitize% -fno-sanitize%,$(CFLAGS))
$(BUILD)/uml-fpfix.so: lab/backend/uml/uml-fpfix.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) $(SHIM_CFLAGS) -shared -fPIC -o $@ $< -ldl

# Traffic probes, run inside peer namespaces: see probes/probe.c. They need
# only the helpers, not the libraries the controller links.
PROBE_COMMON := $(BUILD)/probes/cli.o $(BUILD)/lab/base/util.o $(BUILD)/lab/base/err.o
$(BUILD)/ikelab-probe: $(BUILD)/probes/probe.o $(BUILD)/probes/receiver.o $(PROBE_COMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/ikelab-blast: $(BUILD)/probes/blast.o $(PROBE_COMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libikelab.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $$(pkg-config --cflags check) -o $@ $< $(BUILD)/libikelab.a \
		$(PKG_LIBS) $$(pkg-config --libs check) $(LDLIBS)

# ---- install ----------------------------------------------------------------
# The GNU conventions: PREFIX (default /usr/local) and DESTDIR for staging.
# The installed binary finds everything else relative to itself
# (lab/base/home.h), so the layout under PREFIX is fixed: the helpers in
# libexec/ikelab, the shipped files in share/ikelab.
PREFIX  ?= /usr/local
BINDIR   = $(PREFIX)/bin
HELPDIR  = $(PREFIX)/libexec/ikelab
DATADIR  = $(PREFIX)/share/ikelab
DOCDIR   = $(PREFIX)/share/doc/ikelab
MANDIR   = $(PREFIX)/share/man
COMPDIR  = $(PREFIX)/share/bash-completion/completions
HELPERS  = ikelab-probe ikelab-blast uml-fpfix.so
# The files install copies, as paths in this tree; each goes to the same
# path below DATADIR (the shipped files) or DOCDIR (the docs).
SHIPPED_FILES = $(sort $(wildcard topologies/*.yaml peers/*.yaml scenarios/*.yaml \
		schemas/*.schema.json)) scripts/baseline-up.sh scripts/baseline-down.sh
SHIPPED_DIRS  = topologies peers scenarios schemas scripts
DOC_FILES     = README.md $(sort $(wildcard docs/*.md)) docs/known-races.txt
MAN1 = $(filter %.1,$(MAN_PAGES))
MAN5 = $(filter %.5,$(MAN_PAGES))

$(BUILD)/completion/ikelab: $(BUILD)/ikelab
	@mkdir -p $(dir $@)
	$(BUILD)/ikelab completion bash > $@.tmp && mv $@.tmp $@

install: all $(BUILD)/completion/ikelab man
	install -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(HELPDIR)" "$(DESTDIR)$(DOCDIR)/docs" \
		"$(DESTDIR)$(COMPDIR)" "$(DESTDIR)$(MANDIR)/man1" "$(DESTDIR)$(MANDIR)/man5"
	for d in $(SHIPPED_DIRS); do install -d "$(DESTDIR)$(DATADIR)/$$d" || exit 1; done
	install -m 0755 $(BUILD)/ikelab "$(DESTDIR)$(BINDIR)/ikelab"
	for h in $(HELPERS); do install -m 0755 $(BUILD)/$$h "$(DESTDIR)$(HELPDIR)/$$h" || exit 1; done
	for f in $(SHIPPED_FILES); do install -m 0644 $$f "$(DESTDIR)$(DATADIR)/$$f" || exit 1; done
	chmod 0755 "$(DESTDIR)$(DATADIR)/scripts/"*.sh
	for f in $(DOC_FILES); do install -m 0644 $$f "$(DESTDIR)$(DOCDIR)/$$f" || exit 1; done
	install -m 0644 $(BUILD)/completion/ikelab "$(DESTDIR)$(COMPDIR)/ikelab"
	install -m 0644 $(MAN1) "$(DESTDIR)$(MANDIR)/man1/"
	install -m 0644 $(MAN5) "$(DESTDIR)$(MANDIR)/man5/"

# The files install puts there, one by one, then the folders that are
# ikelab's own if they are empty: a file someone added there stays.
uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/ikelab" "$(DESTDIR)$(COMPDIR)/ikelab"
	for h in $(HELPERS); do rm -f "$(DESTDIR)$(HELPDIR)/$$h"; done
	for f in $(SHIPPED_FILES); do rm -f "$(DESTDIR)$(DATADIR)/$$f"; done
	for f in $(DOC_FILES); do rm -f "$(DESTDIR)$(DOCDIR)/$$f"; done
	for p in $(notdir $(MAN1)); do rm -f "$(DESTDIR)$(MANDIR)/man1/$$p"; done
	for p in $(notdir $(MAN5)); do rm -f "$(DESTDIR)$(MANDIR)/man5/$$p"; done
	for d in $(SHIPPED_DIRS); do rmdir "$(DESTDIR)$(DATADIR)/$$d" 2>/dev/null || true; done
	for d in "$(DESTDIR)$(DATADIR)" "$(DESTDIR)$(HELPDIR)" "$(DESTDIR)$(DOCDIR)/docs" \
		"$(DESTDIR)$(DOCDIR)"; do rmdir "$$d" 2>/dev/null || true; done

# A Debian package (debian/): built from a copy of the tracked files in
# $(BUILD)/deb/src, so that dpkg-buildpackage's output lands in $(BUILD)/deb
# and not beside the tree. deb-test checks it with dpkg -x.
deb:
	@scripts/deps.sh --deb
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/src
	git ls-files -z | xargs -0 tar -cf - | tar -xf - -C $(BUILD)/deb/src
	cd $(BUILD)/deb/src && dpkg-buildpackage -b -us -uc >../build.log 2>&1 || \
		{ tail -30 ../build.log >&2; exit 1; }
	@ls $(BUILD)/deb/*.deb

deb-test: deb
	BUILD=$(BUILD) tests/deb/run.sh

deps:
	@scripts/deps.sh

# What `make man` needs: pandoc, man-db, groff-base (scripts/deps.sh).
man-deps:
	@scripts/deps.sh --man

test-deps:
	@scripts/deps.sh --test

# What building charon from strongSwan's history needs (ikelab charon build,
# --charon VERSION): autotools, gperf, flex, bison, ccache, libssl-dev.
charon-deps:
	@scripts/deps.sh --charon

# strongSwan versions side by side (in CI after make test; about 14 minutes
# on 2 cores): v01-charon-build builds 6.0.0 from the shared history into
# an empty cache, then a lab and a run of it; v02-versions, on that cache,
# a bisect that must name a5e80cf5 and one nightly on 5.9.8 and 6.0.0;
# v03-shards, a night split in three shards and merged again.
version-test: test-deps charon-deps
	$(MAKE) all
	@cache=$$(mktemp -d /tmp/ikelab-version-test.XXXXXX) && \
	IKELAB_TEST_CACHE=$$cache TESTS="v01-charon-build.sh v02-versions.sh v03-shards.sh" tests/integration/run.sh; \
	rc=$$?; rm -rf "$$cache"; exit $$rc

# Races fixed after 5.9.8, each with its control, on Debian's 5.9.8 and on
# each release that fixed one of them (built from the shared history into
# the cache): the night's matrix names each reproduction "fixed in" its
# release. A reproduction that no longer reproduces on a later release is
# the point here, so the nightly's exit status 1 (not every run as
# expected) passes; a lab error (2) does not. SEEDS=N (default 3), JOBS=J
# (default 2), OUT=DIR.
FIXED_SCENARIOS = half-open-leak reqid-shared-dpd rekey-collision-events reload-empty-ike \
		  reauth-default-loss
FIXED_RELEASES = 5.9.12 6.0.0
nightly-versions: test-deps charon-deps
	$(MAKE) all
	$(BUILD)/ikelab nightly $(foreach s,$(FIXED_SCENARIOS),scenarios/$(s).yaml \
		$(wildcard scenarios/$(s)-control.yaml)) --charon /usr/lib/ipsec/charon \
		$(FIXED_RELEASES:%=--charon %) --seeds $${SEEDS:-3} --jobs $${JOBS:-2} \
		$${OUT:+--out $$OUT} || [ $$? -eq 1 ]

# The CI examples of docs/ci through the engines' own checkers (from npm),
# the GitLab one run by gitlab-ci-local on real labs: tests/ci-examples.
ci-examples: test-deps
	$(MAKE) all
	tests/ci-examples/run.sh

# The charon build's test alone, with a cold cache of its own
# (CHARON_TEST_VERSION=5.9.14 builds another tag).
charon-test: test-deps charon-deps
	$(MAKE) all
	TESTS=v01-charon-build.sh tests/integration/run.sh

unit: $(UNIT_BINS)
	@for t in $(UNIT_BINS); do echo "== $$t"; $$t || exit 1; done

# Everything unit and the labs need, built first (make -j2 builds it on both
# cores; the tests then run one after the other).
build-all: all $(UNIT_BINS)

# The same unit tests built with AddressSanitizer and UBSan (and clang, so
# the code is known to build with both compilers).
ASAN_VARS = BUILD=build/asan CC=clang CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined"
asan:
	$(MAKE) $(ASAN_VARS) -j2 build-all
	$(MAKE) $(ASAN_VARS) unit

asan-build:
	$(MAKE) $(ASAN_VARS) all

integration: all
	@tests/integration/run.sh

# The probe's accounting against iptables counters, in a scratch namespace;
# once as built, once built with the sanitizers.
probe-test: all asan-build
	tests/probe/run.sh
	PROBE=build/asan/ikelab-probe tests/probe/run.sh

# The nightly reports against Jenkins' JUnit schema and in headless Chromium.
report-test: all
	BUILD=$(BUILD) tests/report/check.sh

# `ikelab check` on every shipped file (installed, as nobody) and on every
# bad-input fixture of the unit tests, at the loaders' positions.
check-test: all
	BUILD=$(BUILD) tests/check/run.py

# The generated bash completion script asked, in bash, what TAB gives
# (tests/completion/run.sh).
completion-test: all
	BUILD=$(BUILD) tests/completion/run.sh

# make install into a temporary DESTDIR, then up, ls, status, exec, down
# and a shipped scenario from there with the repository hidden (in make
# stress: it needs a lab).
install-test: all
	tests/install/run.sh

# Man pages: ikelab(1) written by the binary from its command table (the
# hidden role `ikelab manpage`, lab/cmd/man.c), and the file formats'
# pages made from docs/*.md by pandoc with docs/man/man.lua. Both carry
# ikelab's version, not a date: the same tree makes the same pages.
IKELAB_VERSION := $(shell sed -n 's/^\#define IKELAB_VERSION "\(.*\)"/\1/p' lab/cmd/cmd.h)
MAN_PAGES := $(BUILD)/man/ikelab.1 $(BUILD)/man/ikelab-scenario.5 \
	     $(BUILD)/man/ikelab-topology.5 $(BUILD)/man/ikelab-profile.5
man: $(MAN_PAGES)

$(BUILD)/man/ikelab.1: $(BUILD)/ikelab
	@mkdir -p $(dir $@)
	$(BUILD)/ikelab manpage >$@.tmp && mv $@.tmp $@

$(BUILD)/man/ikelab-scenario.5: docs/scenarios.md
$(BUILD)/man/ikelab-topology.5: docs/topologies.md
$(BUILD)/man/ikelab-profile.5: docs/profiles.md
$(BUILD)/man/%.5: docs/man/man.lua
	@command -v pandoc >/dev/null || { echo "make man: pandoc is missing (make man-deps installs it)" >&2; exit 1; }
	@mkdir -p $(dir $@)
	pandoc -s -f gfm -t man --lua-filter docs/man/man.lua -M title=$* -M section=5 \
		-M footer="ikelab $(IKELAB_VERSION)" -M header="ikelab manual" \
		-o $@.tmp $(filter %.md,$^) && mv $@.tmp $@

# Every page rendered as man(1) shows it, with no warning from groff;
# every command of `ikelab help` in ikelab(1) (tests/man/run.sh).
man-test: man
	BUILD=$(BUILD) tests/man/run.sh

# The JSON Schemas of schemas/, made from the loaders' tables by `ikelab
# schema KIND`: `make schemas` writes them again; schema-test checks that
# they are current, that every shipped file and every fixture the loaders
# accept validates, that bad structure is refused by schema and loader, and
# that every key is documented (tests/schema/run.sh, docs/schemas.md).
SCHEMA_KINDS = scenario topology profile
schemas: $(BUILD)/ikelab
	@mkdir -p schemas
	@for k in $(SCHEMA_KINDS); do $(BUILD)/ikelab schema $$k >schemas/$$k.schema.json.tmp && \
		mv schemas/$$k.schema.json.tmp schemas/$$k.schema.json || exit 1; done

$(BUILD)/tests/schema-load: tests/schema/load.c $(BUILD)/libikelab.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libikelab.a $(PKG_LIBS) $(LDLIBS)

schema-test: all $(BUILD)/tests/schema-load
	BUILD=$(BUILD) tests/schema/run.sh

# The shape of the tree: README's layout, one way to spawn, file sizes,
# build flags, scripts (tests/tree/check.sh).
tree-test:
	tests/tree/check.sh

# The C code against .clang-format, with Debian 12's clang-format 14 (other
# versions format some constructs differently): lists what is off, changes
# nothing. `make format` applies it.
CLANG_FORMAT ?= clang-format-14
FORMAT_SRCS = $(shell git ls-files 'lab/*.[ch]' 'probes/*.[ch]' 'tests/*.[ch]')
format-check:
	@$(CLANG_FORMAT) --version | grep -q 'version 14\.' || \
		{ echo "format-check: $(CLANG_FORMAT) is not clang-format 14 (apt-get install clang-format-14)" >&2; exit 1; }
	@$(CLANG_FORMAT) --dry-run --Werror $(FORMAT_SRCS)

format:
	$(CLANG_FORMAT) -i $(FORMAT_SRCS)

# The fault wire on this kernel's NFQUEUE (netem is checked inside labs).
wire-test: all
	tests/wire/run.sh

test: test-deps
	$(MAKE) tree-test format-check
	$(MAKE) -j2 build-all
	$(MAKE) unit
	$(MAKE) asan
	$(MAKE) fuzz-regress
	$(MAKE) probe-test
	$(MAKE) wire-test
	$(MAKE) report-test
	$(MAKE) check-test
	$(MAKE) completion-test
	$(MAKE) man-test
	$(MAKE) schema-test
	$(MAKE) integration

# Chaos, concurrency, a 10-minute recording and beside it the integration
# tests with a sanitizer build as the controller (inside user-mode Linux
# the plain build runs: ASan cannot), the shrink and security tests, the
# install test and the fuzzers
# (FUZZ_SECONDS each, default 30): tests/stress/run.sh.
stress: test-deps
	$(MAKE) all asan-build
	IKELAB_ASAN=$(CURDIR)/build/asan/ikelab IKELAB_PLAIN=$(CURDIR)/build/ikelab \
		tests/stress/run.sh

lab-up: deps
	$(MAKE) all
	$(BUILD)/ikelab up

lab-down: deps
	$(MAKE) all
	$(BUILD)/ikelab down

# Every scenario with 3 seeds (SEEDS=N, JOBS=J, CHARON=PATH|VERSION|git:REV,
# BASELINE=FILE).
nightly: test-deps
	$(MAKE) all
	$(BUILD)/ikelab nightly --seeds $${SEEDS:-3} $${JOBS:+--jobs $$JOBS} \
		$${CHARON:+--charon $$CHARON} $${BASELINE:+--baseline $$BASELINE}

bench: test-deps
	$(MAKE) all
	@scripts/bench.sh $(BENCH)

# libFuzzer harnesses (tests/fuzz/) built with clang into build/fuzz/:
# fuzz runs each for FUZZ_SECONDS (60), fuzz-regress runs each once over
# its seeds and the inputs that once crashed it.
fuzz: test-deps
	scripts/fuzz.sh

fuzz-regress: test-deps
	scripts/fuzz.sh --regress

.PHONY: fuzz fuzz-regress

clean:
	rm -rf $(BUILD)

.PHONY: man man-deps man-test
.PHONY: build-all all install uninstall deb deb-test check-test completion-test install-test schemas schema-test deps test-deps charon-deps charon-test ci-examples version-test nightly-versions unit asan asan-build probe-test report-test wire-test tree-test format-check format integration test stress lab-up lab-down nightly bench clean
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
