"""Offline-by-construction process environment.

Imported first by the package: it makes the libraries we build on (Hugging Face hub,
transformers, Chroma, Gradio, LangSmith, OpenVINO) stay off the network and send no telemetry.
Values the user set explicitly are kept.

OpenVINO has no environment switch: ``import openvino`` initialises ``openvino_telemetry`` and
sends an "import" event unless the user opted out in ``~/intel``. With ``openvino_telemetry``
marked as not importable, OpenVINO (and NNCF) use their built-in no-op stub instead."""

from __future__ import annotations

import os
import sys

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "LANGCHAIN_TRACING_V2": "false",
    "LANGSMITH_TRACING": "false",
    "TOKENIZERS_PARALLELISM": "false",
}


BLOCKED_MODULES = ("openvino_telemetry",)


def apply() -> None:
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    for name in BLOCKED_MODULES:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]  # ``import`` raises ImportError


apply()
