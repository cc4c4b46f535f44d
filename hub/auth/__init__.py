"""OAuth2 authorization server (client credentials), JWT access tokens and the request Principal."""
