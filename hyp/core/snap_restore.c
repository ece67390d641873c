// SPDX-License-Identifier: MIT
/*
 * Restoring a VM from a snapshot stream (contract in snap_vm.h): the parser
 * (snap_fmt.c) checks the stream's structure and checksums; this consumer
 * checks what the values mean. Images go to staging as they come; the VM is
 * created from the CONFIG section through the run-time creation path
 * (vm_create_owned, as vm_create_dynamic does) at the first state section;
 * state is applied to the never-run VM; RAM pages are written through
 * vm_gpa_to_hva, which bounds them to the VM's RAM once more. Anything wrong
 * stops the restore and snap_restore_abort destroys the half-made VM (its RAM
 * scrubbed by the reaper like any destroyed VM's).
 */
#include "core/snap_vm.h"
#include "core/ctl.h"
#include "core/ctl_proto.h"
#include "core/sched.h"
#include "core/snap_arch.h"
#include "core/snap_pl011.h"
#include "core/timer.h"
#include "core/vm.h"
#include "core/console.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "arch/defs.h"

#ifndef ARCH_GUEST_UART_PL011
#define ARCH_GUEST_UART_PL011 0 /* the ns16550 (core/vconsole.c) */
#endif

static int rs_header(void *ctx, const struct snap_hdr *h)
{
	struct snap_restore *r = ctx;
	r->hdr = *h;
	/* Ticks of another frequency would make the guest's clock run at the wrong rate. */
	if (h->timebase_hz != time_freq_hz()) {
		pr_err("vm %s: restore: saved with a %lu Hz timebase, this host has %lu Hz",
		       r->name, (unsigned long)h->timebase_hz, (unsigned long)time_freq_hz());
		return 1;
	}
	if (h->nr_vcpus > VM_MAX_VCPUS) {
		pr_err("vm %s: restore: %u vCPUs, this build has at most %u", r->name, h->nr_vcpus,
		       VM_MAX_VCPUS);
		return 1;
	}
	/* A migration arrives on a migration session only, and a file on a sized one. */
	if (!(h->flags & SNAP_F_MIGRATION) != !r->migration) {
		pr_err("vm %s: restore: %s", r->name,
		       r->migration ? "not a migration stream"
		                    : "a migration stream is not a file");
		return 1;
	}
	r->was_running = h->flags & SNAP_F_RUNNING;
	return 0;
}

static int rs_image_begin(void *ctx, unsigned inst, uint64_t len)
{
	struct snap_restore *r = ctx;
	uint64_t want = inst ? r->vc.initrd_size : r->vc.kernel_size;
	if (len != want) {
		pr_err("vm %s: restore: image %u is %lu bytes, the configuration says %lu", r->name,
		       inst, (unsigned long)len, (unsigned long)want);
		return 1;
	}
	if (inst == 0 &&
	    vm_stage_open(&r->stage, vm_stage_pool(), r->vc.kernel_size, r->vc.initrd_size)) {
		pr_err("vm %s: restore: no memory to stage its images", r->name);
		return 1;
	}
	return 0;
}

static int rs_image(void *ctx, unsigned inst, uint64_t off, const uint8_t *p, uint32_t n)
{
	struct snap_restore *r = ctx;
	return vm_stage_write(&r->stage, inst ? VM_IMAGE_INITRD : VM_IMAGE_KERNEL, off, p, n) != 0;
}

/* Number of virtio devices the configuration has (DEVICE sections expected). */
static unsigned nr_devices(const struct vm_config *vc)
{
	return vc->nr_disks + vc->nr_nics + (vc->virtio_console ? 1u : 0u);
}

/*
 * A DEVICE section of a file (a BIND section of a migration) before the VM exists: bind its
 * backend into the configuration and keep the payload until the devices exist (load_devices,
 * or the migration's DEVICE section). After that it is too late: the devices were made
 * without it.
 */
static int take_device(struct snap_restore *r, unsigned j, const uint8_t *p, uint32_t len)
{
	if (r->vm || j >= nr_devices(&r->vc) || len != SNAP_DEV_LEN) {
		pr_err("vm %s: restore: device section %u unexpected (after the VM state, or "
		       "beyond the configuration's devices)",
		       r->name, j);
		return 1;
	}
	if (r->migration && !snap_virtio_bind_valid(p, len)) {
		pr_err("vm %s: restore: binding %u carries device state (reserved bytes set)",
		       r->name, j);
		return 1;
	}
	if (snap_virtio_bind(&r->vc, j, p, len))
		return 1;
	memcpy(r->dev[j], p, len);
	r->dev_seen |= 1u << j;
	return 0;
}

/*
 * A migration's DEVICE section, the VM made from the BIND sections: the state at the final
 * pause, for the backend it was bound to (the source never changes a device's binding).
 */
static int load_mig_device(struct snap_restore *r, unsigned j, const uint8_t *p, uint32_t len)
{
	if (j >= nr_devices(&r->vc) || !(r->dev_seen & (1u << j)) || len != SNAP_DEV_LEN ||
	    !snap_virtio_same_binding(r->dev[j], p)) {
		pr_err("vm %s: restore: device %u's state names another binding than the stream "
		       "bound it to",
		       r->name, j);
		return 1;
	}
	return snap_virtio_load(r->vm, j, p, len) != 0;
}

/* The VM exists: its devices take the state the DEVICE sections carried. */
static int load_devices(struct snap_restore *r)
{
	for (unsigned j = 0; j < nr_devices(&r->vc); j++)
		if (snap_virtio_load(r->vm, j, r->dev[j], SNAP_DEV_LEN))
			return 1;
	return 0;
}

/* The first state section: the images are complete (their CRCs checked), make the VM. */
static int create_vm(struct snap_restore *r)
{
	unsigned ndev = nr_devices(&r->vc);
	if (r->dev_seen != (ndev ? (1u << ndev) - 1u : 0u)) {
		pr_err("vm %s: restore: the configuration has %u virtio device(s); their DEVICE "
		       "sections must all come before the other state",
		       r->name, ndev);
		return 1;
	}
	uint64_t ks = 0, is = 0;
	const uint8_t *k = vm_stage_data(&r->stage, VM_IMAGE_KERNEL, &ks);
	const uint8_t *i = vm_stage_data(&r->stage, VM_IMAGE_INITRD, &is);
	if (!vm_stage_complete(&r->stage) || !k || ks != r->vc.kernel_size ||
	    is != r->vc.initrd_size) {
		pr_err("vm %s: restore: images missing or incomplete", r->name);
		return 1;
	}
	if (vm_find(r->name)) {
		pr_err("vm %s: restore: a VM of that name exists", r->name);
		return 1;
	}
	r->vc.kernel = k;
	r->vc.initrd = i;
	if (vm_create_owned(&r->vc, &r->stage, &r->vm)) {
		r->vm = NULL;
		return 1; /* logged by vm_create_owned */
	}
	pr_info("vm %s: restore: created (%u vCPU(s), %lu MiB), loading state", r->name,
	        r->vm->nr_vcpus, (unsigned long)(r->vm->ram_size >> 20));
	/* A migration's device state comes with its final round (load_mig_device). */
	return r->migration ? 0 : load_devices(r);
}

static int apply_vm(struct snap_restore *r, const uint8_t *p, uint32_t len)
{
	struct vm *vm = r->vm;
	uint64_t dtb = ctl_get64(p + 8);
	if (len != SNAP_VM_LEN || ctl_get32(p + 16) || ctl_get32(p + 20) ||
	    (dtb && (dtb < vm->ram_gpa || dtb - vm->ram_gpa >= vm->ram_size)))
		return 1;
	spin_lock(&vm->lock);
	/* At least one boot: SBI STA records are tagged with the boot count. */
	vm->boots = ctl_get64(p) ? ctl_get64(p) : 1;
	vm->dtb_gpa = dtb;
	spin_unlock(&vm->lock);
	return 0;
}

static int apply_vcpu(struct snap_restore *r, unsigned i, const uint8_t *p, uint32_t len)
{
	uint32_t on = ctl_get32(p), flags = ctl_get32(p + 4);
	uint32_t virq = ctl_get32(p + 24);
	if (len != SNAP_VCPU_LEN || on > 1 || (flags & ~SNAP_VCPUF_KNOWN) || ctl_get32(p + 28) ||
	    (virq & ~(VIRQ_SOFT | VIRQ_TIMER | VIRQ_EXT)))
		return 1;
	struct vcpu *v = r->vm->vcpus[i];
	arch_snap_vcpu_suspend_load(v,
	                            flags & (SNAP_VCPUF_CPU_SUSPENDED | SNAP_VCPUF_RESUME_NONRET),
	                            ctl_get64(p + 8), ctl_get64(p + 16));
	v->sys_suspended = false; /* the VM comes back paused, not suspended to RAM */
	/* Only the IPI is an edge; the timer and external lines are re-derived from their sources.
	 */
	__atomic_store_n(&v->virq_pending, virq & VIRQ_SOFT, __ATOMIC_RELEASE);
	if (on)
		r->vcpu_on |= 1ull << i;
	return 0;
}

/* The UART section of a PL011 VM (snap_pl011.c checks every field). */
static int apply_pl011(struct vm *vm, const uint8_t *p, uint32_t len)
{
	if (!vm->cfg->has_uart)
		return 1;
	spin_lock(&vm->con.lock);
	int bad = snap_pl011_load(&vm->con.pl011, p, len) != 0;
	bool level = vm->con.pl011.irq_level;
	spin_unlock(&vm->con.lock);
	if (!bad && vm->irqchip)
		vm->irqchip->set_level(vm->irqchip_dev, VM_IRQ_UART, level);
	return bad;
}

static int apply_uart(struct snap_restore *r, const uint8_t *p, uint32_t len)
{
	struct vm *vm = r->vm;
	if (ARCH_GUEST_UART_PL011)
		return apply_pl011(vm, p, len);
	const uint8_t *g = p + VUART_FIFO_SIZE;
	if (len != SNAP_UART_LEN || !vm->cfg->has_uart || g[0] >= VUART_FIFO_SIZE ||
	    g[1] > VUART_FIFO_SIZE || g[11] > 1 || g[12] > 1)
		return 1;
	spin_lock(&vm->con.lock);
	struct vuart *u = &vm->con.uart;
	memcpy(u->rx_fifo, p, VUART_FIFO_SIZE);
	u->rx_head = g[0];
	u->rx_count = g[1];
	u->ier = g[2];
	u->lcr = g[3];
	u->mcr = g[4];
	u->fcr = g[5];
	u->scr = g[6];
	u->dll = g[7];
	u->dlm = g[8];
	u->lsr_err = g[9];
	u->msr_delta = g[10];
	u->thre_pending = g[11];
	u->irq_level = g[12];
	spin_unlock(&vm->con.lock);
	/* The line into the interrupt controller as the UART last drove it (its section holds it
	 * too). */
	if (vm->irqchip)
		vm->irqchip->set_level(vm->irqchip_dev, VM_IRQ_UART, u->irq_level);
	return 0;
}

static int rs_section(void *ctx, uint16_t type, uint16_t inst, const uint8_t *p, uint32_t len)
{
	struct snap_restore *r = ctx;
	int bad;
	if (type == SNAP_S_CONFIG)
		return snap_cfg_decode(p, len, &r->hdr, r->name, &r->vc) != 0;
	/* A migration's END: the guest clock at the source's final pause (set at commit). */
	if (type == SNAP_S_END) {
		r->hdr.guest_time = ctl_get64(p);
		return len != SNAP_MIG_END_LEN || !r->migration;
	}
	/* A file binds its devices with their DEVICE sections, a migration with BIND. */
	if (type == SNAP_S_BIND)
		return !r->migration || take_device(r, inst, p, len);
	if (type == SNAP_S_DEVICE && !r->migration)
		return take_device(r, inst, p, len);
	if (!r->vm && create_vm(r))
		return 1;
	switch (type) {
	case SNAP_S_DEVICE:
		bad = load_mig_device(r, inst, p, len);
		break;
	case SNAP_S_VM:
		bad = apply_vm(r, p, len);
		break;
	case SNAP_S_VM_ARCH:
		bad = arch_snap_vm_load(r->vm, p, len, r->hdr.guest_time) != 0;
		break;
	case SNAP_S_VCPU:
		bad = apply_vcpu(r, inst, p, len);
		break;
	case SNAP_S_VCPU_ARCH:
		bad = arch_snap_vcpu_load(r->vm->vcpus[inst], p, len) != 0;
		break;
	case SNAP_S_IRQCHIP:
		bad = arch_snap_irqchip_load(r->vm, p, len) != 0;
		break;
	case SNAP_S_RTC:
		bad = vm_rtc_snap_load(r->vm, p, len) != 0;
		break;
	case SNAP_S_UART:
		bad = apply_uart(r, p, len);
		break;
	default:
		bad = 1;
		break;
	}
	if (bad)
		pr_err("vm %s: restore: section %u (instance %u) refused", r->name, type, inst);
	return bad;
}

static int rs_ram(void *ctx, uint64_t gpa, const uint8_t *p, uint32_t n)
{
	struct snap_restore *r = ctx;
	/* A migration's pre-copy RAM comes before the state sections: the VM is made now. */
	if (!r->vm && (!r->migration || create_vm(r)))
		return 1;
	/* Populates (zeroes and maps) the block on first use and bounds the range to its RAM. */
	uint8_t *dst = vm_gpa_to_hva(r->vm, gpa, n);
	if (!dst)
		return 1;
	memcpy(dst, p, n);
	return 0;
}

static int rs_end(void *ctx)
{
	const struct snap_restore *r = ctx;
	return r->vm == NULL;
}

static const struct snap_rd_ops restore_ops = {rs_header, rs_section, rs_image_begin,
                                               rs_image,  rs_ram,     rs_end};

int snap_restore_begin(struct snap_restore *r, const char *name)
{
	if (!arch_snap_available()) {
		pr_err("vm %s: restore: snapshots are not implemented on %s yet", name,
		       arch_snap_name());
		return -FV_ENOTSUP;
	}
	if (!config_vm_name_ok(name))
		return -FV_EINVAL;
	if (vm_find(name))
		return -FV_EEXIST;
	memcpy(r->name, name, strlen(name) + 1);
	snap_rd_init(&r->rd, &restore_ops, r, arch_snap_name());
	return 0;
}

int snap_restore_push(struct snap_restore *r, const uint8_t *p, size_t n)
{
	int err = snap_rd_push(&r->rd, p, n);
	if (err)
		pr_err("vm %s: restore: snapshot refused at byte %lu: %s", r->name,
		       (unsigned long)r->rd.pos, snap_err_name(err));
	return err;
}

int snap_restore_commit(struct snap_restore *r, struct vm **out)
{
	int err = snap_rd_finish(&r->rd);
	if (err) {
		pr_err("vm %s: restore: snapshot incomplete at byte %lu: %s", r->name,
		       (unsigned long)r->rd.pos, snap_err_name(err));
		return err;
	}
	struct vm *vm = r->vm;
	/* Paused with its vCPUs as saved: each powered-on vCPU is queued and parks at once
	 * (the scheduler holds a paused VM's vCPUs); vm_resume lets them run. */
	spin_lock(&vm->lock);
	vm->state = VM_PAUSED;
	__atomic_store_n(&vm->paused, true, __ATOMIC_RELEASE);
	spin_unlock(&vm->lock);
	ctl_vm_event(vm, VM_STOPPED, VM_PAUSED, NULL);
	arch_snap_clock_resume(vm, r->hdr.guest_time);
	/* Last: the NICs join their switches and the queues are looked at again. */
	snap_virtio_start(vm);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (r->vcpu_on & (1ull << i))
			sched_start(vm->vcpus[i]);
	pr_info("vm %s: restored from snapshot of %s (guest time continues at %lu); paused",
	        vm->name, r->hdr.name, (unsigned long)r->hdr.guest_time);
	*out = vm;
	r->vm = NULL; /* no longer ours to destroy */
	return SNAP_OK;
}

void snap_restore_abort(struct snap_restore *r)
{
	vm_stage_abort(&r->stage); /* no-op once the VM took the images */
	if (r->vm) {
		pr_info("vm %s: restore: abandoned; the VM is destroyed", r->name);
		vm_destroy(r->vm);
		r->vm = NULL;
	}
}
