"""The reader's view of the exports: compile them as users do and read the result entry by entry.

Parsers accept a .bib that prints "arXiv:2412.18934. arXiv:2412.18934" or "gsa [2023]"; only the
compiled page shows it. Each renderer here produces ``{key: text}`` of what a reader sees:

* BibTeX styles (plainnat, IEEEtran, ACM-Reference-Format): pdflatex + bibtex on a document that
  cites every key, then ``pdftotext`` of the PDF. A marker ``@@key@@`` is typeset before each
  bibliography entry and before each in-text citation, so the page splits into entries without
  guessing; the page is 5 m wide so that no entry wraps (wrapping would hyphenate ids and URLs).
* biblatex (numeric, authoryear): the same with biber, the marker added by ``\\AtEveryBibitem``.
* CSL styles through pandoc --citeproc: each ``div#ref-KEY`` of the HTML.

The defect checks (:mod:`tests.render.defects`) then run on that text.
"""
