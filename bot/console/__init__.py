"""The officers' web console: server-rendered pages in the bot's own process (aiohttp), signed
in through Telegram. framework.py is the request pipeline and the `Page` contract, html.py the
escaping and layout, server.py the listening part; each page is one module listing its `Page`
(docs/console.md says how to add one)."""
