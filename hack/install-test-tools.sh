#!/usr/bin/env bash
# What the plugin and completion tests run besides Go: kubectl (`kubectl calico ...` is tested
# through kubectl itself) and bash-completion (the completion script is tested in bash as a
# shell loads it). Debian's kubernetes-client and bash-completion, installed when missing.
set -euo pipefail
missing=()
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
[ -f /usr/share/bash-completion/bash_completion ] || missing+=(bash-completion)
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
	sudo=sudo
fi
echo "installing ${missing[*]} for the tests" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
