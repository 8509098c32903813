"""Hugging Face folder -> GGUF (llama.cpp's format) through gguf-py: names, metadata, quantization, streamed writes."""
