"""Authentication that refuses demo accounts outside demo mode."""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


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
        return user, token
