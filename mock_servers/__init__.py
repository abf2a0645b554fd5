"""Mock OAuth 2.0 servers for the playground: real Flask apps on Authlib.

Nothing here knows about lessons or the UI; a world (or `serve`) builds the
settings and calls the factories.
"""
