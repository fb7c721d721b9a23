#!/usr/bin/env bash
# Install the Debian packages psa-pipeline needs, only those missing (idempotent, quiet when all present).
set -euo pipefail

packages=(ffmpeg espeak-ng fonts-noto-core fonts-dejavu-core python3-venv)
if [ "${WITH_BROWSER:-0}" = "1" ]; then
  packages+=(chromium fonts-liberation)
fi

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    # python3-venv is only needed when the interpreter cannot make a venv by itself.
    if [ "$pkg" = python3-venv ] && python3 -c "import venv, ensurepip" 2>/dev/null; then
      continue
    fi
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

echo "Installing Debian packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
