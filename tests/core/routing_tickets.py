"""Labelled tickets the routing tests train small routers on."""

from __future__ import annotations

TICKETS: dict[str, list[str]] = {
    "城乡建设": [
        "小区电梯又坏了",
        "物业不管楼道杂物",
        "路灯不亮好几天",
        "楼顶违章搭建",
        "停电一整天",
        "下水道堵塞污水外溢",
    ],
    "交通运输": [
        "公交车司机态度差",
        "出租车拒载",
        "地铁站太挤",
        "路口红绿灯坏了",
        "共享单车乱停",
        "网约车绕路",
    ],
    "教育文体": [
        "幼儿园乱收费",
        "孩子入学难",
        "培训机构不退费",
        "老师体罚学生",
        "中考招生政策",
        "图书馆开放时间",
    ],
}


def texts_and_labels(categories: tuple[str, ...] = tuple(TICKETS)) -> tuple[list[str], list[str]]:
    """The tickets of `categories` (default all) and their labels, in order."""
    texts = [text for label in categories for text in TICKETS[label]]
    labels = [label for label in categories for _ in TICKETS[label]]
    return texts, labels
