"""Helpers the tests share: a worker process, a browser, the emulator."""
