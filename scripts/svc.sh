#!/usr/bin/env bash
# Runs one function of scripts/lib.sh, for callers that are not bash scripts (Swift tests, CI
# steps). The command is the function name without "ioc_", with - or _:
#
#   scripts/svc.sh pg-stop "$IOC_TEST_PGDIR"              # then, e.g. 30 s later:
#   scripts/svc.sh pg-start "$IOC_TEST_PGDIR"             # same port, same data
#   scripts/svc.sh pg-stop "$IOC_TEST_PGDIR" immediate    # crash-like
#   scripts/svc.sh mqtt-restart "$IOC_TEST_MQTT_DIR"      # same port, users, persistence
#   scripts/svc.sh mqtt-kill "$IOC_TEST_MQTT_DIR"         # crash-like (SIGKILL)
#   scripts/svc.sh mqtt-start "$IOC_TEST_MQTT_DIR" -      # start again after stop/kill
#   scripts/svc.sh pg-url DIR | mqtt-url DIR | mqtt-password DIR USER | free-port
#
# The exit status is the function's; errors go to stderr.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
    sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
(($# > 0)) || usage
fn=ioc_${1//-/_}
shift
if ! [[ "$fn" =~ ^ioc_[a-z_]+$ ]] || ! declare -F "$fn" >/dev/null; then
    usage
fi
"$fn" "$@"
