# nabla — a deep-learning toolkit in C11.
#   make            static + shared library, headers, build/nabla
#   make test       every test (SAN=1: under AddressSanitizer + UBSan)
#   make demo       the main job: figures, gradcheck report, training
#   make bench      every benchmark against its peer, measured in the same run
#   make web        build/web/nabla-lab.html: the handout's labs in the browser (WebAssembly)
#   make fuzz       libFuzzer targets (FUZZ_SECONDS=N each)
#   make install PREFIX=/usr/local   (then `ldconfig`; see the README for other prefixes)
#   options: CC=clang, SAN=1, DEBUG=1, BLAS=openblas, OPENMP=0, MPI=1, B=DIR (the build directory),
#            V=1 (print every command; quiet otherwise)
CC      ?= cc
PREFIX  ?= /usr/local
SAN     ?= 0
BLAS    ?= own
OPENMP  ?= 1
DEBUG   ?= 0
MPI     ?= 0
VERSION := 0.1.0
# the shared library's ABI version: libnabla.so.0 is what programs record
SOMAJOR := 0
SONAME  := libnabla.so.$(SOMAJOR)
# quiet unless V=1: one short line per library or program, no compiler lines
ifeq ($(V),1)
  Q :=
  say := @:
else
  Q := @
  say := @printf '  %-4s %s\n'
endif

CFLAGS_BASE := -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -Werror -Iinclude -Isrc -fPIC
ifeq ($(SAN),1)
  B      := build/san
  CFLAGS_OPT := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
  LDSAN  := -fsanitize=address,undefined
else
  B      := build
  CFLAGS_OPT := -O3 -g
  LDSAN  :=
endif
# DEBUG=1: the library's internal contracts checked (a gradient block the
# ready hook was given is poisoned until the backward ends).
ifeq ($(DEBUG),1)
  B      := build/debug
  CFLAGS_OPT += -DNB_DEBUG
endif
# MPI=1: built with mpicc, `mpirun -np P nabla train` trains data-parallel (src/dist/).
ifeq ($(MPI),1)
  CC     := mpicc
  override B := $(B)/mpi
  CFLAGS_OPT += -DNB_MPI
endif
# tests/cli/mpi.sh runs nabla under mpirun: the MPI build itself, or, in the
# plain build where mpicc exists, build/mpi next to it (skipped without MPI).
ifeq ($(MPI),1)
  NABLA_MPI := $(B)/nabla
else ifeq ($(B)$(shell command -v mpicc > /dev/null 2>&1 && echo +),build+)
  NABLA_MPI := build/mpi/nabla
endif
ifeq ($(BLAS),openblas)
  CFLAGS_BASE += -DNB_USE_CBLAS
  LDBLAS := -lopenblas
endif
# OPENMP=0 builds without threads (as the WebAssembly port will).
OMPFLAG := $(if $(filter 1,$(OPENMP)),-fopenmp,)
CFLAGS  += $(CFLAGS_BASE) $(CFLAGS_OPT) $(OMPFLAG)
LDLIBS  := $(LDBLAS) -lz -lm $(OMPFLAG) $(LDSAN)

# ISA-specific kernels are compiled for their ISA and chosen at run time (cpuid).
ISA_avx512 := -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma -mavx2
ISA_avx2   := -mavx2 -mfma

LIB_SRC  := $(sort $(wildcard src/*/*.c))
LIB_SRC  := $(filter-out src/cli/%,$(LIB_SRC))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(B)/obj/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(B)/obj/%.o)
DEPS     := $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d)

.PHONY: all test demo bench fuzz install clean web
all: $(B)/libnabla.a $(B)/libnabla.so $(B)/nabla $(B)/nabla.pc

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(if $(findstring _avx512.c,$<),$(ISA_avx512))$(if $(findstring _avx2.c,$<),$(ISA_avx2)) -MMD -MP -c $< -o $@

$(B)/libnabla.a: $(LIB_OBJ)
	$(say) AR $@
	@rm -f $@
	$(Q)ar rcs $@ $^
# libnabla.so.0.1.0 with its SONAME, and the two links: .so.0 for the loader,
# .so for the linker's -lnabla
$(B)/libnabla.so.$(VERSION): $(LIB_OBJ)
	$(say) LD $@
	$(Q)$(CC) -shared -Wl,-soname,$(SONAME) -o $@ $^ $(LDLIBS)
$(B)/libnabla.so: $(B)/libnabla.so.$(VERSION)
	$(Q)ln -sf libnabla.so.$(VERSION) $(B)/$(SONAME)
	$(Q)ln -sf $(SONAME) $@
$(B)/nabla: $(CLI_OBJ) $(B)/libnabla.a
	$(say) LD $@
	$(Q)$(CC) -o $@ $(CLI_OBJ) $(B)/libnabla.a $(LDLIBS)
CLI_LIB_OBJ := $(filter-out %/main.o,$(CLI_OBJ))
# The tests count the library's allocations (tests/test_faults.c): --wrap
# puts a counter behind every malloc in the statically linked library.
WRAP_ALLOC := $(foreach f,malloc calloc realloc aligned_alloc,-Wl,--wrap=$(f))
$(B)/nabla_tests: $(TEST_OBJ) $(CLI_LIB_OBJ) $(B)/libnabla.a
	$(say) LD $@
	$(Q)$(CC) -o $@ $(TEST_OBJ) $(CLI_LIB_OBJ) $(B)/libnabla.a $(LDLIBS) $(WRAP_ALLOC)
# pkg-config file for PREFIX ($(1): where to write it)
write_pc = printf 'prefix=%s\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\n\nName: nabla\nDescription: tensors, autodiff and first-order optimizers in C11\nVersion: %s\nLibs: -L$${libdir} -lnabla\nLibs.private: -lz -lm -fopenmp\nCflags: -I$${includedir}\n' '$(PREFIX)' '$(VERSION)' > $(1)
$(B)/nabla.pc: Makefile
	@mkdir -p $(B)
	@$(call write_pc,$@)

# tests/cli/install.sh installs this very build (the same command-line
# variables) into a temporary PREFIX and links a program against it
test: all $(B)/nabla_tests $(if $(filter build/mpi/nabla,$(NABLA_MPI)),mpi-cli)
	@NABLA=$(B)/nabla NABLA_TESTS=$(B)/nabla_tests NB_MAKEVARS='$(MAKEOVERRIDES)' NB_CC='$(CC)' \
	    NB_LDSAN='$(LDSAN)' NABLA_MPI=$(NABLA_MPI) sh tests/run.sh
	@$(MAKE) --no-print-directory web-test B=$(B)

# ---- the browser page: the core as WebAssembly, inlined into one HTML file ----
# clang + wasi-libc + lld, a reactor module (no main, no threads, no OpenMP);
# the page gives its few WASI imports (stdio, clock, sleep, sched_yield) stubs.
WASM_CC  ?= clang-14
WEB      := build/web
# the whole training code (models, training, IDX, safetensors; one process) and the page's C APIs
WASM_SRC := $(filter-out %_avx2.c %_avx512.c,$(sort $(wildcard src/core/*.c src/autodiff/*.c \
              src/ops/*.c src/kernels/*.c src/optim/*.c src/linreg/*.c src/nn/*.c src/data/*.c src/io/*.c \
              src/dist/*.c))) web/nabla_web.c web/nabla_web_play.c web/nabla_web_fmnist.c
WASM_OBJ := $(WASM_SRC:%.c=$(WEB)/obj/%.o)
WASM_CFLAGS := --target=wasm32-wasi --sysroot=/usr -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic \
               -Werror -Iinclude -Isrc -O3 -msimd128
WEB_IN := web/template.html web/lab.css web/core.js web/plot.js web/panels.js web/train.js web/worker.js web/fashion.js web/fashion_worker.js web/build.mjs

web: $(WEB)/nabla-lab.html
$(WEB)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(WASM_CC) $(WASM_CFLAGS) -MMD -MP -c $< -o $@
$(WEB)/nabla.wasm: $(WASM_OBJ)
	$(WASM_CC) $(WASM_CFLAGS) -mexec-model=reactor -Wl,--strip-all -o $@ $^
$(WEB)/nabla-lab.html: $(WEB)/nabla.wasm $(WEB_IN)
	node web/build.mjs $(WEB)/nabla.wasm $@
$(B)/web_native: tests/web/native.c web/nabla_web.c web/nabla_web_play.c $(B)/libnabla.a
	$(CC) $(CFLAGS) -Iweb -o $@ $(filter %.c,$^) $(B)/libnabla.a $(LDLIBS)

# The browser suite: with Chromium and Node (and `npm ci`'s playwright-core), else it says
# skipped. WEB_TEST=0 skips it (CI runs it in one of its builds: the page is the same in all).
WEB_TEST ?= 1
web-test: $(B)/nabla $(B)/web_native
	@if [ "$(WEB_TEST)" = 1 ]; then sh tests/web/run.sh $(B); else echo "web: skipped (WEB_TEST=0)"; fi

.PHONY: mpi-cli
mpi-cli:
	@$(MAKE) --no-print-directory MPI=1 build/mpi/nabla

demo: all
	@sh tools/demo.sh $(B)/nabla

bench: all
	@sh bench/run.sh $(B)/nabla

fuzz:
	@sh tests/fuzz/run.sh $(or $(FUZZ_SECONDS),30)

install: all
	$(say) INST $(DESTDIR)$(PREFIX)
	$(Q)install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/nabla $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig
	$(Q)install -m 644 $(B)/libnabla.a $(DESTDIR)$(PREFIX)/lib/
	$(Q)install -m 755 $(B)/libnabla.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/
	$(Q)ln -sf libnabla.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	$(Q)ln -sf $(SONAME) $(DESTDIR)$(PREFIX)/lib/libnabla.so
	$(Q)install -m 644 include/nabla.h $(DESTDIR)$(PREFIX)/include/
	$(Q)install -m 644 include/nabla/*.h $(DESTDIR)$(PREFIX)/include/nabla/
	$(Q)install -m 755 $(B)/nabla $(DESTDIR)$(PREFIX)/bin/
	$(Q)$(call write_pc,$(DESTDIR)$(PREFIX)/lib/pkgconfig/nabla.pc)

clean:
	rm -rf build

-include $(DEPS) $(WASM_OBJ:.o=.d)
