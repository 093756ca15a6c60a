"""The four sales workflows and the sweep that closes their loop.

Each module turns config, inputs, today's date and the bot's index into a
`Plan` with pure functions; nothing here talks to GitLab.
"""
