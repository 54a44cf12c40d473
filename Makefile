# ark: a Unix toolkit for multi-agent LLM experiments.  See README.md.
include config.mk

B         := $(BUILD)
LAYERS    := core grade llm engine measure
LIB_SRC   := $(foreach l,$(LAYERS),$(wildcard lib/$(l)/*.c))
LIB_OBJ   := $(patsubst lib/%.c,$(B)/lib/%.o,$(LIB_SRC))
LIB       := $(B)/libark.a
TOOL_SRC  := $(wildcard tools/ark-*.c)
TOOLS     := $(patsubst tools/%.c,$(B)/bin/%,$(TOOL_SRC))
CLI_OBJ   := $(B)/tools/cli.o
UNIT_SRC  := $(wildcard tests/unit/test-*.c)
UNITS     := $(patsubst tests/unit/%.c,$(B)/unit/%,$(UNIT_SRC))
HELPER_SRC:= $(wildcard tests/helpers/*.c)
HELPERS   := $(patsubst tests/helpers/%.c,$(B)/tests/%,$(HELPER_SRC))
MANPAGES  := $(wildcard man/*.1 man/*.5 man/*.7)
HDRS      := $(foreach l,$(LAYERS),$(wildcard lib/$(l)/*.h)) tools/cli.h

.PHONY: all check unit bats demo deps install uninstall clean lint bench have-deps fuzz fuzzers \
        fuzz-run
.DELETE_ON_ERROR:

all: $(LIB) $(TOOLS) $(UNITS) $(HELPERS)

$(B)/lib/%.o: lib/%.c $(HDRS) config.mk
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(CLI_OBJ): tools/cli.c $(HDRS) config.mk
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/bin/%: tools/%.c $(CLI_OBJ) $(LIB) $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(CLI_OBJ) $(LIB) $(LDLIBS)

$(B)/unit/%: tests/unit/%.c tests/unit/unit.h $(LIB) $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# test helpers (the loopback LLM server) link libmicrohttpd as well; the server's parts in
# tests/helpers/llm-server/ are linked into it
SERVER_SRC := $(wildcard tests/helpers/llm-server/*.c)
$(B)/tests/%: tests/helpers/%.c $(LIB) $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) -lmicrohttpd $(LDLIBS)

$(B)/tests/ark-llm-server: tests/helpers/ark-llm-server.c $(SERVER_SRC) \
                           $(wildcard tests/helpers/llm-server/*.h) $(LIB) $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/helpers $(CFLAGS) $(LDFLAGS) -o $@ $< $(SERVER_SRC) $(LIB) \
	  -lmicrohttpd $(LDLIBS)

# ---- tests ------------------------------------------------------------------------------------
check: have-deps all unit bats lint

unit: $(UNITS)
	@set -e; for t in $(UNITS); do echo "unit: $$t"; $$t; done

bats: $(TOOLS) $(HELPERS)
	ARK_BIN=$(CURDIR)/$(B)/bin ARK_TESTBIN=$(CURDIR)/$(B)/tests ARK_SHARE=$(CURDIR)/share/ark \
	  bats $(BATS_FLAGS) tests

lint: $(LIB_OBJ)
	@sh tools/lint-layers.sh $(B)
	@if command -v mandoc >/dev/null; then mandoc -Tlint -Wwarning $(MANPAGES) && echo "man: lint clean"; fi

# ---- fuzzing ----------------------------------------------------------------------------------
# make fuzz: the libFuzzer harnesses tests/fuzz/fuzz-*.c, built by clang with the address and
# undefined-behaviour sanitizers into build-fuzz/ (installing clang first: FUZZ_PKGS);
# make fuzz-run: each harness for FUZZ_SECONDS on a copy of its seed corpus tests/fuzz/corpus/NAME,
# failing on any crash, leak, sanitizer report or input slower than 10 s.
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz-*.c)

fuzz:
	@sh tools/deps.sh $(FUZZ_PKGS)
	$(MAKE) CC=clang SANITIZE=fuzzer-no-link,address,undefined BUILD=build-fuzz fuzzers

fuzzers: $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRC))

$(B)/fuzz/%: tests/fuzz/%.c $(LIB) $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

fuzz-run: fuzz
	@sh tests/fuzz/run.sh build-fuzz/fuzz $(FUZZ_SECONDS)

# ---- the demo ---------------------------------------------------------------------------------
demo: have-deps all
	@ARK_BIN=$(CURDIR)/$(B)/bin ARK_SHARE=$(CURDIR)/share/ark sh examples/demo.sh

bench: have-deps all
	@sh tools/deps.sh $(BENCH_PKGS)
	@sh bench/run.sh

# ---- dependencies -----------------------------------------------------------------------------
# have-deps: install what is missing (as root) or say exactly what to run.
have-deps:
	@sh tools/deps.sh $(DEB_PKGS)

deps:
	@sh tools/deps.sh --force-check $(DEB_PKGS)

# ---- install ----------------------------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(SHAREDIR)
	install -m 755 $(TOOLS) $(DESTDIR)$(BINDIR)
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(wildcard man/*.5) $(DESTDIR)$(MANDIR)/man5
	$(if $(wildcard man/*.7),install -m 644 $(wildcard man/*.7) $(DESTDIR)$(MANDIR)/man7)
	cp -R share/ark/. $(DESTDIR)$(SHAREDIR)

uninstall:
	rm -f $(patsubst $(B)/bin/%,$(DESTDIR)$(BINDIR)/%,$(TOOLS))
	rm -rf $(DESTDIR)$(SHAREDIR)

clean:
	rm -rf build build-san build-fuzz
