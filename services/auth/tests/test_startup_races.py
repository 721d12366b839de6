"""Replicas started at the same moment: every one starts, and the bootstrap admin exists once."""

import asyncio
import contextlib

import asyncpg

from auth_service.db import create_engine, make_session_factory
from auth_service.main import ensure_bootstrap_admin
from auth_service.passwords import PasswordHasher

REPLICAS = 4


async def test_replicas_starting_together_on_an_empty_users_table_all_start(
    open_api, make_settings, auth_database_url
):
    settings = make_settings()
    async with contextlib.AsyncExitStack() as replicas:
        started = await asyncio.gather(
            *(replicas.enter_async_context(open_api(settings)) for _ in range(REPLICAS))
        )
        for api in started:
            assert (await api.login(api.admin_email, api.admin_password)).status_code == 200
    connection = await asyncpg.connect(auth_database_url)
    try:
        assert await connection.fetchval("SELECT count(*) FROM users") == 1
    finally:
        await connection.close()


async def test_the_bootstrap_admin_is_created_once_when_several_processes_race(
    make_settings, auth_database_url
):
    settings = make_settings()
    engines = [create_engine(settings) for _ in range(REPLICAS)]
    try:
        # Each "replica" finds no admin, hashes the password, then inserts: all but one meet the row.
        await asyncio.gather(
            *(
                ensure_bootstrap_admin(settings, make_session_factory(engine), PasswordHasher(4))
                for engine in engines
            )
        )
    finally:
        for engine in engines:
            await engine.dispose()
    connection = await asyncpg.connect(auth_database_url)
    try:
        assert await connection.fetchval("SELECT count(*) FROM users") == 1
    finally:
        await connection.close()
