import sys

from gradmagic.cli import main

sys.exit(main())
