"""Fuzzing the central system's OCPP 1.6 input (issue #9), over a real loopback websocket.

Hypothesis draws random and mutated payloads for every charger-initiated action, and malformed
frames of every kind. Whatever arrives, the answer is a CALLRESULT, or a CALLERROR with the OCPP
1.6 code for what is wrong — never an InternalError — or, for a frame that cannot be answered
(no CALL unique id to answer), nothing at all. The connection stays up, and a well-behaved
charger connected at the same time keeps getting prompt answers throughout.

Hypothesis runs in a worker thread and hands each exchange to the event loop that serves the
backend and the clients (it cannot drive coroutines itself).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Coroutine
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ocpp.conftest import StartBackend, start_backend  # noqa: F401
from tests.ocpp.raw_client import BOOT, RawCharger
from tests.reliability.test_ocpp_hostile import PROMPT_S, connect

EXAMPLES = 60
"""Per strategy; the whole file runs in well under a minute."""

NOW = "2026-05-01T10:00:00Z"
VALID: dict[str, dict[str, Any]] = {
    "Authorize": {"idTag": "CARD-OK"},
    "BootNotification": BOOT,
    "DataTransfer": {"vendorId": "com.chargepile", "messageId": "echo", "data": "x"},
    "DiagnosticsStatusNotification": {"status": "Idle"},
    "FirmwareStatusNotification": {"status": "Idle"},
    "Heartbeat": {},
    "MeterValues": {
        "connectorId": 1,
        "transactionId": 1,
        "meterValue": [
            {
                "timestamp": NOW,
                "sampledValue": [
                    {"value": "10", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
                ],
            }
        ],
    },
    "StartTransaction": {"connectorId": 1, "idTag": "CARD-OK", "meterStart": 0, "timestamp": NOW},
    "StatusNotification": {"connectorId": 1, "errorCode": "NoError", "status": "Available"},
    "StopTransaction": {"meterStop": 10, "timestamp": NOW, "transactionId": 1},
    # OCPP 1.6 security extension, charger-initiated, not handled here: NotImplemented.
    "SecurityEventNotification": {"type": "StartupOfTheDevice", "timestamp": NOW},
}
PAYLOAD_CODES = {
    "FormationViolation",
    "ProtocolError",
    "TypeConstraintViolation",
    "PropertyConstraintViolation",
    "OccurenceConstraintViolation",
    "NotImplemented",
}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place inside a JSON value (dict keys and list indices), the root first."""
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += paths(item, (*prefix, index))
    return out


def mutate(payload: Any, path: tuple[Any, ...], operation: str, new: Any) -> Any:
    """A copy of ``payload`` with one change at ``path``."""
    copy = json.loads(json.dumps(payload))
    if not path:
        return new if operation == "replace" else copy
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if operation == "delete" and isinstance(parent, dict):
        del parent[last]
    elif operation == "extra" and isinstance(parent, dict):
        parent[f"unexpected{len(parent)}"] = new
    elif operation == "long" and isinstance(parent[last], str):
        parent[last] = parent[last] * 50 + "x" * 500
    elif operation == "huge":
        parent[last] = new if isinstance(new, int) else 2**63
    else:
        parent[last] = new
    return copy


@st.composite
def mutated_calls(draw: st.DrawFn) -> tuple[str, Any]:
    action = draw(st.sampled_from(sorted(VALID)))
    payload = VALID[action]
    if draw(st.booleans()) and draw(st.booleans()):
        return action, draw(json_values)  # a random payload
    path = draw(st.sampled_from(paths(payload)))
    operation = draw(st.sampled_from(["delete", "replace", "extra", "long", "huge"]))
    new = draw(json_values | st.integers(min_value=2**31, max_value=2**70))
    return action, mutate(payload, path, operation, new)


# Malformed frames: (frame to send, the CALLERROR code expected, or None for no answer).
MALFORMED: list[tuple[str | bytes, str | None]] = [
    ("this is not json", None),
    ('{"an": "object"}', None),
    ("[]", None),
    ('[9, "u1", "Heartbeat", {}]', None),
    ('["2", "u1", "Heartbeat", {}]', None),
    ('[2, 17, "Heartbeat", {}]', None),
    ('[2, null, "Heartbeat", {}]', None),
    (json.dumps([2, "u" * 37, "Heartbeat", {}]), "ProtocolError"),
    (json.dumps([2, "u1", "Heartbeat"]), "ProtocolError"),
    (json.dumps([2, "u1", "Heartbeat", {}, "extra"]), "ProtocolError"),
    (json.dumps([2, "u1", 42, {}]), "FormationViolation"),
    (json.dumps([2, "u1", "Heartbeat", []]), "TypeConstraintViolation"),
    (json.dumps([2, "u1", "NoSuchAction", {}]), "NotSupported"),
    (json.dumps([2, "u1", "Reset", {"type": "Hard"}]), "NotImplemented"),
    (json.dumps([3, "nobody-asked", {}]), None),
    (json.dumps([4, "nobody-asked", "GenericError", "", {}]), None),
    (json.dumps([3]), None),
    (b"\xff\xfe\x00binary garbage", None),
    (json.dumps([2, "u1", "Heartbeat", {}]).encode(), "answered"),
    ("[1e400]", None),
]


class Exchange:
    """Send one frame on the fuzzed connection and collect what comes back before a probe."""

    def __init__(self, charger: RawCharger) -> None:
        self.charger = charger
        self._probes = itertools.count()

    async def answers_to(self, frame: str | bytes) -> list[list[Any]]:
        probe = f"probe-{next(self._probes)}"
        await self.charger.ws.send(frame)
        await self.charger.ws.send(json.dumps([2, probe, "Heartbeat", {}]))
        answers: list[list[Any]] = []
        async with asyncio.timeout(10):
            while True:
                answer = json.loads(await self.charger.ws.recv())
                if answer[1] == probe:
                    assert answer[0] == 3, answer  # the connection still works
                    return answers
                answers.append(answer)


def check_call_answer(unique_id: str, answers: list[list[Any]]) -> None:
    assert len(answers) == 1, answers
    answer = answers[0]
    assert answer[1] == unique_id, answer
    if answer[0] == 4:
        assert answer[2] in PAYLOAD_CODES, answer
    else:
        assert answer[0] == 3, answer


async def test_fuzzed_frames_get_only_ocpp_answers(
    start_backend: StartBackend,  # noqa: F811
) -> None:
    backend = await start_backend(["FUZZ-1", "CALM-1"], ocpp_rate_limit=0)
    fuzz = Exchange(await connect(backend, "FUZZ-1"))
    calm = await connect(backend, "CALM-1")
    loop = asyncio.get_running_loop()
    latencies: list[float] = []

    async def keep_calm() -> None:
        while True:
            latencies.append(await calm.heartbeat())
            await asyncio.sleep(0.05)

    def run(coroutine: Coroutine[Any, Any, list[list[Any]]]) -> list[list[Any]]:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=30)

    ids = itertools.count()
    hypothesis_settings = settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )

    @hypothesis_settings
    @given(call=mutated_calls())
    def mutated_payloads(call: tuple[str, Any]) -> None:
        action, payload = call
        unique_id = f"m{next(ids)}"
        answers = run(fuzz.answers_to(json.dumps([2, unique_id, action, payload])))
        check_call_answer(unique_id, answers)

    @hypothesis_settings
    @given(action=st.sampled_from(sorted(VALID)), payload=json_values)
    def random_payloads(action: str, payload: Any) -> None:
        unique_id = f"r{next(ids)}"
        answers = run(fuzz.answers_to(json.dumps([2, unique_id, action, payload])))
        check_call_answer(unique_id, answers)

    calm_task = asyncio.create_task(keep_calm())
    try:
        for frame, expected in MALFORMED:
            answers = await fuzz.answers_to(frame)
            if expected is None:
                assert answers == [], (frame, answers)
            elif expected == "answered":
                assert [a[0] for a in answers] == [3], (frame, answers)
            else:
                assert [a[2] for a in answers] == [expected], (frame, answers)
        await asyncio.to_thread(mutated_payloads)
        await asyncio.to_thread(random_payloads)
    finally:
        calm_task.cancel()
        await asyncio.gather(calm_task, return_exceptions=True)
    # The fuzzed connection is still up and served; the other charger never waited long.
    assert (await fuzz.charger.call("Heartbeat", {}))[0][0] == 3
    assert latencies and max(latencies) < PROMPT_S, max(latencies)
    await fuzz.charger.ws.close()
    await calm.ws.close()
