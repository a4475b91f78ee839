"""``python -m nn``: the ``chainrule`` command (see ``nn.cli``)."""

from .cli import main

raise SystemExit(main())
