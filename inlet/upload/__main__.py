import sys

from inlet.upload.cli import main

sys.exit(main())
