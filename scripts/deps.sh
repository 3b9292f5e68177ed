#!/usr/bin/env bash
# deps.sh installs what parkdesk needs on a fresh Debian machine with Go:
# the PostgreSQL server binaries (tests start a private cluster when no server
# is reachable), Debian's chromium and a CJK font (the console's browser tests
# drive headless Chromium), and the Go modules the code imports. nats-server
# comes from its Go module.
set -euo pipefail
cd "$(dirname "$0")/.."

have_pg() { command -v initdb >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; }

if ! have_pg; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "deps: PostgreSQL server binaries are missing; run as root or: sudo apt-get install -y postgresql" >&2
    exit 1
  fi
  echo "deps: installing PostgreSQL from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi
if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
  echo "deps: the postgres OS user is missing (initdb refuses root); reinstall postgresql" >&2
  exit 1
fi

have_chromium() { [ -x /usr/bin/chromium ] || [ -n "${PARKDESK_CHROMIUM:-}" ]; }
# Without a CJK font the console's screenshots show boxes instead of Chinese.
have_cjk_font() {
  compgen -G '/usr/share/fonts/truetype/wqy/*' >/dev/null || compgen -G '/usr/share/fonts/opentype/noto/NotoSansCJK*' >/dev/null ||
    { command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh | grep -q .; }
}

if ! have_chromium || ! have_cjk_font; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "deps: Chromium (or a Chinese font) for the console's browser tests is missing; run as root or:" \
      "sudo apt-get install -y chromium fonts-wqy-microhei" >&2
    exit 1
  fi
  echo "deps: installing Chromium and a CJK font from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei >/dev/null
fi

# Fetch only the modules the build and tests import (not every module in the
# graph: some of goose's optional drivers are not on the module proxy).
pkgs=$(go list -m -f '{{.Dir}}/...')
go list -deps -test $pkgs >/dev/null
