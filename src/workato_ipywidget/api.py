"""Clients for Workato's Embedded API: `EmbeddedApi` (sync, httpx.Client) and `AsyncEmbeddedApi`
(async, httpx.AsyncClient), with the same methods, records and errors.

Both run the plans of `calls.py` (paths, paging, parsing and error rules, written once) through
one script of effects shared here (pace, send, retry a 429 after ``Retry-After``); each client
only performs the effects, blocking or awaiting. Requests of one client are paced per endpoint
family by a `Pacer` so that they stay within Workato's documented `RateLimits` without a 429.

The API token travels only in the ``Authorization`` header. It is never part of a ``repr``, a log
record or an exception: every failure becomes an `ApiError` raised outside the ``except`` block
that caught the underlying error (so no chain leads to a request object or a header), and every
text from the server is scrubbed of the token in any encoding before it reaches a message.
"""

from __future__ import annotations

import asyncio
import email.utils
import inspect
import logging
import re
import time
import urllib.parse
from collections.abc import Callable, Coroutine, Generator
from dataclasses import dataclass
from datetime import timezone
from typing import Any, Concatenate, NoReturn, ParamSpec, TypeVar

import httpx

from . import calls
from .api_secret import Hidden, TokenScrubber, install_log_filter, token_problem
from .calls import Answer, Call, Plan, check_customer_id
from .checks import check_seconds, check_whole_number
from .endpoints import DataCenter, api_base_url, one_host, resolve_data_center
from .errors import ApiConnectionError, ApiError
from .protocol import MAX_ERROR_TEXT, clean_text
from .rate_limits import ApiStats, Pacer, RateLimits, Slot

__all__ = ["AsyncEmbeddedApi", "EmbeddedApi", "check_customer_id", "parse_retry_after"]

logger = logging.getLogger("workato_ipywidget.api")

_P = ParamSpec("_P")
_R = TypeVar("_R")
_C = TypeVar("_C", bound="_Client")


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or an HTTP date), or None.

    Args:
        value: the header's value.
        now: the current time (seconds since the epoch), for tests.

    Returns:
        The seconds, or None when there is no readable advice.
    """
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


@dataclass(frozen=True)
class _Failure:
    """Why no readable answer arrived, as text only (no exception object is kept)."""

    text: str
    answered: bool  # an answer arrived but could not be read (e.g. a broken gzip body)


_Effect = float | httpx.Request
"""What the shared script asks a client to do: sleep this long, or send this request."""
_Script = Generator[_Effect, "Answer | _Failure | None", _R]


class _Client:
    """What both clients share: settings, the token's safekeeping, pacing, and the script."""

    _http: httpx.Client | httpx.AsyncClient

    def __init__(
        self,
        api_token: str,
        *,
        data_center: DataCenter | str | None = None,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        max_retry_wait: float = 60.0,
        rate_limits: RateLimits | None = None,
        pace: bool = True,
    ) -> None:
        problem = token_problem(api_token)
        authorization = Hidden(f"Bearer {api_token}" if problem is None else "")
        scrubber = TokenScrubber(api_token) if problem is None else None
        del api_token  # a verbose traceback (locals shown) of a failure below must not show it
        if problem is not None or scrubber is None:
            raise problem or ValueError("api_token")
        self._scrubber = scrubber
        install_log_filter(scrubber)
        center = one_host(data_center, base_url)
        self._base_url = api_base_url(center, base_url)
        self._data_center = None if base_url is not None else resolve_data_center(center)
        self._timeout = check_seconds("timeout", timeout)
        self._max_retries = check_whole_number("max_retries", max_retries, minimum=0)
        self._max_retry_wait = check_seconds("max_retry_wait", max_retry_wait, zero=True)
        if rate_limits is not None and not isinstance(rate_limits, RateLimits):
            raise TypeError(
                f"rate_limits must be a RateLimits or None (Workato's documented limits), not "
                f"{type(rate_limits).__name__}"
            )
        if not isinstance(pace, bool):
            raise TypeError(f"pace must be True or False, not {pace!r}")
        self._rate_limits = rate_limits or RateLimits()
        self._pacer = Pacer(self._rate_limits) if pace else None
        self._stats = ApiStats()
        self._host = urllib.parse.urlsplit(self._base_url).netloc
        self._http = self._open(
            {
                "Authorization": authorization.value,
                "Accept": "application/json",
                "User-Agent": "workato-ipywidget",
            }
        )

    def _open(self, headers: dict[str, str]) -> httpx.Client | httpx.AsyncClient:
        """The HTTP client (never following redirects: the header must not reach another
        host)."""
        raise NotImplementedError

    # what callers read

    @property
    def base_url(self) -> str:
        """The API's origin, e.g. ``https://app.eu.workato.com`` (requests go to ``/api/...``)."""
        return self._base_url

    @property
    def data_center(self) -> DataCenter | None:
        """The data center, or None when built with a custom ``base_url``."""
        return self._data_center

    @property
    def rate_limits(self) -> RateLimits:
        """The limits this client paces its requests by (Workato's documented ones by default)."""
        return self._rate_limits

    @property
    def stats(self) -> ApiStats:
        """Counts of what this client did: requests, 429s (``rate_limited``), retries, waits."""
        return self._stats

    def twin(self, kind: type[_C]) -> _C:
        """A client of `kind` for the same token and settings that shares this one's pacer and
        stats, so that requests of both count against one budget (e.g. a scan's async client on
        its own event loop beside the sync client of a panel).

        Args:
            kind: `EmbeddedApi` or `AsyncEmbeddedApi`.

        Returns:
            The new client, with a connection pool of its own.
        """
        if not (isinstance(kind, type) and issubclass(kind, _Client)):
            raise TypeError(f"kind must be EmbeddedApi or AsyncEmbeddedApi, not {kind!r}")
        twin = kind.__new__(kind)
        twin.__dict__.update({k: v for k, v in self.__dict__.items() if k != "_http"})
        headers = self._http.headers
        twin._http = twin._open({k: headers[k] for k in ("Authorization", "Accept", "User-Agent")})
        return twin

    def __repr__(self) -> str:
        center = getattr(self, "_data_center", None)
        return (
            f"{type(self).__name__}(base_url={getattr(self, '_base_url', None)!r}, "
            f"data_center={None if center is None else center.value!r})"
        )

    def __getstate__(self) -> NoReturn:
        raise TypeError(
            f"an {type(self).__name__} holds an API token and cannot be pickled or copied; "
            "build a new one where it is needed"
        )

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        self.__getstate__()

    # the script both clients run

    def _script(self, plan: Plan[_R]) -> _Script[_R]:
        """Run `plan` to its result: its arguments are checked (and refused) before anything
        is sent; from then on every failure is an `ApiError` without the token."""
        call = next(plan)
        while True:
            body = yield from self._perform(call)
            failure: ApiError | None = None
            try:
                call = plan.send(body)
                continue
            except StopIteration as done:
                result: _R = done.value
                return result
            except ApiError as exc:
                failure = exc.redacted(self._scrub_value)
            except Exception as exc:  # a reader's failure on a hostile answer (RecursionError...)
                failure = ApiError(
                    200,
                    calls.unexpected(f"its answer could not be read ({type(exc).__name__})"),
                    call.method,
                    call.path,
                )
            body = None  # a verbose traceback shows this frame's locals: not the answer
            raise failure  # outside the except: no chain to the answer or to httpx

    def _perform(self, call: Call) -> _Script[Any]:
        """One call: paced, sent, retried after a 429; the decoded body, or an ApiError."""
        attempt = 0
        while True:
            request = self._request(call)
            slot = None if self._pacer is None else self._pacer.reserve(call.family)
            try:
                if slot is not None:
                    yield from self._paced(slot)
                self._stats.count("requests")
                reply = yield request
            finally:  # answered, failed or abandoned (a cancelled task): later slots go on
                if slot is not None:
                    slot.done()
            if not isinstance(reply, Answer):
                raise self._no_answer(reply, call)
            if reply.status == 429:
                self._stats.count("rate_limited")
                advice = parse_retry_after(reply.retry_after)
                wait = min(self._max_retry_wait, 1.0 if advice is None else advice)
                if self._pacer is not None:
                    self._pacer.hold(call.family, wait)
                if attempt < self._max_retries:
                    attempt += 1
                    self._stats.count("retries")
                    logger.info(
                        "%s %s answered 429; retry %d of %d in %.1f s",
                        call.method,
                        call.path,
                        attempt,
                        self._max_retries,
                        wait,
                    )
                    if wait > 0:
                        yield wait
                    continue
            if 200 <= reply.status < 300:
                return calls.decode(reply, call)
            message = self._scrub(calls.message_of(reply))
            advice = parse_retry_after(reply.retry_after)
            raise calls.refusal(reply, call, message, advice).redacted(self._scrub_value)

    def _paced(self, slot: Slot) -> _Script[None]:
        """Wait until `slot` may start."""
        delay = slot.delay()
        if delay > 0:
            self._stats.count("paced")
        while delay > 0:
            self._stats.count("paced_seconds", delay)
            yield delay
            delay = slot.delay()

    def _request(self, call: Call) -> httpx.Request:
        """The request for `call`, refused when httpx would send another path than we built
        (it removes dot segments; our ids never hold one, and this keeps it that way)."""
        request = self._http.build_request(
            call.method, call.path, params=call.params, json=call.json
        )
        prefix = self._http.base_url.raw_path.rstrip(b"/")
        sent = request.url.raw_path.split(b"?", 1)[0]
        if sent != prefix + call.path.encode("ascii"):
            raise ApiError(
                None,
                "the request's path would not be sent as built (an id holds a dot segment or "
                "a separator); refused before sending",
                call.method,
                call.path,
            )
        return request

    def _no_answer(self, reply: _Failure | None, call: Call) -> ApiError:
        text = self._scrub(reply.text if reply is not None else "no answer")
        if reply is not None and reply.answered:
            return ApiError(None, text, call.method, call.path)
        return ApiConnectionError(None, text, call.method, call.path)

    def _failure(self, exc: Exception) -> _Failure:
        """What an exception of the HTTP exchange means, as text without URLs or headers."""
        kind = type(exc).__name__
        if isinstance(exc, RuntimeError) and "closed" in str(exc):  # httpx after close()
            return _Failure(
                f"this {type(self).__name__} was closed; build a new one", answered=False
            )
        if isinstance(exc, httpx.TimeoutException):
            return _Failure(
                f"{self._host} did not answer within the {self._timeout:g} s timeout ({kind}); "
                "check the network, or raise timeout=",
                answered=False,
            )
        if isinstance(exc, httpx.TransportError):
            return _Failure(
                f"could not reach {self._host} ({kind}: {_reason(exc)}); check data_center= / "
                f"base_url= and the network (timeout {self._timeout:g} s)",
                answered=False,
            )
        return _Failure(
            calls.unexpected(f"{self._host}'s answer could not be read ({kind}: {_reason(exc)})"),
            answered=True,
        )

    def _scrub(self, text: str) -> str:
        return clean_text(self._scrubber.scrub(text), MAX_ERROR_TEXT)

    def _scrub_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._scrub(value)
        return self._scrubber.scrub_json(value)


def _answer_of(response: httpx.Response) -> Answer:
    return Answer(
        status=response.status_code,
        reason=response.reason_phrase,
        content=response.content,
        retry_after=response.headers.get("Retry-After"),
    )


def _reason(exc: BaseException) -> str:
    """A short cause without URLs or request details (httpx texts are not ours to echo)."""
    cause: BaseException | None = exc
    while cause is not None and cause.__cause__ is not None:
        cause = cause.__cause__
    text = str(cause) if cause is not None else ""
    text = re.sub(r"https?://\S+", "<url>", text)
    return clean_text(text, 200) or "no detail"


def _signed_like(method: Callable[..., Any], plan: Callable[..., Any], owner: str) -> None:
    """Give a client method its plan's name, docstring and signature (with ``self``)."""
    method.__name__ = plan.__name__
    method.__qualname__ = f"{owner}.{plan.__name__}"
    method.__doc__ = plan.__doc__
    signature = inspect.signature(plan)
    this = inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)
    returns = signature.return_annotation  # "Plan[list[Recipe]]": the method gives list[Recipe]
    if isinstance(returns, str) and returns.startswith("Plan[") and returns.endswith("]"):
        returns = returns[len("Plan[") : -1]
    method.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[this, *signature.parameters.values()], return_annotation=returns
    )


# --- the sync client ----------------------------------------------------------------------------


def _blocking(plan: Callable[_P, Plan[_R]]) -> Callable[Concatenate[EmbeddedApi, _P], _R]:
    def method(self: EmbeddedApi, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        return self._run(plan(*args, **kwargs))

    _signed_like(method, plan, "EmbeddedApi")
    return method


class EmbeddedApi(_Client):
    """Workato's Embedded API for one vendor: customers, their connections, recipes, jobs,
    folders and projects, synchronously.

    Args:
        api_token: an Embedded API client's token (Workspace admin > API clients).
        data_center: Workato's data center, which picks the API host; None (and no
            `base_url`): the US, ``https://www.workato.com``.
        base_url: a custom API origin instead (https, or http on loopback for the sandbox);
            not together with `data_center`.
        timeout: seconds to wait for each answer.
        max_retries: how often a 429 is retried (after Workato's ``Retry-After``) before
            `RateLimitError` is raised.
        max_retry_wait: the longest single wait for a 429, in seconds.
        rate_limits: the limits to pace requests by; None: Workato's documented limits.
        pace: False sends without pacing (tests against an unlimited server).

    Raises:
        TypeError: an argument of the wrong type (the token is never echoed).
        ValueError: a malformed token, data center, URL or number, or both `data_center`
            and `base_url`.
    """

    _http: httpx.Client

    def _open(self, headers: dict[str, str]) -> httpx.Client:
        return httpx.Client(
            base_url=self._base_url,
            timeout=self._timeout,
            follow_redirects=False,
            headers=headers,
        )

    connections = _blocking(calls.connections)
    create_connection = _blocking(calls.create_connection)
    update_connection = _blocking(calls.update_connection)
    disconnect_connection = _blocking(calls.disconnect_connection)
    delete_connection = _blocking(calls.delete_connection)
    customers = _blocking(calls.customers)
    customer = _blocking(calls.customer)
    create_customer = _blocking(calls.create_customer)
    update_customer = _blocking(calls.update_customer)
    delete_customer = _blocking(calls.delete_customer)
    recipes = _blocking(calls.recipes)
    recipe = _blocking(calls.recipe)
    recipes_using = _blocking(calls.recipes_using)
    start_recipe = _blocking(calls.start_recipe)
    stop_recipe = _blocking(calls.stop_recipe)
    jobs = _blocking(calls.jobs)
    job = _blocking(calls.job)
    folders = _blocking(calls.folders)
    projects = _blocking(calls.projects)

    def close(self) -> None:
        """Close the connection pool; the client cannot be used afterwards."""
        self._http.close()

    def __enter__(self) -> EmbeddedApi:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _run(self, plan: Plan[_R]) -> _R:
        script = self._script(plan)
        effect = next(script)
        while True:
            reply: Answer | _Failure | None = None
            if isinstance(effect, httpx.Request):
                reply = self._exchange(effect)
            else:
                time.sleep(effect)
            try:
                effect = script.send(reply)
            except StopIteration as done:
                result: _R = done.value
                return result

    def _exchange(self, request: httpx.Request) -> Answer | _Failure:
        try:
            return _answer_of(self._http.send(request))
        except Exception as exc:  # every failure of the exchange becomes an ApiError, as text
            return self._failure(exc)


# --- the async client ---------------------------------------------------------------------------


def _awaiting(
    plan: Callable[_P, Plan[_R]],
) -> Callable[Concatenate[AsyncEmbeddedApi, _P], Coroutine[Any, Any, _R]]:
    async def method(self: AsyncEmbeddedApi, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        return await self._run(plan(*args, **kwargs))

    _signed_like(method, plan, "AsyncEmbeddedApi")
    return method


class AsyncEmbeddedApi(_Client):
    """`EmbeddedApi`'s twin on ``httpx.AsyncClient``: the same methods (awaited), records and
    errors, and the same pacing, shared by every task using this client.

    Args:
        api_token: an Embedded API client's token (Workspace admin > API clients).
        data_center: Workato's data center, which picks the API host; None (and no
            `base_url`): the US.
        base_url: a custom API origin instead (https, or http on loopback for the sandbox);
            not together with `data_center`.
        timeout: seconds to wait for each answer.
        max_retries: how often a 429 is retried before `RateLimitError` is raised.
        max_retry_wait: the longest single wait for a 429, in seconds.
        rate_limits: the limits to pace requests by; None: Workato's documented limits.
        pace: False sends without pacing.

    Raises:
        TypeError: an argument of the wrong type (the token is never echoed).
        ValueError: a malformed token, data center, URL or number, or both `data_center`
            and `base_url`.
    """

    _http: httpx.AsyncClient

    def _open(self, headers: dict[str, str]) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self._base_url,
            timeout=self._timeout,
            follow_redirects=False,
            headers=headers,
        )

    connections = _awaiting(calls.connections)
    create_connection = _awaiting(calls.create_connection)
    update_connection = _awaiting(calls.update_connection)
    disconnect_connection = _awaiting(calls.disconnect_connection)
    delete_connection = _awaiting(calls.delete_connection)
    customers = _awaiting(calls.customers)
    customer = _awaiting(calls.customer)
    create_customer = _awaiting(calls.create_customer)
    update_customer = _awaiting(calls.update_customer)
    delete_customer = _awaiting(calls.delete_customer)
    recipes = _awaiting(calls.recipes)
    recipe = _awaiting(calls.recipe)
    recipes_using = _awaiting(calls.recipes_using)
    start_recipe = _awaiting(calls.start_recipe)
    stop_recipe = _awaiting(calls.stop_recipe)
    jobs = _awaiting(calls.jobs)
    job = _awaiting(calls.job)
    folders = _awaiting(calls.folders)
    projects = _awaiting(calls.projects)

    async def aclose(self) -> None:
        """Close the connection pool; the client cannot be used afterwards."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncEmbeddedApi:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _run(self, plan: Plan[_R]) -> _R:
        script = self._script(plan)
        effect = next(script)
        while True:
            reply: Answer | _Failure | None = None
            if isinstance(effect, httpx.Request):
                reply = await self._exchange(effect)
            else:
                await asyncio.sleep(effect)
            try:
                effect = script.send(reply)
            except StopIteration as done:
                result: _R = done.value
                return result

    async def _exchange(self, request: httpx.Request) -> Answer | _Failure:
        try:
            return _answer_of(await self._http.send(request))
        except Exception as exc:  # every failure of the exchange becomes an ApiError, as text
            return self._failure(exc)
