"""IPFilter and IPClassifier: tcpdump-like patterns, their Click semantics, their switch form.

Parsing follows Click's own parser (elements/ip/ipfilter.cc) closely, quirks included,
because the semantics hang on them: qualifiers carry over to a following bare value
(``src port 80 or 81``; ``tcp and www`` is a TCP port test), ``port``/``icmp type``/``tcp
opt``/``transp[..]`` imply the protocol and first-fragment tests, ``tcp port != 80``
keeps them while ``!(tcp port 80)`` negates them, and every test is compiled into
Click's 32-bit word tests (:class:`~p4sfc_compiler.families.wordtests.Leaf`) with Click's
result for packets too short for a test. Click then builds one program per rule, merges
and optimises them (``IPFilter::parse_program``, ported in
:mod:`~p4sfc_compiler.families.wordwise`), and the optimised program decides: on a packet
too short for a test, the branch its surviving insn takes, which the tree does not always
give (``tcp opt ack && !(tcp opt psh)`` becomes one insn with one short branch).
``evaluate.py`` runs that program as Click does; ``lower.py`` turns the trees into ordered
ternary rules over the classify table key, preceded by the program's rules for the
transport lengths on which the two differ.

One module per job, each importing only the ones before it:
``names.py`` (Click's name tables) -> ``primitive.py`` (one test, checked) ->
``compile.py`` (a test -> word tests) -> ``parser.py`` (a pattern -> a word-test tree) ->
``config.py`` (the element's arguments) -> ``evaluate.py`` (software: Click's program) and ``lower.py``
(switch) -> ``family.py`` (the family object the registry lists).
"""
