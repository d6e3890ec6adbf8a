#!/usr/bin/env bash
# System packages the test tiers need, from Debian's archive: iptables and conntrack for the network-namespace NAT
# tests (iproute2 is part of the base system). Idempotent; skips what is already installed.
set -euo pipefail
need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
command -v conntrack >/dev/null 2>&1 || need+=(conntrack)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-system: not root; cannot install ${need[*]}" >&2
    exit 1
  fi
  echo "setup-system: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
