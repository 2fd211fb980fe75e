"""The NumPy runtime that every generated module embeds.

These files are real Python: importable, linted and type-checked, and tested
by import (`tests/test_runtime.py`). The emitter (`specc.emit`) copies their
source into each generated module, without their module docstrings and
imports; `generated.py` holds stand-ins for the names the emitter writes
itself. Importing this package imports nothing (NumPy is loaded by the files).
"""
