from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ITAssetsConfig(AppConfig):
    name = "exchange.itassets"
    label = "itassets"
    verbose_name = _("IT register")
