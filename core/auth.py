"""Authentication that refuses demo accounts outside demo mode."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

# A password handed out by 用户管理 opens no API token until its owner has changed it.
API_REFUSED_UNTIL_CHANGED = "请先登录网页修改初始密码，再使用接口。"


def may_authenticate(user) -> bool:
    if not user.is_active:
        return False
    return settings.FUPIN_DEMO or not user.is_demo


class ScopedModelBackend(ModelBackend):
    def user_can_authenticate(self, user):
        return may_authenticate(user)

    def get_user(self, user_id):
        """The signed-in user with their region: every page scopes by it (core.scoping.scope_prefix)."""
        try:
            user = get_user_model()._default_manager.select_related("region").get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


class ScopedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        # DRF's own lookup, with the user's region joined as the web's backend does (get_user).
        try:
            token = self.get_model().objects.select_related("user__region").get(key=key)
        except self.get_model().DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        user = token.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if not may_authenticate(user):
            raise exceptions.AuthenticationFailed("该账号不可用。")
        if user.must_change_password:
            raise exceptions.AuthenticationFailed(API_REFUSED_UNTIL_CHANGED)
        return user, token
