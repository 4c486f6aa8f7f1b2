"""Settings from the environment: defaults, parsing, and every problem reported at once."""

from __future__ import annotations

import pytest

from scimkeeper.config import ConfigError, Settings


def test_defaults_serve_sqlite_on_localhost() -> None:
    """With nothing set, the service runs on an embedded SQLite file on 127.0.0.1:8000."""
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///scimkeeper.db"
    assert settings.scim_base_url == "http://127.0.0.1:8000/scim/v2"


def test_environment_and_overrides_are_applied_in_that_order() -> None:
    """Command-line options win over the environment."""
    settings = Settings.from_env({"SCIMKEEPER_PORT": "9000", "SCIMKEEPER_HOST": "10.0.0.5"}, port=9100, host=None)
    assert (settings.host, settings.port) == ("10.0.0.5", 9100)


def test_public_base_url_sets_the_scim_base_url() -> None:
    """Behind a proxy, locations use the public URL, without a trailing slash."""
    settings = Settings.from_env({"SCIMKEEPER_PUBLIC_BASE_URL": "https://scim.example.com/"})
    assert settings.scim_base_url == "https://scim.example.com/scim/v2"


def test_every_problem_is_listed_together() -> None:
    """One error names each invalid setting."""
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(
            {
                "SCIMKEEPER_PORT": "eighty",
                "SCIMKEEPER_DATABASE_URL": "mysql://x",
                "SCIMKEEPER_LOG_FORMAT": "xml",
                "SCIMKEEPER_MAX_PAGE_SIZE": "10",
                "SCIMKEEPER_DEFAULT_PAGE_SIZE": "50",
                "SCIMKEEPER_DB_POOL_TIMEOUT": "0",
            }
        )
    message = str(caught.value)
    assert len(caught.value.problems) == 5
    for fragment in ("PORT='eighty'", "DATABASE_URL", "LOG_FORMAT", "DEFAULT_PAGE_SIZE (50)", "DB_POOL_TIMEOUT"):
        assert fragment in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SCIMKEEPER_PORT", "0"),
        ("SCIMKEEPER_PUBLIC_BASE_URL", "scim.example.com"),
        ("SCIMKEEPER_PUBLIC_BASE_URL", "https://x.com/?q=1"),
        ("SCIMKEEPER_LOG_LEVEL", "chatty"),
        ("SCIMKEEPER_MAX_BODY_BYTES", "10"),
        ("SCIMKEEPER_DB_POOL_SIZE", "0"),
    ],
)
def test_single_invalid_setting_is_refused(name: str, value: str) -> None:
    """Each setting is validated."""
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})


def test_empty_variables_mean_the_default() -> None:
    """An exported but empty variable does not count as a value."""
    assert Settings.from_env({"SCIMKEEPER_PORT": ""}).port == 8000


def test_booleans_accept_the_usual_words() -> None:
    """true/false, yes/no and 1/0 in any case; anything else is refused."""
    assert Settings.from_env({"SCIMKEEPER_METRICS_ACCOUNT_LABELS": "True"}).metrics_account_labels is True
    assert Settings.from_env({"SCIMKEEPER_METRICS_ACCOUNT_LABELS": "no"}).metrics_account_labels is False
    with pytest.raises(ConfigError, match="METRICS_ACCOUNT_LABELS='maybe' is not a valid boolean"):
        Settings.from_env({"SCIMKEEPER_METRICS_ACCOUNT_LABELS": "maybe"})


def test_a_refused_database_url_is_shown_without_its_password() -> None:
    """The message names the URL so the operator can see the mistake, but not the password in it."""
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"SCIMKEEPER_DATABASE_URL": "mysql://scim:s3cret@db:3306/scim"})
    assert "s3cret" not in str(caught.value)
    assert "mysql://scim:***@db:3306/scim" in str(caught.value)


def test_workers_and_timeouts_are_validated() -> None:
    """At least one worker; a positive connect timeout; a shutdown timeout of 0 or more."""
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(
            {
                "SCIMKEEPER_WORKERS": "0",
                "SCIMKEEPER_DB_CONNECT_TIMEOUT": "0",
                "SCIMKEEPER_SHUTDOWN_TIMEOUT_SECONDS": "-1",
            }
        )
    assert len(caught.value.problems) == 3
