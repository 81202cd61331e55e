#!/usr/bin/env bash
# Install the real bibliography clients the tests and CI run over the exports:
# bibtex (texlive), biber, pandoc, and node/npm (citeproc-js and the CSL schema check).
# Idempotent: does nothing when they are already there. Needs root or passwordless sudo.
set -euo pipefail
need=()
command -v bibtex >/dev/null || need+=(texlive-binaries texlive-base)
command -v kpsewhich >/dev/null && { kpsewhich plain.bst >/dev/null 2>&1 || need+=(texlive-base); }
command -v biber >/dev/null || need+=(biber)
command -v pandoc >/dev/null || need+=(pandoc)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
[[ ${#need[@]} -eq 0 ]] && exit 0
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo -n"
export DEBIAN_FRONTEND=noninteractive
echo "install-tools: apt-get install ${need[*]}" >&2
$sudo apt-get -qq -o DPkg::Lock::Timeout=600 update >/dev/null 2>&1 || true
$sudo apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "${need[@]}" >/dev/null
