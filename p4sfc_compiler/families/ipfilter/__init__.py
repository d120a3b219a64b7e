"""IPFilter and IPClassifier: tcpdump-like patterns, their Click semantics, their switch form.

Parsing follows Click's own parser (elements/ip/ipfilter.cc) closely, quirks included,
because the semantics hang on them: qualifiers carry over to a following bare value
(``src port 80 or 81``; ``tcp and www`` is a TCP port test), ``port``/``icmp type``/``tcp
opt``/``transp[..]`` imply the protocol and first-fragment tests, ``tcp port != 80``
keeps them while ``!(tcp port 80)`` negates them, and every test is compiled into
Click's 32-bit word tests (:class:`~p4sfc_compiler.families.wordtests.Leaf`) with Click's
result for packets too short for a test. ``evaluate.py`` runs those tests as Click does;
``lower.py`` turns the same tests into ordered ternary rules over the classify table key.

One module per job, each importing only the ones before it:
``names.py`` (Click's name tables) -> ``primitive.py`` (one test, checked) ->
``compile.py`` (a test -> word tests) -> ``parser.py`` (a pattern -> a word-test tree) ->
``config.py`` (the element's arguments) -> ``evaluate.py`` (software) and ``lower.py``
(switch) -> ``family.py`` (the family object the registry lists).
"""
