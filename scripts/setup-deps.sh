#!/usr/bin/env bash
# Installs the Debian packages rnicsim needs, when they are missing. Run as root on a
# fresh machine (make run / make test call it); as another user it only reports.
set -euo pipefail

packages=(
  cmake g++ make pkg-config
  libsystemc-dev verilator catch2 libyaml-cpp-dev libfmt-dev libcli11-dev
  nlohmann-json3-dev libpcap-dev libisal-dev tshark gtkwave
  clang-14 libfuzzer-14-dev
  iproute2 iputils-ping
)
# Arguments name further packages a target needs (make bench: libns3-dev).
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "rnicsim: missing Debian packages: ${missing[*]}" >&2
  echo "rnicsim: run as root, or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi

echo "rnicsim: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; the simulator only reads files.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
