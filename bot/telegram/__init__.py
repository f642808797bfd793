"""The transport to Telegram: the Bot API over HTTP (http.py, proxy.py), getUpdates (polling.py)
and the webhook (webhook.py), sending replies without building objects (sending.py), Telegram's
rate limits (pacing.py, reply_order.py, estimate.py, limits.py, htmlcheck.py), the order and
fairness of updates (processing.py, flood.py) and a bounded stop (stopping.py).

Nothing here knows a feature: handlers, services and the domain sit above it.
"""
