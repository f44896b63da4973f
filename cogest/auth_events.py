"""Logins, failed logins and lockouts go to the audit trail (SPEC 2.1)."""

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from cogest.services import audit_record

User = get_user_model()


def _username(credentials) -> str:
    return str((credentials or {}).get("username", ""))[:120]


@receiver(user_logged_in, dispatch_uid="cogest.audit_login")
def audit_login(sender, request, user, **kwargs):
    via = "api" if request is not None and request.path.startswith("/api/") else "web"
    audit_record(actor=user, action="auth.login", obj=user, after={"via": via})


@receiver(user_logged_out, dispatch_uid="cogest.audit_logout")
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, action="auth.logout", obj=user)


@receiver(user_login_failed, dispatch_uid="cogest.audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    username = _username(credentials)
    known = User.objects.filter(username=username).only("pk").first()
    audit_record(
        actor=None,
        actor_label=f"anonymous:{username}" if username else "anonymous",
        action="auth.login_failed",
        obj=known,
        object_type="auth.user",
        object_id=str(known.pk) if known else "",
        object_repr=username,
    )


@receiver(user_locked_out, dispatch_uid="cogest.audit_lockout")
def audit_lockout(sender, request, username, ip_address, **kwargs):
    known = User.objects.filter(username=username).only("pk").first()
    audit_record(
        actor=None,
        actor_label=f"anonymous:{username}",
        action="auth.locked_out",
        obj=known,
        object_type="auth.user",
        object_id=str(known.pk) if known else "",
        object_repr=str(username or "")[:200],
        after={"ip_address": ip_address},
    )
