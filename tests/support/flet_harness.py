"""In-process fake Flet client for fast view tests (no browser, no Flutter).

Why this exists: Flet's own ``flet.testing`` needs a Flutter SDK that this offline machine does not
have, and a browser test costs seconds per page. This harness runs a *real* ``flet`` ``Session``
(the same object the web server creates per browser tab) against a fake ``Connection`` that behaves
like the Flutter client where the Python side can tell the difference:

1. every outgoing message is msgpack-encoded exactly as on the wire. This is not optional: the
   encoder records the ``__prev_*`` snapshots that later diffs are computed against; without it
   components never render;
2. ``push_route`` is answered by echoing a ``route_change`` event, like the client does;
3. client-side method calls (``SharedPreferences.get``, ``SecureStorage.set``, ``Camera.take_picture``
   ...) are answered from a table the test supplies; unknown calls fail loudly instead of hanging;
4. a crash report (``SESSION_CRASHED``, sent by Flet when a handler or effect raises) is recorded and
   re-raised in the test as :class:`SessionCrashed`, so a broken handler cannot pass silently.

It touches Flet internals (``flet.messaging.session``, ``flet.controls.context._context_page``), so it
is pinned to ``flet==1.0.5`` and kept in this one file.

Example::

    async with FakeApp(main, width=1200) as app:
        await app.click(app.by_key("retry"))
        assert "Reconnected" in app.texts()
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
from collections.abc import Awaitable, Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any, TypeVar

import flet as ft
import msgpack  # type: ignore[import-untyped]
from flet.controls.base_control import BaseControl
from flet.controls.context import _context_page, context
from flet.messaging.connection import Connection
from flet.messaging.protocol import (
    InvokeMethodRequestBody,
    Message,
    MessageAction,
    SessionCrashedBody,
    configure_encode_object_for_msgpack,
)
from flet.messaging.session import Session
from flet.pubsub.pubsub_hub import PubSubHub
from flet.version import flet_version

__all__ = [
    "FakeApp",
    "FakeConnection",
    "HarnessError",
    "MethodResult",
    "SessionCrashed",
    "UnansweredMethodCall",
]

PINNED_FLET = "1.0.5"
if flet_version != PINNED_FLET:  # pragma: no cover - guards an upgrade, not a code path
    raise ImportError(
        f"tests/support/flet_harness.py drives Flet internals verified on flet=={PINNED_FLET}; "
        f"found {flet_version}. Re-verify the harness before upgrading."
    )

MethodResult = Any | Callable[[Any], Any]
"""A canned client answer: a value, or a callable taking the call's ``args`` and returning one.
A callable may raise :class:`Exception` to make the call fail on the Python side like a client
error would."""

C = TypeVar("C", bound=BaseControl)

_ENCODE = configure_encode_object_for_msgpack(BaseControl)  # type: ignore[no-untyped-call]


class HarnessError(AssertionError):
    """Base class of harness failures; an ``AssertionError`` so pytest reports it as a failure."""


class SessionCrashed(HarnessError):
    """A handler, effect or ``main`` raised; Flet would have shown its red crash screen."""


class UnansweredMethodCall(HarnessError):
    """The app called a client method the test did not provide an answer for."""


class FakeConnection(Connection):
    """A Flet ``Connection`` that records traffic and answers the way the Flutter client does."""

    def __init__(
        self,
        *,
        method_results: Mapping[str, MethodResult] | None = None,
        page_url: str = "http://127.0.0.1:8550",
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.loop = asyncio.get_running_loop()
        self.executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="fake-flet")
        self.pubsubhub = PubSubHub(loop=self.loop, executor=self.executor)
        self.page_url = page_url
        self.local_data_transport = True
        self.messages: list[Message] = []
        self.method_calls: list[tuple[str, str, Any]] = []
        """``(control type name, method name, args)`` of every client method call, in order."""
        self.method_results: dict[str, MethodResult] = dict(method_results or {})
        self.crashes: list[str] = []
        self.session: Session | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # --- Connection interface -------------------------------------------------------------
    def send_message(self, message: Message) -> None:
        # Encoding is what records the diff snapshots; see the module docstring.
        msgpack.packb([message.action, message.body], default=_ENCODE)
        self.messages.append(message)
        if message.action == MessageAction.SESSION_CRASHED:
            body = message.body
            self.crashes.append(body.message if isinstance(body, SessionCrashedBody) else str(body))
        elif message.action == MessageAction.INVOKE_METHOD:
            assert isinstance(message.body, InvokeMethodRequestBody)
            # The real client answers asynchronously; answering inline would resolve the call
            # before Session.invoke_method starts waiting for it.
            task = self.loop.create_task(self._answer(message.body))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def get_upload_url(self, file_name: str, expires: int) -> str:
        return f"{self.page_url}/upload/{file_name}?expires={expires}"

    def oauth_authorize(self, attrs: dict[str, Any]) -> None:
        raise HarnessError("OAuth is not supported by the fake client")

    def dispose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self.executor.shutdown(wait=False, cancel_futures=True)

    # --- client behaviour -------------------------------------------------------------------
    async def _answer(self, body: InvokeMethodRequestBody) -> None:
        session = self.session
        assert session is not None, "FakeConnection used before FakeApp.start()"
        await asyncio.sleep(0)
        control = session.index.get(body.control_id)
        type_name = type(control).__name__ if control is not None else "?"
        self.method_calls.append((type_name, body.name, body.args))
        result: Any = None
        error: str | None = None
        if body.name == "push_route":
            route = body.args["route"]
            session.page.route = route
            await session.dispatch_event(session.page._i, "route_change", {"route": route})
        else:
            key = f"{type_name}.{body.name}"
            if key in self.method_results:
                answer = self.method_results[key]
            elif body.name in self.method_results:
                answer = self.method_results[body.name]
            else:
                error = f"fake client has no answer for {key}({body.args!r})"
                self.crashes.append(f"UnansweredMethodCall: {error}")
                answer = None
            if error is None:
                try:
                    result = answer(body.args) if callable(answer) else answer
                    if inspect.isawaitable(result):
                        result = await result
                except Exception as exc:  # the client reports failures as an error string
                    error = f"{type(exc).__name__}: {exc}"
        session.handle_invoke_method_results(body.control_id, body.call_id, result, error)


class FakeApp:
    """A Flet app running in-process on a real ``Session`` with a fake client.

    Use it as an async context manager (or call :meth:`start` and :meth:`close`).

    Args:
        main: the app's ``main(page)`` (sync or async), exactly what ``ft.run`` gets.
        route: the initial route, as if the browser opened that URL (deep links).
        width, height: the client's page size in logical pixels (phone by default).
        method_results: answers to client method calls, keyed ``"Type.method"`` (for example
            ``"SecureStorage.get"``) or just ``"method"``; see :data:`MethodResult`.
        strict: re-raise crashes (handler/effect exceptions, unanswered client calls) as
            :class:`SessionCrashed` after each interaction. Turn off only to test crash UI.
        platform_brightness: what the client reports (drives ``ThemeMode.SYSTEM``).
        cancel_leftover_tasks: on close, cancel every task started since :meth:`start` that is
            still running (effect tickers, ``page.run_task`` loops). Set to ``False`` when the
            test itself starts long-lived tasks (an in-process server) after the app.
    """

    def __init__(
        self,
        main: Callable[[ft.Page], Any],
        *,
        route: str = "/",
        width: float = 400,
        height: float = 800,
        method_results: Mapping[str, MethodResult] | None = None,
        strict: bool = True,
        platform_brightness: ft.Brightness = ft.Brightness.LIGHT,
        cancel_leftover_tasks: bool = True,
    ) -> None:
        self.main = main
        self.cancel_leftover_tasks = cancel_leftover_tasks
        self.route = route
        self.width = width
        self.height = height
        self.strict = strict
        self.platform_brightness = platform_brightness
        self._method_results = method_results
        self._conn: FakeConnection | None = None
        self._session: Session | None = None
        self._reported_crashes = 0
        self._tasks_before: set[asyncio.Task[Any]] = set()

    # --- lifecycle --------------------------------------------------------------------------
    async def start(self) -> FakeApp:
        """Connect the fake client and run ``main`` the way Flet's server does."""
        self._tasks_before = asyncio.all_tasks()
        conn = FakeConnection(method_results=self._method_results)
        session = Session(conn)
        conn.session = session
        self._conn, self._session = conn, session
        # What the socket server does on REGISTER_CLIENT ...
        session.apply_page_patch(
            {
                "route": self.route,
                "width": self.width,
                "height": self.height,
                "web": True,
                "platform": "linux",
                "platform_brightness": self.platform_brightness.value,
            }
        )
        # ... whose answer is msgpack-encoded too (records the first diff snapshot) ...
        msgpack.packb(session.get_page_patch(), default=_ENCODE)  # type: ignore[no-untyped-call]
        # ... and what ft.run's on_session_created does.
        _context_page.set(session.page)
        context.reset_auto_update()  # type: ignore[no-untyped-call]
        try:
            result = self.main(session.page)
            if inspect.isawaitable(result):
                await result
            await session.after_event(session.page)
        except Exception as exc:
            raise SessionCrashed(f"main() raised {type(exc).__name__}: {exc}") from exc
        await self.settle()
        return self

    async def close(self) -> None:
        """Close the session like an expired browser tab and release its tasks."""
        session, conn = self._session, self._conn
        if session is None or conn is None:
            return
        self._session = None
        # Cancels the updates scheduler and schedules the page "close" event.
        session.close()  # type: ignore[no-untyped-call]
        await asyncio.sleep(0.01)
        conn.dispose()
        if self.cancel_leftover_tasks:
            # Effects' tasks (tickers, auto-hide timers) outlive the session in Flet too; a test
            # must not leak them into the next one.
            current = asyncio.current_task()
            leftovers = [
                t
                for t in asyncio.all_tasks() - self._tasks_before
                if t is not current and not t.done()
            ]
            for task in leftovers:
                task.cancel()
            await asyncio.gather(*leftovers, return_exceptions=True)
        context.disable_components_mode()  # type: ignore[no-untyped-call]
        _context_page.set(None)

    async def __aenter__(self) -> FakeApp:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # --- accessors --------------------------------------------------------------------------
    @property
    def session(self) -> Session:
        if self._session is None:
            raise HarnessError("the app is not running (use `async with FakeApp(...)`)")
        return self._session

    @property
    def connection(self) -> FakeConnection:
        if self._conn is None:
            raise HarnessError("the app is not running (use `async with FakeApp(...)`)")
        return self._conn

    @property
    def page(self) -> ft.Page:
        page = self.session.page
        assert isinstance(page, ft.Page)
        return page

    @property
    def method_calls(self) -> list[tuple[str, str, Any]]:
        """Client method calls so far: ``(control type, method, args)``."""
        return self.connection.method_calls

    @property
    def crashes(self) -> list[str]:
        """Crash reports Flet sent to the client (handler/effect tracebacks)."""
        return self.connection.crashes

    @property
    def routes(self) -> list[str]:
        """Routes of the page's view stack, bottom first."""
        views = ft.unwrap_component(self.page.views)
        if not isinstance(views, list):  # a root component rendering a single View
            views = [views]
        return [str(ft.unwrap_component(v).route) for v in views]

    @property
    def dialogs(self) -> list[ft.DialogControl]:
        """Dialogs currently shown with ``page.show_dialog`` (open ones only)."""
        return [d for d in self.page._dialogs.controls if getattr(d, "open", False)]

    # --- waiting ----------------------------------------------------------------------------
    async def settle(self, rounds: int = 5) -> None:
        """Let the updates scheduler, effects and spawned tasks run, then check for crashes.

        Each round yields to the event loop briefly; five rounds cover an event, its auto-update,
        a component re-render and the effects it schedules.
        """
        for _ in range(rounds):
            await asyncio.sleep(0.01)
            await self._dismiss_closed_dialogs()
        self._raise_new_crashes()

    async def _dismiss_closed_dialogs(self) -> None:
        # The client reports "dismiss" once a closed dialog's exit animation ends, and only then
        # does Flet drop it from page._dialogs. Leaving it there would not be what a browser
        # does (and Flet 1.0.5 then freezes the next dialog shown, which breaks pop_dialog).
        session = self._session
        if session is None:
            return
        for dialog in list(session.page._dialogs.controls):
            if not dialog.open:
                await session.dispatch_event(dialog._i, "dismiss", None)

    async def wait_for(
        self, predicate: Callable[[], bool], *, timeout: float = 5.0, message: str = ""
    ) -> None:
        """Wait until ``predicate()`` holds (for pushes from background tasks)."""
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.01)
                self._raise_new_crashes()
        await self.settle()

    async def wait_for_text(self, text: str, *, timeout: float = 5.0) -> None:
        """Wait until some visible text contains ``text``."""
        try:
            await self.wait_for(lambda: self.has_text(text), timeout=timeout)
        except TimeoutError:
            raise HarnessError(f"text {text!r} never appeared; visible: {self.texts()}") from None

    def _raise_new_crashes(self) -> None:
        crashes = self.connection.crashes
        if self.strict and len(crashes) > self._reported_crashes:
            new = crashes[self._reported_crashes :]
            self._reported_crashes = len(crashes)
            raise SessionCrashed("\n---\n".join(new))

    # --- finders over the live control tree ---------------------------------------------------
    def walk(self, root: Any = None) -> Iterator[BaseControl]:
        """Every live control under ``root`` (the page by default), components unwrapped.

        Includes open dialogs and the overlay; skips invisible subtrees, since a user cannot see
        or click them.
        """
        stack: list[Any] = [self.page if root is None else root]
        seen: set[int] = set()
        while stack:
            item = ft.unwrap_component(stack.pop())
            if isinstance(item, (list, tuple)):
                stack.extend(reversed(item))
                continue
            if isinstance(item, dict):
                stack.extend(item.values())
                continue
            if not dataclasses.is_dataclass(item) or id(item) in seen:
                continue
            seen.add(id(item))
            if isinstance(item, BaseControl):
                if getattr(item, "visible", True) is False:
                    continue
                if isinstance(item, ft.DialogControl) and not item.open:
                    continue
                yield item
            children: list[Any] = []
            for f in dataclasses.fields(item):
                if f.metadata.get("skip", False) or f.name in ("_parent", "parent", "page"):
                    continue
                if f.name.startswith("_") and f.name not in ("_dialogs", "_overlay"):
                    continue
                value = getattr(item, f.name, None)
                if isinstance(value, (BaseControl, list, tuple, dict)) or (
                    dataclasses.is_dataclass(value) and not isinstance(value, type)
                ):
                    children.append(value)
            stack.extend(reversed(children))

    def find(self, predicate: Callable[[BaseControl], bool]) -> list[BaseControl]:
        """All visible controls matching ``predicate``, in tree order."""
        return [c for c in self.walk() if predicate(c)]

    def find_all(self, cls: type[C]) -> list[C]:
        """All visible controls of type ``cls``."""
        return [c for c in self.walk() if isinstance(c, cls)]

    def by_key(self, key: str, cls: type[C] | None = None) -> Any:
        """The one visible control with ``key=key`` (``ft.ValueKey`` is unwrapped)."""
        hits = [c for c in self.walk() if _key_of(c) == key]
        if cls is not None:
            hits = [c for c in hits if isinstance(c, cls)]
        if len(hits) != 1:
            raise HarnessError(f"expected one control with key {key!r}, found {len(hits)}")
        return hits[0]

    def has_key(self, key: str) -> bool:
        """Whether a visible control has ``key=key``."""
        return any(_key_of(c) == key for c in self.walk())

    def by_identifier(self, identifier: str) -> ft.Semantics:
        """The ``ft.Semantics`` with this ``identifier`` (what browser tests select on)."""
        hits = [
            c
            for c in self.walk()
            if isinstance(c, ft.Semantics) and getattr(c, "identifier", None) == identifier
        ]
        if len(hits) != 1:
            raise HarnessError(f"expected one Semantics {identifier!r}, found {len(hits)}")
        return hits[0]

    def texts(self) -> list[str]:
        """Visible text: ``Text`` values and string contents/labels of buttons and fields
        (tooltips excluded: they only show on hover)."""
        out: list[str] = []
        for c in self.walk():
            if isinstance(c, ft.Text):
                if c.value:
                    out.append(str(c.value))
                for span in c.spans or []:
                    if span.text:
                        out.append(span.text)
            else:
                for attr in ("content", "label", "text", "title"):
                    value = getattr(c, attr, None)
                    if isinstance(value, str) and value:
                        out.append(value)
        return out

    def has_text(self, text: str) -> bool:
        """Whether any visible text contains ``text``."""
        return any(text in t for t in self.texts())

    def button(self, label: str) -> BaseControl:
        """The one visible button-like control whose string content/label equals ``label``."""
        hits = [
            c
            for c in self.walk()
            if hasattr(c, "on_click")
            and label in (getattr(c, "content", None), getattr(c, "label", None))
        ]
        if len(hits) != 1:
            raise HarnessError(f"expected one button {label!r}, found {len(hits)}: {self.texts()}")
        return hits[0]

    # --- interaction --------------------------------------------------------------------------
    async def fire(self, control: BaseControl, event: str, data: Any = None) -> None:
        """Deliver a client event (``"click"``, ``"change"``, ``"submit"`` ...) to ``control``."""
        await self.session.dispatch_event(control._i, event, data)
        await self.settle()

    async def click(self, control: BaseControl | str) -> None:
        """Click a control (or the control with that key), like a tap in the client."""
        target = self.by_key(control) if isinstance(control, str) else control
        if getattr(target, "disabled", False):
            raise HarnessError(f"{target} is disabled; a user could not click it")
        await self.fire(target, "click")

    async def enter_text(self, control: BaseControl | str, text: str) -> None:
        """Type into a ``TextField``: set its value and fire ``change`` like the client."""
        target = self.by_key(control) if isinstance(control, str) else control
        self.session.apply_patch(target._i, {"value": text})
        await self.fire(target, "change", text)

    async def select(self, control: BaseControl | str, index: int) -> None:
        """Select a destination of a ``NavigationBar``/``NavigationRail``/tabs by index."""
        target = self.by_key(control) if isinstance(control, str) else control
        self.session.apply_patch(target._i, {"selected_index": index})
        await self.fire(target, "change", str(index))

    async def resize(self, width: float, height: float | None = None) -> None:
        """Resize the client window: patch page size and fire ``page.on_resize``."""
        h = self.height if height is None else height
        self.width, self.height = width, h
        self.session.apply_page_patch({"width": width, "height": h})
        await self.fire(self.page, "resize", {"width": width, "height": h})

    async def navigate(self, route: str) -> None:
        """Open ``route`` as the browser would (typed URL / back button)."""
        self.session.apply_page_patch({"route": route})
        await self.fire(self.page, "route_change", {"route": route})

    async def run(self, fn: Callable[[], Awaitable[Any]]) -> Any:
        """Run ``fn`` in the page context (for code that needs ``ft.context.page``)."""
        _context_page.set(self.page)  # type: ignore[arg-type]
        result = await fn()
        await self.session.after_event(self.page)
        await self.settle()
        return result


def _key_of(control: BaseControl) -> Any:
    key = getattr(control, "key", None)
    if isinstance(key, ft.ValueKey):
        return key.value
    return key
