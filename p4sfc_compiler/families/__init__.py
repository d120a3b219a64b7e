"""Element families: each Click class the compiler understands belongs to one.

``base.py`` holds the errors and the data lowering returns, ``family.py`` the typed
interface a family provides, ``registry.py`` the class -> family index and the uniform
entry points the analysis and the backend call. This file imports nothing, so that
importing one family's stage file loads only what that file needs.
"""
