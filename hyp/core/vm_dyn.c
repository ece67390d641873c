// SPDX-License-Identifier: MIT
/*
 * VMs created and destroyed at run time (contracts in vm.h): creation from
 * a configuration blob plus staged images, templates of the boot bundle,
 * destruction with RAM scrubbing, and the reaper that frees dead VMs on
 * the boot CPU's console tick.
 */
#include "core/arch.h"
#include "core/console.h"
#include "core/guest_layout.h"
#include "core/mem.h"
#include "core/percpu.h"
#include "core/vm.h"
#include "core/timer.h"
#include "core/vnet.h"
#include "lib/printf.h"
#include "lib/string.h"

#define STAGE_CHUNK 4096 /* `vm create`: chunk size of the template's staged images */

static const void *boot_blob;
static size_t boot_blob_len;

static int pool_alloc(size_t npages, hpa_t *out)
{
	return mem_alloc_pages_low(npages, 1, out);
}

static void *pool_p2v(hpa_t pa)
{
	return mem_phys_to_virt(pa);
}

/* Staging memory for images comes from the free pool, like guest RAM. */
static const struct vm_stage_ops pool_ops = {pool_alloc, mem_free_pages, pool_p2v};

const struct vm_stage_ops *vm_stage_pool(void)
{
	return &pool_ops;
}

void vm_set_boot_blob(const void *blob, size_t len)
{
	boot_blob = blob;
	boot_blob_len = len;
}

/* Whether a live VM other than the one being made already has NIC address m. */
static bool mac_in_use(const uint8_t *m)
{
	for (unsigned i = 0; i < FV_MAX_VMS; i++) {
		struct vm *o = __atomic_load_n(&vm_table[i], __ATOMIC_ACQUIRE);
		if (!o)
			continue;
		for (unsigned k = 0; k < o->cfg->nr_nics; k++)
			if (memcmp(o->cfg->nic_mac[k], m, 6) == 0)
				return true;
	}
	return false;
}

/*
 * Map the blob's switches onto the host's (by name) and make the MACs unique
 * among live VMs: a default MAC (02:46:56:00:<index>:<nic>) moves to a free
 * fourth byte, an explicit one that is taken is refused.
 */
static int bind_nics(struct vm_config *vc, const struct hyp_config *hc)
{
	for (unsigned k = 0; k < vc->nr_nics; k++) {
		const char *sw = hc->switches[vc->nic_switch[k]].name;
		int idx = vnet_switch_find(sw);
		if (idx < 0) {
			pr_err("vm %s: virtio-net-switch: this host has no switch named %s",
			       vc->name, sw);
			return -FV_ENOENT;
		}
		vc->nic_switch[k] = (uint32_t)idx;
		uint8_t *m = vc->nic_mac[k];
		bool dflt = m[0] == 0x02 && m[1] == 0x46 && m[2] == 0x56 && m[3] == 0;
		for (unsigned tries = 0; mac_in_use(m); tries++) {
			if (!dflt || tries == 255) {
				pr_err("vm %s: virtio-net-mac: %02x:%02x:%02x:%02x:%02x:%02x is "
				       "already used by a running VM",
				       vc->name, m[0], m[1], m[2], m[3], m[4], m[5]);
				return -FV_EEXIST;
			}
			m[3] = (uint8_t)(m[3] + 1);
		}
	}
	return 0;
}

int vm_config_precheck(const struct vm_config *vc)
{
	struct guest_layout_error le;
	if (guest_layout_check_vm(arch_guest_map(), vc, &le) != 0) {
		pr_err("vm %s: not created: guest address map: %s", vc->name, le.what);
		return le.code;
	}
	uint64_t all = cpu_online_mask();
	if (vc->affinity && !(vc->affinity & all)) {
		pr_err("vm %s: not created: cpu-affinity names no CPU of this machine (%u CPUs)",
		       vc->name, cpu_count);
		return -FV_ERANGE;
	}
	for (unsigned j = 0; j < vc->vcpus; j++) {
		if (vc->vcpu_pin[j] >= (int)cpu_count) {
			pr_err("vm %s: not created: vcpu-pin names a CPU this machine lacks (%u "
			       "CPUs)",
			       vc->name, cpu_count);
			return -FV_ERANGE;
		}
	}
	return 0;
}

/* Point vc's images at staged buffers: given ones (checked) or copies of the blob's. */
static int bind_images(struct vm_config *vc, struct vm_stage *given, struct vm_stage *own,
                       struct vm_stage **use)
{
	if (!given) {
		if (!vc->kernel || (vc->initrd_size && !vc->initrd)) {
			pr_err("vm %s: the blob gives image sizes only: stage the images",
			       vc->name);
			return -FV_EINVAL;
		}
		/* The blob is only borrowed: the VM needs its images for every reboot. */
		int ret = vm_stage_open(own, &pool_ops, vc->kernel_size, vc->initrd_size);
		if (ret) {
			pr_err("vm %s: no memory to hold its images", vc->name);
			return ret;
		}
		vm_stage_write(own, VM_IMAGE_KERNEL, 0, vc->kernel, vc->kernel_size);
		if (vc->initrd_size)
			vm_stage_write(own, VM_IMAGE_INITRD, 0, vc->initrd, vc->initrd_size);
		given = own;
	}
	uint64_t ks = 0, is = 0;
	const uint8_t *k = vm_stage_data(given, VM_IMAGE_KERNEL, &ks);
	const uint8_t *i = vm_stage_data(given, VM_IMAGE_INITRD, &is);
	if (!vm_stage_complete(given) || !k || ks != vc->kernel_size || is != vc->initrd_size) {
		pr_err("vm %s: staged images incomplete or not the sizes the blob gives", vc->name);
		return -FV_EINVAL;
	}
	vc->kernel = k;
	vc->initrd = i;
	*use = given;
	return 0;
}

int vm_create_dynamic(const void *blob, size_t len, const char *node, const char *name,
                      struct vm_stage *images, struct vm **out)
{
	struct hyp_config *hc = mem_zalloc(sizeof(*hc));
	struct vm_stage own = {0};
	struct vm_stage *use = NULL;
	char err[200];
	if (!hc)
		return -FV_ENOMEM;
	int ret = config_parse(blob, len, hc, err, sizeof(err));
	if (ret) {
		pr_err("vm create: configuration: %s", err);
		goto out;
	}
	struct vm_config *vc = NULL;
	if (!node) {
		if (hc->nr_vms == 1)
			vc = &hc->vms[0];
		else
			pr_err("vm create: the blob must describe exactly one VM (it has %u)",
			       hc->nr_vms);
	} else {
		for (unsigned i = 0; i < hc->nr_vms && !vc; i++)
			if (strcmp(hc->vms[i].name, node) == 0)
				vc = &hc->vms[i];
		if (!vc)
			pr_err("vm create: no VM %s in the configuration", node);
	}
	ret = node ? -FV_ENOENT : -FV_EINVAL;
	if (!vc)
		goto out;
	if (name) {
		ret = -FV_EINVAL;
		if (!config_vm_name_ok(name)) {
			pr_err(
			    "vm create: name '%.40s' must be 1-31 characters of letters, digits, "
			    "'-', '_', '.' (not 'hyp')",
			    name);
			goto out;
		}
		memcpy(vc->name, name, strlen(name) + 1);
	}
	ret = -FV_EEXIST;
	if (vm_find(vc->name)) {
		pr_err("vm create: a VM named %s exists", vc->name);
		goto out;
	}
	/* Any reason is a bad configuration here: -FV_ENOSPC means "VM limit" to callers. */
	ret = vm_config_precheck(vc) ? -FV_EINVAL : 0;
	if (!ret)
		ret = bind_nics(vc, hc);
	if (!ret)
		ret = bind_images(vc, images, &own, &use);
	if (!ret)
		ret = vm_create_owned(vc, use, out);
	if (ret) {
		vm_stage_abort(&own); /* ours only: the caller's stage stays the caller's */
		goto out;
	}
	pr_info("vm %s: created at run time: %u vCPU(s), %lu MiB at 0x%lx (host 0x%lx), slot %u",
	        (*out)->name, (*out)->nr_vcpus, (unsigned long)((*out)->ram_size >> 20),
	        (unsigned long)(*out)->ram_gpa, (unsigned long)(*out)->ram_hpa, (*out)->id);
	if ((*out)->cfg->autostart)
		vm_start(*out);
out:
	mem_free(hc);
	return ret;
}

/* Stage one image from memory in chunks, as the control channel does from its messages. */
static int stage_chunked(struct vm_stage *st, enum vm_image img, const uint8_t *src, uint64_t n)
{
	for (uint64_t off = 0; off < n; off += STAGE_CHUNK) {
		uint64_t len = n - off < STAGE_CHUNK ? n - off : STAGE_CHUNK;
		int ret = vm_stage_write(st, img, off, src + off, (size_t)len);
		if (ret)
			return ret;
	}
	return 0;
}

int vm_create_from_template(const char *tmpl, const char *name, struct vm **out)
{
	char buf[VM_NAME_MAX];
	if (!boot_blob)
		return -FV_ENOENT;
	if (!name) {
		/* TEMPLATE-N, the lowest N free; the name is checked again when created. */
		for (unsigned n = 1; n <= FV_MAX_VMS + 1; n++) {
			fv_snprintf(buf, sizeof(buf), "%.24s-%u", tmpl, n);
			if (!vm_find(buf))
				break;
		}
		name = buf;
	}
	/*
	 * The control channel's path exactly: the template's images are staged in
	 * chunks and handed over with the blob (whose image bytes are then unused).
	 */
	struct hyp_config *hc = mem_zalloc(sizeof(*hc));
	if (!hc)
		return -FV_ENOMEM;
	int ret = config_parse(boot_blob, boot_blob_len, hc, NULL, 0);
	const struct vm_config *vc = NULL;
	for (unsigned i = 0; ret == 0 && i < hc->nr_vms && !vc; i++)
		if (strcmp(hc->vms[i].name, tmpl) == 0)
			vc = &hc->vms[i];
	struct vm_stage st = {0};
	if (!vc || !vc->is_template) {
		pr_err("vm create: the configuration has no template VM named %.40s", tmpl);
		ret = -FV_ENOENT;
	} else {
		ret = vm_stage_open(&st, &pool_ops, vc->kernel_size, vc->initrd_size);
		if (!ret)
			ret = stage_chunked(&st, VM_IMAGE_KERNEL, vc->kernel, vc->kernel_size);
		if (!ret && vc->initrd_size)
			ret = stage_chunked(&st, VM_IMAGE_INITRD, vc->initrd, vc->initrd_size);
		if (!ret)
			ret = vm_create_dynamic(boot_blob, boot_blob_len, tmpl, name, &st, out);
		vm_stage_abort(&st); /* no-op when the VM took the buffers */
	}
	mem_free(hc);
	return ret;
}

int vm_destroy(struct vm *vm)
{
	spin_lock(&vm->lock);
	if (vm->destroying) {
		spin_unlock(&vm->lock);
		return -FV_EBUSY;
	}
	__atomic_store_n(&vm->destroying, true, __ATOMIC_RELEASE);
	bool down = vm->state == VM_STOPPED || vm->state == VM_CRASHED;
	if (!down) {
		/* Wins over any pending stop or reset; vm_request refuses from now on. */
		vm->pending = VM_ACTION_DESTROY;
		vm->state = VM_STOPPING;
	}
	spin_unlock(&vm->lock);
	if (down) {
		pr_info("vm %s: destroying", vm->name);
		__atomic_store_n(&vm->dead, true, __ATOMIC_RELEASE);
		return 0;
	}
	pr_info("vm %s: destroy requested; stopping its vCPUs", vm->name);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vcpu_request(vm->vcpus[i], VCPU_REQ_STOP);
	/* Every vCPU may already be stopped (guest CPU-off calls): then it is dead now. */
	vm_vcpu_stopped(vm);
	return 0;
}

/* Every vCPU stopped and put by its last CPU (no CPU holds its context). */
static bool vcpus_off(const struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		const struct vcpu *v = vm->vcpus[i];
		if (__atomic_load_n(&v->running_cpu, __ATOMIC_ACQUIRE) != -1 ||
		    v->state != VCPU_STOPPED)
			return false;
	}
	return true;
}

void vm_reap(void)
{
	for (unsigned i = 0; i < FV_MAX_VMS; i++) {
		struct vm *vm = __atomic_load_n(&vm_table[i], __ATOMIC_ACQUIRE);
		/* A CPU still between the stop and the put: the next tick takes it. */
		if (!vm || !__atomic_load_n(&vm->dead, __ATOMIC_ACQUIRE) || !vcpus_off(vm))
			continue;
		if (!vm->reap_armed) {
			/*
			 * Two ticks: cancel the vCPUs' timers now, free on the next tick
			 * (10 ms on). A callback that fired just before the cancel runs
			 * without the timer queue lock (timer.c) and only raises a line or
			 * wakes the vCPU, which is bounded and far shorter than a tick; so
			 * is the tail of the last vm_vcpu_stopped() that marked it dead.
			 */
			for (unsigned j = 0; j < vm->nr_vcpus; j++) {
				timer_cancel(&vm->vcpus[j]->wake_timer);
				timer_cancel(&vm->vcpus[j]->vtimer);
			}
			vm_rtc_stop(vm);
			vm->reap_armed = true;
			continue;
		}
		vm_free(vm);
	}
}
