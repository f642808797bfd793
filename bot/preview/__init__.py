"""`safermk-bot preview`: the real bot against a built-in Bot API double, with a web chat.

double.py is the Bot API double (also the tests' and benchmarks' fake; its parts are
double_model.py, double_state.py, double_rules.py, double_answers.py and double_text.py),
transport.py reaches it in-process or over HTTP, bot.py starts and stops the bot on it, web.py
serves the page and its live events, watch.py follows the content folder, main.py is the
command.
"""
