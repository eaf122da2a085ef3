#!/usr/bin/env python3
"""The packet parsers under libFuzzer (tests/fuzz): each target runs for
GH_FUZZ_SECONDS (default 20) from the checked-in seeds, on a scratch copy
of the corpus; a crash, a hang (-timeout), a sanitizer report or a leak
fails the test."""

import os
import shutil
import subprocess
import sys
import tempfile

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECONDS = int(os.environ.get("GH_FUZZ_SECONDS", "20"))


def fuzz(target, corpus):
    work = tempfile.mkdtemp(prefix="gh-fuzz-")
    try:
        scratch = os.path.join(work, "corpus")
        shutil.copytree(os.path.join(SOURCE_DIR, "tests", "fuzz", "corpus", corpus), scratch)
        res = subprocess.run([target, "-max_total_time=%d" % SECONDS, "-timeout=5",
                              "-rss_limit_mb=1024", "-max_len=4096",
                              "-artifact_prefix=" + work + "/", scratch],
                             capture_output=True, text=True, timeout=SECONDS + 60)
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
    for target, corpus in [("fuzz_dns", "dns"), ("fuzz_tls", "tls")]:
        ok = fuzz(os.path.join(build, "tests", "fuzz", target), corpus) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
