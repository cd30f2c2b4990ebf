import sys

from assistant.tools.cli import main

sys.exit(main())
