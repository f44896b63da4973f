"""API authentication: DRF's token, with what every restricted query needs read at once."""

from __future__ import annotations

from functools import cache

from django.contrib.auth import get_user_model
from django.db import connections, router
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions


@cache
def _token_lookup() -> tuple[str, tuple[tuple[type, int], ...]]:
    """The SQL of ``Token ⋈ user ⟕ profile ⟕ organization`` by key, built once per process from
    the models' metadata, and each model's number of columns in a row of it."""
    from rest_framework.authtoken.models import Token

    from cogest.models import Organization, UserProfile

    quote = connections[router.db_for_read(Token)].ops.quote_name
    models = ((Token, "t"), (get_user_model(), "u"), (UserProfile, "p"), (Organization, "o"))
    columns = [
        f"{alias}.{quote(field.column)}"
        for model, alias in models
        for field in model._meta.concrete_fields
    ]
    table = {alias: quote(model._meta.db_table) for model, alias in models}
    # Identifiers from the models' metadata, quoted; the key is a parameter.
    sql = (
        f"SELECT {', '.join(columns)} FROM {table['t']} t "  # noqa: S608
        f"INNER JOIN {table['u']} u ON u.{quote('id')} = t.{quote('user_id')} "
        f"LEFT OUTER JOIN {table['p']} p ON p.{quote('user_id')} = u.{quote('id')} "
        f"LEFT OUTER JOIN {table['o']} o ON o.{quote('id')} = p.{quote('organization_id')} "
        f"WHERE t.{quote('key')} = %s"
    )
    return sql, tuple((model, len(model._meta.concrete_fields)) for model, _ in models)


def token_user(key: str):
    """``(user, token)`` for a token key, or ``None``: the same instances
    ``Token.objects.select_related("user__profile__organization").get(key=key)`` gives (the
    profile and organization cached on the user), from SQL compiled once per process.

    Every API request starts here; compiling that four-table query each time cost as much as
    running it (SPEC 8: a list within 2x of a bare view)."""
    from rest_framework.authtoken.models import Token

    from cogest.models import UserProfile

    sql, shape = _token_lookup()
    db = router.db_for_read(Token)
    with connections[db].cursor() as cursor:
        cursor.execute(sql, [key])
        row = cursor.fetchone()
    if row is None:
        return None
    instances, start = [], 0
    for model, width in shape:
        values = row[start : start + width]
        start += width
        names = [field.attname for field in model._meta.concrete_fields]
        instances.append(model.from_db(db, names, values) if values[0] is not None else None)
    token, user, profile, organization = instances
    Token.user.field.set_cached_value(token, user)
    get_user_model().profile.related.set_cached_value(user, profile)
    if profile is not None:
        UserProfile.user.field.set_cached_value(profile, user)
        UserProfile.organization.field.set_cached_value(profile, organization)
    return user, token


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``. The user's profile and organization come in the same
    query: ``restrict()`` reads them on every request, and a list must stay at a fixed, small
    number of queries (SPEC 8)."""

    def authenticate_credentials(self, key):
        found = token_user(key)
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user, token = found
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (user, token)
