#!/usr/bin/env python3
"""evil_symbol.py IN OUT: a copy of the spinner whose hot function is named
with a terminal escape and a bidi override, as a hostile container's
program could be (test_escapes.py: the CPU profile's text must show the
name escaped).  objcopy from binutils, at build time."""
import subprocess
import sys

EVIL = b"gh_spin_\x1b[31m\xe2\x80\xaeevil"
subprocess.run([b"objcopy", b"--redefine-sym", b"gh_spin_here=" + EVIL,
                sys.argv[1].encode(), sys.argv[2].encode()], check=True)
