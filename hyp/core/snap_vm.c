// SPDX-License-Identifier: MIT
/*
 * Saving and restoring a VM (contracts in snap_vm.h; format in
 * docs/snapshot-format.md): the arch-neutral sections (CONFIG, VM, VCPU,
 * interrupt controller, RTC, UART) are encoded and checked here, RAM and images are streamed
 * by snap_fmt.c, arch state goes through snap_arch.h.
 */
#include "core/snap_vm.h"
#include "core/arch.h"
#include "core/ctl.h"
#include "core/ctl_proto.h"
#include "core/mem.h"
#include "core/sched.h"
#include "core/snap_arch.h"
#include "core/snap_pl011.h"
#include "core/timer.h"
#include "core/vm.h"
#include "core/console.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "arch/defs.h"

/* The VM's UART model (core/vconsole.c): the ns16550 unless the architecture says PL011. */
#ifndef ARCH_GUEST_UART_PL011
#define ARCH_GUEST_UART_PL011 0
#endif

#define POST_MAX                                                                                   \
	(4u * 1024u + VM_MAX_VCPUS * (SNAP_VCPU_LEN + ARCH_SNAP_MAX + 40u) +                       \
	 SNAP_MAX_DEVICES * (SNAP_DEV_LEN + 20u))

#define CFGF_UART 0x1u
#define CFGF_RTC  0x2u
#define CFGF_HVC  0x4u

_Static_assert(VM_MAX_VCPUS <= 8 && VM_MAX_VCPUS <= SNAP_MAX_VCPUS, "CONFIG has 8 pin slots");
_Static_assert(ARCH_SNAP_MAX <= SNAP_SMALL_MAX && SNAP_CFG_LEN <= SNAP_SMALL_MAX, "small sections");

/* --- CONFIG ---------------------------------------------------------------------------------- */

static uint32_t cfg_encode(const struct vm_config *c, uint8_t *p)
{
	memset(p, 0, SNAP_CFG_LEN);
	ctl_put32(p, c->vcpus);
	ctl_put32(p + 4, c->weight);
	ctl_put64(p + 8, c->mem_base);
	ctl_put64(p + 16, c->mem_size);
	ctl_put64(p + 24, c->affinity);
	for (unsigned i = 0; i < 8; i++)
		ctl_put32(p + 32 + 4 * i, (uint32_t)(i < VM_MAX_VCPUS ? c->vcpu_pin[i] : -1));
	ctl_put64(p + 64, c->kernel_offset);
	ctl_put64(p + 72, c->kernel_size);
	ctl_put64(p + 80, c->initrd_size);
	ctl_put32(p + 88, (c->has_uart ? CFGF_UART : 0) | (c->has_rtc ? CFGF_RTC : 0) |
	                      (c->virtio_console ? CFGF_HVC : 0));
	ctl_put32(p + 92, c->nr_disks);
	ctl_put64(p + 96, c->uart_base);
	ctl_put32(p + 104, c->nr_nics);
	memcpy(p + 112, c->bootargs, strlen(c->bootargs));
	return SNAP_CFG_LEN;
}

/* A CONFIG payload into @vc for the VM @name; every field checked. 0 or -FV_EINVAL (logged). */
int snap_cfg_decode(const uint8_t *p, uint32_t len, const struct snap_hdr *h, const char *name,
                    struct vm_config *vc)
{
	const char *why = NULL;
	memset(vc, 0, sizeof(*vc));
	if (len != SNAP_CFG_LEN) {
		why = "CONFIG has the wrong length";
		goto bad;
	}
	memcpy(vc->name, name, strlen(name) + 1);
	vc->vcpus = ctl_get32(p);
	vc->weight = ctl_get32(p + 4);
	vc->mem_base = ctl_get64(p + 8);
	vc->mem_size = ctl_get64(p + 16);
	vc->affinity = ctl_get64(p + 24);
	for (unsigned i = 0; i < VM_MAX_VCPUS; i++)
		vc->vcpu_pin[i] = (int)ctl_get32(p + 32 + 4 * i);
	vc->kernel_offset = ctl_get64(p + 64);
	vc->kernel_size = ctl_get64(p + 72);
	vc->initrd_size = ctl_get64(p + 80);
	uint32_t flags = ctl_get32(p + 88);
	vc->has_uart = flags & CFGF_UART;
	vc->has_rtc = flags & CFGF_RTC;
	vc->virtio_console = flags & CFGF_HVC;
	vc->nr_disks = ctl_get32(p + 92);
	vc->uart_base = ctl_get64(p + 96);
	vc->nr_nics = ctl_get32(p + 104);
	if (vc->vcpus == 0 || vc->vcpus > VM_MAX_VCPUS || vc->vcpus != h->nr_vcpus)
		why = "vCPU count out of range or not the header's";
	else if (vc->mem_base != h->ram_gpa || vc->mem_size != h->ram_size ||
	         vc->mem_size % VM_RAM_BLOCK)
		why = "RAM not the header's, or not a multiple of 2 MiB";
	else if (vc->weight == 0 || vc->weight > SCHED_WEIGHT_MAX)
		why = "scheduler weight out of range";
	else if ((flags & ~(CFGF_UART | CFGF_RTC | CFGF_HVC)) || ctl_get32(p + 108))
		why = "unknown flags";
	else if (vc->kernel_size == 0 || vc->kernel_size > SNAP_IMAGE_MAX ||
	         vc->initrd_size > SNAP_IMAGE_MAX)
		why = "image sizes out of range";
	else if (p[112 + CFG_BOOTARGS_MAX - 1] != 0)
		why = "bootargs not terminated";
	else if (vc->nr_disks > CFG_MAX_VIRTIO || vc->nr_nics > CFG_MAX_VIRTIO ||
	         vc->nr_disks + vc->nr_nics + (vc->virtio_console ? 1u : 0u) > SNAP_MAX_DEVICES)
		why = "too many virtio devices";
	for (unsigned i = 0; !why && i < VM_MAX_VCPUS; i++)
		if (vc->vcpu_pin[i] < -1)
			why = "vcpu-pin out of range";
	if (why)
		goto bad;
	for (unsigned i = 8; i < VM_MAX_VCPUS; i++)
		vc->vcpu_pin[i] = -1;
	memcpy(vc->bootargs, p + 112, CFG_BOOTARGS_MAX);
	/* The guest address map and the CPUs it names, as for any new VM (logs why). */
	return vm_config_precheck(vc) ? -FV_EINVAL : 0;
bad:
	pr_err("vm %s: restore: configuration refused: %s", name, why);
	return -FV_EINVAL;
}

/* --- save ------------------------------------------------------------------------------------ */

static const uint8_t *save_page(void *ctx, uint64_t gpa)
{
	const struct vm *vm = ctx;
	uint64_t off = gpa - vm->ram_gpa;
	uint64_t b = off / VM_RAM_BLOCK;
	/* A block the guest never touched this boot is zero by definition: skip it unread. */
	if (!((__atomic_load_n(&vm->ram_present[b / 64], __ATOMIC_ACQUIRE) >> (b % 64)) & 1))
		return NULL;
	return mem_phys_to_virt(vm->ram_hpa + off);
}

static const uint8_t *save_image(void *ctx, unsigned inst, uint64_t off, uint64_t *n)
{
	const struct vm *vm = ctx;
	const uint8_t *img = inst ? vm->cfg->initrd : vm->cfg->kernel;
	uint64_t size = inst ? vm->cfg->initrd_size : vm->cfg->kernel_size;
	*n = off < size ? size - off : 0;
	return img ? img + off : NULL;
}

static const struct snap_gen_ops save_ops = {save_page, save_image};

static uint32_t put_vcpu(const struct vcpu *v, uint8_t *p)
{
	memset(p, 0, SNAP_VCPU_LEN);
	ctl_put32(p, v->state != VCPU_STOPPED);
	uint64_t addr = 0, arg = 0;
	uint32_t susp = arch_snap_vcpu_suspend_save(v, &addr, &arg);
	ctl_put32(p + 4, susp | (v->sys_suspended ? SNAP_VCPUF_SYS_SUSPENDED : 0));
	ctl_put64(p + 8, addr);
	ctl_put64(p + 16, arg);
	ctl_put32(p + 24, __atomic_load_n(&v->virq_pending, __ATOMIC_ACQUIRE));
	return SNAP_VCPU_LEN;
}

static uint32_t put_uart(const struct vuart *u, uint8_t *p)
{
	memset(p, 0, SNAP_UART_LEN);
	memcpy(p, u->rx_fifo, VUART_FIFO_SIZE);
	const uint8_t regs[] = {u->rx_head,   u->rx_count,     u->ier,      u->lcr, u->mcr,
	                        u->fcr,       u->scr,          u->dll,      u->dlm, u->lsr_err,
	                        u->msr_delta, u->thre_pending, u->irq_level};
	memcpy(p + VUART_FIFO_SIZE, regs, sizeof(regs));
	return SNAP_UART_LEN;
}

/* The state sections of a quiet VM into s->post; returns their bytes, *n their count. */
static uint32_t build_post(struct vm *vm, uint8_t *post, uint32_t *n)
{
	uint8_t pl[ARCH_SNAP_MAX];
	uint32_t off = 0, len;
	*n = 0;
	/* DEVICE first: a restore needs the devices' backends before it makes the VM. */
	uint8_t dev[SNAP_DEV_LEN];
	for (unsigned j = 0; j < vm->nr_vdev; j++) {
		uint32_t dl = snap_virtio_save(vm, j, dev);
		off += (uint32_t)snap_sect_put(post + off, POST_MAX - off, SNAP_S_DEVICE,
		                               (uint16_t)j, dev, dl);
		(*n)++;
	}
#define ADD(type, inst)                                                                            \
	do {                                                                                       \
		off +=                                                                             \
		    (uint32_t)snap_sect_put(post + off, POST_MAX - off, (type), (inst), pl, len);  \
		(*n)++;                                                                            \
	} while (0)
	memset(pl, 0, SNAP_VM_LEN);
	ctl_put64(pl, vm->boots);
	ctl_put64(pl + 8, vm->dtb_gpa);
	len = SNAP_VM_LEN;
	ADD(SNAP_S_VM, 0);
	len = arch_snap_vm_save(vm, pl);
	ADD(SNAP_S_VM_ARCH, 0);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		len = put_vcpu(vm->vcpus[i], pl);
		ADD(SNAP_S_VCPU, (uint16_t)i);
		len = arch_snap_vcpu_save(vm->vcpus[i], pl);
		ADD(SNAP_S_VCPU_ARCH, (uint16_t)i);
	}
	len = arch_snap_irqchip_save(vm, pl);
	ADD(SNAP_S_IRQCHIP, 0);
	if (vm->rtc.present) {
		len = vm_rtc_snap_save(vm, pl);
		ADD(SNAP_S_RTC, 0);
	}
	if (vm->cfg->has_uart) {
		spin_lock(&vm->con.lock);
		/* The section's layout is the UART model's (docs/snapshot-format.md, "UART"). */
		len = ARCH_GUEST_UART_PL011 ? snap_pl011_save(&vm->con.pl011, pl)
		                            : put_uart(&vm->con.uart, pl);
		spin_unlock(&vm->con.lock);
		ADD(SNAP_S_UART, 0);
	}
#undef ADD
	return off;
}

bool snap_vm_quiet(const struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (__atomic_load_n(&vm->vcpus[i]->running_cpu, __ATOMIC_ACQUIRE) != -1)
			return false;
	return true;
}

int snap_save_supported(const struct vm *vm)
{
	const struct vm_config *c = vm->cfg;
	if (!arch_snap_available()) {
		pr_err("vm %s: snapshot: not implemented on %s yet", vm->name, arch_snap_name());
		return -FV_ENOTSUP;
	}
	if (vm == ctl_service_vm() || c->service) {
		pr_err("vm %s: snapshot: not supported for the service VM", vm->name);
		return -FV_ENOTSUP;
	}
	return 0;
}

int snap_save_begin(struct snap_save *s, struct vm *vm, bool paused_by_save)
{
	const struct vm_config *c = vm->cfg;
	/* Paused, but a vCPU can still pass through a CPU on its way to park after the caller
	 * found it quiet (woken, picked, parked at once): not yet. Nothing is undone, the VM
	 * stays paused for the caller's next try. */
	if (__atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) == VM_PAUSED && !vm->destroying &&
	    !snap_vm_quiet(vm))
		return -FV_EAGAIN;
	s->was_running = paused_by_save;
	s->vm = vm;
	s->slot = vm->id;
	s->mem_gen = __atomic_load_n(&vm->mem_gen, __ATOMIC_ACQUIRE);
	int ret = -FV_EBUSY;
	/* Every vCPU must have saved its state (put) and none may run until the end. */
	if (__atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) != VM_PAUSED || vm->destroying ||
	    !snap_vm_quiet(vm))
		goto undo;
	/* No request in flight and no traffic into its RAM until the end (snap_virtio.h). */
	ret = snap_virtio_quiesce(vm);
	if (ret)
		goto undo;
	s->frozen = true;
	ret = -FV_ENOMEM;
	s->nz = mem_zalloc(snap_gen_bitmap_bytes(vm->ram_size) + 8);
	s->post = mem_zalloc(POST_MAX);
	if (!s->nz || !s->post)
		goto undo;
	uint32_t nsect = 0;
	uint32_t post_len = build_post(vm, s->post, &nsect);
	struct snap_hdr h;
	uint64_t il[2];
	snap_vm_hdr(vm, s->was_running ? SNAP_F_RUNNING : 0, &h, il);
	ret = -FV_EINVAL;
	if (snap_gen_init(&s->gen, &save_ops, vm, &h, s->cfg, cfg_encode(c, s->cfg), il, s->post,
	                  post_len, nsect, s->nz))
		goto undo;
	pr_info("vm %s: snapshot: %lu bytes (RAM scanned, zero pages left out)", vm->name,
	        (unsigned long)s->gen.hdr.total_size);
	return 0;
undo:
	pr_err("vm %s: snapshot: not started (%d)", vm->name, ret);
	snap_save_end(s, true);
	return ret;
}

bool snap_save_valid(const struct snap_save *s)
{
	const struct vm *vm = s->vm;
	/* The slot first: only a VM still in it may be looked at (a new VM in the same slot at
	 * the same address is told apart by its memory generation, unique per VM). */
	return vm && s->slot < FV_MAX_VMS &&
	       __atomic_load_n(&vm_table[s->slot], __ATOMIC_ACQUIRE) == vm && !vm->destroying &&
	       __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) == VM_PAUSED &&
	       __atomic_load_n(&vm->mem_gen, __ATOMIC_ACQUIRE) == s->mem_gen;
}

void snap_save_end(struct snap_save *s, bool resume)
{
	struct vm *vm = s->vm;
	/* Still the same VM (paused or not): its devices take traffic again. */
	if (vm && s->frozen && s->slot < FV_MAX_VMS &&
	    __atomic_load_n(&vm_table[s->slot], __ATOMIC_ACQUIRE) == vm && !vm->destroying &&
	    __atomic_load_n(&vm->mem_gen, __ATOMIC_ACQUIRE) == s->mem_gen)
		snap_virtio_thaw(vm);
	s->frozen = false;
	if (vm && resume && s->was_running && snap_save_valid(s))
		vm_resume(vm);
	mem_free(s->nz);
	mem_free(s->post);
	s->nz = s->post = NULL;
	s->vm = NULL;
}

/* --- live migration (snap_vm.h) ------------------------------------------------------------ */

void snap_vm_hdr(const struct vm *vm, uint32_t flags, struct snap_hdr *h, uint64_t il[2])
{
	const struct vm_config *c = vm->cfg;
	*h = (struct snap_hdr){.flags = flags,
	                       .guest_time = arch_snap_guest_time(vm),
	                       .timebase_hz = time_freq_hz(),
	                       .ram_gpa = vm->ram_gpa,
	                       .ram_size = vm->ram_size,
	                       .nr_vcpus = vm->nr_vcpus};
	memcpy(h->arch, arch_snap_name(), strlen(arch_snap_name()) + 1);
	memcpy(h->name, vm->name, sizeof(h->name));
	h->name[sizeof(h->name) - 1] = '\0';
	il[0] = c->kernel_size;
	il[1] = c->initrd ? c->initrd_size : 0;
}

const struct snap_gen_ops *snap_vm_gen_ops(void)
{
	return &save_ops;
}

uint32_t snap_vm_cfg(const struct vm *vm, uint8_t *out)
{
	return cfg_encode(vm->cfg, out);
}

uint32_t snap_vm_post_max(void)
{
	return POST_MAX;
}

uint32_t snap_vm_post(struct vm *vm, uint8_t *out, uint32_t *n)
{
	return build_post(vm, out, n);
}
