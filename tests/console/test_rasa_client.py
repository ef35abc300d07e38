import pytest

from console.rasa_client import RasaClient, RasaError, RasaSettings, rasa_settings
from tests.console.conftest import TOKEN


def test_resume_unpauses_announces_and_listens_in_that_order(fake_rasa):
    messages = RasaClient(rasa_settings()).resume_conversation("web-42")
    assert fake_rasa.requests == [
        ("POST", "/conversations/web-42/tracker/events", {"token": TOKEN}, [{"event": "resume"}]),
        (
            "POST",
            "/conversations/web-42/execute",
            {"token": TOKEN, "output_channel": "latest"},
            {"name": "utter_handoff_closed"},
        ),
        (
            "POST",
            "/conversations/web-42/tracker/events",
            {"token": TOKEN},
            [{"event": "action", "name": "action_listen"}],
        ),
    ]
    assert messages == ["人工客服已处理完您的问题，智能客服回来啦！还有什么可以帮您的吗？"]


def test_conversation_ids_keep_the_characters_rasa_ids_use(fake_rasa):
    RasaClient(rasa_settings()).resume_conversation("wechat:o6_bmjrPTlm6_2sgVt7hMZOPfL2M")
    assert (
        fake_rasa.paths()[0] == "/conversations/wechat:o6_bmjrPTlm6_2sgVt7hMZOPfL2M/tracker/events"
    )


def test_a_wrong_token_is_reported_as_such(fake_rasa):
    client = RasaClient(RasaSettings(url=fake_rasa.url, token="wrong"))
    with pytest.raises(
        RasaError, match="Rasa refused the auth token .HTTP 401.: check RASA_AUTH_TOKEN"
    ):
        client.resume_conversation("web-42")
    assert len(fake_rasa.requests) == 1  # stops at the first refusal


def test_a_server_error_names_the_request(fake_rasa):
    fake_rasa.fail_execute = True
    with pytest.raises(
        RasaError, match="Rasa answered HTTP 500 to POST /conversations/web-42/execute"
    ):
        RasaClient(rasa_settings()).resume_conversation("web-42")


def test_an_unreachable_rasa_is_reported(rasa_down):
    with pytest.raises(RasaError, match="cannot reach Rasa at http://127.0.0.1:"):
        RasaClient(rasa_settings()).resume_conversation("web-42")


def test_settings_come_from_the_environment_with_a_local_default_url():
    assert rasa_settings({"RASA_AUTH_TOKEN": "t"}) == RasaSettings(
        url="http://127.0.0.1:5005", token="t"
    )
    assert (
        rasa_settings({"RASA_URL": "https://bot.example.com/", "RASA_AUTH_TOKEN": "t"}).url
        == "https://bot.example.com"
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "RASA_AUTH_TOKEN is not set"),
        (
            {"RASA_URL": "localhost:5005", "RASA_AUTH_TOKEN": "t"},
            "RASA_URL must be an http.s. URL; got 'localhost:5005'",
        ),
    ],
)
def test_missing_or_bad_settings_fail_fast(env, message):
    with pytest.raises(ValueError, match=message):
        rasa_settings(env)


def test_an_empty_conversation_id_is_refused(fake_rasa):
    with pytest.raises(ValueError, match="conversation_id must be a non-empty text"):
        RasaClient(rasa_settings()).resume_conversation("")
    assert fake_rasa.requests == []
