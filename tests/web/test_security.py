"""Who gets in, what a forged form does, what a hostile feed item can do to the page."""

import re
from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient

from vigil.article import Article
from vigil.match import Match
from vigil.settings import Settings
from vigil.store import NewItem, Store
from vigil.web import UnsafeBind, check_bind
from vigil.web.security import CSP

from tests.web.conftest import csrf_of

TOKEN = "s3cret-token"
HTML = {"accept": "text/html"}


def test_without_a_token_nothing_but_the_login_form_is_served(guarded: TestClient) -> None:
    for path in ("/matches", "/items/1", "/rules", "/playground", "/outbox", "/feeds"):
        api = guarded.get(path)
        assert api.status_code == 401, path
        assert api.headers["www-authenticate"].startswith("Bearer")
        assert "<html" not in api.text
        page = guarded.get(path, headers=HTML, follow_redirects=False)
        assert (page.status_code, page.headers["location"]) == (303, "/login")
    assert (
        guarded.post("/label", data={"item": 1, "rule": "x", "verdict": "relevant"}).status_code
        == 401
    )
    assert guarded.get("/login").status_code == 200
    assert guarded.get("/healthz").status_code == 200


def test_a_wrong_token_is_refused_and_the_right_one_let_in(guarded: TestClient) -> None:
    assert guarded.get("/matches", headers={"authorization": "Bearer wrong"}).status_code == 401
    assert guarded.get("/matches", headers={"authorization": f"Basic {TOKEN}"}).status_code == 401
    guarded.cookies.set("vigil_session", "9999999999.forged")
    assert guarded.get("/matches").status_code == 401
    guarded.cookies.clear()
    ok = guarded.get("/matches", headers={"authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and "<h1>Matches</h1>" in ok.text


def test_the_login_form_sets_a_session_cookie_not_the_token(guarded: TestClient) -> None:
    form = guarded.get("/login").text
    wrong = guarded.post("/login", data={"csrf": csrf_of(form), "token": "nope"})
    assert wrong.status_code == 401 and "That is not the token." in wrong.text
    assert "vigil_session" not in guarded.cookies
    right = guarded.post(
        "/login",
        data={"csrf": csrf_of(form), "token": TOKEN, "next": "/rules"},
        follow_redirects=False,
    )
    assert (right.status_code, right.headers["location"]) == (303, "/rules")
    cookie = right.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    session = guarded.cookies["vigil_session"]
    assert TOKEN not in session
    assert guarded.get("/rules").status_code == 200
    logout = guarded.post("/logout", data={"csrf": csrf_of(guarded.get("/rules").text)})
    assert logout.status_code == 200  # back at the login form
    assert guarded.get("/rules").status_code == 401


def test_a_forged_csrf_token_writes_nothing(client: TestClient, store: Store) -> None:
    from vigil.store import MatchFilter

    match = store.match_page(MatchFilter(), limit=1)[0]
    page = client.get("/matches").text
    genuine = csrf_of(page)
    nonce = genuine.split(".")[0]
    fields = {"item": match.item_id, "rule": match.rule_id, "verdict": "relevant"}
    for forged in ("", "x", f"{nonce}.{'0' * 64}", f"other.{genuine.split('.')[1]}"):
        response = client.post("/label", data={**fields, "csrf": forged})
        assert response.status_code == 403, forged
    # A genuine token from another browser (another cookie) is no good here either.
    stranger = TestClient(client.app, base_url="http://127.0.0.1")
    stranger.get("/matches")
    assert stranger.post("/label", data={**fields, "csrf": genuine}).status_code == 403
    playground = client.post("/playground", data={"csrf": "x", "text": "talks"})
    assert playground.status_code == 403
    assert store.labels_for() == []
    assert client.post("/label", data={**fields, "csrf": genuine}).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/static/../settings.py",
        "/static/%2e%2e/settings.py",
        "/static/..%2fsettings.py",
        "/static/%2e%2e%2f%2e%2e%2fsettings.py",
        "/static/....//settings.py",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/..\\settings.py",
    ],
)
def test_static_paths_never_leave_the_static_folder(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "BaseSettings" not in response.text and "root:" not in response.text


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for path in ("/matches", "/static/vigil.css", "/items/987654", "/nowhere"):
        headers = client.get(path).headers
        assert headers["content-security-policy"] == CSP, path
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP and "default-src 'none'" in CSP


def hostile_item(store: Store) -> int:
    title = 'TB2 <script>alert("t")</script> strike <img src=x onerror=alert(1)>'
    body = (
        'Bayraktar TB2 drones <a href="javascript:alert(2)">hit</a> a convoy. '
        "<iframe src=https://evil.example></iframe>\u202eecnarF\u202c"
    )
    article = Article(
        title=title,
        body=body,
        outlet="Evil <b>Outlet</b>",
        link="javascript:alert(3)",
        published=datetime(2026, 11, 30, tzinfo=UTC),
    )
    found = [Match("bayraktar-tb2", title, ((0, 3),), ("TB2",), (), 1.0)]
    [stored], _ = store.write_batch([NewItem(article, "hostile", found)])
    return stored.item_id


def test_hostile_feed_text_is_rendered_inert(client: TestClient, store: Store) -> None:
    item_id = hostile_item(store)
    for path in ("/matches", f"/items/{item_id}", "/matches?q=Bayraktar"):
        page = client.get(path).text
        # Feed markup is text on the page (escaped), never an element or an attribute.
        assert not re.search(r"<(img|iframe|b)\b", page), path
        assert not re.search(r"<[^>]*\bon\w+=", page), path
        assert not re.search(r"<a [^>]*href=\"javascript:", page) and "\u202e" not in page
        scripts = re.findall(r"<script[^>]*>", page)
        assert scripts == ['<script src="/static/vigil.js" defer>'], path
    item = client.get(f"/items/{item_id}").text
    assert "TB2" in item and "strike" in item and "Evil Outlet" in item


def test_listening_beyond_loopback_needs_a_token() -> None:
    for host in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        check_bind(host, None)
    for host in ("0.0.0.0", "::", "192.168.1.20", "example.org"):
        with pytest.raises(UnsafeBind, match="VIGIL_WEB_TOKEN"):
            check_bind(host, None)
        check_bind(host, TOKEN)


def test_vigil_web_refuses_an_open_public_address(demo: Settings) -> None:
    from typer.testing import CliRunner

    from vigil.cli import app

    result = CliRunner().invoke(app, ["web", "--host", "0.0.0.0", "--port", "8765"])
    assert result.exit_code == 2
    assert "refusing to listen on 0.0.0.0 without authentication" in result.output


def test_a_session_ends_when_it_expires_or_the_token_changes() -> None:
    from vigil.web.security import Guard

    guard = Guard(TOKEN)
    assert guard.session_valid(guard.new_session())
    assert not guard.session_valid(guard.new_session(lifetime=-1))
    assert not Guard("a-new-token").session_valid(guard.new_session())
    expires, _, signature = guard.new_session().partition(".")
    assert not guard.session_valid(f"{int(expires) + 3600}.{signature}")  # extended by hand
