# ferrovisord (tools/ferrovisord/), the service VM's management daemon: libmicrohttpd +
# cJSON. Included from the top Makefile (needs BUILD, Q and TOOLS_WARN).
#   make ferrovisord          build/tools/ferrovisord (host, for the tests; sim backend)
# The control-channel backend (fvd_hvc.c) needs the control protocol, hyp/core/ctl_proto.[ch]
# (linked unchanged); until that is in the tree the daemon has the sim backend only.
FVD_CTL     := $(wildcard hyp/core/ctl_proto.h)
FVD_SRC     := $(filter-out tools/ferrovisord/fvd_hvc.c tools/ferrovisord/fvd_hvc_pump.c,$(wildcard tools/ferrovisord/*.c)) \
               $(if $(FVD_CTL),tools/ferrovisord/fvd_hvc.c tools/ferrovisord/fvd_hvc_pump.c hyp/core/ctl_proto.c) \
               tools/trace_json.c tools/trace_arch.c
FVD_DEFS    := -Ihyp $(if $(FVD_CTL),-DFVD_HAVE_CTL=1)
FVD_OUT     := $(BUILD)/tools
FVD_BIN     := $(FVD_OUT)/ferrovisord
FVD_CFLAGS  := -std=c11 -O2 -g -D_DEFAULT_SOURCE $(FVD_DEFS) $(TOOLS_WARN) -Wconversion -MMD -MP
FVD_LDLIBS  := -lmicrohttpd -lcjson -lnettle
FVD_OBJ     := $(patsubst %.c,$(FVD_OUT)/obj/%.o,$(FVD_SRC))

.PHONY: ferrovisord

ferrovisord: $(FVD_BIN)

$(FVD_OUT)/obj/tools/ferrovisord/%.o: tools/ferrovisord/%.c
	@mkdir -p $(dir $@)
	$(Q)$(TOOLS_CC) $(FVD_CFLAGS) -c $< -o $@

$(FVD_BIN): $(FVD_OBJ)
	$(Q)$(TOOLS_CC) -o $@ $(FVD_OBJ) $(FVD_LDLIBS) -lpthread
	@echo "built $@"

-include $(FVD_OBJ:.o=.d)

# The service VM build: ferrovisord cross-compiled for riscv64 Linux against Debian's own
# libraries (scripts/fetch-guest-libs.sh: libmicrohttpd, libcjson, glibc and the -dev
# packages, in $(FVD_LIBS)/sysroot), linked dynamically (Debian ships no static gnutls, which
# libmicrohttpd needs), then packed with its interpreter and shared-library closure into the
# service VM layer $(SVC_LAYER) (scripts/userland-layer.py svc; SVC_LAYER and SVC_CACHED are
# set in the Makefile, whose image rules use them; `make images` fetches the libraries). The sysroot's headers and
# crt files come before the cross compiler's own glibc (bookworm's 2.36; Debian stable's
# libraries need their glibc). See docs/ferrovisord.md.
#   make guest-libs           fetch (or verify) the libraries
#   make svc                  build/svc/bin/ferrovisord and build/svc/layer.cpio.gz
# Per architecture: DEB_ARCH's libraries, GNU_TRIPLET's directories (mk/arch-<ARCH>.mk), the
# binary under LINUX_OUT (build/svc/bin for riscv64, build/arm64/svc/bin for arm64).
FVD_LIBS     := $(FERROVISOR_CACHE)/userland/$(DEB_ARCH)
FVD_SYSROOT  := $(FVD_LIBS)/sysroot
FVD_RV_LIB   := $(FVD_SYSROOT)/usr/lib/$(GNU_TRIPLET)
FVD_RV_BIN   := $(LINUX_OUT)/svc/bin/ferrovisord
FVD_RV_FLAGS := --sysroot=$(FVD_SYSROOT) -isystem $(FVD_SYSROOT)/usr/include/$(GNU_TRIPLET) \
                -isystem $(FVD_SYSROOT)/usr/include -B$(FVD_RV_LIB)/ -L$(FVD_RV_LIB) \
                -std=c11 -O2 -D_DEFAULT_SOURCE $(FVD_DEFS) $(TOOLS_WARN)
FVD_RV_LDFLAGS := -Wl,-rpath-link,$(FVD_RV_LIB) -Wl,--disable-new-dtags \
                  -Wl,-rpath,/usr/lib/$(GNU_TRIPLET)

.PHONY: guest-libs svc

guest-libs:
	$(Q)sh scripts/fetch-guest-libs.sh --arch $(DEB_ARCH) --cache $(FVD_LIBS)

$(FVD_LIBS)/manifest.txt: scripts/fetch-guest-libs.sh scripts/lib/apt-sandbox.sh
	$(Q)sh scripts/fetch-guest-libs.sh --arch $(DEB_ARCH) --cache $(FVD_LIBS)

$(FVD_RV_BIN): $(FVD_SRC) $(wildcard tools/ferrovisord/*.h) $(FVD_LIBS)/manifest.txt
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)gcc $(FVD_RV_FLAGS) -s -o $@ $(FVD_SRC) $(FVD_RV_LDFLAGS) \
		-lmicrohttpd -lcjson -lnettle -lpthread

# The web dashboard (tools/ferrovisord/www/) goes to the daemon's default --www directory.
FVD_WWW_FILES := $(shell find tools/ferrovisord/www -type f 2>/dev/null | LC_ALL=C sort)

$(SVC_LAYER): $(FVD_RV_BIN) scripts/userland-layer.py docs/api/openapi.yaml $(FVD_WWW_FILES)
	$(Q)python3 scripts/userland-layer.py svc --out $@ --sysroot $(FVD_SYSROOT) --triplet $(GNU_TRIPLET) \
		--readelf $(CROSS)readelf --file docs/api/openapi.yaml:etc/ferrovisord/openapi.yaml \
		$(foreach f,$(FVD_WWW_FILES),--file $(f):usr/share/ferrovisord/www/$(f:tools/ferrovisord/www/%=%)) \
		$(FVD_RV_BIN) >/dev/null

svc: $(SVC_LAYER)

# The unit test of the daemon's routing and sim backend (tests/unit/test_fvd.src) links
# tools/ferrovisord/*.c, which the generic unit rule does not watch.
build/unit/test_fvd: $(wildcard tools/ferrovisord/*.c tools/ferrovisord/*.h)
build/unit/test_fvd_www: tools/ferrovisord/fvd_www.c tools/ferrovisord/fvd_www.h

# The control-channel backend against the sim behind an FVCP server on a socketpair
# (tests/unit/test_fvd_hvc.c); without the protocol in the tree the test reports a skip.
build/unit/test_fvd_hvc: tests/unit/test_fvd_hvc.c $(wildcard tools/ferrovisord/*.[ch]) $(FVD_CTL) \
                        hyp/core/prof_buf.c hyp/core/prof_buf.h
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(if $(FVD_CTL),-DFVD_HAVE_CTL=1) -o $@ $< \
		$(if $(FVD_CTL),tools/ferrovisord/fvd_hvc.c tools/ferrovisord/fvd_hvc_pump.c \
		tools/ferrovisord/fvd_sim.c tools/ferrovisord/fvd_dump_wire.c tools/ferrovisord/fvd_sim_snap.c \
		tools/ferrovisord/fvd_hvc_snap.c \
		tools/ferrovisord/fvd_hub.c tools/ferrovisord/fvd_route.c \
		hyp/core/ctl_proto.c tools/ferrovisord/fvd_prof.c hyp/core/prof_buf.c) \
		$(HOST_LDLIBS) -lcjson -lpthread
build/unit/test_fvd_auth: $(wildcard tools/ferrovisord/*.c tools/ferrovisord/*.h)

# The event log and console history (tests/unit/test_fvd_hub.c).
build/unit/test_fvd_hub: tools/ferrovisord/fvd_hub.c tools/ferrovisord/fvd_hub.h
# The PATCH body parser's unit test (tests/unit/test_fvd_sched.src) links fvd_sched.c.
build/unit/test_fvd_sched: $(wildcard tools/ferrovisord/*.c tools/ferrovisord/*.h)
build/unit/test_fvd_core: $(wildcard tools/ferrovisord/fvd_core*.[ch]) tools/ferrovisord/fvd_backend.h
build/unit/test_fvd_dump: $(wildcard tools/ferrovisord/*.c tools/ferrovisord/*.h)
build/unit/test_fvd_prof: $(wildcard tools/ferrovisord/*.c tools/ferrovisord/*.h)
