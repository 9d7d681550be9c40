"""The sign-in page of the development issuer's authorization endpoint, in Kazakh, Russian or
English: the language the client asks for with `ui_locales` (OpenID Connect; the web front end
sends the console's), as Keycloak's login page is chosen, English when none of them is asked.

A plain form (no script, nothing from another host): labelled fields, the error announced
with role="alert", the request's parameters carried in hidden fields to the POST.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Sign in · ALAC development issuer",
        "heading": "Sign in to ALAC",
        "intro": "Development issuer (embedded mode): demo users sign in with the password "
        "demo + username, e.g. lena / demolena.",
        "username": "Username",
        "password": "Password",
        "submit": "Sign in",
        "refused": "Invalid username or password.",
    },
    "ru": {
        "title": "Вход · сервер входа ALAC для разработки",
        "heading": "Вход в ALAC",
        "intro": "Сервер входа для разработки (встроенный режим): демо-пользователи входят с "
        "паролем demo + имя пользователя, например lena / demolena.",
        "username": "Имя пользователя",
        "password": "Пароль",
        "submit": "Войти",
        "refused": "Неверное имя пользователя или пароль.",
    },
    "kk": {
        "title": "Кіру · ALAC әзірлеуге арналған кіру сервері",
        "heading": "ALAC жүйесіне кіру",
        "intro": "Әзірлеуге арналған кіру сервері (кіріктірілген режим): демо пайдаланушылар "
        "demo + пайдаланушы аты құпиясөзімен кіреді, мысалы lena / demolena.",
        "username": "Пайдаланушы аты",
        "password": "Құпиясөз",
        "submit": "Кіру",
        "refused": "Пайдаланушы аты немесе құпиясөз қате.",
    },
}

CARRIED = (
    "client_id",
    "redirect_uri",
    "response_type",
    "state",
    "scope",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "ui_locales",
)


def language(ui_locales: str | None) -> str:
    """The first of the asked languages (space-separated, most preferred first) we have."""
    for tag in (ui_locales or "").split():
        base = tag.split("-")[0].lower()
        if base in TEXTS:
            return base
    return "en"


def login_page(params: Mapping[str, str], refused: bool = False) -> str:
    lang = language(params.get("ui_locales"))
    t = TEXTS[lang]
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{escape(params[name])}">'
        for name in CARRIED
        if params.get(name)
    )
    alert = f'<p role="alert" id="login-error"><strong>{t["refused"]}</strong></p>'
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{t["title"]}</title></head>
<body><main>
<h1>{t["heading"]}</h1>
<p>{t["intro"]}</p>
{alert if refused else ""}
<form method="post">{hidden}
<p><label for="username">{t["username"]}</label><br>
<input id="username" name="username" autocomplete="username" required autofocus></p>
<p><label for="password">{t["password"]}</label><br>
<input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">{t["submit"]}</button></p>
</form></main></body></html>"""
