"""The database engine (one asyncpg pool per process) and the per-request session."""

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.config import AuthSettings
from spendscore_common.database import make_engine


def create_engine(settings: AuthSettings) -> AsyncEngine:
    return make_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        pool_timeout_seconds=settings.database_pool_timeout_seconds,
        statement_timeout_seconds=settings.database_statement_timeout_seconds,
    )


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
