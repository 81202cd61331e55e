"""One client per metadata service (arXiv, Crossref, doi.org, DBLP), each with its feed parser.

A client turns one question into an ``Outcome``; deciding which questions to ask and how to combine
the answers is ``resolve/``'s job.
"""
