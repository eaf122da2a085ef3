#!/usr/bin/env python3
"""The man pages (dist/man/*.scd, scdoc) against the program: every
command `gadgethost --help` lists is in gadgethost(8) and has a page of its
own, and each page's OPTIONS name exactly the options the command's
--help prints, read from the built binary now.  A command whose options
change without its page (or a page that keeps an option the program
dropped) fails here, naming both sides.  The pages built from them must
format without a warning from man."""

import os
import re
import subprocess

import pkgbuild
from pkgbuild import help_commands, options_in
from gh import BUILD_DIR, GH_BIN, check, excerpt, main

MAN_DIR = os.path.join(pkgbuild.SOURCE_DIR, "dist", "man")
BUILT_DIR = os.path.join(BUILD_DIR, "dist")
EXAMPLE_GADGET = "trace/exec.lua"

# page -> the help texts its OPTIONS must match: gadgethost ARGS...
# run prints its options with a gadget's help; that gadget's own params
# (from `gadgethost info`) are left out: they belong to the gadget
HELP = {
    "gadgethost-run": [["run", EXAMPLE_GADGET, "--help"]],
    "gadgethost-list": [["list", "--help"]],
    "gadgethost-info": [["info", "--help"]],
    "gadgethost-check": [["check", "--help"]],
    "gadgethost-list-containers": [["list-containers", "--help"]],
    "gadgethost-new": [["new", "--help"]],
    "gadgethost-build": [["build", "--help"]],
    "gadgethost-hook": [["hook", "--help"]],
    "gadgethost-daemon": [["daemon", "--help"]],
    "gadgethost-remote": [["--remote", "--help"]],
    "gadgethost-k8s": [["k8s", "--help"]],
    "gadgethost-deploy": [["deploy", "--help"], ["undeploy", "--help"]],
    "gadgethost-traceloop": [["traceloop", "--help"]],
    "gadgethost-instances": [["instances", "--help"]],
    "gadgethost-images": [["pack", "--help"], ["sign", "--help"], ["push", "--help"],
                          ["pull", "--help"], ["images", "--help"], ["keygen", "--help"]],
}
# commands of `gadgethost --help` documented in another command's page
# (or, for version, in gadgethost(8) alone)
PAGE_OF = {"undeploy": "gadgethost-deploy", "--remote": "gadgethost-remote", "version": None,
           "pack": "gadgethost-images", "sign": "gadgethost-images",
           "push": "gadgethost-images", "pull": "gadgethost-images",
           "keygen": "gadgethost-images"}
# words of a --help that read as options but are not the command's own:
# other programs' flags in the text, or run's options k8s passes along
NOT_OPTIONS = {
    "gadgethost-build": {"-target"},   # "clang -target bpf with the SDK's headers"
    "gadgethost-deploy": {"-f"},       # "pipe them to kubectl apply -f -"
    "gadgethost-k8s": {"-o"},          # "-o columns (default) or -o json": run's option
    "gadgethost-instances": {"--detach", "--name", "--ca"},  # run's; --remote's (TLS)
}

def help_text(args):
    r = subprocess.run([GH_BIN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=30)
    check(r.returncode == 0 and r.stdout.strip(),
          "gadgethost %s: no help on stdout (exit %d)" % (" ".join(args), r.returncode),
          "stderr: " + excerpt(r.stderr))
    return r.stdout


def sections(page):
    """{SECTION NAME: [lines]} of an .scd source"""
    out, name = {}, None
    with open(os.path.join(MAN_DIR, page)) as f:
        for line in f.read().splitlines():
            m = re.match(r"^# (.+)$", line)
            if m:
                name = m.group(1).strip()
                out[name] = []
            elif name:
                out[name].append(line)
    return out


def page_options(page):
    """the options the page's OPTIONS section defines: the dashed words in
    *bold* on each entry's first line"""
    opts = set()
    for line in sections(page).get("OPTIONS", []):
        if line.startswith("*-"):
            for span in re.findall(r"\*([^*]+)\*", line):
                opts |= set(re.findall(r"^--?[A-Za-z][A-Za-z0-9-]*$", span))
    return opts


def page_commands():
    """the commands gadgethost(8) documents: the bold words that start each
    entry of its COMMANDS section (*deploy*, *undeploy*: both)"""
    cmds = []
    for line in sections("gadgethost.8.scd").get("COMMANDS", []):
        m = re.match(r"^((?:\*[^*\s]+\*(?:, )?)+)", line)
        if m:
            cmds += re.findall(r"\*([^*\s]+)\*", m.group(1))
    return cmds


def sources():
    """{page name: its .scd file}"""
    return {f.rsplit(".", 2)[0]: f for f in os.listdir(MAN_DIR) if f.endswith(".scd")}


def test_every_command_has_its_page():
    """gadgethost(8)'s COMMANDS are `gadgethost --help`'s, and each has a
    page; every page is checked below (none is left out of HELP)"""
    cmds = help_commands(help_text(["--help"]))
    check(len(cmds) >= 10, "could not read the commands of gadgethost --help", cmds)
    documented = page_commands()
    check(sorted(cmds) == sorted(documented),
          "gadgethost(8) COMMANDS differ from gadgethost --help",
          "only in --help: %s" % sorted(set(cmds) - set(documented)),
          "only in the page: %s" % sorted(set(documented) - set(cmds)))
    pages = sources()
    for c in cmds:
        page = PAGE_OF.get(c, "gadgethost-" + c)
        check(page is None or page in pages, "command %s has no man page %s" % (c, page),
              sorted(pages))
    unchecked = set(pages) - set(HELP) - {"gadgethost"}
    check(not unchecked, "pages nothing checks against a --help", sorted(unchecked))


def test_options_match_help():
    """each page's OPTIONS are exactly the options its command's --help
    prints (both ways)"""
    pages = sources()
    params = set(re.findall(r"^(--[A-Za-z0-9-]+)\s", help_text(["info", EXAMPLE_GADGET]),
                            re.M))
    check(params, "no params read from gadgethost info %s" % EXAMPLE_GADGET)
    drift = []
    for page, invocations in sorted(HELP.items()):
        check(page in pages, "no page %s in dist/man" % page)
        in_help = set()
        for args in invocations:
            in_help |= options_in(help_text(args)) - {args[0]}
        in_help -= NOT_OPTIONS.get(page, set())
        if page == "gadgethost-run":
            in_help -= params
        in_page = page_options(pages[page])
        if in_help != in_page:
            drift.append("%s: only in --help: %s; only in the page: %s" % (
                page, sorted(in_help - in_page) or "-", sorted(in_page - in_help) or "-"))
        else:
            print("%-28s %2d options, as --help" % (page, len(in_page)), flush=True)
    check(not drift, "man pages and --help differ", *drift)


def test_pages_format_cleanly():
    """every page was built (scdoc) and man formats it without a warning"""
    for page, src in sorted(sources().items()):
        built = os.path.join(BUILT_DIR, src[:-4])
        check(os.path.exists(built), "%s was not built (scdoc missing? scripts/setup.sh "
              "installs it)" % built)
        r = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", built],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=dict(os.environ, LC_ALL="C.UTF-8", MANROFFSEQ="",
                                    MANWIDTH="80"), timeout=60)
        check(r.returncode == 0 and not r.stderr.strip(), "man warns about %s" % built,
              r.stderr)


if __name__ == "__main__":
    main([test_every_command_has_its_page, test_options_match_help, test_pages_format_cleanly],
         bpf=False)
