"""The agent's first ProConnect visit: choosing their service."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from accounts.models import Service
from accounts.sso import services


class ServiceChoiceForm(forms.Form):
    service = forms.ModelChoiceField(queryset=Service.objects.filter(is_active=True),
                                     label=_("Your service"), empty_label=None)


@login_required
@require_http_methods(["GET", "POST"])
def choose_service(request):
    form = ServiceChoiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.choose_service(request.user, form.cleaned_data["service"])
        return redirect("home")
    return render(request, "accounts/sso/choose_service.html", {"form": form})
