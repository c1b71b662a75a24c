"""The language server for editors (``audiencelang lsp``; needs the ``lsp`` extra: pygls).

Entry point: :func:`audiencelang.lsp.server.serve`. One module per concern:
``index`` (the project in memory, incremental re-checks), ``context`` (what each
word is, from tokens), ``completion``, ``hover``, ``navigation`` (definition,
references, rename), ``actions`` (formatting, quick fixes), ``tokens``
(semantic tokens), ``catalog`` (names and their facts per market), ``convert``
(positions and diagnostics in protocol terms).
"""
