#!/usr/bin/env python3
"""The bash completion (dist/completion/gadgethost.bash) against the built
binary: commands, gadget names from the search path (a gadget of the
test's own in $GADGETHOST_PATH included), each gadget's params and field
names for --fields, -F and --sort, each command's options; all asked of
the binary, so a gadget or param the test makes up is completed too.
Once through a real bash and readline in tmux, the rest by calling the
completion function as bash does (COMP_LINE, COMP_POINT)."""

import os
import re
import shutil
import subprocess
import tempfile
import time

import pkgbuild
from gh import GH_BIN, Failure, check, excerpt, main, scaled, unique
from pkgbuild import help_commands, options_in

SCRIPT = os.path.join(pkgbuild.SOURCE_DIR, "dist", "completion", "gadgethost.bash")


class Shell:
    """a PATH where `gadgethost` is the built binary, and a gadget
    directory of our own in GADGETHOST_PATH"""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="gh-compl-")
        os.makedirs(os.path.join(self.dir, "bin"))
        os.symlink(GH_BIN, os.path.join(self.dir, "bin", "gadgethost"))
        self.cwd = os.path.join(self.dir, "cwd")   # empty: no paths to complete
        os.makedirs(self.cwd)
        self.gadgets = os.path.join(self.dir, "gadgets")
        self.env = dict(os.environ, PATH=os.path.join(self.dir, "bin") + ":/usr/bin:/bin",
                        GADGETHOST_PATH=self.gadgets, HOME=self.dir)

    def complete(self, line):
        """what _gadgethost puts in COMPREPLY for the line, cursor at its end"""
        r = subprocess.run(["bash", "--norc", "--noprofile", "-c",
                            '. "$1"; COMP_LINE=$2; COMP_POINT=${#COMP_LINE}; _gadgethost; '
                            'printf "%s\\n" "${COMPREPLY[@]}"', "bash", SCRIPT, line],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=self.env, cwd=self.cwd, timeout=scaled(30))
        check(r.returncode == 0 and not r.stderr, "completing %r failed" % line, r.stderr)
        return [w for w in r.stdout.split("\n") if w]

    def gh(self, *args):
        return subprocess.run(["gadgethost"] + list(args), stdout=subprocess.PIPE, text=True,
                              env=self.env, timeout=scaled(30)).stdout

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def expect(sh, line, want):
    got = sh.complete(line)
    check(sorted(got) == sorted(want), "completing %r" % line, "got:  %s" % got,
          "want: %s" % want)


def info_fields(sh, gadget):
    text = sh.gh("info", gadget)
    block = text.split("\nFIELD ", 1)[1].split("\n\n", 1)[0]
    return [l.split()[0] for l in block.splitlines()[1:] if l.strip()]


def test_commands_and_options():
    """the commands of `gadgethost --help`; each command's options from
    its own --help"""
    sh = Shell()
    try:
        cmds = help_commands(sh.gh("--help"))
        check(len(cmds) >= 10, "no commands read", cmds)
        expect(sh, "gadgethost ", cmds)
        expect(sh, "gadgethost list", [c for c in cmds if c.startswith("list")])
        for cmd in ("daemon", "list-containers", "traceloop", "deploy"):
            want = options_in(sh.gh(cmd, "--help"))
            expect(sh, "gadgethost %s %s -" % (cmd, "start" if cmd == "traceloop" else ""),
                   sorted(w for w in want if w.startswith("-")))
        expect(sh, "gadgethost daemon --so", ["--socket", "--socket-mode"])
        expect(sh, "gadgethost traceloop s", ["start", "show"])
        expect(sh, "gadgethost hook p", ["prestart", "poststop"])
        # --remote: a URL (bash splits words at ":", the reply too), then
        # the commands a daemon answers
        expect(sh, "gadgethost --remote unix:///r", ["///run/gadgethost.sock"])
        expect(sh, "gadgethost --remote unix:///run/gadgethost.sock li",
               ["list", "list-containers"])
        expect(sh, "gadgethost --remote unix:///run/gadgethost.sock run trace/exec.lua --hos",
               ["--host"])
        expect(sh, "gadgethost --remote unix:///run/gadgethost.sock in", ["instances"])
        # instances: its commands, its options, list's -o json
        expect(sh, "gadgethost instances ", ["attach", "delete", "list"])
        expect(sh, "gadgethost instances --remote unix:///tmp/x.sock l", ["list"])
        expect(sh, "gadgethost instances -", ["--remote", "--token-file"])
        expect(sh, "gadgethost instances list -o j", ["json"])
        expect(sh, "gadgethost run trace/exec.lua --det", ["--detach"])
    finally:
        sh.cleanup()


def test_gadgets_params_fields():
    """gadget names (installed and our own), a gadget's params (a made-up
    one too) and its fields for --fields, -F and --sort"""
    sh = Shell()
    try:
        # a gadget of our own: exec's script with a param of a made-up name
        param = unique("p").lower()
        mine = os.path.join(sh.gadgets, "mine")
        os.makedirs(mine)
        with open(os.path.join(pkgbuild.SOURCE_DIR, "gadgets", "trace", "exec.lua")) as f:
            text = f.read()
        check('["ignore-failed"]' in text, "trace/exec.lua has no ignore-failed param")
        with open(os.path.join(mine, "probe.lua"), "w") as f:
            f.write(text.replace('["ignore-failed"]', '["%s"]' % param))
        names = sorted(re.findall(r'"name":"([^"]+)"', sh.gh("list", "-o", "json")))
        check("mine/probe.lua" in names and "trace/exec.lua" in names,
              "gadgethost list does not show our gadget", names)
        expect(sh, "gadgethost run ", names)
        expect(sh, "gadgethost run trace/ex", ["trace/exec.lua"])
        expect(sh, "gadgethost run mine/", ["mine/probe.lua"])
        expect(sh, "gadgethost info snapshot/", [n for n in names if n.startswith("snapshot/")])
        expect(sh, "gadgethost run mine/probe.lua --%s" % param[:4], ["--" + param])
        expect(sh, "gadgethost run trace/exec.lua --ign", ["--ignore-failed"])
        expect(sh, "gadgethost run trace/exec.lua -o j", ["json", "jsonpretty"])
        expect(sh, "gadgethost k8s run trace/exec.lua --nod", ["--node"])

        # fields: exactly those `gadgethost info` lists, per gadget
        for gadget in ("trace/open.lua", "trace/exec.lua", "top/file.lua"):
            fields = info_fields(sh, gadget)
            check(len(fields) > 5, "no fields read from info %s" % gadget, fields)
            expect(sh, "gadgethost run %s --fields " % gadget, fields)
            expect(sh, "gadgethost run %s -F " % gadget, fields)
        check("path" in info_fields(sh, "trace/open.lua") and
              "path" not in info_fields(sh, "trace/exec.lua"), "open and exec fields alike")
        expect(sh, "gadgethost run trace/open.lua --fields pid,co", ["pid,comm"])
        expect(sh, "gadgethost run trace/open.lua --fields +pa", ["+path"])
        expect(sh, "gadgethost run top/file.lua --sort -rb", ["-rbytes"])
        expect(sh, "gadgethost run trace/open.lua -F pat", ["path"])
        # a whole field name: its operators; bash splits words at "=",
        # so a reply goes on from the last "="
        expect(sh, "gadgethost run trace/open.lua --filter path",
               ["path" + op for op in ("==", "!=", ">=", ">", "<=", "<", "~")])
        expect(sh, "gadgethost run trace/open.lua -F comm==cat,f",
               ["cat," + f for f in info_fields(sh, "trace/open.lua") if f.startswith("f")])
    finally:
        sh.cleanup()


def test_in_a_real_shell():
    """bash with readline in a terminal (tmux): Tab completes a gadget and
    a field as the user sees it"""
    tmux = shutil.which("tmux")
    check(tmux, "tmux is not installed (scripts/setup.sh installs it)")
    sh = Shell()
    server = unique("ghc")
    cmd = [tmux, "-L", server]

    def screen():
        return subprocess.run(cmd + ["capture-pane", "-p"], stdout=subprocess.PIPE, text=True,
                              timeout=scaled(10)).stdout

    def wait_for(pred, what):
        deadline = time.monotonic() + scaled(10)
        while not pred(screen()):
            if time.monotonic() > deadline:
                raise Failure("tmux: %s not within %g s" % (what, scaled(10)),
                              excerpt(screen()))
            time.sleep(0.05)

    try:
        env = ["env", "-i", "TERM=xterm", "HOME=" + sh.dir, "PATH=" + sh.env["PATH"],
               "GADGETHOST_PATH=" + sh.gadgets, "PS1=$ ",
               "bash", "--norc", "--noprofile"]
        subprocess.run(cmd + ["new-session", "-d", "-x", "200", "-y", "40", "-c", sh.cwd] + env,
                       check=True, timeout=scaled(10))

        def clean_prompt(n):
            subprocess.run(cmd + ["send-keys", "C-u", "clear; echo ready-%d" % n, "Enter"],
                           check=True)
            wait_for(lambda s: s.splitlines()[:2] == ["ready-%d" % n, "$"], "a clean prompt")

        subprocess.run(cmd + ["send-keys", ". %s" % SCRIPT, "Enter"], check=True)
        clean_prompt(0)
        for n, (typed, want) in enumerate((
                ("gadgethost run trace/ex", "$ gadgethost run trace/exec.lua"),
                ("gadgethost run trace/open.lua --fields pid,co",
                 "$ gadgethost run trace/open.lua --fields pid,comm"))):
            subprocess.run(cmd + ["send-keys", typed, "Tab"], check=True)
            wait_for(lambda s: s.splitlines()[1].rstrip() == want, repr(want))
            clean_prompt(n + 1)
    finally:
        subprocess.run(cmd + ["kill-server"], stderr=subprocess.DEVNULL)
        sh.cleanup()


if __name__ == "__main__":
    main([test_commands_and_options, test_gadgets_params_fields, test_in_a_real_shell],
         bpf=False)
