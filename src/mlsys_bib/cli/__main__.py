"""``python -m mlsys_bib.cli``: the same as the ``mlsys-bib`` command."""

import sys

from . import main

sys.exit(main())
