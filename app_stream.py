"""chat2audio, stream mode: the reply as a WAV stream that starts while the LLM is still writing.

    python app_stream.py [--config config.yaml] [--host 127.0.0.1] [--port 8000] [--demo]
"""

import sys

from server.cli import main

if __name__ == "__main__":
    sys.exit(main("stream"))
