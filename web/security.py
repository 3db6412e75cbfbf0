"""Security headers, including a Content-Security-Policy that GOV.UK Frontend works under (its one inline script
carries a per-request nonce)."""

from __future__ import annotations

import secrets

from flask import Flask, g


def _nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def init_security(app: Flask) -> None:
    """Register the nonce for templates and the headers for every response."""

    @app.context_processor
    def csp_nonce():
        return {"cspNonce": _nonce()}

    @app.after_request
    def headers(response):
        nonce = _nonce()
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if app.config.get("REMEDY_ENV") == "production":
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        # Pages, API JSON, exports and feeds can all carry personal data: no browser or proxy may keep a copy.
        # Only responses that chose their own caching (the public assets) keep it.
        if response.mimetype == "text/html" or "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response
