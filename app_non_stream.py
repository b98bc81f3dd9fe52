"""chat2audio, non-stream mode: the whole reply as one WAV file.

    python app_non_stream.py [--config config.yaml] [--host 127.0.0.1] [--port 8000] [--demo]
"""

import sys

from server.cli import main

if __name__ == "__main__":
    sys.exit(main("non-stream"))
