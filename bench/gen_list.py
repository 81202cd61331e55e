"""Make a k-times larger paper list from the seed: same shape, distinct papers.

Copy 0 is the seed itself; copies 1..k-1 repeat every paper section with
  * distinct titles: the system name before the colon is replaced by a generated one
    (``cedar: Composable ...`` -> ``Vorkel: Composable ...``), or one is prefixed;
  * distinct identifiers: arXiv ids get another (unused) number, DOIs a suffix, every other
    link a changed path, so no copy merges with another;
  * distinct section numbers (``## 101. Data Processing``), so per-section outputs grow too.
Within one copy the mapping is a function of the original title/URL, so papers the seed lists
twice are still listed twice under one identity: a k-times list has exactly k times the seed's
records (checked by ``--check``).

    python bench/gen_list.py --factor 5 --out /tmp/list-5x.md --check
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path

SEED = Path(__file__).resolve().parent.parent / "src" / "mlsys_bib" / "data" / "ml-systems-papers.md"

_SYLLABLES = ("ka", "lo", "mi", "ren", "tor", "vel", "zu", "pra", "nix", "sol", "qua", "dex", "rho", "fen",
              "gal", "bri", "cor", "tan", "vis", "mor", "lun", "ser", "oth", "wy")  # fmt: skip
_URL = re.compile(r"\]\((https?://[^)\s]+)\)")
_ARXIV = re.compile(r"(arxiv\.org/(?:abs|pdf)/)(\d{4})\.(\d{4,5})(v\d+)?", re.IGNORECASE)
_DOI = re.compile(r"(10\.\d{4,9}/[^?#\s)]+?)(\.pdf)?(?=$|[?#])", re.IGNORECASE)
_HEADING = re.compile(r"^(#{2,6})\s+(\d+(?:\.\d+)*)(\.?)(\s+.*)$")


def _h(*parts: object) -> int:
    return int.from_bytes(
        hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest(), "big"
    )


class Mapper:
    """Deterministic, collision-free renaming of titles and identifiers per copy."""

    def __init__(self, text: str) -> None:
        self.used_arxiv = {f"{m[2]}.{m[3]}" for m in _ARXIV.finditer(text)}
        self.used_names: set[str] = set()
        self.names: dict[tuple[int, str], str] = {}
        self.arxiv: dict[tuple[int, str], str] = {}

    def name(self, copy: int, original: str) -> str:
        key = (copy, original.casefold())
        if key not in self.names:
            n = 0
            while True:
                h = _h("name", copy, original.casefold(), n)
                count = 2 + (h >> 56) % 3  # 2-4 syllables: ~350k names, enough for 100x the seed
                parts = [_SYLLABLES[(h >> (8 * i)) % len(_SYLLABLES)] for i in range(count)]
                name = "".join(parts).capitalize()
                if name not in self.used_names:
                    break
                n += 1
            self.used_names.add(name)
            self.names[key] = name
        return self.names[key]

    def arxiv_id(self, copy: int, yymm: str, num: str) -> str:
        key = (copy, f"{yymm}.{num}")
        if key not in self.arxiv:
            width = len(num)
            n = 0
            while True:
                candidate = f"{yymm}.{(_h('ax', copy, yymm, num, n) % (10**width - 1)) + 1:0{width}d}"
                if candidate not in self.used_arxiv:
                    break
                n += 1
            self.used_arxiv.add(candidate)
            self.arxiv[key] = candidate
        return self.arxiv[key]

    def url(self, copy: int, url: str) -> str:
        m = _ARXIV.search(url)
        if m:
            new = self.arxiv_id(copy, m[2], m[3])
            return url[: m.start()] + m[1] + new + (m[4] or "") + url[m.end() :]
        m = _DOI.search(url)
        if m:
            return url[: m.start(1)] + f"{m[1]}-x{copy}" + url[m.end(1) :]
        pmlr = re.search(r"proceedings\.mlr\.press/v\d+/([^/.]+)", url)
        if pmlr:  # the paper slug names the paper, wherever it appears in the URL
            return url.replace(pmlr[1], f"{pmlr[1]}c{copy}")
        mapped = re.sub(r"(?<![0-9a-f])[0-9a-f]{16,}(?![0-9a-f])", lambda mm: self._hex(copy, mm[0]), url)
        mapped = re.sub(r"(?<=/)\d{5,}(?=[/.?#-]|$)", lambda mm: self._digits(copy, mm[0]), mapped)
        if mapped != url:  # publisher-specific ids (IEEE document numbers, MLSys/NeurIPS hashes)
            return mapped
        if "id=" in url:
            return re.sub(r"(id=)([^&#]+)", lambda mm: f"{mm[1]}{mm[2]}c{copy}", url, count=1)
        base, sep, tail = url.partition("?")
        base = base.rstrip("/")
        stem, dot, ext = base.rpartition(".")
        if dot and "/" not in ext and len(ext) <= 5 and stem.count("/") >= 3:
            base = f"{stem}-c{copy}.{ext}"
        else:
            base = f"{base}-c{copy}"
        return base + (sep + tail if sep else "")

    @staticmethod
    def _hex(copy: int, run: str) -> str:
        return hashlib.blake2b(f"{copy}/{run}".encode(), digest_size=32).hexdigest()[: len(run)]

    @staticmethod
    def _digits(copy: int, run: str) -> str:
        return str(10 ** (len(run) - 1) + _h("digits", copy, run) % (9 * 10 ** (len(run) - 1)))

    def title(self, copy: int, title: str) -> str:
        head, sep, rest = title.partition(":")
        if sep and 1 <= len(head.split()) <= 3:
            return f"{self.name(copy, head.strip())}:{rest}"
        return f"{self.name(copy, title)}: {title}"


def generate(text: str, factor: int) -> str:
    """The seed ``text`` with its paper sections repeated ``factor`` times (factor 1 = unchanged)."""
    from mlsys_bib.parse.markdown import parse_list

    if factor <= 1:
        return text
    lines = text.split("\n")
    parsed = parse_list(text, name="seed")
    first_heading = next(i for i, line in enumerate(lines) if re.match(r"^## 1\.\s", line))
    end = next((i for i, line in enumerate(lines) if line.startswith("# References")), len(lines))
    titles_at: dict[int, str] = {}
    for item in parsed.items:
        titles_at.setdefault(item.line - 1, item.title_raw)
    mapper = Mapper(text)
    copies: list[str] = []
    for copy in range(1, factor):
        for index in range(first_heading, end):
            line = lines[index]
            m = _HEADING.match(line)
            if m:
                top, _, more = m[2].partition(".")
                number = str(int(top) + 100 * copy) + ("." + more if more else "")
                line = f"{m[1]} {number}{m[3]}{m[4]}"
            elif re.match(r"^#{2,6}\s+\D", line):
                line = f"{line} ({copy + 1})"
            raw = titles_at.get(index)
            if raw:
                first_line = raw.split("\n")[0]
                pos = line.find(first_line[: min(len(first_line), 40)])
                if pos >= 0:
                    new_title = mapper.title(copy, first_line)
                    line = line[:pos] + new_title + line[pos + len(first_line) :]
            line = _URL.sub(lambda mm, c=copy: "](" + mapper.url(c, mm[1]) + ")", line)
            copies.append(line)
    return "\n".join(lines[:end] + copies + lines[end:])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--factor", type=int, required=True)
    ap.add_argument("--seed", type=Path, default=SEED)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--check", action="store_true", help="parse the result and check the record count")
    args = ap.parse_args(argv)
    text = args.seed.read_text(encoding="utf-8")
    out = generate(text, args.factor)
    args.out.write_text(out, encoding="utf-8")
    if args.check:
        from mlsys_bib.build import load_list

        base = len(load_list(args.seed).records)
        got = len(load_list(args.out).records)
        print(f"{args.out}: {got} records ({got / base:.2f} x {base})")
        if got != base * args.factor:
            print(f"expected {base * args.factor}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
