#!/usr/bin/env python3
"""kernel_build_id.py - the GNU build ID of a kernel whose BTF the gadgets'
minimal BTFs are made from (meson option core_btf), printed as hex.

  kernel_build_id.py /sys/kernel/btf/vmlinux   the running kernel's, from
                                               /sys/kernel/notes
  kernel_build_id.py PATH/vmlinux              an uncompressed vmlinux ELF
                                               (tests/kernels/vmlinux.sh)

The host finds a minimal BTF by the running kernel's build ID
(host/kernel/core_btf.c), so a BTF is used only on the very kernel build it
describes.  Exit status 1 with one line when PATH has no BTF or no build ID.
"""
import struct
import sys

NT_GNU_BUILD_ID = 3


def build_id_in_notes(data):
    """The GNU build ID in a run of ELF notes (4-byte aligned), or None."""
    off = 0
    while off + 12 <= len(data):
        namesz, descsz, ntype = struct.unpack_from("<III", data, off)
        off += 12
        name = data[off:off + namesz]
        off += (namesz + 3) & ~3
        desc = data[off:off + descsz]
        off += (descsz + 3) & ~3
        if ntype == NT_GNU_BUILD_ID and name.rstrip(b"\0") == b"GNU":
            return desc.hex()
    return None


def elf_sections(data):
    """(name, type, offset, size) of each section of a 64-bit ELF."""
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise ValueError("not a 64-bit ELF file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    heads = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize) for i in range(shnum)]
    names = heads[shstrndx][4]
    for h in heads:
        end = data.index(b"\0", names + h[0])
        yield data[names + h[0]:end].decode(), h[1], h[4], h[5]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: kernel_build_id.py /sys/kernel/btf/vmlinux | VMLINUX")
    path = sys.argv[1]
    try:
        if path == "/sys/kernel/btf/vmlinux":
            with open(path, "rb"):
                pass
            with open("/sys/kernel/notes", "rb") as f:
                bid = build_id_in_notes(f.read())
        else:
            with open(path, "rb") as f:
                data = f.read()
            sections = list(elf_sections(data))
            if not any(name == ".BTF" for name, _, _, _ in sections):
                sys.exit(f"{path}: no .BTF section (a kernel built without "
                         "CONFIG_DEBUG_INFO_BTF)")
            bid = None
            for name, stype, off, size in sections:
                if stype == 7 and not bid:  # SHT_NOTE
                    bid = build_id_in_notes(data[off:off + size])
    except (OSError, ValueError, struct.error) as e:
        sys.exit(f"{path}: {e}")
    if not bid:
        sys.exit(f"{path}: no GNU build ID note")
    print(bid)


if __name__ == "__main__":
    main()
