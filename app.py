"""Start the briefing assistant's web chat: ``python app.py`` (the same as
``briefing-assistant serve``).

Settings come from ``ASSISTANT_*`` environment variables (see assistant/config.py), e.g.
``ASSISTANT_HOST``/``ASSISTANT_PORT`` (default 127.0.0.1:7860), ``ASSISTANT_LLM=extractive``,
``ASSISTANT_AUTH=user:password``. On a fresh install the bundled sample briefing is ingested
first, so the chat works straight away."""

import sys

from assistant import offline  # noqa: F401  - offline environment before anything else
from assistant.tools.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
