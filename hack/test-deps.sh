#!/bin/sh
# Installs what the fault tests run besides Go: Debian's etcd (etcd-server), as a process that a
# test can kill, restart and start with client certificates and authentication.
set -e
if command -v etcd >/dev/null 2>&1; then
	exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "the fault tests need etcd (Debian package etcd-server): install it, e.g. apt-get install etcd-server" >&2
	exit 1
fi
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null
command -v etcd >/dev/null
