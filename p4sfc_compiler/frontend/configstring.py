"""Click configuration strings: splitting into arguments and ``$variable`` expansion.

Config strings stay strings in the IR; each element module parses its own arguments.
The rules follow Click's confparse/variableenv: commas split arguments unless quoted
(parentheses do not protect them), comments become spaces, arguments are trimmed and an
empty last argument is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_SPACE = " \t\n\r\f\v"
_MAX_DEPTH = 10
# Variable names and word indexes are ASCII, as Click's isalnum()/isdigit() read them;
# str.isalnum() and int() would take any Unicode letter or digit.
_DIGITS = re.compile(r"[0-9]+")
# A word index longer than this is past any value's words (int() is not asked to
# convert thousands of digits).
_MAX_INDEX_DIGITS = 9


def _is_var_char(c: str) -> bool:
    return c == "_" or "0" <= c <= "9" or "a" <= c <= "z" or "A" <= c <= "Z"


def _skip_comment(s: str, i: int) -> int:
    """``s[i:i+2]`` is ``//`` or ``/*``; index just after the comment."""
    if s[i + 1] == "/":
        j = i + 2
        n = len(s)
        while j < n and s[j] not in "\n\r":
            j += 1
        if j < n:
            j += 2 if s.startswith("\r\n", j) else 1
        return j
    end = s.find("*/", i + 2)
    return len(s) if end < 0 else end + 2


def _skip_double_quote(s: str, i: int) -> int:
    """``s[i]`` is ``"``; index after the closing quote (backslash escapes honoured)."""
    n = len(s)
    j = i + 1
    while j < n:
        c = s[j]
        if c == "\\" and j + 1 < n:
            if s[j + 1] == "<":
                j = _skip_backslash_angle(s, j)
                continue
            j += 2
            continue
        if c == '"':
            return j + 1
        j += 1
    return n


def _skip_single_quote(s: str, i: int) -> int:
    end = s.find("'", i + 1)
    return len(s) if end < 0 else end + 1


def _skip_backslash_angle(s: str, i: int) -> int:
    """``s[i:i+2]`` is ``\\<``; index after the closing ``>`` (comments skipped)."""
    n = len(s)
    j = i + 2
    while j < n:
        c = s[j]
        if c == "/" and j + 1 < n and s[j + 1] in "/*":
            j = _skip_comment(s, j)
            continue
        if c == ">":
            return j + 1
        j += 1
    return n


def _is_comment_start(s: str, i: int) -> bool:
    return s[i] == "/" and i + 1 < len(s) and s[i + 1] in "/*"


def _skip_comment_space(s: str, i: int) -> int:
    n = len(s)
    while i < n:
        if s[i] in _SPACE:
            i += 1
        elif _is_comment_start(s, i):
            i = _skip_comment(s, i)
        else:
            break
    return i


def _uncomment_until_comma(s: str, i: int, stop_at_comma: bool) -> tuple[str, int]:
    """One argument starting at ``i``: comments replaced by a space, trimmed.

    Returns the argument and the index where it stopped (a comma or the end).
    """
    n = len(s)
    i = _skip_comment_space(s, i)
    parts: list[str] = []
    left = right = i
    closed = False
    while i < n:
        c = s[i]
        if c in _SPACE:
            i += 1
        elif _is_comment_start(s, i):
            i = _skip_comment(s, i)
            closed = True
        elif c == "," and stop_at_comma:
            break
        else:
            if closed:
                # text before a comment is kept, the comment itself becomes one space
                parts.append(s[left:right])
                parts.append(" ")
                left = i
                closed = False
            if c == "'":
                i = _skip_single_quote(s, i)
            elif c == '"':
                i = _skip_double_quote(s, i)
            elif c == "\\" and i + 1 < n and s[i + 1] == "<":
                i = _skip_backslash_angle(s, i)
            else:
                i += 1
            right = i
    parts.append(s[left:right])
    return "".join(parts), i


def uncomment(config: str) -> str:
    """The string with comments turned into spaces and outer whitespace removed."""
    return _uncomment_until_comma(config, 0, False)[0]


def split_args(config: str) -> list[str]:
    """Split a configuration string into arguments as Click's ``cp_argvec`` does."""
    args: list[str] = []
    n = len(config)
    pos = 0
    while pos < n:
        arg, pos = _uncomment_until_comma(config, pos, True)
        if arg or pos < n:
            args.append(arg)
        pos += 1
    return args


def _skip_word(s: str, i: int) -> int:
    """End of one space-separated word starting at ``i`` (quotes kept together)."""
    n = len(s)
    while i < n:
        c = s[i]
        if _is_comment_start(s, i) or c in _SPACE:
            return i
        if c == '"':
            i = _skip_double_quote(s, i)
        elif c == "'":
            i = _skip_single_quote(s, i)
        elif c == "\\" and i + 1 < n and s[i + 1] == "<":
            i = _skip_backslash_angle(s, i)
        else:
            i += 1
    return i


def split_words(arg: str) -> list[str]:
    """Split an argument into words at unquoted whitespace (Click's ``cp_spacevec``)."""
    words: list[str] = []
    i = _skip_comment_space(arg, 0)
    while i < len(arg):
        j = _skip_word(arg, i)
        words.append(arg[i:j])
        i = _skip_comment_space(arg, j)
    return words


def shift_word(arg: str) -> tuple[str, str]:
    """(first word, rest of the argument with leading space removed)."""
    i = _skip_comment_space(arg, 0)
    j = _skip_word(arg, i)
    return arg[i:j], arg[_skip_comment_space(arg, j):]


def keyword_split(arg: str) -> tuple[str, str] | None:
    """``(KEYWORD, value)`` if ``arg`` starts with a Click keyword word, else ``None``."""
    i = 0
    n = len(arg)
    while i < n and arg[i] not in _SPACE:
        if not (arg[i].isalnum() and arg[i].isascii()) and arg[i] not in "_.:?!":
            return None
        i += 1
    if i == 0:
        return None
    return arg[:i], arg[i:].lstrip(_SPACE)


def quote(text: str) -> str:
    """A double-quoted Click string that unquotes to ``text`` (Click's ``cp_quote``)."""
    out = ['"']
    for ch in text:
        if ch in '\\"$':
            out.append("\\" + ch)
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\{ord(ch):03o}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


class VarEnv:
    """A scope of ``$variables``: compound formals and ``define``s, chained lexically.

    ``depth`` is the lexical depth of the scope that created it (0 = file scope); a
    compound instance's environment hangs off the caller's ancestor at the compound's
    declaration depth, which is how Click keeps variables lexically scoped.
    """

    def __init__(self, parent: VarEnv | None = None, depth: int = 0) -> None:
        self.parent = parent
        self.depth = depth
        self.values: dict[str, str] = {}

    def define(self, name: str, value: str) -> None:
        self.values[name] = value

    def lookup(self, name: str) -> str | None:
        env: VarEnv | None = self
        while env is not None:
            if name in env.values:
                return env.values[name]
            env = env.parent
        return None

    def ancestor_below(self, depth: int) -> VarEnv | None:
        """The nearest environment (self included) whose depth is below ``depth``."""
        env: VarEnv | None = self
        while env is not None and env.depth >= depth:
            env = env.parent
        return env

    def _expand_var(self, var: str, braced: bool, depth: int) -> str | None:
        name = var
        index = -1
        default: str | None = None
        if braced:
            s = var.strip(_SPACE)
            j = 0
            while j < len(s) and _is_var_char(s[j]):
                j += 1
            name = s[:j]
            rest = s[j:].lstrip(_SPACE)
            if rest.startswith("["):
                close = rest.find("]")
                num = rest[1:close].strip(_SPACE) if close > 0 else ""
                if _DIGITS.fullmatch(num):
                    index = int(num) if len(num) <= _MAX_INDEX_DIGITS else 1 << 31
                    rest = rest[close + 1:].lstrip(_SPACE)
            if rest.startswith("-"):
                default = rest[1:]
        value = self.lookup(name)
        if value is not None:
            value = expand(value, self, depth=depth + 1)
            if index >= 0:
                words = split_words(value)
                return words[index] if index < len(words) else ""
            return value
        if default is not None:
            return expand(default, self, depth=depth + 1)
        return None


def expand(config: str, env: VarEnv | None, *, depth: int = 0) -> str:
    """Expand ``$x``, ``${x}``, ``${x-default}``, ``${x[i]}`` like Click's ``cp_expand``.

    Unknown variables stay verbatim (Script uses ``$1`` and ``$(...)`` at run time); no
    expansion inside single quotes or comments; inside double quotes the value is
    re-quoted so it cannot end the string.
    """
    if env is None or "$" not in config:
        return config
    out: list[str] = []
    s = config
    n = len(s)
    last = 0
    quote_ch = ""
    i = 0
    while i < n:
        c = s[i]
        if c == "\\":
            if i + 1 < n and quote_ch == '"':
                i += 1
        elif c in "'\"":
            if not quote_ch:
                quote_ch = c
            elif quote_ch == c:
                quote_ch = ""
        elif c == "/" and not quote_ch and _is_comment_start(s, i):
            i = _skip_comment_space(s, i)
            continue
        elif c == "$" and i + 1 < n and quote_ch != "'" and depth <= _MAX_DEPTH:
            start = i
            nxt = s[i + 1]
            braced = False
            if nxt == "{":
                close = s.find("}", i + 2)
                if close < 0:
                    break
                var = s[i + 2:close]
                end = close + 1
                braced = True
            elif nxt == "(":
                # $(...) is Script's command substitution: always left for run time
                i += 1
                continue
            elif _is_var_char(nxt):
                j = i + 1
                while j < n and _is_var_char(s[j]):
                    j += 1
                var = s[i + 1:j]
                end = j
            elif nxt in "?#$":
                var = nxt
                end = i + 2
            else:
                i += 1
                continue
            if braced and "$" in var:
                var = expand(var, env, depth=depth + 1)
            value = env._expand_var(var, braced, depth)
            if value is not None:
                out.append(s[last:start])
                if quote_ch == '"':
                    out.append(quote(value)[1:-1])
                else:
                    out.append(value)
                last = end
            i = end
            continue
        i += 1
    if not out:
        return config
    out.append(s[last:])
    return "".join(out)


def parse_defines(config: str) -> list[tuple[str, str] | None]:
    """The ``(name, value)`` pairs of a ``define(...)`` string; ``None`` marks a bad entry."""
    result: list[tuple[str, str] | None] = []
    for arg in split_args(config):
        if not arg:
            continue
        var, value = shift_word(arg)
        name = var[1:]
        if len(var) < 2 or var[0] != "$" or not all(_is_var_char(ch) for ch in name):
            result.append(None)
        else:
            result.append((name, value))
    return result


def join_args(args: Iterable[str]) -> str:
    """Arguments joined back into a configuration string."""
    return ", ".join(args)
