"""sdkwork.py - the SDK tests' shared steps: a gadget made by `gadgethost new`
in a temporary directory, built, and files deleted in a directory of its
own so that every event about it is known.  Standard library only."""

import os
import re
import shutil
import subprocess
import tempfile

from gh import BUILD_DIR, GH_BIN, check, excerpt, run_host, scaled, unique

SRC_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TUTORIAL = os.path.join(SRC_DIR, "docs", "writing-gadgets.md")
BUILD_DIR_SDK = BUILD_DIR  # gadgethost-sdk-uninstalled.pc


class Project:
    """a temp dir with NAME.bpf.c and NAME.lua from `gadgethost new`"""

    def __init__(self, name="mytool", build=True):
        self.dir = tempfile.mkdtemp(prefix="gh-sdk-")
        self.name = name
        self.c = os.path.join(self.dir, name + ".bpf.c")
        self.lua = os.path.join(self.dir, name + ".lua")
        self.obj = os.path.join(self.dir, name + ".bpf.o")
        self.victims = tempfile.mkdtemp(prefix="gh-del-")
        r = run_host("new", name, self.dir)
        check(r.returncode == 0, "gadgethost new failed", r.stderr)
        # rm under a name of its own (its comm): --comm RM_COMM sees this
        # test's deletions only, not another test's rm on the machine
        self.rm_comm = unique("rm")[:15]
        self.rm_path = os.path.join(self.dir, self.rm_comm)
        os.symlink(shutil.which("rm"), self.rm_path)
        if build:
            self.build()

    def build(self, *extra, expect_rc=0):
        r = run_host("build", self.c, *extra)
        if expect_rc is not None:
            check(r.returncode == expect_rc, "gadgethost build exited %d, wanted %d"
                  % (r.returncode, expect_rc), "stderr: " + excerpt(r.stderr))
        return r

    def read(self, path):
        with open(path) as f:
            return f.read()

    def write(self, path, text):
        """as an editor saves: a new file renamed over the old one"""
        tmp = path + ".tmp-save"
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, path)

    def edit(self, path, old, new):
        text = self.read(path)
        check(text.count(old) == 1, "%s: the text to replace is not there exactly once"
              % os.path.basename(path), old)
        self.write(path, text.replace(old, new))

    def victim(self, name):
        return os.path.join(self.victims, name)

    def rm(self, *names):
        """the private rm of victim files (one process); its pid"""
        return rm(*[self.victim(n) for n in names], binary=self.rm_path)

    def ours(self, evs):
        return [e for e in evs if str(e.get("path", "")).startswith(self.victims + "/")]

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.rmtree(self.victims, ignore_errors=True)


def rm(*paths, binary="rm"):
    """rm -f PATHS (one process, one unlinkat each); its pid"""
    p = subprocess.Popen([binary, "-f"] + list(paths))
    p.wait(scaled(30))
    return p.pid


def tutorial_edits(text=None):
    """the edits of docs/writing-gadgets.md: (file, old, new), in order.
    Each is a <!-- tutorial-edit FILE: ... --> comment followed by two
    fenced blocks, the text to find and its replacement."""
    text = text if text is not None else open(TUTORIAL).read()
    edits = []
    for m in re.finditer(r"<!-- tutorial-edit (\S+?): [^>]*-->\n", text):
        blocks = re.findall(r"```\w*\n(.*?)```", text[m.end():], re.S)
        check(len(blocks) >= 2, "tutorial edit of %s: two fenced blocks wanted" % m.group(1))
        edits.append((m.group(1), blocks[0], blocks[1]))
    return edits


def tutorial_output(text=None):
    """the lines of the <!-- tutorial-output --> block"""
    text = text if text is not None else open(TUTORIAL).read()
    m = re.search(r"<!-- tutorial-output -->\n```\w*\n(.*?)```", text, re.S)
    check(m, "no tutorial-output block in " + TUTORIAL)
    return m.group(1).splitlines()


# the verifier rejects this: a map value used without the NULL check
REJECTED = r'''
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

static __always_inline void count(void)
{
	__u32 key = bpf_get_current_pid_tgid() >> 32;
	__u64 *v;

	key = key * 7 + 1;
	key ^= key >> 3;
	key += bpf_get_prandom_u32() & 3;
	key ^= key << 2;
	v = bpf_map_lookup_elem(&seen, &key);
	*v += 1;
}
'''


def make_rejected(p):
    """edit p's .bpf.c so that the verifier rejects it (it still compiles)"""
    p.edit(p.c, "static __always_inline int report(", REJECTED +
           "\nstatic __always_inline int report(")
    p.edit(p.c, "\tif (failed_only && ret >= 0)\n", "\tcount();\n\tif (failed_only && ret >= 0)\n")
