import factory
from django.contrib.auth.models import Group

from accounts.models import User

PASSWORD = "correct horse battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name", locale="zh_CN")
    preferred_language = "zh-hans"
    time_zone = "Asia/Shanghai"

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])


class BorrowerFactory(UserFactory):
    customer_id = factory.Sequence(lambda n: f"CUST-{n:06d}")
    phone = factory.Sequence(lambda n: f"+86138{n:08d}")


class StaffFactory(UserFactory):
    is_staff = True
    full_name = factory.Faker("name")
    preferred_language = "en"

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
