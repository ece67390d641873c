// SPDX-License-Identifier: MIT
/* Printing of resolved configurations (contract in print.h). */
#include "print.h"

#include <string.h>

#include "arch_map.h"
#include "qemu.h"
#include "scalar.h"

static void yaml_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else if (c == 0xc2 && (unsigned char)s[1] >= 0x80 && (unsigned char)s[1] <= 0x9f)
			/* A C1 control in UTF-8 (U+009B is a CSI): YAML's escape, same value. */
			fprintf(f, "\\x%02x", (unsigned char)*++s);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void size_val(FILE *f, uint64_t v)
{
	char b[32];
	scalar_fmt_size(v, b, sizeof(b));
	fputs(b, f);
}

static void cpu_list(FILE *f, const int *cpus, unsigned n)
{
	fputc('[', f);
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "%s%d", i ? ", " : "", cpus[i]);
	fputc(']', f);
}

static unsigned mask_to_list(uint64_t mask, int *out)
{
	unsigned n = 0;
	for (int c = 0; c <= MODEL_MAX_CPU_INDEX; c++)
		if ((mask >> c) & 1)
			out[n++] = c;
	return n;
}

/*
 * Virtio slot (physical) or guest device (j) address: the guest map follows the QEMU
 * board the hypervisor runs on, so both sit where the configuration's map puts them.
 */
static unsigned long long slot_addr(int slot)
{
	const struct guest_map *map = arch_guest_map();
	return map->virtio_base + (unsigned long long)slot * map->virtio_stride;
}

/* "guest virtio device J (ADDR, irq J + 1)": where the VM sees its J-th virtio device. */
static void guest_dev(FILE *f, unsigned j)
{
	fprintf(f, "guest virtio device %u (0x%llx, irq %u)\n", j, slot_addr((int)j), j + 1);
}

static void print_vm(FILE *f, const struct model *m, const struct model_vm *vm)
{
	fputs("  - name: ", f);
	yaml_str(f, vm->name);
	fprintf(f, "\n    vcpus: %llu\n    memory: ", (unsigned long long)vm->vcpus);
	size_val(f, vm->memory);
	fprintf(f, "\n    memory_base: 0x%llx\n    kernel: ", (unsigned long long)vm->memory_base);
	yaml_str(f, vm->kernel_path ? vm->kernel_path : "");
	fprintf(f, "  # %s, %llu bytes\n",
	        vm->kernel_kind == IMAGE_LINUX ? "Linux Image" : "flat binary",
	        (unsigned long long)vm->kernel_size);
	fprintf(f, "    kernel_offset: 0x%llx\n", (unsigned long long)vm->kernel_offset);
	if (vm->initrd_path) {
		fputs("    initrd: ", f);
		yaml_str(f, vm->initrd_path);
		fprintf(f, "  # %llu bytes\n", (unsigned long long)vm->initrd_size);
	}
	if (vm->command_line) {
		fputs("    command_line: ", f);
		yaml_str(f, vm->command_line);
		fputc('\n', f);
	}
	fprintf(f, "    weight: %llu\n", (unsigned long long)vm->weight);
	int cpus[64];
	unsigned n = mask_to_list(vm->affinity, cpus);
	fputs("    affinity: ", f);
	if (n)
		cpu_list(f, cpus, n);
	else
		fputs("~  # any CPU", f);
	fputs("\n    pin: ", f);
	if (vm->nr_pin)
		cpu_list(f, vm->pin, vm->nr_pin);
	else
		fputs("~  # not pinned", f);
	fprintf(f, "\n    autostart: %s\n", vm->autostart ? "true" : "false");
	if (vm->template_vm)
		fputs("    template: true\n", f);
	fprintf(f, "    uart: %s\n", vm->uart ? "true" : "false");
	if (vm->uart)
		fprintf(f, "    uart_base: 0x%llx\n", (unsigned long long)vm->uart_base);
	if (vm->rtc)
		fprintf(f, "    rtc: true  # %s at 0x%llx\n", arch_guest_map()->rtc_model,
		        (unsigned long long)arch_guest_map()->rtc_base);
	else
		fprintf(f, "    rtc: false\n");
	unsigned guest_console = vm->nr_disks + vm->nr_nics;
	fprintf(f, "    virtio_console: %s", vm->virtio_console ? "true  # " : "false\n");
	if (vm->virtio_console)
		guest_dev(f, guest_console);
	/* The control channel is the device after the console (docs/control-protocol.md). */
	if (vm->service) {
		fputs("    role: service  # control channel ", f);
		guest_dev(f, guest_console + (vm->virtio_console ? 1u : 0u));
	}
	if (vm->nr_nics)
		fputs("    network:\n", f);
	for (unsigned i = 0; i < vm->nr_nics; i++) {
		const struct model_nic *nic = &vm->nics[i];
		fputs("      - type: virtio\n        switch: ", f);
		yaml_str(f, m->host.switches[nic->sw_index].name);
		fprintf(f, "\n        mac: \"%s\"\n        # ", nic->mac);
		guest_dev(f, vm->nr_disks + i);
	}
	if (vm->nr_disks)
		fputs("    storage:\n", f);
	for (unsigned i = 0; i < vm->nr_disks; i++) {
		const struct model_disk *k = &vm->disks[i];
		fputs("      - type: virtio-blk\n        image: ", f);
		yaml_str(f, k->path ? k->path : k->image);
		bool native = strcmp(k->format, "raw") == 0 || strcmp(k->format, "qcow2") == 0;
		fprintf(f, "\n        format: %s%s%s\n", native ? k->format : "auto",
		        native ? "" : "  # converted to qcow2 at run: ", native ? "" : k->format);
		fprintf(f, "        readonly: %s\n", k->readonly ? "true" : "false");
		if (k->size) {
			fputs("        size: ", f);
			size_val(f, k->size);
			fputs(k->create ? "  # missing: created by `ferrovisor run`\n" : "\n", f);
		}
		if (k->slice) {
			unsigned long long first = k->slice_offset / 512;
			fputs("        slice: {offset: ", f);
			size_val(f, k->slice_offset);
			if (k->slice_size) {
				fputs(", size: ", f);
				size_val(f, k->slice_size);
				fprintf(f, "}  # sectors %llu-%llu\n", first,
				        first + k->slice_size / 512 - 1);
			} else {
				fprintf(f, "}  # sectors %llu to the end of the image\n", first);
			}
		}
		fprintf(f, "        # virtio-mmio slot %d (0x%llx)", k->slot, slot_addr(k->slot));
		if (k->share_vm >= 0)
			fprintf(f, ", shared with VM \"%s\" storage[%d]", m->vms[k->share_vm].name,
			        k->share_disk);
		fputs("; ", f);
		guest_dev(f, i);
	}
	if (vm->nr_tokens)
		fprintf(f,
		        "    tokens:  # /etc/ferrovisord/tokens.json, %llu bytes appended to the "
		        "initrd\n",
		        (unsigned long long)vm->tokens_layer);
	for (unsigned i = 0; i < vm->nr_tokens; i++)
		fprintf(f, "      - {id: %s, role: %s, sha256: %s}\n", vm->tokens[i].id,
		        vm->tokens[i].role, vm->tokens[i].sha256);
}

static void print_switch(FILE *f, const struct model_switch *sw)
{
	const struct model_uplink *up = &sw->up;
	fputs("    - name: ", f);
	yaml_str(f, sw->name);
	fprintf(f, "  # %u interface%s%s\n", sw->nr_ports, sw->nr_ports == 1 ? "" : "s",
	        up->kind == UPLINK_NONE ? ", no uplink (VM to VM only)" : "");
	if (up->kind == UPLINK_NONE)
		return;
	fputs("      uplink:\n", f);
	switch (up->kind) {
	case UPLINK_TAP:
		fputs("        tap: ", f);
		yaml_str(f, up->tap);
		fputs("  # no uplink when the tap cannot be used (run --uplink-fallback unix)\n",
		      f);
		break;
	case UPLINK_SOCKET:
		fputs("        socket: true\n", f);
		break;
	case UPLINK_USER:
		fputs("        user:\n          hostfwd: [", f);
		for (unsigned i = 0; i < up->nr_hostfwd; i++) {
			fputs(i ? ", " : "", f);
			yaml_str(f, up->hostfwd[i]);
		}
		fputs("]\n", f);
		break;
	case UPLINK_NONE:
		break;
	}
	if (up->port)
		fprintf(f, "        port: %llu\n", (unsigned long long)up->port);
	fprintf(f, "        mac: \"%s\"\n        # virtio-mmio slot %d (0x%llx)\n", up->mac,
	        up->slot, slot_addr(up->slot));
}

void print_resolved(FILE *f, const struct model *m)
{
	fprintf(f, "# %s: valid, %u VM%s\n", m->file, m->nr_vms, m->nr_vms == 1 ? "" : "s");
	fprintf(f, "host:\n  cpus: %llu\n  memory: ", (unsigned long long)m->host.cpus);
	size_val(f, m->host.memory);
	fprintf(f, "%s\n  time_slice_us: %llu\n  console_focus: ",
	        m->host.memory_auto ? "  # automatic" : "",
	        (unsigned long long)m->host.time_slice_us);
	yaml_str(f, m->host.focus);
	fputs(strcmp(m->host.focus, MODEL_FOCUS_SHELL) == 0 ? "  # the hypervisor shell\n" : "\n",
	      f);
	if (m->map && (m->host.arch[0] || strcmp(m->map->arch, "riscv64") != 0))
		fprintf(f, "  arch: %s\n", m->map->arch);
	if (m->host.best_effort)
		fputs("  best_effort: true\n", f);
	if (m->host.nr_switches)
		fputs("  switches:\n", f);
	for (unsigned i = 0; i < m->host.nr_switches; i++)
		print_switch(f, &m->host.switches[i]);
	fputs("vms:\n", f);
	for (unsigned i = 0; i < m->nr_vms; i++)
		print_vm(f, m, &m->vms[i]);
}

void print_table(FILE *f, const struct model *m)
{
	fprintf(f, "%-3s %-20s %5s %7s %6s %-9s %-9s %-7s %s\n", "#", "NAME", "VCPUS", "MEMORY",
	        "WEIGHT", "PIN", "AUTOSTART", "VIRTIO", "KERNEL");
	for (unsigned i = 0; i < m->nr_vms; i++) {
		const struct model_vm *vm = &m->vms[i];
		char mem[32], pin[32] = "-", dev[32];
		scalar_fmt_size(vm->memory, mem, sizeof(mem));
		if (vm->nr_pin) {
			pin[0] = '\0';
			for (unsigned j = 0; j < vm->nr_pin; j++)
				snprintf(pin + strlen(pin), sizeof(pin) - strlen(pin), "%s%d",
				         j ? "," : "", vm->pin[j]);
		}
		snprintf(dev, sizeof(dev), "%ub/%un%s", vm->nr_disks, vm->nr_nics,
		         vm->virtio_console ? "/c" : "");
		fprintf(f, "%-3u %-20s %5llu %7s %6llu %-9s %-9s %-7s %s\n", i + 1, vm->name,
		        (unsigned long long)vm->vcpus, mem, (unsigned long long)vm->weight, pin,
		        vm->autostart ? "yes" : "no", dev, vm->kernel);
	}
}

void print_console_help(FILE *f, const struct model *m)
{
	fputs(
	    "`ferrovisor run` attaches the console to this terminal (QEMU's stdio). Every line\n"
	    "is tagged with where it came from: \"[vm-name] ...\" for a VM's UART, \"[hyp] ...\"\n"
	    "for the hypervisor. Keyboard input goes to the VM that has console focus.\n"
	    "A VM's control bytes are shown as text (ESC as ^[, BEL as ^G, bytes >= 0x80 as\n"
	    "M-x, UTF-8 included), so no guest can erase its tag or drive the terminal; the\n"
	    "shell command `console raw on` passes the focused VM's bytes unchanged (for a\n"
	    "full-screen program or UTF-8 text), `console raw off` filters again.\n"
	    "\n"
	    "Hypervisor console keys:\n"
	    "  " HYP_ESCAPE_KEY " n            give focus to the next VM\n"
	    "  " HYP_ESCAPE_KEY " 1 .. 8       give focus to VM number 1 .. 8\n"
	    "  " HYP_ESCAPE_KEY " 0, " HYP_ESCAPE_KEY " h  the hypervisor shell\n"
	    "  " HYP_ESCAPE_KEY " ?            list these keys\n"
	    "  " HYP_ESCAPE_KEY " " HYP_ESCAPE_KEY "       send " HYP_ESCAPE_KEY
	    " to the focused VM\n"
	    "QEMU keys:\n"
	    "  " QEMU_ESCAPE_KEY " x            quit QEMU (and `ferrovisor run`)\n"
	    "  " QEMU_ESCAPE_KEY " c            switch between the console and the QEMU monitor\n"
	    "  " QEMU_ESCAPE_KEY " " QEMU_ESCAPE_KEY "       send " QEMU_ESCAPE_KEY
	    " to the focused VM\n"
	    "  " QEMU_ESCAPE_KEY " h            QEMU's list of keys\n",
	    f);
	if (!m) {
		fputs("\nWith --config, the VM numbers of that configuration are listed.\n", f);
		return;
	}
	fputs("\nVM numbers in this configuration:\n", f);
	for (unsigned i = 0; i < m->nr_vms; i++)
		fprintf(f, "  " HYP_ESCAPE_KEY " %u          %s%s\n", i + 1, m->vms[i].name,
		        strcmp(m->host.focus, m->vms[i].name) == 0 ? "  (focus at boot)" : "");
	if (strcmp(m->host.focus, MODEL_FOCUS_SHELL) == 0)
		fputs("  (the hypervisor shell has focus at boot)\n", f);
}
