#!/usr/bin/env python3
"""The libraries only some commands need (libcurl, libarchive, OpenSSL and
what they pull in; libpcap, for --pf) are opened at first use (host/base/dlib.h): a trace run
maps none of them, and a command that needs one that cannot be loaded says
so in one line naming it."""

import os
import shutil
import subprocess
import tempfile

from gh import Failure, Tracer, check, excerpt, main, run_host, workload

# the libraries a trace run must not map: the optional ones and the
# dependencies they bring (libcurl's TLS, Kerberos, LDAP...; libarchive's
# libxml2, ICU, C++)
OPTIONAL = ["libcurl", "libarchive", "libssl.so", "libcrypto.so", "libgnutls", "libkrb5",
            "libgssapi", "libldap", "libssh2", "librtmp", "libpsl", "libidn2", "libxml2",
            "libicu", "libstdc++", "libpcap"]


def mapped_files(pid):
    """the files mapped into process pid"""
    with open("/proc/%d/maps" % pid) as f:
        return sorted({line.split()[5] for line in f if len(line.split()) >= 6})


def sanitizer_libraries(files):
    """the libraries a sanitizer runtime among files links (ASan's brings
    libstdc++): the build's, not gadgethost's"""
    out = ""
    for f in files:
        if os.path.basename(f).startswith(("libasan", "libubsan")):
            out += subprocess.run(["ldd", f], capture_output=True, text=True).stdout
    return {os.path.realpath(l.split("=>")[1].split()[0]) for l in out.splitlines()
            if "=> /" in l}


def test_trace_maps_no_optional_library():
    d = tempfile.mkdtemp(prefix="gh-lazy-")
    path = os.path.join(d, "file-0")
    with Tracer("trace/open.lua") as t:
        workload("open", 1, d)
        t.wait_for(lambda: any(e.get("path") == path for e in t.events_so_far()),
                   "the workload's open was traced")
        files = mapped_files(t.proc.pid)
    t.check_clean_exit()
    check(any("libbpf.so" in f for f in files), "no libbpf in the tracer's maps: not its maps?",
          "\n".join(files))
    runtime = sanitizer_libraries(files)
    bad = [f for f in files if any(lib in os.path.basename(f) for lib in OPTIONAL) and
           os.path.realpath(f) not in runtime]
    check(not bad, "a trace run maps optional libraries", "\n".join(bad))
    os.unlink(path)
    os.rmdir(d)


def library_file(soname):
    """the file the dynamic linker loads for soname"""
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.strip().startswith(soname + " ") and "=>" in line:
            return os.path.realpath(line.split("=>")[1].strip())
    raise Failure("%s is not installed" % soname)


def without(soname, *args):
    """gadgethost ARGS in a mount namespace where soname's file is empty"""
    hide = ["unshare", "-m", "sh", "-c", 'mount --bind /dev/null "$0" && exec "$@"',
            library_file(soname)]
    return run_host(*args, prefix=hide)


def check_one_line(r, soname, what):
    lines = r.stderr.strip().splitlines()
    check(r.returncode == 1 and len(lines) == 1 and soname + " (for " in lines[0] and
          "cannot be loaded" in lines[0],
          "%s without %s: wanted exit 1 and one line naming it" % (what, soname),
          "exit %d, stderr: %s" % (r.returncode, excerpt(r.stderr)))


def test_missing_libcurl_one_line():
    store = tempfile.mkdtemp(prefix="gh-lazy-store-")
    r = without("libcurl.so.4", "pull", "localhost:1/gh/lazy:1", "--verify", "false",
                "--image-store", store)
    check_one_line(r, "libcurl.so.4", "pull")
    shutil.rmtree(store)


def test_missing_libcrypto_one_line():
    d = tempfile.mkdtemp(prefix="gh-lazy-key-")
    r = without("libcrypto.so.3", "keygen", os.path.join(d, "k"))
    check_one_line(r, "libcrypto.so.3", "keygen")
    check(not os.listdir(d), "keygen wrote something without libcrypto", os.listdir(d))
    # with it, the same command makes the key pair
    r = run_host("keygen", os.path.join(d, "k"))
    check(r.returncode == 0 and sorted(os.listdir(d)) == ["k.key", "k.pub"],
          "keygen with libcrypto failed", excerpt(r.stderr))
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    os.rmdir(d)


def test_missing_libpcap_one_line():
    """--pf without libpcap: one line naming it; a run without --pf does
    not need it"""
    r = without("libpcap.so.0.8", "run", "trace/tcpdump.lua", "--host", "--pf", "tcp",
                "--timeout", "1")
    check_one_line(r, "libpcap.so.0.8", "run --pf")
    check(r.stderr.startswith('gadgethost: --pf "tcp": '), "the line names --pf", r.stderr)
    r = without("libpcap.so.0.8", "run", "trace/tcpdump.lua", "--host", "-o", "json",
                "--timeout", "1")
    check(r.returncode == 0, "a run without --pf failed without libpcap", excerpt(r.stderr))


if __name__ == "__main__":
    main([test_trace_maps_no_optional_library, test_missing_libcurl_one_line,
          test_missing_libcrypto_one_line, test_missing_libpcap_one_line])
