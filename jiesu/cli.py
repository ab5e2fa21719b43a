"""The `jiesu` command. Later features add their subcommands here."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import signal
import time
import unicodedata
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import httpx
import typer

from jiesu.config import PROJECT_ROOT, get_settings
from jiesu.private_files import write_private

if TYPE_CHECKING:
    from jiesu.privacy import Erased
    from jiesu.staff.roles import Role
    from jiesu.tickets.workflow import Status

app = typer.Typer(help="接诉 jiesu: resident assistant and staff console.", no_args_is_help=True)
db_app = typer.Typer(help="The app database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
train_app = typer.Typer(help="Train models.", no_args_is_help=True)
app.add_typer(train_app, name="train")
eval_app = typer.Typer(help="Evaluate models on labelled data.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
tickets_app = typer.Typer(help="Tickets (工单), for operators.", no_args_is_help=True)
app.add_typer(tickets_app, name="tickets")
faq_app = typer.Typer(help="The policy knowledge base (政策问答).", no_args_is_help=True)
app.add_typer(faq_app, name="faq")
users_app = typer.Typer(help="Staff console accounts.", no_args_is_help=True)
app.add_typer(users_app, name="users")
residents_app = typer.Typer(help="Residents' personal data (个人信息).", no_args_is_help=True)
app.add_typer(residents_app, name="residents")
wechat_app = typer.Typer(help="The WeChat official account (微信公众号).", no_args_is_help=True)
app.add_typer(wechat_app, name="wechat")

_ENV_SECRETS = ("JIESU_RASA_TOKEN", "JIESU_SECRET_KEY")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the app database to the newest schema."""
    from jiesu.migrate import upgrade

    upgrade()
    typer.echo("数据库已是最新结构。")


@app.command("init-env")
def init_env(path: Path = PROJECT_ROOT / ".env") -> None:
    """Write random secrets into `.env` for those not set yet (never overwrites one)."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    present = {line.split("=", 1)[0].strip() for line in lines if "=" in line}
    added = [f"{name}={secrets.token_urlsafe(32)}" for name in _ENV_SECRETS if name not in present]
    if added:
        write_private(path, ("\n".join([*lines, *added]) + "\n").encode("utf-8"))


@app.command("web")
def web() -> None:
    """Serve the staff console and the resident web chat."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "console.app:create_app",
        factory=True,
        host=settings.web_host,
        port=settings.web_port,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        log_level="info",
    )


def _healthy(client: httpx.Client, url: str, rasa_token: str | None = None) -> bool:
    """Whether `url` answers 200; with `rasa_token`, as Rasa's HTTP API (a bearer token)."""
    from bot.rasa_client import bearer_token

    headers = {"Authorization": f"Bearer {bearer_token(rasa_token)}"} if rasa_token else None
    try:
        return client.get(url, headers=headers).status_code == 200
    except httpx.HTTPError:
        return False


@app.command("ready")
def ready(
    timeout: float = typer.Option(300.0, help="Seconds to wait for every service."),
    hold: bool = typer.Option(False, help="Stay running after printing (for the Procfile)."),
) -> None:
    """Wait until Rasa (with its model), the action server and the web app answer."""
    settings = get_settings()
    web_url = f"http://{settings.web_host}:{settings.web_port}"
    checks = {
        "Rasa": (f"{settings.rasa_url}/status", settings.rasa_token),
        "动作服务": (f"{settings.action_server_url}/health", None),
        "网页": (f"{web_url}/healthz", None),
    }
    deadline = time.monotonic() + timeout
    waiting = dict(checks)
    with httpx.Client(timeout=3.0) as client:
        while waiting and time.monotonic() < deadline:
            waiting = {n: c for n, c in waiting.items() if not _healthy(client, *c)}
            if waiting:
                time.sleep(1.0)
    if waiting:
        typer.echo(f"等待超时，未就绪：{'、'.join(waiting)}。请查看上方日志。", err=True)
        raise typer.Exit(1)
    typer.echo(
        "\n接诉已就绪：\n"
        f"  居民网页对话   {web_url}/chat\n"
        f"  工作人员控制台 {web_url}/\n"
        f"  Rasa REST 接口 {settings.rasa_url}/webhooks/rest/webhook\n"
        "按 Ctrl-C 停止全部服务。\n"
    )
    if not _admin_exists(settings.database_url):
        typer.echo(
            "尚无管理员账号。创建第一个管理员：.venv/bin/jiesu users add admin --role admin\n"
        )
    if hold:
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()


def _admin_exists(database_url: str) -> bool:
    from jiesu.db import session_scope
    from jiesu.staff.accounts import admin_exists

    with session_scope(database_url) as session:
        return admin_exists(session)


@app.command("say")
def say(
    text: str,
    chat_id: str = typer.Option("operator", help="Conversation id on the `cli` channel."),
) -> None:
    """Send one message through the gateway, as a resident would, and print the replies."""
    from bot.gateway import Gateway, Incoming
    from bot.rasa_client import RasaClient

    settings = get_settings()

    async def run() -> list[dict[str, object]]:
        rasa = RasaClient.from_settings(settings)
        gateway = Gateway(rasa, settings.database_url, settings.max_message_chars)
        try:
            incoming = Incoming("cli", chat_id, uuid.uuid4().hex, text)
            return await gateway.handle(incoming)
        finally:
            await rasa.aclose()

    typer.echo(json.dumps(asyncio.run(run()), ensure_ascii=False, indent=2))


_TEXT_COLUMNS = typer.Option("title,body", help="CSV columns joined into the text.")
_LABEL_COLUMN = typer.Option("label", help="CSV column with the first-level category.")


def _columns(text_columns: str) -> list[str]:
    return [column.strip() for column in text_columns.split(",") if column.strip()]


@app.command("route")
def route_command(
    text: str,
    as_json: bool = typer.Option(False, "--json", help="Print the route as JSON."),
    model: Annotated[Path | None, typer.Option(help="A model from `jiesu train routing`.")] = None,
) -> None:
    """Route a message: category, subcategory, lead department, confidence."""
    from jiesu.routing import route

    result = route(text, model=model)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    where = "/".join(part for part in (result.category, result.subcategory) if part) or "未能分类"
    note = "（置信度低，转派单员）" if result.needs_dispatcher else ""
    typer.echo(f"{where} → {result.department}  置信度 {result.confidence:.2f}{note}")
    if result.needs_dispatcher and result.guesses:
        typer.echo(
            "候选："
            + "；".join(
                f"{'/'.join(p for p in (g.category, g.subcategory) if p)} {g.confidence:.2f}"
                for g in result.guesses
            )
        )


@train_app.command("routing")
def train_routing(
    data: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Labelled ticket CSV.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Where to write the model (joblib); --from-db: the deployed model."),
    ] = None,
    from_db: bool = typer.Option(
        False,
        "--from-db",
        help="Train on the city's closed tickets and routing feedback; replace the deployed "
        "model only if the new one is not worse on the newest tickets.",
    ),
    text_columns: str = _TEXT_COLUMNS,
    label_column: str = _LABEL_COLUMN,
) -> None:
    """Train the routing model on past tickets labelled with first-level categories."""
    from jiesu.routing import model as trained
    from jiesu.routing.router import lexicon_router

    if from_db:
        _train_routing_from_db(out)
        return
    if data is None or out is None:
        raise typer.BadParameter("需要 --data 和 --out（或使用 --from-db）。")
    from jiesu.routing.data import read_labelled

    texts, labels = read_labelled(data, _columns(text_columns), label_column)
    trained.save(trained.train(texts, labels, lexicon_router().lexicon), out)
    typer.echo(f"已用 {len(texts)} 条工单训练分拨模型：{out}")


def _train_routing_from_db(out: Path | None) -> None:
    from jiesu.db import session_scope
    from jiesu.routing import route
    from jiesu.routing.retrain import labelled_tickets, retrain
    from jiesu.routing.router import deployed_model, deployed_model_path, lexicon_router

    with session_scope() as session:
        tickets = labelled_tickets(session)
    current = deployed_model()
    try:
        outcome = retrain(
            tickets,
            lexicon_router().lexicon,
            lambda texts: [route(text, model=current).category for text in texts],
            out or deployed_model_path(),
        )
    except ValueError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(outcome.report(), ensure_ascii=False, indent=2))
    if not outcome.replaced:
        raise typer.Exit(1)


@app.command("calibrate")
def calibrate(
    what: Annotated[str, typer.Argument(help="Only `routing` for now.")],
) -> None:
    """Choose the out-of-the-box router's constants by cross-validation on the
    hand-written examples; writes data/routing/prior.yml."""
    if what != "routing":
        raise typer.BadParameter("只能校准 routing。")
    from jiesu.routing.examples import load_all_examples, load_knowledge
    from jiesu.routing.router import lexicon_router
    from jiesu.routing.tuning import tune, write_settings

    tuned = tune(lexicon_router().lexicon, load_all_examples(), load_knowledge())
    write_settings(tuned)
    typer.echo(json.dumps({**tuned.settings.as_dict(), "cv": tuned.report}, ensure_ascii=False))


@eval_app.command("routing")
def eval_routing(
    data: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="Labelled ticket CSV.")],
    text_columns: str = _TEXT_COLUMNS,
    label_column: str = _LABEL_COLUMN,
    model: Annotated[
        Path | None,
        typer.Option(help="A trained model; default: the deployed one, else out of the box."),
    ] = None,
) -> None:
    """First-level accuracy, macro-F1 and per-class scores of routing on a labelled CSV."""
    from jiesu.routing import route
    from jiesu.routing.data import evaluate, read_labelled

    texts, labels = read_labelled(data, _columns(text_columns), label_column)
    predicted = [route(text, model=model).category for text in texts]
    typer.echo(json.dumps(evaluate(labels, predicted), ensure_ascii=False, indent=2))


@faq_app.command("load")
def faq_load(
    directory: Annotated[
        Path | None, typer.Option(file_okay=False, help="Folder of *.yml; default data/faq.")
    ] = None,
) -> None:
    """(Re)load the knowledge base from YAML into the app database (migrating it first)."""
    from jiesu.db import session_scope
    from jiesu.faq import FaqDataError, load_entries, sync_entries
    from jiesu.migrate import upgrade

    try:
        items = load_entries(directory) if directory else load_entries()
    except FaqDataError as error:
        typer.echo(f"知识库文件有误：{error}", err=True)
        raise typer.Exit(1) from error
    settings = get_settings()
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        counts = sync_entries(session, items)
    typer.echo(
        f"已载入 {len(items)} 条问答：新增 {counts['added']}，更新 {counts['updated']}，"
        f"停用 {counts['disabled']}，未变 {counts['unchanged']}。"
    )


@faq_app.command("import")
def faq_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".xlsx or .csv")],
    dry_run: bool = typer.Option(False, "--dry-run", help="Only show what would change."),
) -> None:
    """Replace the knowledge base with a city's spreadsheet (GB/T 44191-2024 columns).

    Entries are added or changed by 编号; entries missing from the file are disabled
    (except those staff added in the console). If any row is refused, nothing changes.
    """
    from jiesu.db import session_scope
    from jiesu.faq.store import plan_sync, sync_entries
    from jiesu.faq.transfer import TableError, read_table
    from jiesu.migrate import upgrade

    try:
        items, refusals = read_table(file)
    except TableError as error:
        typer.echo(f"无法导入：{error}", err=True)
        raise typer.Exit(1) from error
    settings = get_settings()
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        plan = plan_sync(session, items)
        typer.echo(f"读取 {len(items)} 条问答，拒绝 {len(refusals)} 行。")
        typer.echo(f"新增 {len(plan.added)}：{'、'.join(plan.added) or '无'}")
        changed = [f"{entry_id}（{'、'.join(fields)}）" for entry_id, fields in plan.changed]
        typer.echo(f"修改 {len(plan.changed)}：{'；'.join(changed) or '无'}")
        typer.echo(f"停用 {len(plan.removed)}：{'、'.join(plan.removed) or '无'}")
        typer.echo(f"未变 {plan.unchanged}")
        for refusal in refusals:
            typer.echo(f"第 {refusal.row} 行（编号 {refusal.id or '空'}）被拒绝：{refusal.reason}")
        if refusals:
            typer.echo("有被拒绝的行，未做任何更改。请修改文件后重新导入。", err=True)
            raise typer.Exit(1)
        if dry_run:
            typer.echo("试运行：未做任何更改。")
            return
        sync_entries(session, items)
    typer.echo("已导入。")


@faq_app.command("export")
def faq_export(
    file: Annotated[Path, typer.Argument(dir_okay=False, help=".xlsx or .csv")],
) -> None:
    """Write the enabled entries in the format `jiesu faq import` reads."""
    from jiesu.db import session_scope
    from jiesu.faq.store import enabled_items, ensure_seeded
    from jiesu.faq.transfer import TableError, write_table
    from jiesu.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        ensure_seeded(session)
        items = enabled_items(session)
    try:
        write_table(items, file)
    except TableError as error:
        typer.echo(f"无法导出：{error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"已导出 {len(items)} 条问答到 {file}。")


@faq_app.command("review")
def faq_review(
    days: Annotated[int, typer.Option(min=1, help="Review entries older than this.")] = 365,
    as_json: bool = typer.Option(False, "--json", help="Print the list as JSON."),
) -> None:
    """Entries due for review: out of force, lapsing soon, or not reviewed for DAYS."""
    from jiesu.db import session_scope
    from jiesu.faq.review import due_for_review
    from jiesu.faq.store import enabled_items, ensure_seeded, local_today
    from jiesu.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        ensure_seeded(session)
        due = due_for_review(enabled_items(session), local_today(), days)
    if as_json:
        rows = [{"id": d.id, "question": d.question, "reason": d.reason} for d in due]
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not due:
        typer.echo("没有需要审核的问答。")
    for item in due:
        typer.echo(f"{item.id}  {item.question}  —  {item.reason}")


@faq_app.command("ask")
def faq_ask(
    question: str,
    limit: Annotated[int, typer.Option(min=1, help="At most this many matches.")] = 3,
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Search the knowledge base as the assistant would."""
    from jiesu.faq import search
    from jiesu.migrate import upgrade

    upgrade()
    result = search(question, limit)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    if not result.matches:
        typer.echo("没有相关问答。")
    for rank, match in enumerate(result.matches):
        sure = "答复" if rank == 0 and result.answered else "候选"
        typer.echo(f"[{sure} {match.score:.2f}] {match.id}  {match.question}")
    if result.answered:
        best = result.matches[0]
        typer.echo(f"\n{best.answer}\n承办：{best.department}  依据：{best.source}")


@eval_app.command("faq")
def eval_faq(
    data: Annotated[
        Path,
        typer.Option(
            exists=True, dir_okay=False, help="CSV: question,tag or id,split,question,entry_id."
        ),
    ],
    split: Annotated[str | None, typer.Option(help="Only rows of this split (dev, test).")] = None,
) -> None:
    """top1, top3 and false_answer_rate of the knowledge base on a labelled CSV."""
    from jiesu.faq import search
    from jiesu.faq.evaluate import evaluate, read_questions
    from jiesu.faq.retrieval import current_index
    from jiesu.migrate import upgrade

    upgrade()
    topics = {item.id: item.tags[0] for item in current_index().items if item.tags}
    try:
        rows = read_questions(data, topics, split)
    except ValueError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    typer.echo(json.dumps(evaluate(rows, search), ensure_ascii=False, indent=2))


# The columns of `jiesu tickets list` without --json: heading and ticket field.
_TICKET_COLUMNS = (
    ("编号", "number"),
    ("状态", "status_label"),
    ("类型", "appeal_type_label"),
    ("分类", "category"),
    ("承办单位", "department"),
    ("网格", "grid"),
    ("受理时间", "created_at"),
    ("诉求", "description"),
)
_SUMMARY_CHARS = 20


def _width(text: str) -> int:
    """Columns `text` takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cell(field: str, value: object) -> str:
    from jiesu.labels import stamp_text

    text = "" if value is None else " ".join(str(value).split())
    if field == "created_at":
        return stamp_text(text)
    return text if len(text) <= _SUMMARY_CHARS else text[: _SUMMARY_CHARS - 1] + "…"


def _table(rows: list[dict[str, object]]) -> str:
    cells = [[heading for heading, _ in _TICKET_COLUMNS]]
    cells += [[_cell(field, row[field]) for _, field in _TICKET_COLUMNS] for row in rows]
    widths = [max(_width(line[i]) for line in cells) for i in range(len(_TICKET_COLUMNS))]
    padded = (
        [cell + " " * (width - _width(cell)) for cell, width in zip(line, widths, strict=True)]
        for line in cells
    )
    return "\n".join("  ".join(line).rstrip() for line in padded)


def _statuses(values: list[str]) -> list[Status]:
    """The statuses named by their value (dispatched) or Chinese label (派单)."""
    from jiesu.tickets.workflow import Status, status_label

    known = {key: s for s in Status for key in (s.value, status_label(s))}
    unknown = [value for value in values if value not in known]
    if unknown:
        choices = ", ".join(f"{s.value} ({status_label(s)})" for s in Status)
        message = f"unknown {', '.join(unknown)}; one of: {choices}"
        raise typer.BadParameter(message, param_hint="--status")
    return [known[value] for value in values]


@tickets_app.command("list")
def tickets_list(
    status: Annotated[
        list[str] | None,
        typer.Option(help="Only tickets in this status (repeatable): dispatched or 派单, …"),
    ] = None,
    department: Annotated[str | None, typer.Option(help="Only this department id.")] = None,
    grid: Annotated[str | None, typer.Option(help="Only this grid id.")] = None,
    sender: Annotated[
        str | None, typer.Option(help="Only this conversation, e.g. telegram:42.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many tickets.")] = 50,
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array."),
) -> None:
    """List tickets, newest first."""
    from jiesu.db import session_scope
    from jiesu.tickets.serialize import describe_ticket
    from jiesu.tickets.service import TicketFilter, list_tickets

    wanted = TicketFilter(
        statuses=_statuses(status or []), department=department, grid=grid, sender_id=sender
    )
    with session_scope(get_settings().database_url) as session:
        found = list_tickets(session, wanted, limit=limit)
        rows = [describe_ticket(session, ticket, with_history=False) for ticket in found]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif rows:
        typer.echo(_table(rows))
    else:
        typer.echo("没有符合条件的工单。")


def _ticket_text(ticket: dict[str, Any]) -> str:
    from jiesu.labels import category_label, department_name, grid_label, stamp_text

    lines = [
        f"工单 {ticket['number']}  {ticket['status_label']}  {ticket['appeal_type_label']}",
        f"分类：{category_label(ticket['category'], ticket['subcategory'])}",
        f"承办单位：{department_name(ticket['department'])}  网格：{grid_label(ticket['grid'])}  "
        f"紧急程度：{ticket['urgency']}",
        f"地址：{ticket['address'] or '未提供'}  电话：{ticket['phone'] or '未提供'}",
        f"受理：{stamp_text(ticket['created_at'])}  "
        f"派单时限：{stamp_text(ticket['dispatch_due_at'])}  "
        f"答复时限：{stamp_text(ticket['reply_due_at'])}",
        f"诉求：{ticket['description']}",
        "办理记录：",
    ]
    lines += [f"  {stamp_text(e['at'])}  {e['actor']}  {_entry_text(e)}" for e in ticket["history"]]
    return "\n".join(lines)


def _entry_text(entry: dict[str, Any]) -> str:
    """One line of the ticket's timeline, worded as the console's ticket page words it."""
    if entry["entry"] == "note":
        return f"办理进展：{entry['text']}" + ("（已告知居民）" if entry["told"] else "")
    if entry["entry"] == "change":
        old, new = entry["old_label"], entry["new_label"]
        change = f"{old} → {new}" if old and new else new or old or "—"
        text = f"{entry['kind_label']}：{change}"
    else:
        text = f"{entry['from_label'] or '—'} → {entry['to_label']}"
    return text + (f"  {entry['note']}" if entry["note"] else "")


@tickets_app.command("show")
def tickets_show(
    number: str,
    as_json: bool = typer.Option(False, "--json", help="Print the ticket as JSON."),
) -> None:
    """Show one ticket with its audit history."""
    from jiesu.db import session_scope
    from jiesu.tickets.serialize import describe_ticket
    from jiesu.tickets.service import get_by_number

    with session_scope(get_settings().database_url) as session:
        ticket = get_by_number(session, number)
        described = describe_ticket(session, ticket) if ticket is not None else None
    if described is None:
        typer.echo(f"工单不存在：{number}（no ticket numbered {number}）", err=True)
        raise typer.Exit(1)
    if as_json:
        typer.echo(json.dumps(described, ensure_ascii=False, indent=2))
    else:
        typer.echo(_ticket_text(described))


def _role(value: str) -> Role:
    """The role named by its value (handler) or Chinese label (承办人)."""
    from jiesu.staff.roles import Role, role_label

    known = {key: role for role in Role for key in (role.value, role_label(role))}
    if value not in known:
        choices = ", ".join(f"{role.value} ({role_label(role)})" for role in Role)
        raise typer.BadParameter(f"unknown {value}; one of: {choices}", param_hint="--role")
    return known[value]


@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[
        str,
        typer.Option(
            help="The role, by its value or its Chinese name (the roles of jiesu/labels.yml)."
        ),
    ],
    department: Annotated[
        str | None, typer.Option(help="A handler's department id (data/city/departments.yml).")
    ] = None,
    grid: Annotated[
        list[str] | None, typer.Option(help="A grid worker's grid id (repeatable).")
    ] = None,
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin."
    ),
) -> None:
    """Create a staff account (the password is prompted for unless --password-stdin)."""
    import sys

    from jiesu.db import session_scope
    from jiesu.migrate import upgrade
    from jiesu.staff.accounts import AccountError, create_user
    from jiesu.staff.roles import role_label

    chosen = _role(role)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("密码", hide_input=True, confirmation_prompt=True)
    settings = get_settings()
    upgrade(settings.database_url)
    try:
        with session_scope(settings.database_url) as session:
            create_user(session, name, password, chosen, department=department, grids=grid or [])
    except AccountError as error:
        typer.echo(f"未能创建账号：{error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"已创建{role_label(chosen)}账号 {name}。")


@app.command("scheduler")
def scheduler() -> None:
    """Run the closed loop's sweep every JIESU_SWEEP_INTERVAL_SECONDS: deadline reminders and
    escalations, follow-up surveys and their expiry; once a day, the retention purge."""
    import logging

    from jiesu.scheduler import run_forever

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        run_forever(get_settings().database_url)


@app.command("telegram")
def telegram(
    idle_without_token: bool = typer.Option(
        False,
        help="Without TELEGRAM_BOT_TOKEN, wait idle instead of failing (for `make run`).",
    ),
) -> None:
    """Serve residents on Telegram (TELEGRAM_MODE polling or webhook); needs TELEGRAM_BOT_TOKEN."""
    import logging

    from bot.telegram.app import TelegramAdapter
    from bot.telegram.config import TelegramSettings

    telegram_settings = TelegramSettings()
    if not telegram_settings.bot_token:
        if not idle_without_token:
            typer.echo("未设置 TELEGRAM_BOT_TOKEN（BotFather 提供的机器人令牌）。", err=True)
            raise typer.Exit(1)
        typer.echo("未设置 TELEGRAM_BOT_TOKEN，Telegram 渠道未启用。")
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    adapter = TelegramAdapter(get_settings(), telegram_settings)
    if telegram_settings.mode == "webhook":
        adapter.run_webhook()
    else:
        adapter.run_polling()


@wechat_app.command("menu")
def wechat_menu(
    publish: bool = typer.Option(
        False, "--publish", help="Set it as the account's menu (needs WECHAT_APP_ID and secret)."
    ),
) -> None:
    """Print the account's menu (我要反映 / 政策咨询 / 查询进度 / 转人工), or publish it."""
    from bot.wechat.client import Client
    from bot.wechat.config import WeChatSettings
    from bot.wechat.menu import menu_definition
    from bot.wechat.menu import publish as publish_menu

    if not publish:
        typer.echo(json.dumps(menu_definition(), ensure_ascii=False, indent=2))
        return
    settings = WeChatSettings()
    if not settings.configured:
        typer.echo(
            "未配置公众号：请设置 WECHAT_TOKEN、WECHAT_APP_ID 和 WECHAT_APP_SECRET。", err=True
        )
        raise typer.Exit(1)
    publish_menu(Client(settings, get_settings().database_url))
    typer.echo("公众号菜单已更新。")


@wechat_app.command("undelivered")
def wechat_undelivered(
    days: Annotated[int, typer.Option(min=1, max=365, help="Messages queued in these days.")] = 7,
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array."),
) -> None:
    """Messages to WeChat residents that will not be delivered, and why (outside the 48-hour
    window without a template, unfollowed, refused by WeChat)."""
    from datetime import timedelta

    from bot.wechat.config import CHANNEL
    from jiesu.conversations import ConversationId
    from jiesu.db import session_scope
    from jiesu.labels import minute_text
    from jiesu.models import utcnow
    from jiesu.outbox import undelivered

    with session_scope(get_settings().database_url) as session:
        rows = [
            {
                "queued_at": minute_text(message.created_at),
                "conversation": ConversationId.build(message.channel, message.chat_id),
                "status": message.status,
                "reason": message.last_error or "",
                "text": message.text,
            }
            for message in undelivered(session, utcnow() - timedelta(days=days), CHANNEL)
        ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo("没有未送达的微信消息。")
    for row in rows:
        typer.echo(f"{row['queued_at']}  {row['conversation']}  {row['reason']}")
        typer.echo(f"    {row['text'][:60]}")


@app.command("hot")
def hot(
    days: Annotated[int, typer.Option(min=1, max=365, help="Clusters active in these days.")] = 30,
    as_json: bool = typer.Option(False, "--json", help="Print a JSON object."),
) -> None:
    """Print the hot issues (热点问题) among recent tickets, hottest first."""
    from jiesu.db import session_scope
    from jiesu.labels import month_day_text
    from jiesu.monitoring.clusters import hot_report, recent_tickets

    with session_scope(get_settings().database_url) as session:
        report = hot_report(recent_tickets(session, None, days=days), days=days)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    if not report.clusters:
        typer.echo(f"最近 {days} 天没有发现热点问题。")
    for rank, cluster in enumerate(report.clusters, start=1):
        issue = cluster.issue
        span = f"{month_day_text(issue.first)} 至 {month_day_text(issue.last)}"
        typer.echo(
            f"{rank}. {' / '.join(issue.places) or '未识别地点'}：{issue.size} 件"
            f"（最近 {days} 天 {issue.recent} 件，此前 {issue.previous} 件；{span}）"
        )
        typer.echo(f"   关键词：{'、'.join(issue.keywords)}")
        typer.echo(f"   工单：{'、'.join(t.number for t in cluster.tickets)}")
    if report.keywords:
        words = "、".join(f"{w}（{now}，此前 {before}）" for w, now, before in report.keywords)
        typer.echo(f"上升关键词：{words}")


def _erased_text(erased: Erased) -> str:
    return (
        f"工单 {erased.tickets} 件、照片 {erased.photos} 张、消息 {erased.messages} 条、"
        f"待发消息 {erased.outbox} 条、会话备注 {erased.notes} 条、未答问题 {erased.questions} 条、"
        f"对话记录 {erased.transcripts} 段、会话编号 {erased.conversations} 个"
    )


def _tracker_store_failed(error: Exception, done: str) -> typer.Exit:
    typer.echo(
        f"无法读取 Rasa 的对话记录库（JIESU_TRACKER_STORE_URL）：{error}。{done}"
        "请把 JIESU_TRACKER_STORE_URL 指向 Rasa 实际使用的 tracker store 后重新运行。",
        err=True,
    )
    return typer.Exit(1)


@residents_app.command("forget")
def residents_forget(
    sender_id: Annotated[str, typer.Argument(help="The conversation, e.g. telegram:4242.")],
) -> None:
    """Erase one resident's personal data; tickets keep what statistics need."""
    from jiesu.conversations import ConversationId
    from jiesu.db import session_scope
    from jiesu.privacy import (
        TrackerStoreError,
        check_tracker_store,
        erase_transcripts,
        forget_resident,
    )

    if ConversationId.of(sender_id) is None:
        typer.echo(
            f"“{sender_id}”不是对话编号：应为“渠道:聊天编号”，例如 telegram:4242。", err=True
        )
        raise typer.Exit(2)
    settings = get_settings()
    try:
        check_tracker_store(settings.tracker_store_url)
    except TrackerStoreError as error:
        raise _tracker_store_failed(error, "没有删除任何信息。") from error
    with session_scope(settings.database_url) as session:
        erased = forget_resident(session, sender_id)
    try:
        erased.transcripts = erase_transcripts(settings.tracker_store_url, sender_id=sender_id)
    except TrackerStoreError as error:
        raise _tracker_store_failed(
            error, f"应用数据库中的个人信息已删除（{_erased_text(erased)}），对话记录未删除。"
        ) from error
    if not any(vars(erased).values()):
        typer.echo(
            f"没有找到对话 {sender_id} 的任何记录（编号有误，或已删除过）：{_erased_text(erased)}。"
        )
        return
    typer.echo(f"已删除 {sender_id} 的个人信息：{_erased_text(erased)}。")


@residents_app.command("purge")
def residents_purge() -> None:
    """Erase personal data older than JIESU_RETENTION_DAYS (finished tickets, messages…) now;
    `jiesu scheduler` does it once a day."""
    from jiesu.db import session_scope
    from jiesu.models import utcnow
    from jiesu.privacy import TrackerStoreError, purge_expired

    settings = get_settings()
    try:
        with session_scope(settings.database_url) as session:
            erased = purge_expired(
                session,
                utcnow(),
                settings.retention_days,
                tracker_store_url=settings.tracker_store_url,
            )
    except TrackerStoreError as error:
        raise _tracker_store_failed(error, "本次没有完成清理。") from error
    typer.echo(f"已删除超过 {settings.retention_days} 天的个人信息：{_erased_text(erased)}。")


if __name__ == "__main__":
    app()
