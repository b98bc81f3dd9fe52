"""Tools around the service, apart from the runtime packages (their extra dependencies are in
requirements-tools.txt; serving needs none of them):

- ``python -m tools.download``: the real model files from the Hugging Face hub into ./models;
- ``python -m tools.bench_tts``: TTS stages on random weights of upstream's real shapes;
- ``python -m tools.bench_server``: time to first audio over HTTP, stream vs non-stream.
"""
