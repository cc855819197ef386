"""What treatment plans adds: the service-episode access source, the participant page's
referrals section, and the provider's referrals panel and navigation."""

from clients.access import AccessSource, DataClass, register_access_source
from clients.registry import (
    AgencyAlertSource,
    ParticipantSection,
    register_agency_alert_source,
    register_section,
)
from drugcourt.home import HomePanel, NavItem, register_nav_item, register_panel
from drugcourt.roles import Role

from . import selectors
from .models import Referral, ReferralState, ServiceEpisode

PROVIDERS = frozenset({Role.TREATMENT_PROVIDER})

register_access_source(
    AccessSource(name="service episodes", expected=selectors.active_episode_rows)
)

register_agency_alert_source(
    AgencyAlertSource(
        prefix=selectors.REFERRAL_ALERT_SOURCE,
        rows=Referral.objects.all,
        organization_field="provider",
    )
)

register_agency_alert_source(
    AgencyAlertSource(
        prefix=selectors.EPISODE_ALERT_SOURCE,
        rows=ServiceEpisode.objects.all,
        organization_field="provider",
    )
)

register_section(
    ParticipantSection(
        key="plan",
        title="Treatment plan",
        template="treatment_plans/sections/plan.html",
        data_class=DataClass.PLAN_SUMMARY,
        context=selectors.plan_section,
        order=33,
    )
)
register_section(
    ParticipantSection(
        key="referrals",
        title="Referrals and treatment",
        template="treatment_plans/sections/referrals.html",
        data_class=DataClass.PLAN_SUMMARY,
        context=selectors.referrals_section,
        order=35,
    )
)

register_section(
    ParticipantSection(
        key="progress_reports",
        title="Provider progress reports",
        template="treatment_plans/sections/progress_reports.html",
        data_class=DataClass.PROGRESS_REPORTS,
        context=selectors.treatment_section,
        order=37,
    )
)

register_panel(
    HomePanel(
        key="my_referrals",
        title="My referrals",
        template="treatment_plans/panels/my_referrals.html",
        roles=PROVIDERS,
        context=lambda user: {
            "waiting": selectors.provider_referrals(user).filter(state=ReferralState.SENT).count()
        },
        order=10,
    )
)
register_nav_item(NavItem("My referrals", "treatment_plans:my_referrals", PROVIDERS, order=52))
