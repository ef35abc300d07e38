"""Plugins for the rasa-sdk action server.

rasa-sdk 3.21 discovers plugins by importing the top-level package
`rasa_sdk_plugins` and calling `init_hooks(manager)` (rasa_sdk/plugin.py); it has
no entry-point discovery. Each module listed here implements rasa-sdk hooks.
"""

from __future__ import annotations

import importlib

import pluggy

PLUGIN_MODULES = ("actions.interaction_log",)  # POST /interactions


def init_hooks(manager: pluggy.PluginManager) -> None:
    for name in PLUGIN_MODULES:
        module = importlib.import_module(name)
        if not manager.is_registered(module):
            manager.register(module)
