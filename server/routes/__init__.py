"""The HTTP routes, one module per protocol: chat2audio's own (``chat``), OpenAI's speech API
(``openai``), and GPT-SoVITS servers' (``gpt_sovits``: api_v2, SillyTavern's GPT-SoVITS-V2 and
GSVI providers). Each validates its protocol and hands a job to ``server.responses``."""
