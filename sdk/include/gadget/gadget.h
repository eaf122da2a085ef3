/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR Apache-2.0 */
/* gadget/gadget.h - everything a gadget's .bpf.c needs, in one include. */
#ifndef GADGET_GADGET_H
#define GADGET_GADGET_H

#include <vmlinux.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include <gadget/types.h>
#include <gadget/macros.h>
#include <gadget/buffer.h>
#include <gadget/filter.h>
#include <gadget/syscall.h>

#endif
