"""The conversation domain files: bilingual responses and actions the action server knows."""

import re
from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import ActionExecutor

DOMAIN_DIR = Path(__file__).resolve().parents[2] / "domain"
FILES = sorted(DOMAIN_DIR.glob("conversation*.yml"))
PARTS = {path.name: yaml.safe_load(path.read_text(encoding="utf-8")) for path in FILES}
RESPONSES = {
    name: variants
    for part in PARTS.values()
    for name, variants in part.get("responses", {}).items()
}
ACTIONS = [name for part in PARTS.values() for name in part.get("actions", [])]


def test_the_conversation_domain_files_are_found():
    assert {
        "conversation.yml",
        "conversation_feedback.yml",
        "conversation_recommendations.yml",
    } <= set(PARTS)
    assert "utter_handoff_closed" in RESPONSES and "action_human_handoff" in ACTIONS


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_every_response_has_one_zh_and_one_en_variant_with_the_same_placeholders(name):
    by_language = {}
    for variant in RESPONSES[name]:
        [condition] = variant["condition"]
        assert (condition["type"], condition["name"]) == ("slot", "language")
        by_language[condition["value"]] = set(re.findall(r"{(\w+)}", variant["text"]))
    assert set(by_language) == {"zh", "en"}
    assert by_language["zh"] == by_language["en"]


def test_every_custom_action_is_registered_by_the_action_server():
    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(ACTIONS) <= set(executor.actions)
