"""What was measured about one ``fit``, as plain data: the types the rules read.

Every module here imports only the standard library, NumPy and other ``facts`` modules, so
the rules can be run (and tested) on constructed evidence without importing TensorFlow.
The measuring modules of ``gradmagic.evidence`` fill these types in.
"""
