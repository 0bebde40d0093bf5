"""The `giaoban` command line."""

from __future__ import annotations

import getpass
import inspect
import os
import socket
import sys

import typer
from sqlalchemy import select

from core.audit import verify
from core.db import engine_for, session_factory, session_scope
from core.migrate import upgrade
from core.people import ROLE_LABELS, Role, User
from core.province import create_user, endpoints, load_config
from core.settings import Settings, get_settings
from core.units import Unit
from web import areas
from web.archive_cli import app as archive_app
from web.demo import demo_accounts, demo_password, seed
from web.supervisor import CANNOT_START, Child, Supervisor, giaoban_argv

# Open sockets get this long to close before their handlers are cancelled; live meetings then
# close everyone's attendance in the lifespan's shutdown. A supervisor waits longer than this.
GRACEFUL_SHUTDOWN_SECONDS = 6
app = typer.Typer(help="giaoban: họp trực tuyến, trung tâm điều hành, biên bản ký số.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
user_app = typer.Typer(help="People and their roles.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks: each prints its figures and writes JSON.", no_args_is_help=True)
for sub, name in ((db_app, "db"), (demo_app, "demo"), (user_app, "user"), (audit_app, "audit"),
                  (bench_app, "bench"), (archive_app, "archive")):
    app.add_typer(sub, name=name)


def _register_areas() -> None:
    for area, module in areas.area_modules("cli"):
        sub = getattr(module, "app", None)
        if sub is not None:
            app.add_typer(sub, name=getattr(module, "NAME", area))
        for name, extra in getattr(module, "APPS", {}).items():
            app.add_typer(extra, name=name)
        for attr, func in inspect.getmembers(module, inspect.isfunction):
            if attr.startswith("bench_") and func.__module__ == module.__name__:
                bench_app.command(attr.removeprefix("bench_"))(func)


def migrate() -> None:
    settings = get_settings()
    upgrade(settings.database_url, areas.version_dirs())


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to date (every package's migrations)."""
    migrate()
    typer.echo(f"database up to date: {_display_url(get_settings().database_url)}")


def _display_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@demo_app.command("seed")
def demo_seed() -> None:
    """Load the province's units, the unit set's endpoints (GIAOBAN_UNIT_SET: the 26 districts' or the 130
    communes' and wards') and one demo account per role (only what is missing)."""
    migrate()
    for line in seed(get_settings()):
        typer.echo(line)
    print_accounts()


def print_accounts() -> None:
    settings = get_settings()
    with session_scope(session_factory(engine_for(settings.database_url), write=True)) as session:
        people = demo_accounts(session)
        typer.echo("\nTài khoản demo / demo accounts (mật khẩu / password: " f"{demo_password()}):")
        for person in people:
            vi, en = ROLE_LABELS[Role(person.role)]
            typer.echo(f"  {person.username:<12} {vi} / {en} — {person.full_name}")
        ends = endpoints(load_config(unit_set=settings.unit_set))
        typer.echo(f"  {ends[0].username} ... {ends[-1].username}: {len(ends)} tài khoản điểm cầu / endpoint accounts, "
                   "cùng mật khẩu / same password")


@user_app.command("create")
def user_create(username: str, role: Role = typer.Option(..., help="admin, chair, secretary, clerk, specialist, "
                                                                   "officer, operator, endpoint"),
                unit: str | None = typer.Option(None, help="QCVN 102 unit code, e.g. 000.00.01.H41"),
                full_name: str | None = typer.Option(None, help="Họ và tên"),
                position: str = typer.Option("", help="Chức vụ")) -> None:
    """Create an account. The password comes from GIAOBAN_PASSWORD or a prompt, never an argument."""
    password = os.environ.get("GIAOBAN_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            typer.echo("Set GIAOBAN_PASSWORD or run in a terminal to be prompted.", err=True)
            raise typer.Exit(2)
        password = getpass.getpass("Mật khẩu / password: ")
        if getpass.getpass("Nhập lại / again: ") != password:
            typer.echo("Hai lần nhập không khớp / the passwords differ.", err=True)
            raise typer.Exit(2)
    settings = get_settings()
    migrate()
    try:
        with session_scope(session_factory(engine_for(settings.database_url), write=True)) as session:
            unit_row = None
            if unit:
                unit_row = session.execute(select(Unit).where(Unit.code == unit)).scalar_one_or_none()
                if unit_row is None:
                    typer.echo(f"Không có đơn vị mã {unit} / no unit with code {unit}", err=True)
                    raise typer.Exit(2)
            create_user(session, username=username, role=role, password=password,
                        full_name=full_name or username, position=position, unit=unit_row)
            from core.audit import record

            record(session, actor="cli", action="user.create", target=username, detail={"role": role.value})
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"created {username} ({role.value})")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit log's hash chain; exits 1 and names the first broken entry if it was tampered with."""
    settings = get_settings()
    with session_scope(session_factory(engine_for(settings.database_url), write=True)) as session:
        verdict = verify(session, settings.secret_key)
    if verdict.ok:
        typer.echo(f"audit log intact: {verdict.entries} entries")
        return
    typer.echo(f"AUDIT LOG TAMPERED: {verdict.problem}", err=True)
    raise typer.Exit(1)


@app.command()
def serve(host: str | None = None, port: int | None = None,
          reuse_port: bool = typer.Option(False, help="Share the port with other web processes (SO_REUSEPORT): "
                                                      "the kernel spreads new connections over them")) -> None:
    """The web/API process only."""
    import uvicorn

    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    if reuse_port and not settings.live_state_url:
        typer.echo("giaoban serve --reuse-port: several web processes need a shared live state; set "
                   "GIAOBAN_LIVE_STATE_URL=redis://HOST:6379/0", err=True)
        raise typer.Exit(CANNOT_START)
    config = uvicorn.Config("web.app:factory", factory=True, host=host, port=port, log_level="info",
                            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS, **proxy_options(settings))
    uvicorn.Server(config).run(sockets=[shared_port(host, port)] if reuse_port else None)


def shared_port(host: str, port: int) -> socket.socket:
    """A listening socket that other processes bind to as well (SO_REUSEPORT): each accepts the
    connections the kernel hands it; when one process dies, new connections go to the others."""
    info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(info[0], socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(info[4])
    sock.listen(2048)
    return sock


def proxy_options(settings: Settings) -> dict[str, object]:
    """uvicorn believes X-Forwarded-Proto/-For only from the proxies named in GIAOBAN_FORWARDED_ALLOW_IPS."""
    return {"proxy_headers": bool(settings.forwarded_allow_ips),
            "forwarded_allow_ips": settings.forwarded_allow_ips or None}


@app.command(hidden=True)
def service(area: str) -> None:
    """Run one area's background process (used by `giaoban up`)."""
    module = areas.optional_module(f"{area}.service")
    if module is None:
        typer.echo(f"no service in area {area}", err=True)
        raise typer.Exit(2)
    settings = get_settings()
    from web import wiring

    wiring.connect_wall(settings)  # the ingest process publishes cameras to the media workers
    module.run(settings)


@app.command()
def up(seed_demo: bool = typer.Option(True, help="Seed demo data on first start"),
       web_workers: int = typer.Option(0, help="Web processes on the one port (default GIAOBAN_WEB_WORKERS, 1); "
                                              "more than one needs GIAOBAN_LIVE_STATE_URL")) -> None:
    """Start everything: web/API, media workers, signing service, camera workers (Ctrl-C stops all)."""
    settings = get_settings()
    workers = web_workers or settings.web_workers
    if workers > 1 and not settings.live_state_url:
        typer.echo(f"giaoban up: {workers} web processes need a shared live state (who is in, hands, floor); "
                   "set GIAOBAN_LIVE_STATE_URL=redis://HOST:6379/0, or run one web process", err=True)
        raise typer.Exit(2)
    migrate()
    with session_scope(session_factory(engine_for(settings.database_url), write=True)) as session:
        first_start = session.execute(select(User.id).limit(1)).first() is None
    if seed_demo and first_start:
        for line in seed(settings):
            typer.echo(line)
    if workers == 1:
        children = [Child("web", giaoban_argv("serve"))]
    else:
        children = [Child(f"web-{n}", giaoban_argv("serve", "--reuse-port")) for n in range(1, workers + 1)]
    for area, _module in areas.area_modules("service"):
        children.append(Child(area, giaoban_argv("service", area)))
    supervisor = Supervisor(children)
    typer.echo(f"giaoban: http://{settings.host}:{settings.port}/ (Ctrl-C để dừng / to stop)"
               + (f", {workers} web processes" if workers > 1 else ""))
    if seed_demo:
        print_accounts()
    code = supervisor.run()
    if supervisor.failure:
        typer.echo(f"giaoban up: {supervisor.failure}", err=True)
    sys.exit(code)


_register_areas()

if __name__ == "__main__":
    app()
