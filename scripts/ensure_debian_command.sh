#!/usr/bin/env bash
# ensure_debian_command.sh COMMAND [PACKAGE]: installs Debian's PACKAGE (default: COMMAND) when COMMAND is
# missing. The browser test drives Debian's chromium (Playwright cannot download its own browser here);
# `make bench` drives wrk.
set -euo pipefail
command_name=$1
package=${2:-$1}
if command -v "$command_name" >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's $package..."
  export DEBIAN_FRONTEND=noninteractive
  # Another apt may hold the dpkg lock (an image's own set-up, a second test run): wait for it.
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$package" >/dev/null
else
  echo "$command_name is missing: install it (e.g. 'sudo apt-get install $package')" >&2
  exit 1
fi
