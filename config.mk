# ark build configuration.  Override on the command line: make PREFIX=/opt/ark CC=clang
VERSION   = 0.1.0
PREFIX   ?= /usr/local
BINDIR    = $(PREFIX)/bin
MANDIR    = $(PREFIX)/share/man
SHAREDIR  = $(PREFIX)/share/ark
DESTDIR  ?=

CC       ?= cc
OPT      ?= -O2 -g
WARN      = -Wall -Wextra -Wno-unused-parameter -Wshadow -Wformat=2 -Wstrict-prototypes
CPPFLAGS += -D_GNU_SOURCE -DARK_VERSION='"$(VERSION)"' -DARK_SHAREDIR='"$(SHAREDIR)"' -Ilib
CFLAGS   += -std=c11 $(OPT) $(WARN) -pthread
LDLIBS   += -lcurl -lyajl -lsqlite3 -lz -lm -pthread

# make SANITIZE=address,undefined check  builds into its own tree
SANITIZE ?=
ifneq ($(SANITIZE),)
CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
BUILD   ?= build-san
else
BUILD   ?= build
endif

# Debian packages the build and the tests need (make deps installs the missing ones)
DEB_PKGS = gcc make pkg-config libcurl4-openssl-dev libyajl-dev zlib1g-dev libsqlite3-dev libmicrohttpd-dev \
           bats jq mandoc gnuplot-nox parallel valgrind curl procps util-linux sqlite3
# make bench also needs these (GNU time for CPU and peak memory, bc for ratios, python3 and
# python3-aiohttp for the baseline clients of bench/cpu-request.sh)
BENCH_PKGS = time bc python3 python3-aiohttp
# make fuzz needs these only (clang with libFuzzer and the sanitizer runtimes); FUZZ_SECONDS is
# how long make fuzz-run gives each harness
FUZZ_PKGS = clang libclang-rt-dev
FUZZ_SECONDS ?= 20
