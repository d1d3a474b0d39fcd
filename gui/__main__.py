"""``python -m backprop_lab.gui`` is the same as the ``backprop-lab`` command."""
import sys

from .app import main

sys.exit(main())
