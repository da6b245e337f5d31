"""Settings, from command-line options, environment variables (PUBLISHER_*) or defaults."""

from __future__ import annotations

from pathlib import Path

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_BASE_URI = "http://127.0.0.1:8000/"


class Settings(BaseSettings):
    """Every setting has an environment variable: `store` is PUBLISHER_STORE, and so on."""

    model_config = SettingsConfigDict(env_prefix="PUBLISHER_")

    store: Path = Path("publisher-store")
    base_uri: str = DEFAULT_BASE_URI
    host: str = "127.0.0.1"
    port: int = 8000

    @field_validator("base_uri")
    @classmethod
    def _slash_terminated(cls, value: str) -> str:
        """IRIs are minted by appending paths, so the base always ends with `/`."""
        value = value.strip()
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"base URI must be an http(s) URI, got {value!r}")
        return value if value.endswith("/") else value + "/"
