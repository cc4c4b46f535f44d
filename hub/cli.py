"""The ``hub`` command: serve, migrate, demo, clients, schema, policies.

Every command that touches data takes ``--data-dir`` (or HUB_DATA_DIR), so the CLI and a running
embedded Hub work on the same store.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hub.audit.cli import add_audit_commands
from hub.bonds_cli import add_export_commands
from hub.errors import HubError
from hub.events.cli import add_worker_commands
from hub.forced_labor_cli import add_forced_labor_commands
from hub.import_cli import add_import_commands
from hub.settings import Settings

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema" / "hub.graphql"


def _settings(args: argparse.Namespace, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(overrides)
    if getattr(args, "data_dir", None):
        values["data_dir"] = Path(args.data_dir)
    return Settings(**values)


def _run(coro: Coroutine[Any, Any, int]) -> int:
    return asyncio.run(coro)


# ------------------------------------------------------------------------------------------ serve --

def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from hub.logs import configure
    from hub.runtime import check_production_settings

    env_overrides: dict[str, str] = {}
    if args.data_dir:
        env_overrides["HUB_DATA_DIR"] = str(Path(args.data_dir).resolve())
    if args.demo:
        env_overrides["HUB_DEMO"] = "true"
    if "HUB_ISSUER" not in os.environ:
        host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host  # noqa: S104
        env_overrides["HUB_ISSUER"] = f"http://{host}:{args.port}"
    # Workers are separate processes: they read the same settings from the environment.
    os.environ.update(env_overrides)
    settings = Settings()
    configure(settings.log_level)
    try:
        if not settings.demo:
            check_production_settings(settings)
        seeded = asyncio.run(_prepare(settings))
    except HubError as exc:
        print(f"hub serve: {exc.code}: {exc.message}", file=sys.stderr)
        return 2
    where = settings.effective_database_url.split("@")[-1]
    objects = f"S3 {settings.s3_endpoint}" if settings.uses_s3 else str(settings.objects_dir)
    print(f"hub: database {where}; objects {objects}", file=sys.stderr)
    if seeded:
        print("hub: demo data seeded; `hub demo clients --json` prints the demo credentials", file=sys.stderr)
    print(f"hub: serving on http://{args.host}:{args.port}/graphql (issuer {settings.issuer})", file=sys.stderr)
    uvicorn.run(
        "hub.app:app_from_env", factory=True, host=args.host, port=args.port, workers=args.workers,
        log_config=None, access_log=False, proxy_headers=True, server_header=False,
    )
    return 0


async def _prepare(settings: Settings) -> bool:
    """Migrate, make the signing key and the bucket, and seed demo data, before any worker starts."""
    from hub.runtime import open_hub
    from hub.services.demo import seed_parties
    from hub.services.demo_adcvd import seed_adcvd
    from hub.services.demo_bonds import seed_bonds
    from hub.services.demo_forced_labor import seed_forced_labor
    from hub.services.demo_ipr import seed_ipr

    hub = await open_hub(settings)
    try:
        if settings.demo:
            now = datetime.now(UTC)
            seeded = await seed_parties(hub.sessions, now)
            await seed_bonds(hub.sessions, now)  # first: the IPR demo's sample request names the sample bond
            await seed_ipr(hub.sessions, hub.store, hub.calendar, now, settings.expedited_value_threshold)
            await seed_adcvd(hub.sessions, now)
            await seed_forced_labor(hub.sessions, hub.calendar, now)
            return seeded
        return False
    finally:
        await hub.close()


def cmd_migrate(args: argparse.Namespace) -> int:
    async def go() -> int:
        from hub.db import migrate
        from hub.db.session import create_engine

        settings = _settings(args)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(settings.effective_database_url)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()
        print("migrations applied")
        return 0

    return _run(go())


# ------------------------------------------------------------------------------------- demo, clients --

def cmd_demo_clients(args: argparse.Namespace) -> int:
    async def go() -> int:
        from hub.runtime import open_hub
        from hub.services.demo import demo_clients, seed_parties

        hub = await open_hub(_settings(args, demo=True))
        try:
            await seed_parties(hub.sessions, datetime.now(UTC))
            async with hub.sessions() as session:
                clients = await demo_clients(session)
        finally:
            await hub.close()
        if args.json:
            print(json.dumps(clients, indent=2))
        else:
            for c in clients:
                print(f"{c['client_id']:28} {c['kind']:9} {','.join(c['roles']):18} {c['organization']}")
        return 0

    return _run(go())


def cmd_clients_create(args: argparse.Namespace) -> int:
    async def go() -> int:
        from hub.db.session import transaction
        from hub.runtime import open_hub
        from hub.services.parties import create_client, organization_by_ref

        jwks = json.loads(Path(args.jwks).read_text()) if args.jwks else None  # noqa: ASYNC240 (CLI start-up)
        hub = await open_hub(_settings(args))
        try:
            async with transaction(hub.sessions) as session:
                org = await organization_by_ref(session, args.org)
                roles = [r.strip() for r in args.roles.split(",") if r.strip()]
                issued = await create_client(session, org, roles, datetime.now(UTC), name=args.name, jwks=jwks)
        finally:
            await hub.close()
        out = {"client_id": issued.client.client_id, "organization": org.name, "roles": issued.client.roles,
               "auth_methods": issued.client.auth_methods}
        if issued.secret:
            out["client_secret"] = issued.secret
        print(json.dumps(out, indent=2))
        if issued.secret:
            print("The secret is shown once; only its hash is stored.", file=sys.stderr)
        return 0

    return _run(go())


# ------------------------------------------------------------------------------- schema, policies --

def cmd_schema(args: argparse.Namespace) -> int:
    from hub.graphql.schema import printed_sdl

    sdl = printed_sdl()
    path = Path(args.path)
    if args.action == "print":
        sys.stdout.write(sdl)
        return 0
    if args.action == "write":
        path.write_text(sdl)
        print(f"wrote {path}")
        return 0
    if not path.exists() or path.read_text() != sdl:
        print(f"{path} is stale: run `hub schema write` and commit it", file=sys.stderr)
        return 1
    print(f"{path} matches the schema")
    return 0


def cmd_policies_check(args: argparse.Namespace) -> int:
    from hub.policy.cases import run_all
    from hub.policy.engine import PolicyEngine
    from hub.runtime import POLICIES_DIR

    try:
        engine = PolicyEngine(Path(args.dir) if args.dir else POLICIES_DIR)
    except Exception as exc:  # a parse error is a failed check with its message, not a traceback
        print(f"policies do not parse: {exc}", file=sys.stderr)
        return 1
    errors = engine.validate()
    for error in errors:
        print(f"schema validation: {error}", file=sys.stderr)
    results = run_all(engine)
    failed = [r for r in results if not r.passed]
    for r in failed:
        print(f"FAIL {r.expected}/{r.path.name}: {r.problem}", file=sys.stderr)
    allow = sum(1 for r in results if r.expected == "ALLOW")
    print(f"policies {engine.version}: {len(errors)} validation errors; "
          f"{len(results) - len(failed)} of {len(results)} cases pass ({allow} ALLOW, {len(results) - allow} DENY)")
    return 1 if errors or failed or not results else 0


# ----------------------------------------------------------------------------------------- parser --

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hub", description="CBP / trade / PGA data-sharing hub")
    sub = parser.add_subparsers(dest="command", required=True)

    def data_cmd(name: str, help_: str, func: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_)
        p.add_argument("--data-dir", default=None, help="embedded store folder (default ./.hub-data, or HUB_DATA_DIR)")
        p.set_defaults(func=func)
        return p

    serve = data_cmd("serve", "run the Hub", cmd_serve)
    serve.add_argument("--demo", action="store_true", help="SQLite + local folder, demo data, GraphiQL")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)

    data_cmd("migrate", "apply database migrations", cmd_migrate)

    demo = sub.add_parser("demo", help="demo data").add_subparsers(dest="demo_command", required=True)
    dc = demo.add_parser("clients", help="print the demo OAuth clients (seeds them if needed)")
    dc.add_argument("--json", action="store_true")
    dc.add_argument("--data-dir", default=None)
    dc.set_defaults(func=cmd_demo_clients)

    clients = sub.add_parser("clients", help="OAuth clients").add_subparsers(dest="clients_command", required=True)
    cc = clients.add_parser("create", help="make a client; prints its secret once")
    cc.add_argument("--org", required=True, help="organization id, slug, IOR number, filer/surety/agency code")
    cc.add_argument("--roles", required=True, help="comma-separated roles")
    cc.add_argument("--name", default=None)
    cc.add_argument("--jwks", default=None, help="JWKS file: the client authenticates with private_key_jwt")
    cc.add_argument("--data-dir", default=None)
    cc.set_defaults(func=cmd_clients_create)

    schema = sub.add_parser("schema", help="the printed GraphQL SDL")
    schema.add_argument("action", choices=["check", "print", "write"])
    schema.add_argument("--path", default=str(SCHEMA_PATH))
    schema.set_defaults(func=cmd_schema)

    policies = sub.add_parser("policies", help="Cedar policies").add_subparsers(dest="policies_command", required=True)
    pc = policies.add_parser("check", help="validate policies against the schema and run every case")
    pc.add_argument("--dir", default=None)
    pc.set_defaults(func=cmd_policies_check)

    add_audit_commands(sub)
    add_worker_commands(sub)
    add_export_commands(sub)
    imports = add_import_commands(sub)
    add_forced_labor_commands(sub, imports)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except HubError as exc:
        print(f"hub: {exc.code}: {exc.message}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
