"""The site's one HTML page: every section and every paper, readable without JavaScript.

Why one page and not one per section: a paper's anchor is then one stable URL (``index.html#key``)
whichever section it is browsed from, search and filters work over the whole list in place with no
client-side routing, and browser find (Ctrl-F) sees everything. The page stays light for its size:
entries are laid out lazily (``content-visibility``), and the whole site is well under 3 MB.

Every string from the list or a service goes through :func:`html.escape`; formatted references
come pre-escaped from the renderer (:mod:`.formatted`). The page carries no inline script or
style, so its CSP can forbid both. The site's own element ids start with ``_``, which no citation
key can (keys start with a letter or digit), so a paper's anchor is always its bare key.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from .formatted import style_label
from .papers import KINDS, SitePaper

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'"
)


def e(text: object) -> str:
    """Escape for HTML text and attribute values alike."""
    return html.escape(str(text), quote=True)


@dataclass(frozen=True)
class SiteSection:
    slug: str
    number: str
    title: str
    keys: tuple[str, ...]

    @property
    def anchor(self) -> str:
        return "_s-" + self.slug

    @property
    def label(self) -> str:
        return f"{self.number} {self.title}".strip()


@dataclass(frozen=True)
class WholeList:
    """The whole-list downloads, as links relative to the page."""

    bibtex: str
    biblatex: str
    csl: str


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _badges(paper: SitePaper) -> str:
    parts = []
    if paper.venue:
        parts.append(f'<span class="badge venue">{e(paper.venue)}</span>')
    if paper.year:
        parts.append(f'<span class="badge year">{paper.year}</span>')
    for kind in paper.kinds:
        parts.append(f'<span class="badge kind k-{e(kind)}">{e(kind)}</span>')
    if paper.published:
        parts.append(f'<span class="badge new">published since listed: {e(paper.published)}</span>')
    return '<p class="badges">' + " ".join(parts) + "</p>"


def paper_html(
    paper: SitePaper,
    refs: dict[str, str],
    styles: Sequence[str],
    sections: Sequence[SiteSection],
    *,
    anchor: bool,
) -> str:
    """One paper's card. ``anchor``: its first appearance, which carries ``id=key``."""
    ident = f' id="{e(paper.key)}"' if anchor else ""
    out = [f'<li class="paper"{ident} data-key="{e(paper.key)}">']
    for style in styles:
        out.append(f'<div class="ref s-{e(style)}">{refs[style].get(paper.key, e(paper.title))}</div>')
    out.append(_badges(paper))
    meta = []
    if paper.links:
        links = " ".join(
            f'<a href="{e(link.url)}" rel="noopener noreferrer">{e(link.label)}</a>' for link in paper.links
        )
        meta.append(f'<span class="links">Links: {links}</span>')
    listed = ", ".join(
        f'<a href="#{e(sections[n].anchor)}" title="{e(sections[n].label)}">'
        f"{e(sections[n].number or sections[n].title)}</a>"
        for n in paper.sections
    )
    meta.append(f'<span class="in">Listed in: {listed}</span>')
    out.append('<p class="meta">' + " · ".join(meta) + "</p>")
    # The copy buttons are added by site.js (they need it): no dead controls without JavaScript,
    # and ~200 bytes less per paper.
    out.append(f'<p class="actions"><a class="key" href="#{e(paper.key)}">{e(paper.key)}</a></p>')
    out.append("</li>")
    return "".join(out)


def _options(values: Sequence[tuple[str, str]]) -> str:
    return "".join(f'<option value="{e(v)}">{e(label)}</option>' for v, label in values)


def _controls(
    sections: Sequence[SiteSection], venues: Sequence[str], years: tuple[int, int], styles: Sequence[str]
) -> str:
    low, high = years
    year_attrs = f'min="{low}" max="{high}" step="1" inputmode="numeric"' if low else 'inputmode="numeric"'
    radios = "".join(
        f'<label><input type="radio" name="style" value="{e(s)}"{" checked" if n == 0 else ""}> '
        f"{e(style_label(s))}</label>"
        for n, s in enumerate(styles)
    )
    return "\n".join([
        '<form class="controls" id="_controls" role="search" aria-label="Search and filter papers" hidden>',
        '<div class="field grow"><label for="_q">Search</label>'
        '<input id="_q" type="search" placeholder="Title, author, alias or key" autocomplete="off" spellcheck="false"></div>',
        '<div class="field"><label for="_section">Section</label><select id="_section">'
        '<option value="">All sections</option>'
        + _options([(str(n), s.label) for n, s in enumerate(sections)]) + "</select></div>",
        '<div class="field"><label for="_venue">Venue</label><select id="_venue">'
        '<option value="">All venues</option>' + _options([(str(n), v) for n, v in enumerate(venues)])
        + "</select></div>",
        f'<div class="field year"><label for="_from">Year from</label><input id="_from" type="number" {year_attrs}></div>',
        f'<div class="field year"><label for="_to">to</label><input id="_to" type="number" {year_attrs}></div>',
        '<div class="field"><label for="_kind">Kind</label><select id="_kind"><option value="">All kinds</option>'
        + _options([(str(n), k) for n, k in enumerate(KINDS)]) + "</select></div>",
        '<div class="field"><button type="reset" id="_reset">Clear</button></div>',
        f'<fieldset class="styles"><legend>Reference style</legend>{radios}</fieldset>',
        '<p id="_count" class="count" role="status" aria-live="polite"></p>',
        "</form>",
    ])  # fmt: skip


def index_html(
    title: str,
    sections: Sequence[SiteSection],
    papers: dict[str, SitePaper],
    refs: dict[str, dict[str, str]],
    styles: Sequence[str],
    venues: Sequence[str],
    whole: WholeList,
    downloads: dict[str, tuple[str, str]],
) -> str:
    """The page. ``downloads``: section slug -> (its .bib link, its CSL-JSON link)."""
    years = sorted({p.year for p in papers.values() if p.year})
    year_range = (years[0], years[-1]) if years else (0, 0)
    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{e(title)}: a browsable bibliography</title>",
        '<link rel="icon" href="favicon.svg" type="image/svg+xml">',
        '<link rel="stylesheet" href="site.css">',
        '<script src="data.js" defer></script>',
        '<script src="site.js" defer></script>',
        "</head>",
        f'<body data-style="{e(styles[0])}">',
        '<a class="skip" href="#_papers">Skip to the papers</a>',
        '<header class="top">',
        f"<h1>{e(title)}</h1>",
        f'<p class="lede">{_plural(len(papers), "paper")} in {_plural(len(sections), "section")}, each with its '
        f"formatted reference ({e(', '.join(style_label(s) for s in styles))}), BibTeX, biblatex and CSL-JSON. "
        "Search, filters and copy buttons need JavaScript; everything else reads without it.</p>",
        '<p class="dl-all">Whole list: '
        f'<a href="{e(whole.bibtex)}" download>BibTeX (.bib)</a> · '
        f'<a href="{e(whole.biblatex)}" download>biblatex (.bib)</a> · '
        f'<a href="{e(whole.csl)}" download>CSL-JSON (Zotero, .json)</a></p>',
        "</header>",
        '<div class="layout">',
        '<nav class="toc" id="_toc" aria-labelledby="_toc-h"><h2 id="_toc-h">Sections</h2><ol>',
    ]
    for section in sections:
        head.append(
            f'<li><a href="#{e(section.anchor)}"><span class="num">{e(section.number)}</span> '
            f'{e(section.title)}</a> <span class="n">({len(section.keys)})</span></li>'
        )
    head += ["</ol></nav>", '<div class="content">', _controls(sections, venues, year_range, styles)]
    head += [
        '<main id="_papers">',
        '<section id="_results" class="results" aria-labelledby="_results-h" hidden>',
        '<h2 id="_results-h">Matching papers</h2>',
        '<ol class="papers" id="_results-list"></ol>',
        '<p><button type="button" id="_more" class="more" hidden>Show more</button></p>',
        "</section>",
        '<div id="_list">',
    ]
    seen: set[str] = set()
    body: list[str] = []
    for section in sections:
        bib, csl = downloads[section.slug]
        body += [
            f'<section class="sec" id="{e(section.anchor)}" aria-labelledby="_h-{e(section.slug)}">',
            f'<h2 id="_h-{e(section.slug)}"><span class="num">{e(section.number)}</span> {e(section.title)} '
            f'<span class="n">{_plural(len(section.keys), "paper")}</span></h2>',
            f'<p class="sec-dl">This section: <a href="{e(bib)}" download>BibTeX</a> · '
            f'<a href="{e(csl)}" download>CSL-JSON</a> · <a href="#_toc">all sections</a></p>',
            '<ol class="papers">',
        ]
        for key in section.keys:
            body.append(paper_html(papers[key], refs, styles, sections, anchor=key not in seen))
            seen.add(key)
        body += ["</ol>", "</section>"]
    tail = [
        "</div>",
        '<p id="_none" class="none" hidden>No paper matches. <button type="button" id="_clear">Clear search and filters</button></p>',
        "</main>",
        "</div>",
        "</div>",
        '<div id="_copybox" class="copybox" role="dialog" aria-modal="false" aria-labelledby="_copybox-h" hidden>',
        '<h2 id="_copybox-h">Copy this text</h2>',
        '<p>The clipboard is not available here: the text is selected, press Ctrl+C (⌘C).</p>',
        '<textarea id="_copytext" readonly rows="10" spellcheck="false"></textarea>',
        '<button type="button" id="_copyclose">Close</button>',
        "</div>",
        '<p id="_status" class="status" role="status" aria-live="polite"></p>',
        '<footer class="foot"><p>Generated by mlsys_bib from the list; entries are the exports of the same build. '
        '<a href="#_toc">Back to the sections</a></p></footer>',
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(head + body + tail)
