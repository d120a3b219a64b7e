"""p4sfc: offload service function chains of Click NFs to P4 switches."""

__version__ = "0.1.0"
