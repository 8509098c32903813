"""The headless engine. Nothing under workbench.core imports Qt; heavy libraries are imported inside functions."""
