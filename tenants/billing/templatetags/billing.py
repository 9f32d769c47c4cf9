"""`{{ authority.population|billing_plan }}`: the plan's label for a population."""

from django import template

from tenants.billing.plans import plan_for

register = template.Library()


@register.filter
def billing_plan(population) -> str:
    plan = plan_for(population)
    return plan.label if plan else "—"
