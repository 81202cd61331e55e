"""Text helpers shared by every stage: title normalisation and matching, names, markup cleaning."""
