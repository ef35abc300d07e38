"""Chat with the running bot from a terminal through the REST channel (`make chat`).

Type a message and press Enter; an empty line or Ctrl-D quits. `--sender` picks the
conversation id, so the same conversation can be continued later.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid

import requests

from scripts.stack import Conversation


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default=os.environ.get("RASA_URL", "http://127.0.0.1:5005"))
    parser.add_argument("--sender", default=f"terminal-{uuid.uuid4().hex[:8]}")
    parser.add_argument(
        "--token", default=None, help="signed web-customer token (auth_token metadata)"
    )
    args = parser.parse_args()
    conversation = Conversation(
        args.url, sender=args.sender, metadata={"auth_token": args.token} if args.token else None
    )
    print(
        f"Conversation {args.sender} at {conversation.url}. 中文或English都可以。Empty line to quit."
    )
    while True:
        try:
            text = input("you> ").strip()
        except EOFError:
            break
        if not text:
            break
        try:
            replies = conversation.reply(text)
        except requests.RequestException as exc:
            print(f"error: cannot reach the bot ({exc}); is `make run` running?", file=sys.stderr)
            return 1
        for reply in replies:
            if "text" in reply:
                print(f"bot> {reply['text']}")
            for button in reply.get("buttons", []):
                print(f"     [{button.get('title')}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
