#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (Playwright's own download is not used).
# Installs it when missing and we are root on Debian; otherwise says what to do.
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium for the browser tests ..."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || {
    apt-get update -q >/dev/null 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; } || {
    echo "could not install chromium"; exit 1; }
else
  echo "no /usr/bin/chromium: install it (Debian: apt install chromium) for the browser tests"
  exit 1
fi
