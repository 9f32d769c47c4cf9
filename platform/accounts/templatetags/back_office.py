"""`{% back_office_nav %}`: the grouped navigation of the back office
(accounts.back_office), for the page's `section` and the member's `can` flags."""

from django import template

from accounts.back_office import back_office_nav as navigation

register = template.Library()


@register.inclusion_tag("back_office/_links.html", takes_context=True)
def back_office_nav(context):
    return {"nav": navigation(context["can"], context.get("section"))}
