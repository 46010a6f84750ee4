#!/bin/sh
# Installs the Debian packages the node agent's tests use, when their commands are missing:
# bird/birdc (BIRD 1.6, a BGP peer nobody here wrote) and ip (iproute2, network namespaces).
set -e
missing=""
command -v bird >/dev/null 2>&1 || missing="$missing bird"
command -v ip >/dev/null 2>&1 || missing="$missing iproute2"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "node tests need:$missing (run as root, or: apt-get install -y$missing); those tests will be skipped" >&2
	exit 0
fi
echo "installing$missing" >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -q$missing >/dev/null || {
	apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q$missing >/dev/null
}
# The package enables a bird service on systems with an init; tests start their own.
