"""Review: what a change does (``diff``), how audiences connect (``graph``), and an
audience's meaning in words (:mod:`audiencelang.review.words`, for ``diff``, the
catalogue and ``explain``).

Modules, one thing each: ``revisions`` (a project at a git revision), ``diff``
(two projects -> changes in words), ``impact`` (member counts in the warehouse),
``render`` (text, Markdown, JSON), ``graph``, ``words``, ``meaning`` (comparable
meaning), ``command`` (the CLI bodies).
"""
