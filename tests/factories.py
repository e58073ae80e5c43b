"""factory-boy factories for the console's rows."""

import factory
from django.contrib.auth import get_user_model

from salesforce.models import Connection, Membership, Org


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: "person%d" % n)
    email = factory.LazyAttribute(lambda o: "%s@example.com" % o.username)
    password = factory.django.Password("correct horse battery staple")


class OrgFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Org

    sf_org_id = factory.Sequence(lambda n: "00D%013dAA" % n)
    name = factory.Sequence(lambda n: "Org %d" % n)
    org_type = "production"
    login_url = "https://login.salesforce.com"
    instance_url = factory.Sequence(lambda n: "https://org%d.my.salesforce.com" % n)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    org = factory.SubFactory(OrgFactory)
    role = "admin"


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection

    org = factory.SubFactory(OrgFactory)
    sf_user_id = factory.Sequence(lambda n: "005%012dAAA" % n)
    sf_username = factory.Sequence(lambda n: "user%d@example.com" % n)
    access_token = factory.Sequence(lambda n: "00D000000000001!AQ%040d" % n)
    refresh_token = factory.Sequence(lambda n: "5Aep861%040d" % n)
    instance_url = factory.LazyAttribute(lambda o: o.org.instance_url)
    scopes = "api pardot_api refresh_token id openid"
