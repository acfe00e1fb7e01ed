from __future__ import annotations

import datetime as dt
import random
import secrets
import zoneinfo
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from simplepro.accounts.models import Company, Role, User
from simplepro.accounts.services import company_get, company_update, user_create
from simplepro.customers.models import Customer
from simplepro.customers.services import customer_create

FIRST = [
    "Maria",
    "James",
    "Aisha",
    "Tom",
    "Lena",
    "Carlos",
    "Priya",
    "Noah",
    "Grace",
    "Omar",
    "Hannah",
    "Diego",
    "Chloe",
    "Ethan",
    "Mei",
    "Lucas",
    "Sara",
    "Ben",
    "Nina",
    "Victor",
]
LAST = [
    "Garcia",
    "Smith",
    "Khan",
    "Nguyen",
    "Müller",
    "Rossi",
    "Patel",
    "Johnson",
    "Brown",
    "Haddad",
    "Cohen",
    "Lopez",
    "Martin",
    "Kim",
    "Walker",
    "Young",
    "Allen",
    "King",
]
BUSINESSES = [
    "Lakeside Dental",
    "Northwind Traders",
    "Blue Harbor Law",
    "Pine Street Bakery",
    "Summit Architects",
    "Riverbend Clinic",
]
CITIES = [
    ("Boston", "MA", "02108"),
    ("Cambridge", "MA", "02139"),
    ("Somerville", "MA", "02143"),
    ("Quincy", "MA", "02169"),
    ("Newton", "MA", "02458"),
    ("Providence", "RI", "02903"),
]
TAGS = ["piano", "storage", "senior-move", "corporate", "fragile", "repeat", "long-distance"]
STAFF = [
    ("owner", Role.SUPER_ADMIN, "Olivia", "Owner"),
    ("office", Role.ADMIN, "Adam", "Office"),
    ("manager", Role.MANAGER, "Mona", "Manager"),
    ("dispatch", Role.DISPATCHER, "Dan", "Dispatcher"),
    ("sales1", Role.SALES, "Sarah", "Sales"),
    ("sales2", Role.SALES, "Emil", "Sales"),
    ("service", Role.CUSTOMER_SERVICE, "Cleo", "Service"),
    ("crewlead", Role.CREW_LEAD, "Luis", "Lead"),
    ("crew1", Role.CREW_MEMBER, "Mike", "Crew"),
    ("crew2", Role.CREW_MEMBER, "Jamal", "Crew"),
]


class Command(BaseCommand):
    help = (
        "Create a demo moving company: users of every role and about 50 customers. "
        "Idempotent (running it again adds nothing); refused in production mode."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=50)

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "seed-demo refuses to run in production mode (SIMPLEPRO_ENV=production)."
            )
        if not Company.objects.exists():
            company_get()
            company_update(
                actor=None,
                name="Bay State Movers",
                legal_name="Bay State Movers LLC",
                time_zone="America/New_York",
                usdot_number="1234567",
                mc_number="MC-765432",
                email="office@baystatemovers.example",
                phone="+16175550100",
                address_line1="200 Harbor Way",
                city="Boston",
                region="MA",
                postal_code="02210",
            )
        password_file = settings.SECRETS_DIR / "demo-password"
        if not User.objects.filter(username="owner").exists():
            password = secrets.token_urlsafe(12)
            for username, role, first, last in STAFF:
                user_create(
                    actor=None,
                    username=username,
                    email=f"{username}@baystatemovers.example",
                    role=role,
                    password=password,
                    first_name=first,
                    last_name=last,
                )
            settings.SECRETS_DIR.mkdir(parents=True, exist_ok=True)
            password_file.write_text(password + "\n", encoding="utf-8")
            password_file.chmod(0o600)
            self.stdout.write(
                self.style.SUCCESS(
                    f"\nDemo company created. Sign in at {settings.PUBLIC_URL}/ as\n"
                    f"  username: owner\n  password: {password}\n"
                    f"(every demo user — office, manager, dispatch, sales1, sales2, service, crewlead, "
                    f"crew1, crew2 — has the same password; it is also in {password_file})\n"
                )
            )
        else:
            self.stdout.write(
                f"Demo company already present; demo users' password is in {password_file}."
            )
        self._customers(options["customers"])
        self._estimates()
        self._dispatch()
        known = password_file.read_text(encoding="utf-8").strip() if password_file.exists() else ""
        self._sales(known or secrets.token_urlsafe(12))

    def _customers(self, wanted: int) -> None:
        existing = Customer.objects.count()
        if existing >= wanted:
            return
        rng = random.Random(2026)  # noqa: S311 - demo data, reproducible on purpose
        owner = User.objects.get(username="owner")
        sales = list(User.objects.filter(role=Role.SALES))
        for index in range(existing, wanted):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            city, region, postal = rng.choice(CITIES)
            commercial = index % 7 == 0
            name = f"{first} {last}"
            customer_create(
                actor=owner,
                data={
                    "type": "commercial" if commercial else "residential",
                    "name": name,
                    "company_name": rng.choice(BUSINESSES) if commercial else "",
                    "emails": [f"{first}.{last}{index}@mail.example".lower().replace("ü", "u")],
                    "phones": [f"(617) 555-{1000 + index:04d}"],
                    "addresses": [
                        {
                            "label": "origin",
                            "line1": f"{rng.randint(1, 999)} Main St",
                            "city": city,
                            "region": region,
                            "postal_code": postal,
                        }
                    ],
                    "status": rng.choice(["lead", "lead", "active", "inactive"]),
                    "source": rng.choice(["website", "referral", "repeat", "phone", "advertising"]),
                    "assigned_salesperson_id": rng.choice(sales).pk if sales else None,
                    "tags": rng.sample(TAGS, k=rng.randint(0, 2)),
                    "notes": "",
                },
            )
        self.stdout.write(f"Added {wanted - existing} demo customers.")

    def _estimates(self) -> None:
        """Draft estimates for a dozen demo customers, surveyed from room templates."""
        from simplepro.estimates.models import Estimate
        from simplepro.estimates.services import estimate_create
        from simplepro.pricing import EstimateInput
        from simplepro.pricing.inventory import ROOM_TEMPLATES, crew_plan, totals

        if Estimate.objects.exists():
            return
        rng = random.Random(7)  # noqa: S311 - demo data, reproducible on purpose
        owner = User.objects.get(username="owner")
        today = timezone.localdate()
        for customer in Customer.objects.order_by("created_at")[:12]:
            template = rng.choice(sorted(ROOM_TEMPLATES))
            room = template.replace("_", " ").capitalize()
            items = ROOM_TEMPLATES[template]
            lines = [{"room": room, "key": key, "quantity": qty} for key, qty in items.items()]
            survey = totals(items.items())
            plan = crew_plan(survey.cubic_feet)
            estimate_input = EstimateInput.model_validate(
                {
                    "service": rng.choice(["local", "local", "long_distance"]),
                    "move_date": today + dt.timedelta(days=rng.randint(7, 90)),
                    "distance_miles": rng.choice([12, 25, 40, 320, 780]),
                    "cubic_feet": survey.cubic_feet,
                    "weight_lb": survey.weight_lb,
                    "crew_size": plan.crew_size,
                    "estimated_hours": plan.hours,
                    "special_items": {"fragile_count": survey.fragile_count},
                    "pickup": {"stairs_flights": rng.choice([0, 0, 1, 2])},
                }
            )
            estimate_create(
                actor=owner,
                customer=customer,
                estimate_input=estimate_input,
                inventory=lines,
                pickup_address=f"{rng.randint(1, 999)} Main St, Boston, MA",
                delivery_address=f"{rng.randint(1, 999)} Elm St, Cambridge, MA",
            )
        self.stdout.write("Added 12 demo estimates.")

    def _dispatch(self) -> None:
        """Crew profiles, trucks and a week of booked jobs, so the board has something on it."""
        from simplepro.jobs.models import CrewMember, Job, Truck
        from simplepro.jobs.services import assignment_create, job_create

        if Job.objects.exists():
            return
        owner = User.objects.get(username="owner")
        people = [
            CrewMember.objects.create(
                name=user.get_full_name() or user.username, user=user, skills=skills,
                license_class=license_class, hourly_rate=rate, rating=rating,
                license_expires=timezone.localdate() + dt.timedelta(days=700),
            )
            for user, skills, license_class, rate, rating in (
                (User.objects.get(username="crewlead"), ["driver", "supervisor"], "B", 32, 5),
                (User.objects.get(username="crew1"), ["packer", "piano"], "D", 24, 4),
                (User.objects.get(username="crew2"), ["packer"], "D", 22, 4),
            )
        ] + [
            CrewMember.objects.create(name=name, skills=skills, hourly_rate=23, rating=3)
            for name, skills in (("Rosa Ortiz", ["packer", "crating"]), ("Sam Lee", ["driver"]),
                                 ("Ivy Chen", ["packer"]))
        ]  # fmt: skip
        trucks = [
            Truck.objects.create(name=name, capacity_cuft=cuft, license_plate=plate,
                                 required_license_class=license_class)
            for name, cuft, plate, license_class in (("26 ft box", 1700, "MA 4821", "B"),
                                                     ("16 ft box", 900, "MA 7730", "D"),
                                                     ("Cargo van", 400, "MA 1195", "D"))
        ]  # fmt: skip
        zone = zoneinfo.ZoneInfo(company_get().time_zone)
        today = timezone.localdate(timezone=zone)
        customers = list(Customer.objects.order_by("created_at")[:8])
        for index, customer in enumerate(customers):
            day = today + dt.timedelta(days=index // 2)
            start = dt.datetime.combine(day, dt.time(8 if index % 2 == 0 else 13), zone)
            job = job_create(
                actor=owner, customer=customer,
                data={"scheduled_start": start, "scheduled_end": start + dt.timedelta(hours=4),
                      "arrival_window_start": start, "arrival_window_end": start + dt.timedelta(hours=1),
                      "pickup_address": {"line1": f"{10 + index} Main St", "city": "Boston"},
                      "delivery_address": {"line1": f"{20 + index} Elm St", "city": "Cambridge"},
                      "required_crew": 2},
            )  # fmt: skip
            lead, mover = people[(index % 2) * 2], people[(index % 2) * 2 + 1]
            assignment_create(actor=owner, job=job, crew_member=lead, role="lead")
            assignment_create(actor=owner, job=job, crew_member=mover)
            assignment_create(actor=owner, job=job, truck=trucks[index % 2])
        self.stdout.write(
            f"Added {len(people)} crew members, {len(trucks)} trucks and {len(customers)} jobs."
        )

    def _sales(self, password: str) -> None:
        """A web form, a few leads in the pipeline, and a realtor with portal access."""
        from simplepro.partners.models import Partner
        from simplepro.partners.services import account_create, partner_save, referral_create
        from simplepro.sales.forms_admin import lead_form_save
        from simplepro.sales.intake import lead_take
        from simplepro.sales.models import LeadForm

        if LeadForm.objects.exists():
            return
        owner = User.objects.get(username="owner")
        form = lead_form_save(actor=owner, form=None, data={
            "name": "Website", "allowed_origins": ["https://www.baystatemovers.example"],
            "show_price_range": True,
        })  # fmt: skip
        leads = (
            ("Jordan Web", "jordan@example.com", "two_bedrooms", "website"),
            ("Priya Call", "priya@example.com", "three_bedrooms", "phone"),
            ("Sam Studio", "sam.studio@example.com", "studio", "website"),
        )
        for name, email, size, source in leads:
            lead_take(fields={"name": name, "email": email, "move_size": size},
                      form=form if source == "website" else None, source=source)  # fmt: skip
        if not Partner.objects.exists():
            realtor = partner_save(actor=owner, partner=None, data={
                "name": "Harbor Realty", "kind": "realtor", "commission_type": "tiered",
                "commission_tiers": [{"up_to": "2000", "rate": "5"},
                                     {"up_to": None, "rate": "7.5"}],
            })  # fmt: skip
            account_create(actor=owner, partner=realtor, name="Rita Realtor",
                           email="rita@harborrealty.example", password=password)  # fmt: skip
            referral_create(
                partner=realtor,
                actor=owner,
                fields={
                    "name": "Lee Buyer",
                    "email": "lee@example.com",
                    "move_size": "four_bedrooms",
                },
            )
        self.stdout.write(
            "Sales: a web form (Sales pipeline → Lead forms), 4 leads on the board, and a "
            f"partner portal at {settings.PUBLIC_URL}/partners/portal/ "
            "(rita@harborrealty.example, the same password).\n"
        )
