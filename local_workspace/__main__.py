import sys

from local_workspace.cli import main

sys.exit(main())
