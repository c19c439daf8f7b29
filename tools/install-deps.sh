#!/usr/bin/env bash
# Installs the Debian packages Starling's build needs, when they are missing.
# Safe to run repeatedly; needs root (or sudo) only when something is actually missing.
set -euo pipefail

needed=(libsqlite3-dev pkg-config)
missing=()
for package in "${needed[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  apt_get=(apt-get)
elif command -v sudo >/dev/null 2>&1; then
  apt_get=(sudo apt-get)
else
  echo "install-deps: need root to install ${missing[*]} (apt-get install ${missing[*]})" >&2
  exit 1
fi
DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" update -qq
DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -qq "${missing[@]}"
