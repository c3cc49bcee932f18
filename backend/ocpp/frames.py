"""OCPP-J 1.6 frames in and out: decoding, schema checks and the answers, in one cheap pass.

The ``ocpp`` library spends most of a MeterValues round trip in its own machinery: a
``jsonschema`` validator walking the payload (~0.25 ms), a regex camel→snake rename of every
key, dataclass round trips and a validation of our own answer. At a thousand frames a second
that was most of the central system's CPU (issue #3). Here the same schemas — the library's own
``ocpp/v16/schemas/*.json`` — are compiled once into Python code by ``fastjsonschema``
(~6 µs per MeterValues), JSON goes through ``orjson`` and payloads keep their wire (camelCase)
keys. The library is still used for CSMS-initiated calls (its call lock keeps one CALL
outstanding per charger) and the answers to them.

The schemas say ``"type": "integer"`` without bounds; OCPP 1.6's integer is 32-bit (spec §6
data types), and a database column is too, so out-of-range integers are refused here
(``PropertyConstraintViolation``) instead of failing inside a handler.

Error codes are OCPP-J 1.6 §4.2.3's, spelled as 1.6 spells them (``FormationViolation``,
``OccurenceConstraintViolation``). A broken payload gets the code of what is broken:

====================================  =================================
schema keyword that failed             CALLERROR code
====================================  =================================
``required``                           ``ProtocolError`` (incomplete)
``type``, ``maxLength``                ``TypeConstraintViolation``
``enum``, ``minimum``, ``pattern`` …   ``PropertyConstraintViolation``
``minItems``, ``maxItems``             ``OccurenceConstraintViolation``
``additionalProperties`` and others    ``FormationViolation``
====================================  =================================

A frame that cannot be answered — not JSON, not an array, no usable unique id, not a CALL — is
dropped (logged): a CALLERROR must carry the unique id of the CALL it answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastjsonschema
import ocpp
import orjson
from ocpp.v16.enums import Action

CALL, CALLRESULT, CALLERROR = 2, 3, 4
MAX_UNIQUE_ID = 36
"""OCPP-J 1.6 §4.1.3: a unique id is at most 36 characters."""

ACTIONS_16 = frozenset(action.value for action in Action)
"""Every OCPP 1.6 action name (either direction): a charger sending one we do not handle gets
``NotImplemented``, any other name ``NotSupported`` (1.6 §4.2.3)."""

SCHEMA_DIR = Path(ocpp.__file__).parent / "v16" / "schemas"

_CODE_OF_RULE = {
    "required": "ProtocolError",
    "type": "TypeConstraintViolation",
    "maxLength": "TypeConstraintViolation",
    "minLength": "TypeConstraintViolation",
    "enum": "PropertyConstraintViolation",
    "minimum": "PropertyConstraintViolation",
    "maximum": "PropertyConstraintViolation",
    "exclusiveMinimum": "PropertyConstraintViolation",
    "exclusiveMaximum": "PropertyConstraintViolation",
    "multipleOf": "PropertyConstraintViolation",
    "pattern": "PropertyConstraintViolation",
    "minItems": "OccurenceConstraintViolation",
    "maxItems": "OccurenceConstraintViolation",
}


class CallFault(Exception):
    """A CALL we answer with a CALLERROR (``code`` in its OCPP 1.6 spelling)."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description


class AddressedFault(CallFault):
    """A :class:`CallFault` found while decoding, before a :class:`Frame` exists."""

    def __init__(self, unique_id: str, code: str, description: str) -> None:
        super().__init__(code, description)
        self.unique_id = unique_id


class Unanswerable(Exception):
    """A frame that gets no answer (no CALL unique id to address one to)."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded frame: a CALL (``action``, ``payload``) or an answer to one of ours."""

    type_id: int
    unique_id: str
    action: str
    payload: Any


def decode(raw: str | bytes) -> Frame:
    """Parse and check the envelope of one websocket message.

    Raises:
        Unanswerable: nothing can be answered (see the module docstring).
        AddressedFault: an addressable CALL whose envelope is broken.
    """
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise Unanswerable("not JSON") from None
    if not isinstance(message, list) or not message:
        raise Unanswerable("not a JSON array")
    type_id = message[0]
    if type(type_id) is not int or type_id not in (CALL, CALLRESULT, CALLERROR):
        raise Unanswerable(f"unknown MessageTypeId {type_id!r}")
    unique_id = message[1] if len(message) > 1 else None
    if not isinstance(unique_id, str) or not unique_id:
        raise Unanswerable("no unique id")
    if type_id == CALLRESULT:
        if len(message) != 3:
            raise Unanswerable("malformed CALLRESULT")
        return Frame(CALLRESULT, unique_id, "", message[2])
    if type_id == CALLERROR:
        if len(message) != 5:
            raise Unanswerable("malformed CALLERROR")
        return Frame(CALLERROR, unique_id, "", message[2:])
    if len(unique_id) > MAX_UNIQUE_ID:
        raise AddressedFault(unique_id, "ProtocolError", "unique id longer than 36 characters")
    if len(message) != 4:
        raise AddressedFault(unique_id, "ProtocolError", "a CALL has exactly 4 elements")
    action, payload = message[2], message[3]
    if not isinstance(action, str):
        raise AddressedFault(unique_id, "FormationViolation", "action is not a string")
    return Frame(CALL, unique_id, action, payload)


def call_result(unique_id: str, payload: dict[str, Any]) -> str:
    return orjson.dumps([CALLRESULT, unique_id, payload]).decode()


def call_error(unique_id: str, code: str, description: str) -> str:
    return orjson.dumps([CALLERROR, unique_id, code, description[:255], {}]).decode()


Validator = Callable[[Any], Any]
INT32 = (-(2**31), 2**31 - 1)


def _bounded(schema: Any) -> Any:
    """``schema`` with every unbounded integer limited to 32 bits."""
    if isinstance(schema, list):
        return [_bounded(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _bounded(value) for key, value in schema.items()}
    if out.get("type") == "integer":
        out.setdefault("minimum", INT32[0])
        out.setdefault("maximum", INT32[1])
    return out


class Schemas:
    """``fastjsonschema`` validators of the OCPP 1.6 JSON schemas, compiled on first use.

    Same schemas and the same acceptance as the ``ocpp`` library (draft 4, ``format`` not
    enforced, nothing filled in from defaults), one per action and direction.
    """

    def __init__(self, directory: Path = SCHEMA_DIR) -> None:
        self._directory = directory
        self._compiled: dict[str, Validator] = {}

    def _validator(self, name: str) -> Validator:
        validator = self._compiled.get(name)
        if validator is None:
            schema = _bounded(json.loads((self._directory / f"{name}.json").read_text("utf-8-sig")))
            validator = fastjsonschema.compile(schema, use_default=False, use_formats=False)
            self._compiled[name] = validator
        return validator

    def check_request(self, action: str, payload: Any) -> None:
        """Raise :class:`CallFault` with the 1.6 code if ``payload`` breaks ``action``'s schema."""
        try:
            self._validator(action)(payload)
        except fastjsonschema.JsonSchemaValueException as exc:
            code = _CODE_OF_RULE.get(str(exc.rule), "FormationViolation")
            raise CallFault(code, exc.message) from None

    def check_response(self, action: str, payload: Any) -> None:
        """Our own answers are checked too (as the library did): a bug here must not reach a
        charger as a malformed CALLRESULT."""
        try:
            self._validator(f"{action}Response")(payload)
        except fastjsonschema.JsonSchemaValueException as exc:
            raise CallFault("InternalError", f"invalid {action} answer: {exc.message}") from None


__all__ = [
    "ACTIONS_16",
    "CALL",
    "CALLERROR",
    "CALLRESULT",
    "MAX_UNIQUE_ID",
    "AddressedFault",
    "CallFault",
    "Frame",
    "Schemas",
    "Unanswerable",
    "call_error",
    "call_result",
    "decode",
]
