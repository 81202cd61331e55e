"""One client per metadata service (arXiv, Crossref, doi.org, DBLP), each with its answer format read
in a module of its own (``arxiv_feed``, ``csl``, ``dblp_hits``, ``dblp_sparql_rows``).

A client turns one question into an ``Outcome``; deciding which questions to ask and how to combine
the answers is ``resolve/``'s job.
"""
