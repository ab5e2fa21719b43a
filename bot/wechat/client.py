"""The WeChat API client: wechatpy's, aimed at the configured API base, with one access
token shared by every process through the database.

WeChat allows a limited number of token fetches a day and a fresh token retires the old
one after a few minutes, so processes must not each fetch their own: the one that leases
the row (`refreshing_until`) fetches, the others wait for its token. A token WeChat calls
invalid (40001, 42001, 40014) is fetched again once, and the call retried once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final, TypeVar

import requests
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from bot.wechat.config import WeChatSettings
from bot.wechat.models import AccessToken
from jiesu.db import session_scope
from jiesu.models import utcnow

log = logging.getLogger(__name__)

INVALID_TOKEN: Final = frozenset({40001, 40014, 42001})
# A token this close to its end is fetched anew (WeChat's last minutes overlap old and new).
MARGIN: Final = timedelta(minutes=5)
LEASE: Final = timedelta(seconds=15)
_EPOCH: Final = datetime(1970, 1, 1).astimezone()

T = TypeVar("T")


class AccessTokens:
    """The account's access token in the database, fetched once when due across processes."""

    def __init__(
        self,
        database_url: str | None,
        app_id: str,
        fetch: Callable[[], tuple[str, int]],
        *,
        wait_seconds: float = 20.0,
    ) -> None:
        self._database_url = database_url
        self._app_id = app_id
        self._fetch = fetch
        self._wait_seconds = wait_seconds

    def current(self) -> str:
        """A token valid for a while yet: the stored one, or a new one fetched by this process
        or, if another holds the lease, by that one."""
        deadline = time.monotonic() + self._wait_seconds
        while True:
            token = self._valid()
            if token is not None:
                return token
            if self._lease():
                return self._refresh()
            if time.monotonic() > deadline:
                raise TimeoutError("no WeChat access token: another process holds the refresh")
            time.sleep(0.1)

    def invalidate(self, token: str) -> None:
        """WeChat refused `token`: the next `current` fetches a new one, unless another
        process already replaced it."""
        with session_scope(self._database_url) as session:
            session.execute(
                update(AccessToken)
                .where(AccessToken.app_id == self._app_id, AccessToken.token == token)
                .values(expires_at=_EPOCH)
            )

    def _valid(self) -> str | None:
        with session_scope(self._database_url) as session:
            row = session.get(AccessToken, self._app_id)
            if row is not None and row.token and row.expires_at - MARGIN > utcnow():
                return row.token
        return None

    def _lease(self) -> bool:
        now = utcnow()
        try:
            with session_scope(self._database_url) as session:
                leased = session.execute(
                    update(AccessToken)
                    .where(
                        AccessToken.app_id == self._app_id,
                        # still due: another process may have just stored a new one
                        AccessToken.expires_at <= now + MARGIN,
                        or_(
                            AccessToken.refreshing_until.is_(None),
                            AccessToken.refreshing_until < now,
                        ),
                    )
                    .values(refreshing_until=now + LEASE)
                )
                if leased.rowcount:  # type: ignore[attr-defined]
                    return True
                if session.get(AccessToken, self._app_id) is not None:
                    return False
                session.add(
                    AccessToken(
                        app_id=self._app_id,
                        token="",
                        expires_at=_EPOCH,
                        refreshing_until=now + LEASE,
                    )
                )
        except IntegrityError:  # another process created the row first, and holds it
            return False
        return True

    def _refresh(self) -> str:
        try:
            token, expires_in = self._fetch()
        except BaseException:
            self._release()
            raise
        log.info("fetched a new WeChat access token (valid %d s)", expires_in)
        with session_scope(self._database_url) as session:
            session.execute(
                update(AccessToken)
                .where(AccessToken.app_id == self._app_id)
                .values(
                    token=token,
                    expires_at=utcnow() + timedelta(seconds=expires_in),
                    refreshing_until=None,
                )
            )
        return token

    def _release(self) -> None:
        with session_scope(self._database_url) as session:
            session.execute(
                update(AccessToken)
                .where(AccessToken.app_id == self._app_id)
                .values(refreshing_until=None)
            )


class Client(WeChatClient):
    """wechatpy's client on the configured API base, its token from `AccessTokens`."""

    def __init__(self, settings: WeChatSettings, database_url: str | None) -> None:
        super().__init__(settings.app_id, settings.app_secret, auto_retry=False, timeout=10)
        self.API_BASE_URL = settings.api_base_url
        self.tokens = AccessTokens(database_url, settings.app_id, self._fetch_token)

    @property
    def access_token(self) -> str:
        """The shared token (wechatpy reads this for every call)."""
        return self.tokens.current()

    def fetch_access_token(self) -> dict[str, Any]:
        """Not used: tokens are fetched through `AccessTokens` only."""
        raise NotImplementedError("tokens come from AccessTokens")

    def call(self, operation: Callable[[], T]) -> T:
        """Run one API call; with the token refused, once more with a fresh token."""
        token = self.tokens.current()
        try:
            return operation()
        except WeChatClientException as error:
            if error.errcode not in INVALID_TOKEN:
                raise
            log.info("WeChat refused the access token (%s): fetching a new one", error.errcode)
            self.tokens.invalidate(token)
            return operation()

    def _fetch_token(self) -> tuple[str, int]:
        response = self._http.get(
            f"{self.API_BASE_URL}token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
            timeout=10,
        )
        try:
            response.raise_for_status()
            result = response.json()
        except (requests.RequestException, ValueError) as error:
            raise WeChatClientException(None, f"token request failed: {error}") from error
        if result.get("errcode"):
            raise WeChatClientException(result["errcode"], result.get("errmsg", ""))
        return str(result["access_token"]), int(result.get("expires_in", 7200))
