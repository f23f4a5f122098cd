"""The IRLink hardware-in-the-loop conformance suite: see hil/README.md."""
