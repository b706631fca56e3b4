#!/usr/bin/env bash
# Install what the tests need from Debian when it is missing: PostgreSQL server
# binaries and Chromium. Uses sudo when not root. A second run installs nothing.
set -euo pipefail

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v openssl >/dev/null 2>&1 || need+=(openssl)  # test certificates for SMTP TLS
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo -n); fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: need ${need[*]} but apt-get is not available; install them by hand" >&2
  exit 1
fi
echo "installing ${need[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Debian's postgresql package starts a cluster as a service; tests run their own.
