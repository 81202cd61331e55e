"""Compile a .bib with pdflatex + bibtex/biber and split the PDF's text into entries and citations."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MARK = "@@"
_MARKED = re.compile(r"@@([^@\s]+)@@")

#: what each BibTeX style needs in the preamble (ACM's .bst expects a few acmart macros)
BST_STYLES: dict[str, str] = {
    "plainnat": "\\usepackage[numbers]{natbib}",
    "IEEEtran": "\\usepackage{cite}",
    "ACM-Reference-Format": "\\usepackage[numbers]{natbib}",
}
AUTHOR_YEAR_BST = "plainnat"  # also compiled with author-year citations to read natbib's labels
BIBLATEX_STYLES = ("numeric", "authoryear")

_PREAMBLE = r"""\documentclass{article}
\input{glyphtounicode}\pdfgentounicode=1
\usepackage[utf8]{inputenc}
\usepackage[paperwidth=500cm,paperheight=300cm,margin=1cm]{geometry}
\usepackage{url}
%(packages)s
\providecommand\bibinfo[2]{#2}
\providecommand\showISBNx[1]{#1}
\providecommand\showISSN[1]{#1}
\providecommand\showDOI[1]{#1}
\providecommand\showURL[1]{#1}
\providecommand\showeprint[2][]{#2}
\newcommand\mlsysmark[1]{\par\noindent\texttt{@@\detokenize{#1}@@} }
\raggedright
\begin{document}
"""


def tools_missing(biblatex: bool = False) -> str | None:
    """Why this machine cannot compile (for a skip reason), or None."""
    need = ["pdflatex", "pdftotext", "biber" if biblatex else "bibtex", "kpsewhich"]
    missing = [tool for tool in need if not shutil.which(tool)]
    if missing:
        return f"not installed: {', '.join(missing)} (scripts/install-tools.sh installs them)"
    if not biblatex:
        for style in BST_STYLES:
            found = subprocess.run(["kpsewhich", f"{style}.bst"], capture_output=True, text=True)
            if not found.stdout.strip():
                return f"{style}.bst not found (texlive-publishers / texlive-bibtex-extra)"
    return None


@dataclass
class Compiled:
    """What one style printed: per key the bibliography entry and the in-text citation."""

    style: str
    entries: dict[str, str] = field(default_factory=dict)
    citations: dict[str, str] = field(default_factory=dict)
    latex_errors: list[str] = field(default_factory=list)
    warnings: dict[str, int] = field(default_factory=dict)
    pdf: bool = False


def _run(args: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, errors="replace")


def _latex_errors(log: str) -> list[str]:
    return [line.strip() for line in log.splitlines() if line.startswith("! ")]


def _warning_kinds(text: str, pattern: str) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for match in re.finditer(pattern, text, re.M):
        kind = re.sub(r"[`'\"][^`'\"]*[`'\"]|\S*\d\S*", "…", match.group(1)).strip()[:80]
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def _pdftext(pdf: Path) -> str:
    proc = _run(["pdftotext", "-raw", "-enc", "UTF-8", "-nopgbrk", str(pdf), "-"], pdf.parent)
    return proc.stdout


def _split(text: str) -> dict[str, str]:
    """``{key: text up to the next marker}``, whitespace collapsed."""
    parts = _MARKED.split(text)
    out: dict[str, str] = {}
    for i in range(1, len(parts) - 1, 2):
        out[parts[i]] = " ".join(parts[i + 1].split())
    return out


def _cite_body(keys: list[str], cite: str) -> str:
    lines = [f"\\mlsysmark{{{k}}}\\{cite}{{{k}}}" for k in keys]
    return "\n".join(lines) + "\n\\par\\noindent @@END@@\n"


def compile_bibtex(bib: Path, style: str, work: Path, *, author_year: bool = False) -> Compiled:
    """pdflatex + bibtex + pdflatex ×2 with ``style``; entries and citations split by marker."""
    _fresh(work)
    shutil.copy(bib, work / "refs.bib")
    packages = BST_STYLES[style]
    if author_year:
        packages = "\\usepackage[authoryear,round]{natbib}"
    cite = "citet" if author_year else "cite"
    keys = _keys(bib)
    tex = _PREAMBLE % {"packages": packages} + _cite_body(keys, cite)
    tex += f"\\bibliographystyle{{{style}}}\n\\bibliography{{refs}}\n\\end{{document}}\n"
    (work / "doc.tex").write_text(tex, encoding="utf-8")
    latex = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"]
    first = _run(latex, work)
    bibtex = _run(["bibtex", "doc"], work)
    _mark_bbl(work / "doc.bbl")
    _run(latex, work)
    last = _run(latex, work)
    name = f"{style}{' (author-year)' if author_year else ''}"
    return _read(Compiled(name), work, first, last, _warning_kinds(bibtex.stdout, r"^Warning--(.*)$"))


def _read(result: Compiled, work: Path, first: Any, last: Any, tool_warnings: dict[str, int]) -> Compiled:
    """LaTeX errors, warnings by kind and (when a PDF came out) the text per entry of one compile."""
    log = (work / "doc.log").read_text(errors="replace") if (work / "doc.log").exists() else ""
    result.latex_errors = _latex_errors(first.stdout) + _latex_errors(log)
    result.warnings = tool_warnings
    result.warnings.update(_warning_kinds(log, r"^(?:LaTeX|Package \w+) Warning: (.*)$"))
    result.pdf = last.returncode == 0 and (work / "doc.pdf").exists()
    if result.pdf:
        _fill(result, _pdftext(work / "doc.pdf"))
    return result


def _mark_bbl(bbl: Path) -> None:
    """Typeset ``@@key@@`` at the start of every entry (after the \\bibitem that prints its label)."""
    if not bbl.exists():
        return
    raw = bbl.read_bytes()  # bibtex is 8-bit: a style that cuts a UTF-8 letter leaves bad bytes
    text = raw.decode("utf-8", errors="surrogateescape")
    item = re.compile(r"(\\bibitem(?:\s*\[(?:[^\[\]]|\[[^\]]*\])*\])?%?\s*\{([^}]+)\})")
    text = item.sub(lambda m: f"{m.group(1)}\\texttt{{@@B:{m.group(2)}@@}} ", text)
    bbl.write_bytes(text.encode("utf-8", errors="surrogateescape"))


def _fill(result: Compiled, text: str) -> None:
    body, _, bibliography = text.partition("@@END@@")
    result.citations = _split(body)
    for key, value in _split(bibliography).items():
        if key.startswith("B:"):
            result.entries[key[2:]] = _strip_next_label(value)


def _strip_next_label(text: str) -> str:
    """The text before a marker ends with the next entry's printed label ("[12]"): drop it."""
    return re.sub(r"\s*\[\d+\]\s*$", "", text).strip()


def compile_biblatex(bib: Path, style: str, work: Path) -> Compiled:
    """pdflatex + biber + pdflatex with biblatex ``style``; citations read with \\textcite."""
    _fresh(work)
    shutil.copy(bib, work / "refs.bib")
    keys = _keys(bib)
    packages = (
        f"\\usepackage[backend=biber,style={style}]{{biblatex}}\n\\addbibresource{{refs.bib}}\n"
        "\\AtEveryBibitem{\\texttt{@@B:\\thefield{entrykey}@@} }"
    )
    tex = _PREAMBLE % {"packages": packages} + _cite_body(keys, "textcite")
    tex += "\\printbibliography\n\\end{document}\n"
    (work / "doc.tex").write_text(tex, encoding="utf-8")
    latex = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"]
    first = _run(latex, work)
    biber = _run(["biber", "doc"], work)
    last = _run(latex, work)
    return _read(Compiled(f"biblatex-{style}"), work, first, last, _warning_kinds(biber.stdout, r"^WARN - (.*)$"))


def _fresh(work: Path) -> None:
    """An empty directory: a stale .bbl or .aux would be read by the first pdflatex pass."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)


def _keys(bib: Path) -> list[str]:
    return re.findall(r"^@\w+\{([^,\s]+),", bib.read_text(encoding="utf-8"), re.M)
