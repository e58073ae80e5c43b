"""A small part of SOQL, parsed strictly so that a client's mistakes show.

Supported: ``SELECT f1, f2 FROM Obj [WHERE cond [AND cond ...]]
[ORDER BY f [ASC|DESC]] [LIMIT n]`` and ``SELECT COUNT() FROM Obj``, where a
condition is ``Field = value``, ``Field != value`` or ``Field [NOT] IN (...)``
and a value is a quoted string, true, false or null.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from emulator.ids import same_id
from emulator.messages import SalesforceError
from emulator.schema import SObject

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^'\\]|\\.)*')|(?P<symbol>!=|<>|[=,()])"
    r"|(?P<word>[A-Za-z_][\w.]*)|(?P<number>\d+))"
)
_LITERALS = {"true": True, "false": False, "null": None}


@dataclass
class Token:
    kind: str
    text: str
    column: int

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


@dataclass
class Condition:
    field: str
    column: int
    negated: bool
    values: list[Any]


@dataclass
class Query:
    sobject: str
    fields: list[Token] = field(default_factory=list)
    count: bool = False
    conditions: list[Condition] = field(default_factory=list)
    order_by: Token | None = None
    descending: bool = False
    limit: int | None = None


def malformed(detail: str, column: int) -> SalesforceError:
    message = f"ERROR at Row:1:Column:{column}\n{detail}"
    return SalesforceError(400, "MALFORMED_QUERY", message)


def parse(text: str | None) -> Query:
    if not text or not text.strip():
        raise SalesforceError(400, "MALFORMED_QUERY", "The SOQL query is empty.")
    return _Parser(_tokenize(text)).query()


def _tokenize(text: str) -> list[Token]:
    tokens, position = [], 0
    while text[position:].strip():
        match = _TOKEN.match(text, position)
        if not match:
            column = len(text) - len(text[position:].lstrip()) + 1
            raise malformed(f"unexpected character: {text[column - 1]!r}", column)
        kind = match.lastgroup
        tokens.append(Token(kind, match.group(kind), match.start(kind) + 1))
        position = match.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.position = 0

    def query(self) -> Query:
        self._keyword("SELECT")
        query = Query(sobject="")
        if self._peek().is_word("COUNT") and self._peek(1).text == "(":
            self.position += 1
            self._symbol("(")
            self._symbol(")")
            query.count = True
        else:
            query.fields = self._field_list()
        self._keyword("FROM")
        query.sobject = self._word().text
        if self._accept("WHERE"):
            query.conditions = self._conditions()
        if self._accept("ORDER"):
            self._keyword("BY")
            query.order_by = self._word()
            query.descending = bool(self._accept("DESC"))
            if not query.descending:
                self._accept("ASC")
        if self._accept("LIMIT"):
            query.limit = int(self._take("number").text)
        end = self._peek()
        if end.kind != "end":
            raise malformed(f"unexpected token: {end.text!r}", end.column)
        return query

    def _field_list(self) -> list[Token]:
        fields = [self._word()]
        while self._peek().text == ",":
            self.position += 1
            fields.append(self._word())
        return fields

    def _conditions(self) -> list[Condition]:
        conditions = [self._condition()]
        while self._accept("AND"):
            conditions.append(self._condition())
        return conditions

    def _condition(self) -> Condition:
        name = self._word()
        negated = bool(self._accept("NOT"))
        if negated or self._peek().is_word("IN"):
            self._keyword("IN")
            self._symbol("(")
            values = [self._literal()]
            while self._peek().text == ",":
                self.position += 1
                values.append(self._literal())
            self._symbol(")")
            return Condition(name.text, name.column, negated, values)
        operator = self._take("symbol")
        if operator.text not in ("=", "!=", "<>"):
            raise malformed(f"unexpected token: {operator.text!r}", operator.column)
        negated = operator.text != "="
        return Condition(name.text, name.column, negated, [self._literal()])

    def _literal(self) -> Any:
        token = self._peek()
        if token.kind == "string":
            self.position += 1
            return re.sub(r"\\(.)", r"\1", token.text[1:-1])
        if token.kind == "word" and token.text.lower() in _LITERALS:
            self.position += 1
            return _LITERALS[token.text.lower()]
        raise malformed(f"unexpected token: {token.text!r}", token.column)

    def _word(self) -> Token:
        token = self._take("word")
        reserved = ("SELECT", "FROM", "WHERE", "AND", "OR", "ORDER", "BY", "LIMIT")
        if token.is_word(*reserved):
            raise malformed(f"unexpected token: {token.text!r}", token.column)
        return token

    def _keyword(self, word: str) -> None:
        if not self._accept(word):
            token = self._peek()
            expected = f"expected {word}, found {token.text or 'the end'!r}"
            raise malformed(expected, token.column)

    def _accept(self, word: str) -> Token | None:
        token = self._peek()
        if token.is_word(word):
            self.position += 1
            return token
        return None

    def _symbol(self, symbol: str) -> None:
        token = self._peek()
        if token.text != symbol:
            raise malformed(f"expected {symbol!r}", token.column)
        self.position += 1

    def _take(self, kind: str) -> Token:
        token = self._peek()
        if token.kind != kind:
            shown = token.text or "the end of the query"
            raise malformed(f"unexpected token: {shown!r}", token.column)
        self.position += 1
        return token

    def _peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.position + ahead, len(self.tokens) - 1)]


def run(
    query: Query, spec: SObject, records: list[dict[str, Any]]
) -> tuple[list[str], list[dict[str, Any]]]:
    """The selected field names and the matching records, sorted and limited."""
    names = list(dict.fromkeys(_resolve(spec, f.text, f.column) for f in query.fields))
    tests = [(_resolve(spec, c.field, c.column), c) for c in query.conditions]
    for name, condition in tests:
        _check_types(spec, name, condition)
    rows = [r for r in records if all(_matches(spec, r, n, c) for n, c in tests)]
    if query.order_by:
        key_name = _resolve(spec, query.order_by.text, query.order_by.column)
        # SOQL sorts nulls first when ascending.
        rows.sort(
            key=lambda r: (r[key_name] is not None, _comparable(r[key_name])),
            reverse=query.descending,
        )
    if query.limit is not None:
        rows = rows[: query.limit]
    return names, rows


def _resolve(spec: SObject, name: str, column: int) -> str:
    found = spec.field(name)
    if found is None:
        message = (
            f"ERROR at Row:1:Column:{column}\n"
            f"No such column '{name}' on entity '{spec.name}'."
        )
        raise SalesforceError(400, "INVALID_FIELD", message)
    return found.name


def _check_types(spec: SObject, name: str, condition: Condition) -> None:
    boolean = spec.field(name).kind == "boolean"
    for value in condition.values:
        if value is not None and isinstance(value, bool) != boolean:
            wanted = "true or false" if boolean else "a quoted string"
            message = f"The value compared with {name} must be {wanted}."
            raise SalesforceError(400, "INVALID_QUERY_FILTER_OPERATOR", message)


def _matches(
    spec: SObject, record: dict[str, Any], name: str, condition: Condition
) -> bool:
    kind = spec.field(name).kind
    found = any(_equal(kind, record[name], v) for v in condition.values)
    return found != condition.negated


def _equal(kind: str, actual: Any, wanted: Any) -> bool:
    if actual is None or wanted is None:
        return actual is wanted
    if kind in ("id", "reference"):
        return same_id(actual, wanted)
    if isinstance(actual, str) and isinstance(wanted, str):
        # SOQL compares text without regard to case.
        return actual.lower() == wanted.lower()
    return actual == wanted


def _comparable(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value
