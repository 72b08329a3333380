#!/usr/bin/env bash
# Browser tests drive Debian's chromium (never a downloaded browser). Install it where we can:
# as root with apt. Elsewhere the browser tests skip with the reason (and fail under CI=true).
set -u
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null \
    && exit 0
  echo "apt-get could not install chromium" >&2
else
  echo "chromium is not installed and this user cannot apt-get it; browser tests will be skipped" >&2
fi
exit 0
