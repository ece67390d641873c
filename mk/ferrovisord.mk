# ferrovisord (tools/ferrovisord/), the service VM's management daemon: libmicrohttpd +
# cJSON. Included from the top Makefile (needs BUILD, Q and TOOLS_WARN).
#   make ferrovisord          build/tools/ferrovisord (host, for the tests; sim backend)
FVD_SRC     := $(wildcard tools/ferrovisord/*.c)
FVD_OUT     := $(BUILD)/tools
FVD_BIN     := $(FVD_OUT)/ferrovisord
FVD_CFLAGS  := -std=c11 -O2 -g -D_DEFAULT_SOURCE $(TOOLS_WARN) -Wconversion -MMD -MP
FVD_LDLIBS  := -lmicrohttpd -lcjson
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
