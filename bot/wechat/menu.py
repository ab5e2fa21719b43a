"""The account's custom menu (自定义菜单): 我要反映 / 政策咨询 / 查询进度 / 转人工.

Each is a click button whose key the channel understands (`channel.MENU_MESSAGES` and
`channel.MENU_PROMPTS`), so a tap is answered like the words it stands for.
"""

from __future__ import annotations

from typing import Any

from bot.wechat.channel import MENU_MESSAGES, MENU_PROMPTS
from bot.wechat.client import Client
from jiesu.vocabulary import wording

# Key → wording of its label, in the order shown.
BUTTONS = {
    "REPORT": "menu_report_button",
    "CONSULT": "menu_consult_button",
    "STATUS": "menu_status_button",
    "HUMAN": "menu_human_button",
}


def menu_definition() -> dict[str, Any]:
    """The menu in the shape of WeChat's menu/create call."""
    assert set(BUTTONS) == set(MENU_MESSAGES) | set(MENU_PROMPTS)
    return {
        "button": [
            {"type": "click", "name": wording("wechat", label), "key": key}
            for key, label in BUTTONS.items()
        ]
    }


def publish(client: Client) -> None:
    """Replace the account's menu with ours."""
    definition = menu_definition()
    client.call(lambda: client.menu.create(definition))
