#!/usr/bin/env bash
# Provision a vrack test machine: the Vagrant VM runs this (see the top-level Vagrantfile), and so can any
# Debian/Ubuntu machine as root.  It installs the Debian packages vrack's real clients need, installs vrack
# from VRACK_SRC into its own venv, and brings up the rack of VRACK_SPEC (netns mode by default) as the
# systemd service vrack-rack, then waits until the rack answers.  Running it again updates and restarts.
#
# Settings (environment):
#   VRACK_SRC      vrack's source tree                    (default: this script's repository)
#   VRACK_SPEC     rack spec, relative to VRACK_SRC or absolute (default: rack_specs/rackhd-netns.yaml)
#   VRACK_PREFIX   root of every path written              (default: /; tests use a temporary directory)
#   VRACK_SYSTEMD  yes: a systemd unit; no: `vrack up --detach` (default: yes when systemd runs and PREFIX=/)
#   VRACK_PIP_ARGS extra pip arguments (e.g. an index mirror)
set -euo pipefail

SRC=$(cd "${VRACK_SRC:-$(dirname "$0")/..}" && pwd)
SPEC=${VRACK_SPEC:-rack_specs/rackhd-netns.yaml}
[[ $SPEC == /* ]] || SPEC="$SRC/$SPEC"
PREFIX=${VRACK_PREFIX:-/}
PREFIX=${PREFIX%/}
HOME_DIR="$PREFIX/opt/vrack"
STATE_DIR="$PREFIX/var/lib/vrack"
UNIT_DIR="$PREFIX/etc/systemd/system"
if [[ -z ${VRACK_SYSTEMD:-} ]]; then
    if [[ -z $PREFIX && -d /run/systemd/system ]]; then VRACK_SYSTEMD=yes; else VRACK_SYSTEMD=no; fi
fi

say() { echo "== provision-vagrant: $*"; }
die() { echo "provision-vagrant: $*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || die "run as root (BMCs bind UDP 623 and a netns rack makes namespaces)"
[[ -f $SRC/pyproject.toml ]] || die "$SRC: not vrack's source tree (VRACK_SRC)"
[[ -f $SPEC ]] || die "$SPEC: no such rack spec (VRACK_SPEC)"

# Debian packages: Python, the clients a manager uses against the rack, iproute2 for netns racks.
DEB_PACKAGES=(python3 python3-venv python3-pip ipmitool freeipmi-tools snmp iproute2 dnsmasq-base git)
missing=()
for pkg in "${DEB_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

say "installing vrack from $SRC into $HOME_DIR/.venv"
mkdir -p "$HOME_DIR" "$STATE_DIR"
[[ -x $HOME_DIR/.venv/bin/python ]] || python3 -m venv "$HOME_DIR/.venv"
# shellcheck disable=SC2086  # VRACK_PIP_ARGS is a list of words
"$HOME_DIR/.venv/bin/pip" install -q --disable-pip-version-check ${VRACK_PIP_ARGS:-} "$SRC"
VRACK="$HOME_DIR/.venv/bin/vrack"
"$VRACK" validate "$SPEC"

if [[ $VRACK_SYSTEMD == yes ]]; then
    say "starting the rack as the systemd service vrack-rack"
    mkdir -p "$UNIT_DIR"
    cat >"$UNIT_DIR/vrack-rack.service" <<EOF
[Unit]
Description=vrack rack from $SPEC
After=network-online.target

[Service]
ExecStart=$VRACK --state-dir $STATE_DIR up $SPEC
Restart=on-failure

[Install]
WantedBy=multi-user.target
EOF
    systemctl daemon-reload
    systemctl enable vrack-rack.service >/dev/null
    systemctl restart vrack-rack.service
else
    say "starting the rack with vrack up --detach (no systemd)"
    "$VRACK" --state-dir "$STATE_DIR" down >/dev/null 2>&1 || true
    "$VRACK" --state-dir "$STATE_DIR" up "$SPEC" --detach
fi

say "waiting for the rack to answer"
for _ in $(seq 1 120); do
    if "$VRACK" --state-dir "$STATE_DIR" status >/dev/null 2>&1; then
        "$VRACK" --state-dir "$STATE_DIR" status
        say "ready: the rack of $SPEC is up (state in $STATE_DIR; vrack is $VRACK)"
        exit 0
    fi
    sleep 0.5
done
die "the rack did not answer within 60 s; see $STATE_DIR/*.log"
