"""Small HTML fragments used by several pages."""


def alert_box(text):
    return '<div class="alert">' + text + "</div>"
