"""Settings, from command-line options, environment variables (PUBLISHER_*), a TOML
configuration file (named by PUBLISHER_CONFIG) or defaults, in that order of precedence."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from publisher.mapping.consolidate import Precedence
from publisher.web.federation import network_entry

DEFAULT_BASE_URI = "http://127.0.0.1:8000/"
CONFIG_VARIABLE = "PUBLISHER_CONFIG"


class ConfigFileError(ValueError):
    """PUBLISHER_CONFIG names a file that cannot be read as TOML."""


class Settings(BaseSettings):
    """Every setting has an environment variable: `store` is PUBLISHER_STORE, and so on."""

    model_config = SettingsConfigDict(env_prefix="PUBLISHER_")

    store: Path = Path("publisher-store")
    quarantine: Path = Path("publisher-quarantine")
    jobs: int = 1
    # Seconds between `ingest`'s "progress:" lines when its output is not a terminal.
    progress_seconds: float = Field(default=5.0, gt=0)
    base_uri: str = DEFAULT_BASE_URI
    host: str = "127.0.0.1"
    port: int = 8000

    # Harvesting (publisher.harvest): the side database, dumps and the dataset description.
    index: Path | None = None  # SQLite side database; default {store}.index.sqlite beside it
    dumps: Path = Path("publisher-dumps")  # folder `publisher export` wrote, served at /dumps/
    title: str = "Scholarly Linked Data"
    license: str = "http://creativecommons.org/publicdomain/zero/1.0/"  # an IRI (CC0 1.0)
    publisher_name: str = "Scholarly Linked Data publisher"
    sitemap_size: int = Field(default=50_000, ge=1, le=50_000)  # URLs per child sitemap
    changes_page_size: int = Field(default=1000, ge=1, le=10_000)  # activities per feed page

    # The SPARQL endpoint's limits (see README, "Configuration").
    query_timeout: float = Field(default=30.0, gt=0)  # seconds; the query is stopped after
    query_workers: int = Field(default=2, ge=1, le=64)  # processes running queries
    max_rows: int = Field(default=10_000, ge=1)  # SELECT rows / CONSTRUCT triples per answer
    max_query_bytes: int = Field(default=256 * 1024, ge=1024)
    max_update_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)  # updates, GSP uploads
    # SERVICE endpoints a query may call; empty: SERVICE is refused. Comma/space-separated;
    # addresses or networks (127.0.0.1, 10.0.0.0/8) let listed names resolve inside them.
    service_allowlist: Annotated[list[str], NoDecode] = []
    # Which source wins when sources disagree (docs/dataset.md, "Precedence"): lists of
    # formats, most trusted first; `default` for every property, or a property's name
    # (`headline`, `datePublished`, `authorList`, ...) for that one. A change takes
    # effect for what is ingested next; `publisher consolidate` applies it to everything.
    precedence: dict[str, list[str]] = {}
    # SPARQL Update and the Graph Store Protocol: off unless enabled, and then only with
    # `Authorization: Bearer <write_token>`.
    enable_updates: bool = False
    write_token: SecretStr | None = None

    # A remote SPARQL 1.1 store instead of the embedded one (README, "Remote stores"):
    # query and update URLs, optionally the Graph Store Protocol's, and credentials.
    sparql_query: str | None = None
    sparql_update: str | None = None
    sparql_store: str | None = None
    sparql_user: str | None = None
    sparql_password: SecretStr | None = None
    sparql_token: SecretStr | None = None  # bearer token, instead of user and password
    sparql_auth: Literal["auto", "basic", "digest"] = "auto"
    sparql_timeout: float = Field(default=60.0, gt=0)  # seconds per request (ingest, pages)
    sparql_retries: int = Field(default=4, ge=0, le=20)  # on connection errors and 5xx
    max_answer_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)  # proxied /sparql answer
    workers: int = Field(default=1, ge=1, le=64)  # web server processes (`serve --workers`)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Options, then the environment, then the file PUBLISHER_CONFIG names (if any).

        The file lets a deployment keep its store URLs and credentials out of the
        process list and the shell history; web workers read the same file.
        """
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if name := os.environ.get(CONFIG_VARIABLE):
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=_config_file(name)))
        return tuple(sources)

    @field_validator("sparql_query", "sparql_update", "sparql_store")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.strip().startswith(("http://", "https://")):
            raise ValueError("SPARQL store URLs must be http(s) URLs")
        return None if value is None else value.strip()

    @model_validator(mode="after")
    def _remote_store_complete(self) -> Settings:
        if (self.sparql_query is None) != (self.sparql_update is None):
            raise ValueError(
                "a remote store needs both a query URL and an update URL"
                " (--sparql-query and --sparql-update, or PUBLISHER_SPARQL_QUERY and"
                " PUBLISHER_SPARQL_UPDATE)"
            )
        if self.sparql_token is not None and self.sparql_user is not None:
            raise ValueError("give either a SPARQL user and password or a token, not both")
        return self

    @property
    def remote(self) -> bool:
        """Whether the store is a remote SPARQL store (else the embedded one at `store`)."""
        return self.sparql_query is not None

    @field_validator("base_uri")
    @classmethod
    def _slash_terminated(cls, value: str) -> str:
        """IRIs are minted by appending paths, so the base always ends with `/`."""
        value = value.strip()
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"base URI must be an http(s) URI, got {value!r}")
        return value if value.endswith("/") else value + "/"

    @field_validator("license")
    @classmethod
    def _license_iri(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith(("http://", "https://")) or any(c in value for c in ' <>"{}'):
            raise ValueError(f"the licence must be an http(s) IRI, got {value!r}")
        return value

    @field_validator("service_allowlist", mode="before")
    @classmethod
    def _split_allowlist(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.replace(",", " ").split()
        return value

    @field_validator("precedence")
    @classmethod
    def _known_formats_and_fields(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        Precedence.from_table(value)  # raises ValueError, naming what is wrong
        return value

    def consolidation_precedence(self) -> Precedence:
        return Precedence.from_table(self.precedence)

    @field_validator("service_allowlist")
    @classmethod
    def _absolute_iris(cls, value: list[str]) -> list[str]:
        # An address or network (CIDR) opens it to the endpoints listed by name
        # (publisher.web.federation): loopback and private addresses are refused otherwise.
        for iri in value:
            if not iri.startswith(("http://", "https://")) and network_entry(iri) is None:
                raise ValueError(
                    "SERVICE allow-list entries must be http(s) IRIs, or addresses or"
                    f" networks such as 10.0.0.0/8, got {iri!r}"
                )
        return value

    @model_validator(mode="after")
    def _updates_need_a_token(self) -> Settings:
        token = self.write_token.get_secret_value().strip() if self.write_token else ""
        if self.enable_updates and not token:
            raise ValueError(
                "updates are enabled (PUBLISHER_ENABLE_UPDATES) but no write token is set:"
                " set PUBLISHER_WRITE_TOKEN to a long random secret"
            )
        return self

    def environment(self) -> dict[str, str]:
        """These settings as PUBLISHER_* variables: how `serve --workers N` hands the
        command line's settings to each worker process."""
        variables: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            elif isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, list):
                value = ",".join(str(v) for v in value)
            variables[f"PUBLISHER_{name.upper()}"] = str(value)
        return variables

    def token(self) -> str | None:
        """The write token, when updates are enabled."""
        if not self.enable_updates or self.write_token is None:
            return None
        return self.write_token.get_secret_value().strip()


def _config_file(name: str) -> Path:
    """The configuration file, checked so that a typo is an error rather than defaults."""
    path = Path(name).expanduser()
    if not path.is_file():
        raise ConfigFileError(f"{CONFIG_VARIABLE}: no such file: {path}")
    try:
        tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigFileError(f"{CONFIG_VARIABLE}: {path} is not valid TOML: {error}") from error
    return path
