"""The session signing key: random per desk in development, required in production."""

import stat
import threading

import pytest
from itsdangerous import BadSignature

from ticketdesk import create_app
from ticketdesk.core.security import instance_secret_key
from ticketdesk.settings import DEV_SECRET_KEY, DevelopmentConfig, ProductionConfig, TestingConfig


class Dev(DevelopmentConfig):
    SECRET_KEY = None
    SQLALCHEMY_DATABASE_URI = "sqlite://"


class DevWithKey(Dev):
    SECRET_KEY = "set-by-the-operator-0123456789abcdef"


class Prod(ProductionConfig):
    SECRET_KEY = None
    SQLALCHEMY_DATABASE_URI = "sqlite://"


class ProdWithDevKey(Prod):
    SECRET_KEY = DEV_SECRET_KEY


class Testing(TestingConfig):
    SQLALCHEMY_DATABASE_URI = "sqlite://"


@pytest.mark.parametrize(
    "config, outcome",
    [
        (Dev, "generated"),
        (DevWithKey, "set-by-the-operator-0123456789abcdef"),
        (Testing, "testing-secret"),
        (Prod, RuntimeError),
        (ProdWithDevKey, RuntimeError),
    ],
    ids=["development", "development-with-key", "testing", "production", "production-dev-key"],
)
def test_where_the_secret_key_comes_from(tmp_path, config, outcome):
    instance = tmp_path / "instance"
    if outcome is RuntimeError:
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app(config, instance_path=instance)
        return
    app = create_app(config, instance_path=instance)
    key_file = instance / "secret_key"
    if outcome == "generated":
        assert key_file.read_text().strip() == app.config["SECRET_KEY"]
    else:
        assert app.config["SECRET_KEY"] == outcome
        assert not key_file.exists()


def test_development_key_is_random_private_and_kept(tmp_path):
    instance = tmp_path / "instance"
    first = create_app(Dev, instance_path=instance)
    second = create_app(Dev, instance_path=instance)
    key = first.config["SECRET_KEY"]
    assert key == second.config["SECRET_KEY"]  # sessions survive a restart
    assert key != DEV_SECRET_KEY
    assert len(key) >= 64
    mode = stat.S_IMODE((instance / "secret_key").stat().st_mode)
    assert mode == 0o600
    # Another desk (another instance folder) gets another key.
    assert create_app(Dev, instance_path=tmp_path / "other").config["SECRET_KEY"] != key


def test_a_session_signed_on_one_desk_is_not_valid_on_another(tmp_path):
    one = create_app(Dev, instance_path=tmp_path / "one")
    other = create_app(Dev, instance_path=tmp_path / "other")
    forged = one.session_interface.get_signing_serializer(one).dumps({"_user_id": "1"})
    with pytest.raises(BadSignature):
        other.session_interface.get_signing_serializer(other).loads(forged)


def test_a_key_file_readable_by_others_is_made_private(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text("f" * 64 + "\n")
    key_file.chmod(0o644)
    assert instance_secret_key(tmp_path) == "f" * 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_an_unusable_key_file_stops_the_start_with_a_clear_message(tmp_path):
    (tmp_path / "secret_key").write_text("\n")
    with pytest.raises(RuntimeError, match="delete it"):
        create_app(Dev, instance_path=tmp_path)


def test_processes_starting_together_agree_on_one_key(tmp_path):
    keys: list[str] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        keys.append(instance_secret_key(tmp_path))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and len(set(keys)) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no temporary files left
