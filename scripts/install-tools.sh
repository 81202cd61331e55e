#!/usr/bin/env bash
# Install the real bibliography clients the tests and CI run over the exports:
# bibtex + pdflatex (texlive) with the styles users compile (plainnat, IEEEtran, ACM-Reference-Format,
# biblatex), biber, pdftotext (poppler) to read the compiled PDFs entry by entry, pandoc, and
# node/npm (citeproc-js and the CSL schema check), chromium + chromium-driver (the site's browser tests). The refs/ renderer's pandoc is a pip dependency.
# Idempotent: does nothing when they are already there. Needs root or passwordless sudo.
set -euo pipefail
need=()
command -v bibtex >/dev/null || need+=(texlive-binaries texlive-base)
command -v pdflatex >/dev/null || need+=(texlive-latex-base)
kpse() { command -v kpsewhich >/dev/null && kpsewhich "$1" >/dev/null 2>&1; }
kpse plain.bst || need+=(texlive-base)
kpse plainnat.bst || need+=(texlive-latex-base)
kpse cite.sty || need+=(texlive-latex-recommended)
kpse IEEEtran.bst && kpse ACM-Reference-Format.bst || need+=(texlive-publishers)
kpse biblatex.sty || need+=(texlive-bibtex-extra)
command -v pdftotext >/dev/null || need+=(poppler-utils)
command -v biber >/dev/null || need+=(biber)
command -v pandoc >/dev/null || need+=(pandoc)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
# the site's browser tests: Debian's own chromium and its driver (selenium never downloads a browser)
[[ -x /usr/bin/chromium ]] || need+=(chromium)
[[ -x /usr/bin/chromedriver ]] || need+=(chromium-driver)
[[ ${#need[@]} -eq 0 ]] && exit 0
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo -n"
export DEBIAN_FRONTEND=noninteractive
echo "install-tools: apt-get install ${need[*]}" >&2
$sudo apt-get -qq -o DPkg::Lock::Timeout=600 update >/dev/null 2>&1 || true
$sudo apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "${need[@]}" >/dev/null
