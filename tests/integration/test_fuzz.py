#!/usr/bin/env python3
"""The parsers of untrusted input under libFuzzer (tests/fuzz): packets,
JSON, OCI hook messages, runc state files, the daemon's run requests; each
target runs for GH_FUZZ_SECONDS (default 20) from the checked-in seeds
(and its dictionary, if it has one), on a scratch copy of the corpus; a
crash, a hang (-timeout), a sanitizer report, a leak or a broken invariant
(__builtin_trap in the target) fails the test."""

import os
import shutil
import subprocess
import sys
import tempfile

from gh import scaled

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECONDS = int(os.environ.get("GH_FUZZ_SECONDS", "20"))


def fuzz(target, corpus):
    work = tempfile.mkdtemp(prefix="gh-fuzz-")
    try:
        scratch = os.path.join(work, "corpus")
        shutil.copytree(os.path.join(SOURCE_DIR, "tests", "fuzz", "corpus", corpus), scratch)
        words = os.path.join(SOURCE_DIR, "tests", "fuzz", corpus + ".dict")
        extra = ["-dict=" + words] if os.path.exists(words) else []
        # -max_total_time: the workload; -timeout (a hang) and ours: limits
        res = subprocess.run([target, "-max_total_time=%d" % SECONDS,
                              "-timeout=%d" % round(scaled(5)),
                              "-rss_limit_mb=1024", "-max_len=4096",
                              "-artifact_prefix=" + work + "/"] + extra + [scratch],
                             capture_output=True, text=True, errors="replace",
                             timeout=SECONDS + scaled(60))
        stats = [l for l in res.stderr.splitlines() if l.startswith("Done ")]
        if res.returncode != 0:
            print("not ok - %s: exit %d\n%s" % (os.path.basename(target), res.returncode,
                                                res.stderr[-4000:]))
            return False
        print("ok - %s %s" % (os.path.basename(target), stats[-1] if stats else ""))
        return True
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    build = os.environ["GH_BUILD_DIR"]
    ok = True
    for target, corpus in [("fuzz_dns", "dns"), ("fuzz_tls", "tls"), ("fuzz_json", "json"),
                           ("fuzz_hook", "hook"), ("fuzz_runc_state", "runc_state"),
                           ("fuzz_run_request", "run_request"), ("fuzz_http", "http")]:
        ok = fuzz(os.path.join(build, "tests", "fuzz", target), corpus) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
