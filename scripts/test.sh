#!/usr/bin/env bash
# The test command: every test against real PostgreSQL and Mosquitto.
#
#   scripts/test.sh [swift test arguments, e.g. --filter IOCCoreTests]
#
# 1. installs missing Debian packages (PostgreSQL, Mosquitto, ...)
# 2. checks the sample registry (deploy/sample) and its CSV copy
# 3. starts PostgreSQL and Mosquitto in a temporary directory, on free ports
# 4. swift build --build-tests, then swift test (extra arguments go to swift test)
# 5. runs every scripts/e2e/*.sh in order (each exits non-zero on failure)
# 6. stops the services, and prints as its last line: e2e: N passed, N failed
# Exits non-zero if anything failed. Logs of failures are copied to test-artifacts/, screenshots
# of the wall pages (scripts/e2e/30-wall.sh) too.
#
# Environment for the tests (exported):
#   IOC_REPO                    the repository
#   IOC_TEST_DIR                the temporary directory (scratch space: IOC_TEST_DIR/scratch)
#   IOC_TEST_DATABASE_URL       postgres://ioc:PASS@127.0.0.1:PORT/ioc (superuser ioc)
#   IOC_TEST_PGDIR, IOC_TEST_PG_PORT
#                               stop/start PostgreSQL mid-test (same port, same data) with
#                               bash -c 'source "$IOC_REPO/scripts/lib.sh" && ioc_pg_stop "$IOC_TEST_PGDIR"'
#                               bash -c 'source "$IOC_REPO/scripts/lib.sh" && ioc_pg_start "$IOC_TEST_PGDIR"'
#   IOC_TEST_MQTT_URL           mqtt://ioc:PASS@127.0.0.1:PORT (the IOC's account: reads ioc/v1/#,
#                               administers the broker's dynamic security: ioc gateway ...)
#   IOC_TEST_MQTT_PORT, IOC_TEST_MQTT_DIR
#   IOC_TEST_MQTT_CREDENTIALS   credentials.json: {"ioc": PASS, "GW-T1": PASS, ...}; gateway users
#                               GW-T1 GW-T2 GW-T3 and every gateway of deploy/sample/registry.json
#   IOC_TEST_DATA_KEY, IOC_DATA_KEY
#                               a random key for contacts' personal data (the same in both)
#   IOC_LIB                     scripts/lib.sh
#   IOC_BIN                     the debug build of the ioc executable (after the build)
#
# Options (environment): KEEP_TEST_DIR=1 keeps the temporary directory (services stopped);
# IOC_E2E_TIMEOUT seconds per e2e script (default 1200); CI=true also prints failing logs.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"
# shellcheck source=scripts/lib.sh
source "$REPO/scripts/lib.sh"
export LC_ALL=C.UTF-8

TEST_GATEWAYS=(GW-T1 GW-T2 GW-T3)
ARTIFACTS=$REPO/test-artifacts
E2E_PASSED=0
E2E_FAILED=0
FAILED_STEPS=()
FAILED_LOGS=()
TEST_DIR=

CHILD=
WATCHDOG=
CURRENT_LOG=

say() { printf '==> %s\n' "$*"; }

# run_logged SECONDS LOG CMD...: run CMD (stdin /dev/null), its output to the terminal and to LOG;
# returns CMD's status. CMD runs in a process group of its own, so that a timeout (SECONDS > 0)
# or an interrupt of this script stops CMD with everything it started (except daemons).
run_logged() {
    local secs=$1 log=$2 rc=0
    shift 2
    CURRENT_LOG=$log
    set -m
    # tee ignores INT and TERM so that CMD's last words (its cleanup) still reach the log.
    { "$@" </dev/null 2>&1 | (trap '' INT TERM && exec tee "$log"); } &
    CHILD=$!
    if ((secs > 0)); then
        {
            exec </dev/null >/dev/null 2>&1
            sleep "$secs"
            : >"$log.timed-out"
            kill -TERM -- "-$CHILD"
            sleep 30
            kill -KILL -- "-$CHILD"
        } &
        WATCHDOG=$!
    fi
    set +m
    wait "$CHILD" || rc=$?
    CHILD=
    if [[ -n "$WATCHDOG" ]]; then
        kill -TERM -- "-$WATCHDOG" 2>/dev/null || true
        wait "$WATCHDOG" 2>/dev/null || true
        WATCHDOG=
    fi
    if [[ -e "$log.timed-out" ]]; then
        rm -f "$log.timed-out"
        echo "test.sh: timed out after ${secs}s: $*" | tee -a "$log"
    fi
    return "$rc"
}

on_signal() {
    step_failed interrupted "$CURRENT_LOG"
    if [[ -n "$CHILD" ]]; then
        kill -TERM -- "-$CHILD" 2>/dev/null || true
        local i
        for ((i = 0; i < 300; i++)); do
            kill -0 "$CHILD" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL -- "-$CHILD" 2>/dev/null || true
    fi
    [[ -z "$WATCHDOG" ]] || kill -TERM -- "-$WATCHDOG" 2>/dev/null || true
    exit 130
}

step_failed() { # NAME [LOG...]
    FAILED_STEPS+=("$1")
    shift
    FAILED_LOGS+=("$@")
}

finish() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    if [[ -n "$TEST_DIR" ]]; then
        ioc_mqtt_stop "$TEST_DIR/mqtt" >/dev/null 2>&1 || ioc_mqtt_kill "$TEST_DIR/mqtt" >/dev/null 2>&1
        ioc_pg_stop "$TEST_DIR/pg" fast >/dev/null 2>&1 || ioc_pg_stop "$TEST_DIR/pg" immediate >/dev/null 2>&1
    fi
    if ((rc != 0 && ${#FAILED_STEPS[@]} == 0)); then
        FAILED_STEPS+=("test.sh (exit status $rc)")
    fi
    if ((${#FAILED_STEPS[@]} > 0)) && [[ -n "$TEST_DIR" ]]; then
        mkdir -p "$ARTIFACTS"
        local f
        for f in "${FAILED_LOGS[@]}" "$TEST_DIR/pg/postgresql.log" "$TEST_DIR/mqtt/mosquitto.log"; do
            [[ -f "$f" ]] && cp -f "$f" "$ARTIFACTS/" 2>/dev/null
        done
        if [[ "${CI:-}" == true ]]; then
            for f in "${FAILED_LOGS[@]}"; do
                [[ -f "$f" ]] || continue
                printf '\n----- last 200 lines of %s -----\n' "${f##*/}"
                tail -n 200 "$f"
            done
        fi
        printf '\nlogs: %s\n' "$ARTIFACTS"
    fi
    if [[ -n "$TEST_DIR" ]]; then
        if [[ "${KEEP_TEST_DIR:-}" == 1 ]]; then
            printf 'kept %s\n' "$TEST_DIR"
        else
            rm -rf "$TEST_DIR"
        fi
    fi
    if ((${#FAILED_STEPS[@]} > 0)); then
        local IFS=,
        printf 'FAILED: %s\n' "${FAILED_STEPS[*]}"
        rc=1
    fi
    printf 'e2e: %d passed, %d failed\n' "$E2E_PASSED" "$E2E_FAILED"
    exit "$rc"
}
trap finish EXIT
trap on_signal INT TERM

rm -rf "$ARTIFACTS"

say "packages"
ioc_ensure_packages
if ! command -v swift >/dev/null; then
    echo "swift not found: install a Swift toolchain (https://www.swift.org/install/linux/) and put it on PATH" >&2
    exit 1
fi

TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ioc-test.XXXXXX")
chmod 755 "$TEST_DIR" # the postgres and mosquitto users must reach their subdirectories
mkdir -p "$TEST_DIR/logs" "$TEST_DIR/scratch"
LOGS=$TEST_DIR/logs

say "sample registry"
if ! python3 scripts/registry-to-csv.py --check >"$LOGS/registry-check.log" 2>&1; then
    step_failed "registry check" "$LOGS/registry-check.log"
fi
cat "$LOGS/registry-check.log"

mapfile -t SAMPLE_GATEWAYS < <(python3 -c '
import json, sys
for g in json.load(open(sys.argv[1], encoding="utf-8"))["gateways"]:
    print(g["code"])' deploy/sample/registry.json)

say "PostgreSQL and Mosquitto in $TEST_DIR"
ioc_pg_start "$TEST_DIR/pg" "$(ioc_free_port)"
ioc_mqtt_start "$TEST_DIR/mqtt" "$(ioc_free_port)" "${TEST_GATEWAYS[@]}" "${SAMPLE_GATEWAYS[@]}"
echo "PostgreSQL on 127.0.0.1:$IOC_PG_PORT, Mosquitto on 127.0.0.1:$IOC_MQTT_PORT"

export IOC_REPO=$REPO
export IOC_LIB=$REPO/scripts/lib.sh
export IOC_TEST_DIR=$TEST_DIR
export IOC_TEST_DATABASE_URL=$IOC_PG_URL
export IOC_TEST_PGDIR=$TEST_DIR/pg
export IOC_TEST_PG_PORT=$IOC_PG_PORT
export IOC_TEST_MQTT_URL=$IOC_MQTT_URL
export IOC_TEST_MQTT_PORT=$IOC_MQTT_PORT
export IOC_TEST_MQTT_DIR=$TEST_DIR/mqtt
export IOC_TEST_MQTT_CREDENTIALS=$IOC_MQTT_CREDENTIALS
# A throwaway key for contacts' personal data: the Swift tests read IOC_TEST_DATA_KEY, the e2e
# scripts' `ioc serve` and `ioc import-paging` IOC_DATA_KEY.
IOC_TEST_DATA_KEY=$(head -c 32 /dev/urandom | base64)
export IOC_TEST_DATA_KEY
export IOC_DATA_KEY=$IOC_TEST_DATA_KEY

say "swift build --build-tests"
BUILD_OK=1
if ! run_logged 0 "$LOGS/swift-build.log" swift build --build-tests; then
    BUILD_OK=
    step_failed "swift build" "$LOGS/swift-build.log"
fi
BIN_PATH=$(swift build --show-bin-path 2>/dev/null </dev/null | tail -n 1) || true
IOC_BIN=${BIN_PATH:-$REPO/.build/debug}/ioc
export IOC_BIN

if [[ -n "$BUILD_OK" ]]; then
    say "swift test $*"
    if ! run_logged 0 "$LOGS/swift-test.log" swift test "$@"; then
        step_failed "swift test" "$LOGS/swift-test.log"
    fi
fi

shopt -s nullglob
E2E_SCRIPTS=("$REPO"/scripts/e2e/*.sh)
shopt -u nullglob
say "e2e: ${#E2E_SCRIPTS[@]} script(s)"
for script in "${E2E_SCRIPTS[@]}"; do
    name=${script##*/}
    name=${name%.sh}
    log=$LOGS/e2e-$name.log
    say "e2e $name"
    start=$SECONDS
    if run_logged "${IOC_E2E_TIMEOUT:-1200}" "$log" bash "$script"; then
        E2E_PASSED=$((E2E_PASSED + 1))
        say "e2e $name: passed ($((SECONDS - start)) s)"
    else
        E2E_FAILED=$((E2E_FAILED + 1))
        step_failed "e2e $name" "$log"
        say "e2e $name: FAILED ($((SECONDS - start)) s)"
    fi
done

((${#FAILED_STEPS[@]} == 0)) # exit status for finish()
