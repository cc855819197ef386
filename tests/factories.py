"""factory-boy factories. Staff are built directly (fast); tests of the services that create
them call the services themselves."""

import factory

from drugcourt.models import Organization, Program, User
from drugcourt.roles import OrganizationKind


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    kind = OrganizationKind.COURT


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    name = factory.Sequence(lambda n: f"Program {n}")
    court = factory.SubFactory(OrganizationFactory, kind=OrganizationKind.COURT)
    jurisdiction = "Lakeview County"
    time_zone = "America/Chicago"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    organization = factory.SubFactory(OrganizationFactory)
    roles = factory.List([])

    @factory.post_generation
    def programs(self, create, extracted, **kwargs):
        if create and extracted:
            self.programs.add(*extracted)
