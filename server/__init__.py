"""The chat2audio service: config, FastAPI app factory, the LLM -> cleanup -> segmenter -> TTS pipeline.

Nothing is loaded at import; ``create_app`` loads the models in its lifespan.
"""
