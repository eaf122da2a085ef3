#!/usr/bin/env bash
# test.sh - install what is needed, build, and run every test:
#   1. build/       meson test (unit, integration, one valgrind run)
#   2. build-asan/  ASan + UBSan build; unit and integration suites again
#                   (skipped when GH_SANITIZE=0)
# Ends with "N passed, N failed, N skipped" alone on a line (all meson test
# results added up; a build that fails counts as one failure) and exits
# non-zero when anything failed.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1

passed=0
failed=0
skipped=0
status=0

log() { printf '\n==== %s\n' "$*"; }

# meson setup, or --reconfigure when the directory is already configured
configure() {
	local dir=$1
	shift
	if [ -f "$dir/meson-private/coredata.dat" ]; then
		meson setup --reconfigure "$dir" "$@"
	else
		meson setup "$dir" "$@"
	fi
}

# add up build/meson-logs/testlog.json: one JSON object per line
count_results() {
	local logfile=$1/meson-logs/testlog.json counts
	if [ ! -s "$logfile" ]; then
		echo "test.sh: no $logfile: counting the run as one failure" >&2
		failed=$((failed + 1))
		return
	fi
	counts=$(python3 - "$logfile" <<'EOF'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    try:
        r = json.loads(line).get("result")
    except ValueError:
        f += 1
        continue
    if r in ("OK", "EXPECTEDFAIL"):
        p += 1
    elif r == "SKIP":
        s += 1
    else:  # FAIL, TIMEOUT, ERROR, UNEXPECTEDPASS, ...
        f += 1
print(p, f, s)
EOF
) || counts="0 1 0"
	read -r p f s <<<"$counts"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
}

# build_and_test DIR "SETUP ARGS" MESON-TEST-ARGS...
build_and_test() {
	local dir=$1 setup_args=$2
	shift 2
	log "configure $dir $setup_args"
	# shellcheck disable=SC2086
	if ! configure "$dir" $setup_args; then
		echo "test.sh: meson setup $dir failed" >&2
		failed=$((failed + 1))
		status=1
		return
	fi
	log "build $dir"
	if ! ninja -C "$dir"; then
		echo "test.sh: build in $dir failed" >&2
		failed=$((failed + 1))
		status=1
		return
	fi
	log "test $dir $*"
	rm -f "$dir/meson-logs/testlog.json"
	meson test -C "$dir" --print-errorlogs "$@" || status=1
	count_results "$dir"
}

log "setup"
if ! bash scripts/setup.sh; then
	echo "test.sh: scripts/setup.sh failed" >&2
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi

# 1. the plain build: every suite, valgrind included
build_and_test build ""

# 2. the sanitizer build
if [ "${GH_SANITIZE:-1}" != "0" ]; then
	export ASAN_OPTIONS=detect_leaks=1
	export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	build_and_test build-asan "-Db_sanitize=address,undefined -Db_lundef=false" \
		--suite unit --suite integration --timeout-multiplier 3
	unset ASAN_OPTIONS UBSAN_OPTIONS
else
	log "GH_SANITIZE=0: no sanitizer build"
fi

[ "$failed" -eq 0 ] || status=1
echo
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
