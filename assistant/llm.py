"""Chat models for the generative mode (ASSISTANT_LLM), through LangChain.

- `none`: no model; answers are extractive.
- `openai`: any OpenAI-compatible server (vLLM, llama.cpp server, Ollama) at
  ASSISTANT_LLM_URL, model ASSISTANT_LLM_MODEL.
- `llamacpp`: a local GGUF file at ASSISTANT_LLM_MODEL through llama-cpp-python, an
  optional extra that is not installed by default.
"""

from __future__ import annotations

from assistant.settings import Settings
from ingest.loaders import InputError


def make_chat_model(settings: Settings):
    if settings.llm == "none":
        return None
    if settings.llm == "openai":
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(
            base_url=settings.llm_url, model=settings.llm_model or "local-model",
            api_key=settings.llm_api_key.get_secret_value(), temperature=0, max_tokens=384, timeout=120,
            max_retries=0,
        )
    try:
        from langchain_community.chat_models import ChatLlamaCpp
        import llama_cpp  # noqa: F401  (the optional extra)
    except ImportError as exc:
        raise InputError(
            "ASSISTANT_LLM=llamacpp cần gói llama-cpp-python (chưa cài) / llama-cpp-python is not installed"
        ) from exc
    if not settings.llm_model:
        raise InputError("ASSISTANT_LLM_MODEL phải là đường dẫn tệp .gguf / set ASSISTANT_LLM_MODEL to a .gguf file")
    return ChatLlamaCpp(model_path=settings.llm_model, temperature=0, max_tokens=384, n_ctx=4096, verbose=False)
