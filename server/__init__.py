"""The chat2audio service: config, FastAPI app factory, the LLM -> cleanup -> segmenter -> TTS pipeline.

Nothing is loaded at import; ``create_app`` loads the models in its lifespan.

- ``cli`` (command line, start-up checks), ``config`` (the YAML config), ``app`` (the app factory),
  ``demo`` (``--demo``: tiny random models, no download);
- ``routes/``: HTTP only, one module per protocol; ``schemas``: their request and response models;
- ``responses``: how every route answers (streamed, whole, server-sent events);
- ``pipeline``: jobs (admission, LLM -> cleanup -> segmenter -> TTS, cancellation, events);
- ``voices`` (each speaker's voice, unavailable voices), ``audio`` (every audio format),
  ``errors`` (the one error shape), ``body_limit`` (413 for large bodies).
"""
