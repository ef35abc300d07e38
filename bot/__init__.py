"""Our code that runs inside the Rasa server: NLU components, tracker store, NLG, event broker.

Rasa imports this package when it loads any of them (config.yml, endpoints.yml),
so this is where a fix to Rasa itself is applied once per process.
"""

import importlib.util

if importlib.util.find_spec("rasa") is not None:  # bench/tests import bot/ helpers without Rasa
    from bot import rasa_fixes

    rasa_fixes.apply()
