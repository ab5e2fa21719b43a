"""WeChat settings, read from the environment and `.env` (prefix WECHAT_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from jiesu.config import PROJECT_ROOT

CHANNEL = "wechat"


class WeChatSettings(BaseSettings):
    """How the official account is reached and how it answers."""

    model_config = SettingsConfigDict(
        env_prefix="WECHAT_", env_file=PROJECT_ROOT / ".env", extra="ignore"
    )

    token: str = Field(default="", description="The Token set in the account's server settings.")
    app_id: str = Field(default="", description="The account's AppID.")
    app_secret: str = Field(default="", description="The account's AppSecret.")
    encoding_aes_key: str = Field(
        default="", description="EncodingAESKey (43 characters) for 安全模式; empty: plaintext."
    )
    api_base: str = Field(
        default="https://api.weixin.qq.com/cgi-bin/",
        description="WeChat API address (a local recording server in tests).",
    )
    notice_template_id: str = Field(
        default="",
        description="Template message for ticket notices outside the 48-hour window "
        "(fields {{number.DATA}} and {{content.DATA}}); empty: such notices are undeliverable.",
    )
    passive_reply_seconds: float = Field(
        default=4.0,
        gt=0,
        description="How long a message waits for its reply to go back passively; a slower "
        "turn is answered through the customer-service API (WeChat waits 5 s).",
    )
    outbox_interval: float = Field(
        default=1.0, gt=0, description="Seconds between looks into the outbox when it is empty."
    )

    @property
    def configured(self) -> bool:
        """Whether the channel is on: the token, AppID and AppSecret are all set."""
        return bool(self.token and self.app_id and self.app_secret)

    @property
    def api_base_url(self) -> str:
        """The API base with exactly one trailing slash (wechatpy appends endpoints)."""
        return self.api_base.rstrip("/") + "/"
