#!/usr/bin/env bash
# Installs Debian's `prometheus` package (2.42: `prometheus` and `promtool`) when promtool is
# missing, for the alert-rule unit tests and the scrape test under tests/deploy/. Idempotent.
#
# The package enables and starts a system service on :9090 from its maintainer scripts; the
# tests run their own Prometheus on a free port, so the service is kept from starting (a
# policy-rc.d that refuses every start during the install, unless one is there already) and
# disabled afterwards.
set -euo pipefail

if command -v promtool >/dev/null && command -v prometheus >/dev/null; then
    exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "setup-prometheus: promtool is missing; run as root, or apt-get install prometheus" >&2
    exit 1
fi

policy=/usr/sbin/policy-rc.d
created=""
if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# Written by setup-prometheus.sh during one install.\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    created=1
fi
cleanup() { if [[ -n $created ]]; then rm -f "$policy"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends prometheus >/dev/null ||
    { apt-get update -qq && apt-get install -y --no-install-recommends prometheus >/dev/null; }
# Do not leave it enabled for the next boot either (no effect where systemd is absent).
systemctl disable prometheus.service >/dev/null 2>&1 || true
promtool --version | head -n 1
