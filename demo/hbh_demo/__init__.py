"""Demo-data generator: a fictional region with municipal HbH exports and a planted story.

``generate(out_dir)`` writes landing files (wijken, bevolking, producten, aanbieders,
indicaties, declaraties, a wijk GeoJSON) plus ``demo_manifest.json`` with the true figures.
Run ``python -m hbh_demo --out DIR`` from the command line.
"""

from hbh_demo.generator import generate

__all__ = ["generate"]
