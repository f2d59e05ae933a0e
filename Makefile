# pgfast top-level Makefile.
#  - The extension is built with PGXS (C++17, warnings as errors, PostgreSQL headers as system headers).
#  - The client library, tests and benchmarks are built with CMake into build/ (build-asan/ with SANITIZE=1).
#  - Top-level targets: test, demo, bench, installcheck, format, format-check, client, deb, package-test.

# PostgreSQL 15 (Debian's layout), whatever else the machine has.
PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config

# On a machine that has never seen the project PGXS itself is missing, and this file cannot even be
# read without it: install the packages first.
ifeq ($(wildcard /usr/lib/postgresql/15/lib/pgxs/src/makefiles/pgxs.mk),)
$(info pgfast: PostgreSQL 15 server headers are missing; running scripts/bootstrap)
BOOTSTRAP_OUTPUT := $(shell scripts/bootstrap 1>&2 || echo failed)
$(if $(BOOTSTRAP_OUTPUT),$(error scripts/bootstrap failed))
endif
PGFAST_VERSION := $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" extension/pgfast.control)

MODULE_big = pgfast
# extension/testing/ is the test module (below), never part of pgfast.so.
EXT_SOURCES := $(shell find extension -path extension/testing -prune -o -name '*.cpp' -print | sort)
OBJS = $(EXT_SOURCES:.cpp=.o)

# The test module pgfast_testing.so: boundary probes and fault injection (sql/boundary.sql). Built
# by `make testing`, staged by `make install-testing` (scripts/stage-install); `make` and
# `make install` neither build nor install it. It resolves pgfast's symbols against the preloaded
# pgfast.so at load time.
TESTING_MODULE = pgfast_testing
TESTING_SOURCES := $(shell find extension/testing -name '*.cpp' | sort)
TESTING_OBJS = $(TESTING_SOURCES:.cpp=.o)

# Installed as an extension: control file and versioned scripts live in extension/.
MODULEDIR = extension
DATA = extension/pgfast.control $(wildcard extension/pgfast--*.sql)

# No LLVM bitcode for JIT inlining: it would need clang++, and pgfast's entry points gain nothing.
override with_llvm = no

PG_INCLUDEDIR_SERVER := $(shell $(PG_CONFIG) --includedir-server)
PG_CPPFLAGS = -isystem $(PG_INCLUDEDIR_SERVER) -Iextension -DPGFAST_VERSION='"$(PGFAST_VERSION)"'
# -MMD -MP: header dependencies (PGXS tracks none for C++), so a changed header rebuilds its users.
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -Werror -fno-omit-frame-pointer -MMD -MP
SHLIB_LINK = -lstdc++ -lcrypto

# pg_regress: our own installcheck (schedule file), against the server PGHOST/PGPORT point at.
NO_INSTALLCHECK = 1

EXTRA_CLEAN = $(OBJS:.o=.d) $(TESTING_OBJS) $(TESTING_OBJS:.o=.d) $(TESTING_MODULE)$(DLSUFFIX)

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

-include $(OBJS:.o=.d) $(TESTING_OBJS:.o=.d)

# The version string is compiled in from the control file: a version bump rebuilds its users.
$(patsubst %.cpp,%.o,$(shell grep -rl 'core/build_info.hpp' extension --include='*.cpp')): extension/pgfast.control

# The shared library is linked by the C driver; link it with g++ so libstdc++/libgcc_s are right.
COMPILER = $(CXX) $(CXXFLAGS)

.PHONY: testing install-testing
testing: $(TESTING_MODULE)$(DLSUFFIX)

$(TESTING_MODULE)$(DLSUFFIX): $(TESTING_OBJS)
	$(COMPILER) -shared -o $@ $(TESTING_OBJS) $(LDFLAGS) $(LDFLAGS_SL) -lstdc++

install-testing: testing
	$(MKDIR_P) '$(DESTDIR)$(pkglibdir)'
	$(INSTALL_SHLIB) $(TESTING_MODULE)$(DLSUFFIX) '$(DESTDIR)$(pkglibdir)/'

BUILD_DIR := $(if $(SANITIZE),build-asan,build)
CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=$(if $(SANITIZE),Debug,RelWithDebInfo) $(if $(SANITIZE),-DPGFAST_SANITIZE=ON)

.PHONY: bootstrap client test demo bench installcheck check-schedule format format-check

bootstrap:
	@scripts/bootstrap

client: bootstrap
	@cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j2

# pg_regress against a running server (PGHOST/PGPORT/PGUSER), pgfast preloaded there, as PGXS
# users expect: `make install && make installcheck`. SCHEDULE=<file> runs another schedule (it must
# start with `test: version`, which creates the extension). PGFAST_TESTING=1 also runs
# sql/schedule_testing, the suites that need the test module (`make install-testing`), which a
# production install does not have.
installcheck: check-schedule
	$(pg_regress_installcheck) --inputdir=. --outputdir=$(or $(REGRESS_OUTPUTDIR),.) \
	  --schedule=$(or $(SCHEDULE),sql/schedule) \
	  $(if $(PGFAST_TESTING),--schedule=sql/schedule_testing) --dbname=pgfast_regression

check-schedule:
	@scripts/check-schedule

test: bootstrap
	@SANITIZE=$(SANITIZE) scripts/test

# REDIS=cluster runs the demo against a local Redis Cluster (3 masters + 3 replicas) instead of one
# redis-server; REPLICA=1 adds a streaming replica for reads (scripts/demo, docs/demo.md).
demo: bootstrap
	@REPLICA=$(REPLICA) REDIS=$(REDIS) scripts/demo

bench: bootstrap
	@scripts/bench

# Debian packages (postgresql-15-pgfast, libpgfast2, libpgfast-dev) into build/deb/, and the test
# that installs them on this machine and runs pg_regress and an outside consumer against them.
# Neither is part of `make test` (slow, and package-test installs into the system).
.PHONY: deb package-test
deb:
	@scripts/build-deb

package-test:
	@scripts/package-test

FORMAT_FILES = $(shell git ls-files '*.cpp' '*.hpp' 2>/dev/null || find extension client tests bench -name '*.cpp' -o -name '*.hpp')
format:
	clang-format -i $(FORMAT_FILES)

format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)
