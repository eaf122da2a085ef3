"""tables.py - the blocks of a table gadget (top, snapshot) run with -o json.

    arrays = blocks(tracer.stdout)          # one list of rows per block
    arrays = wait_blocks(tracer, lambda a: len(a) >= 3, 10, "three blocks")

A top, or a snapshot with --interval, prints one JSON array per line, a
line per interval.  Standard library only.
"""

from gh import check, json_lines


def blocks(text, complete=True):
    """the JSON arrays of -o json output, one per line; complete=False
    leaves out a last line still being written"""
    if complete:
        check(text == "" or text.endswith("\n"), "output does not end with a newline",
              text[-300:])
    else:
        text = text[:text.rfind("\n") + 1]
    return json_lines(text, list)


def wait_blocks(tracer, cond, timeout, what):
    """while the tracer runs, wait until cond(blocks) holds (timeout:
    seconds, scaled); returns the blocks then"""
    seen = []

    def holds():
        seen[:] = [blocks(tracer.stdout, complete=False)]
        return cond(seen[0])
    tracer.wait_for(holds, what, timeout)
    return seen[0]
