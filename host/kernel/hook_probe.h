/* hook_probe.h - can the running kernel attach a program's hook?
 *
 * Asked before load, from the program's section name and type, so the
 * verifier never sees a program the kernel cannot attach:
 *   tracepoint/CAT/NAME, tp/CAT/NAME  tracefs has events/CAT/NAME
 *   tp_btf/NAME, raw_tp/NAME          the vmlinux BTF has btf_trace_NAME
 *   kprobe/FN, kretprobe/FN           tracefs has kprobe_events (kprobes
 *                                     built in) and FN is in
 *                                     available_filter_functions, or a
 *                                     text symbol of /proc/kallsyms not
 *                                     in the kprobes blacklist
 *   fentry/FN, fexit/FN, fmod_ret/FN  the vmlinux BTF has FUNC FN and a
 *                                     two-instruction fentry program
 *                                     really loads and attaches to it
 * and for every program: the kernel supports its program type
 * (libbpf_probe_bpf_prog_type).  Other sections are taken as supported:
 * their load says what is wrong.  tracefs must be mounted first
 * (gh_tracefs_ensure()).
 */
#ifndef GH_HOOK_PROBE_H
#define GH_HOOK_PROBE_H

#include <stdbool.h>
#include <stddef.h>

struct bpf_program;

/* true, or false with why: what the kernel lacks, a noun phrase such as
 * "tracepoint capability:cap_capable" (this kernel has no ...).  hook
 * gets the hook's short name ("capability:cap_capable", "kprobe cap_capable"). */
bool gh_hook_supported(const struct bpf_program *prog, char *hook, size_t hooklen, char *why,
		       size_t whylen);
/* The same, from a section name and program type (enum bpf_prog_type). */
bool gh_hook_supported_sec(const char *sec, int prog_type, char *hook, size_t hooklen, char *why,
			   size_t whylen);
/* Does the kernel have kprobes (tracefs kprobe_events)? */
bool gh_kprobes_available(void);
/* Is fn attachable by fentry here (a probe program loaded and attached)?
 * false with why otherwise. */
bool gh_fentry_works(const char *fn, char *why, size_t whylen);

#endif
