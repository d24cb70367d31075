"""The maintainers' tools of the series, run from the repository root as ``python -m tools.NAME``.

``tools.notebook_tools`` is what they share with the tests: the list of notebooks, reading and
writing them, clearing outputs, the hidden solutions, tagged cells and recorded values.
"""
