"""Operator commands: ``python -m auth_service.cli create-admin --email E (--password P | --password-stdin)``.

``--password-stdin`` keeps the password out of the process list (``ps``) and the shell history."""

import argparse
import asyncio
import sys

from pydantic import ValidationError

from auth_service import accounts
from auth_service.config import AuthSettings
from auth_service.db import create_engine, make_session_factory
from auth_service.passwords import PasswordHasher, password_problem
from auth_service.schemas import normalise_email
from spendscore_common.server import describe_settings_error


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m auth_service.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    create_admin = commands.add_parser(
        "create-admin", help="create an admin, or make an existing account an active admin with this password"
    )
    create_admin.add_argument("--email", required=True)
    password = create_admin.add_mutually_exclusive_group(required=True)
    password.add_argument("--password")
    password.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    create_admin.add_argument("--name", default="Administrator")
    return parser


async def create_admin(settings: AuthSettings, *, email: str, password: str, name: str) -> str:
    """Create or reset the admin; returns the line to show."""
    engine = create_engine(settings)
    try:
        hasher = await asyncio.to_thread(PasswordHasher, settings.bcrypt_rounds)
        async with make_session_factory(engine)() as db_session:
            outcome = await accounts.ensure_admin(
                db_session=db_session,
                hasher=hasher,
                email=email,
                password=password,
                name=name,
                reset_existing=True,
            )
    finally:
        await engine.dispose()
    verb = "created" if outcome.created else "reset"
    return f"admin {outcome.user.email} {verb} (id {outcome.user.id})"


def main(argv: list[str] | None = None) -> None:
    arguments = _parser().parse_args(argv)
    try:
        settings = AuthSettings()
        email = normalise_email(arguments.email)
    except ValidationError as exc:
        sys.exit(f"auth cli: {describe_settings_error(exc)}")
    except ValueError as exc:
        sys.exit(f"auth cli: invalid --email: {exc}")
    password = sys.stdin.readline().rstrip("\n") if arguments.password_stdin else arguments.password
    problem = password_problem(password)
    if problem is not None:
        sys.exit(f"auth cli: invalid password: {problem}")
    try:
        print(asyncio.run(create_admin(settings, email=email, password=password, name=arguments.name)))
    except OSError as exc:
        sys.exit(f"auth cli: cannot reach the database: {exc}")


if __name__ == "__main__":
    main()
