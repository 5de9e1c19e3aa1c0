"""Authentication that refuses demo accounts outside demo mode."""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
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


class ScopedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if not may_authenticate(user):
            raise exceptions.AuthenticationFailed("该账号不可用。")
        if user.must_change_password:
            raise exceptions.AuthenticationFailed(API_REFUSED_UNTIL_CHANGED)
        return user, token
