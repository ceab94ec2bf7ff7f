"""Pure-numpy computations behind the book's figures and explorers, one module per chapter.

``plots`` draws their results and ``widgets`` wires them to sliders; neither of those is
imported here, so both may import this package without an import circle.
"""
