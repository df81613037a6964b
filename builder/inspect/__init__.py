"""Where a layer's bytes and import time go: inspect one layer, check a stack of layers, diff two builds.

Reads only what a build leaves behind (manifest.json and layer.zip) or what Lambda serves for a
published layer version; never the recipe's staging tree.
"""
