"""Plain-English text for generated data: names, places, titles, descriptions and
comments composed from word lists with a seeded random generator (see playbook.devdata)."""

from __future__ import annotations

import random
import re

FIRST_NAMES = [
    "Aaliyah",
    "Aaron",
    "Abigail",
    "Adrian",
    "Aisha",
    "Alejandro",
    "Alex",
    "Amara",
    "Amir",
    "Ana",
    "Andre",
    "Angela",
    "Ari",
    "Ava",
    "Beatriz",
    "Ben",
    "Blessing",
    "Brianna",
    "Caleb",
    "Camila",
    "Carlos",
    "Chen",
    "Chloe",
    "Daniel",
    "Dana",
    "Deja",
    "Diego",
    "Dmitri",
    "Elena",
    "Eli",
    "Emeka",
    "Emma",
    "Esther",
    "Fatima",
    "Felix",
    "Grace",
    "Hana",
    "Hector",
    "Imani",
    "Isaac",
    "Jada",
    "Jamal",
    "Jasmine",
    "Javier",
    "Jin",
    "Jordan",
    "Joseph",
    "Kai",
    "Keisha",
    "Kenji",
    "Laila",
    "Leah",
    "Liam",
    "Lucia",
    "Malik",
    "Maria",
    "Marcus",
    "Maya",
    "Mei",
    "Miguel",
    "Nadia",
    "Naomi",
    "Nia",
    "Noah",
    "Omar",
    "Priya",
    "Rafael",
    "Rosa",
    "Ruth",
    "Samir",
    "Sara",
    "Sofia",
    "Tariq",
    "Tomas",
    "Uma",
    "Victor",
    "Wei",
    "Yara",
    "Yusuf",
    "Zoe",
]
LAST_NAMES = [
    "Abbott",
    "Adeyemi",
    "Alvarez",
    "Anderson",
    "Baker",
    "Banerjee",
    "Bennett",
    "Brooks",
    "Campbell",
    "Carter",
    "Castillo",
    "Chen",
    "Clarke",
    "Cohen",
    "Cruz",
    "Davis",
    "Diaz",
    "Edwards",
    "Evans",
    "Fischer",
    "Flores",
    "Garcia",
    "Gomez",
    "Green",
    "Gupta",
    "Hall",
    "Harris",
    "Hernandez",
    "Hill",
    "Ito",
    "Jackson",
    "James",
    "Johnson",
    "Kim",
    "Khan",
    "Lee",
    "Lewis",
    "Lopez",
    "Martin",
    "Martinez",
    "Mensah",
    "Mitchell",
    "Moore",
    "Murphy",
    "Nakamura",
    "Nguyen",
    "Novak",
    "Okafor",
    "Olsen",
    "Ortiz",
    "Patel",
    "Perez",
    "Phillips",
    "Price",
    "Ramirez",
    "Reed",
    "Rivera",
    "Roberts",
    "Robinson",
    "Rossi",
    "Sanchez",
    "Scott",
    "Shah",
    "Singh",
    "Smith",
    "Sullivan",
    "Tanaka",
    "Taylor",
    "Thompson",
    "Torres",
    "Turner",
    "Walker",
    "Washington",
    "Williams",
    "Wilson",
    "Wright",
    "Young",
    "Zhang",
]
PLACES = [
    "Lincoln",
    "Riverside",
    "Maple Grove",
    "Cedar Falls",
    "Brookside",
    "Harbor View",
    "Pine Ridge",
    "Fairview",
    "Oak Hill",
    "Lakewood",
    "Westfield",
    "Northgate",
    "Springdale",
    "Clearwater",
    "Eastwood",
    "Highland",
    "Meadowbrook",
    "Stonebridge",
    "Willow Creek",
    "Granite Bay",
    "Redwood",
    "Summit",
    "Valley Forge",
    "Bayside",
    "Hillcrest",
    "Greenfield",
    "Silver Lake",
    "Ashford",
    "Kingsley",
    "Millbrook",
    "Rosewood",
    "Elmhurst",
    "Fox Run",
    "Prairie View",
]
SCHOOL_KINDS = [
    "Elementary School",
    "Middle School",
    "High School",
    "Academy",
    "K-8 School",
    "Community School",
    "Unified School District",
    "Public Schools",
    "School District",
    "Charter Network",
    "Learning Center",
]
PUBLISHER_KINDS = [
    "Education Lab",
    "Center for Learner Agency",
    "Teaching Collaborative",
    "Learning Institute",
    "Policy Group",
    "Design Studio",
    "Research Alliance",
    "Teacher Network",
    "Foundation",
    "University School of Education",
    "State Department of Education",
]
TOPICS = """student voice|learner agency|competency-based progression|flexible grouping|goal setting|formative
assessment|project-based learning|exit tickets|learning playlists|student-led conferences|portfolios|peer feedback|
mastery tracking|family engagement|choice boards|reflection journals|advisory|mentoring|math fluency|reading
workshop|co-designed rubrics|self-paced modules|small-group instruction|learning profiles|data conferences|flexible
seating|community partnerships|service learning|restorative circles|social-emotional learning|tiered support|
station rotation|blended learning|culturally responsive teaching|inquiry cycles|student goal trackers|
exhibitions of learning|growth mindset|feedback loops|universal design for learning""".replace(
    "\n", " "
).split("|")
TOPICS = [" ".join(t.split()) for t in TOPICS]
SUBJECTS = [
    "math",
    "reading",
    "writing",
    "science",
    "social studies",
    "the arts",
    "world languages",
    "computer science",
    "physical education",
    "career and technical education",
]
GRADES = [
    "kindergarten",
    "first grade",
    "second grade",
    "third grade",
    "fourth grade",
    "fifth grade",
    "sixth grade",
    "seventh grade",
    "eighth grade",
    "ninth grade",
    "tenth grade",
    "eleventh grade",
    "twelfth grade",
]
AUDIENCES = [
    "teachers",
    "school leaders",
    "district staff",
    "families",
    "students",
    "instructional coaches",
    "counselors",
    "new teachers",
    "school boards",
    "paraprofessionals",
]
ARTIFACTS = [
    "lesson plans",
    "planning templates",
    "short videos",
    "checklists",
    "sample rubrics",
    "case studies",
    "student work samples",
    "discussion protocols",
    "slide decks",
    "reflection prompts",
]
NOUNS = [
    "Toolkit",
    "Rubric",
    "Field Guide",
    "Workshop",
    "Self-Assessment",
    "Planning Template",
    "Course",
    "Video Series",
    "Infographic",
    "Brief",
    "Framework",
    "Protocol",
    "Playbook",
    "Starter Kit",
    "Handbook",
]
ADJECTIVES = [
    "Practical",
    "Open",
    "Essential",
    "Classroom-Ready",
    "Collaborative",
    "Step-by-Step",
    "Everyday",
    "Whole-School",
    "Family-Friendly",
    "Hands-On",
    "Evidence-Based",
    "Quick-Start",
]
VERBS = [
    "plan",
    "launch",
    "coach",
    "measure",
    "scale",
    "explain",
    "reflect on",
    "sustain",
    "adapt",
    "try out",
]
OUTCOMES = [
    "students asked for more time to revise",
    "attendance at conferences doubled",
    "the quieter students spoke up more",
    "we had to simplify the tracker",
    "families started asking questions",
    "it took a few weeks to settle in",
    "our coaches loved the structure",
    "the first round felt rushed",
    "grades became easier to explain",
    "students set more realistic goals",
]
QUESTIONS = [
    "How long did the first cycle take you?",
    "Did you change the rubric for younger students?",
    "What did you drop to make time for it?",
    "How did you explain it to families?",
    "Is there a version in Spanish?",
    "Did anyone try this in a block schedule?",
    "How do you track it without more paperwork?",
    "Would this work for a small rural school?",
]
PERIODS = ["week", "two weeks", "month", "grading period", "semester", "Friday"]
ROLE_TITLES = [
    "Teacher",
    "Instructional coach",
    "Principal",
    "Assistant principal",
    "Curriculum director",
    "Counselor",
    "Librarian",
    "District data lead",
    "Special education teacher",
    "Parent liaison",
]
SECTION_EXTRAS = [
    "Family engagement",
    "Pilot classrooms",
    "Year two",
    "Questions for the board",
    "Measures",
]


def slug(text: str, max_length: int = 60) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:max_length].strip("-")


class Writer:
    """Composes varied, readable text; every choice comes from the seeded generator."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def pick(self, items):
        return self.rng.choice(items)

    def person(self) -> tuple[str, str]:
        return self.pick(FIRST_NAMES), self.pick(LAST_NAMES)

    def school(self) -> str:
        return f"{self.pick(PLACES)} {self.pick(SCHOOL_KINDS)}"

    def publisher(self) -> str:
        return f"{self.pick(PLACES)} {self.pick(PUBLISHER_KINDS)}"

    def topic(self) -> str:
        return self.pick(TOPICS)

    def resource_title(self) -> str:
        topic = self.topic()
        pattern = self.rng.randrange(6)
        if pattern == 0:
            return f"{self.pick(ADJECTIVES)} {self.pick(NOUNS)} for {topic.title()}"
        if pattern == 1:
            return f"A Practical Guide to {topic.title()} in {self.pick(SUBJECTS).title()}"
        if pattern == 2:
            return f"{topic.title()}: {self.pick(NOUNS)} for {self.pick(AUDIENCES).title()}"
        if pattern == 3:
            return f"The {topic.title()} {self.pick(NOUNS)}"
        if pattern == 4:
            return f"{topic.title()} in {self.pick(GRADES).title()} {self.pick(SUBJECTS).title()}"
        return f"{self.pick(VERBS).title()} {topic.title()}: {self.pick(ADJECTIVES)} {self.pick(NOUNS)}"

    def play_title(self) -> str:
        return self.pick(
            [
                f"{self.pick(VERBS).capitalize()} {self.topic()} with {self.pick(AUDIENCES)}",
                f"Start every {self.pick(PERIODS)} with {self.topic()}",
                f"Use {self.topic()} to build {self.topic()}",
                f"Run a {self.topic()} pilot in {self.pick(GRADES)}",
            ]
        )

    def sentence(self) -> str:
        topic, audience = self.topic(), self.pick(AUDIENCES)
        return self.pick(
            [
                f"Helps {audience} {self.pick(VERBS)} {topic} in {self.pick(SUBJECTS)} classrooms.",
                f"Includes {self.rng.randint(3, 24)} {self.pick(ARTIFACTS)} and a short guide for {audience}.",
                f"Built with teachers in {self.pick(PLACES)}, it shows how {topic} looks week by week.",
                f"Pairs {topic} with {self.topic()} so students see where they stand.",
                f"Gives {audience} a shared language for {topic}.",
                f"Works for {self.pick(GRADES)} through {self.pick(GRADES)} with small changes.",
                f"Takes about {self.rng.randint(2, 9)} hours to set up and less each {self.pick(PERIODS)} after that.",
                f"Explains what it takes for {audience} to start with {topic}.",
            ]
        )

    def paragraph(self, low: int = 2, high: int = 4) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(low, high)))

    def play_body(self) -> str:
        steps = "\n".join(
            f"{i}. {self.pick(VERBS).capitalize()} {self.topic()} with {self.pick(AUDIENCES)}."
            for i in range(1, self.rng.randint(3, 6) + 1)
        )
        needs = "\n".join(
            f"- {self.pick(ARTIFACTS).capitalize()}" for _ in range(self.rng.randint(2, 4))
        )
        return (
            f"## What it looks like\n\n{self.paragraph()}\n\n## Steps\n\n{steps}\n\n"
            f"## What you need\n\n{needs}\n"
        )

    def vision(self, organization: str) -> str:
        return (
            f"At {organization}, every learner owns their path: **{self.topic()}** and "
            f"**{self.topic()}** are part of every {self.pick(PERIODS)}. {self.paragraph(1, 3)}"
        )

    def note(self) -> str:
        return self.pick(
            [
                f"Our twist: {self.pick(GRADES)} teams {self.pick(VERBS)} {self.topic()} every {self.pick(PERIODS)}.",
                f"Start with *two* classrooms; {self.pick(OUTCOMES)}.",
                f"Ask {self.pick(AUDIENCES)} to {self.pick(VERBS)} it first. {self.sentence()}",
                f"Tie it to {self.topic()} and report back at the next huddle.\n\n- who: {self.pick(ROLE_TITLES)}\n"
                f"- when: every {self.pick(PERIODS)}",
            ]
        )

    def comment(self, n: int) -> str:
        parts = [
            self.pick(
                [
                    f"We tried this with our {self.pick(GRADES)} team and {self.pick(OUTCOMES)}.",
                    f"Has anyone used this with {self.pick(AUDIENCES)}? {self.pick(QUESTIONS)}",
                    f"Thanks for sharing. The part about {self.topic()} was **especially** useful.",
                    f"Our twist: we {self.pick(VERBS)} {self.topic()} every {self.pick(PERIODS)} and track it in "
                    f"[a shared sheet](https://example.org/sheets/{n}).",
                    f"In {self.pick(PLACES)} we paired this with {self.topic()}; {self.pick(OUTCOMES)}.",
                ]
            )
        ]
        for _ in range(self.rng.randint(0, 2)):
            parts.append(
                self.pick(
                    [
                        self.sentence(),
                        self.pick(QUESTIONS),
                        f"- {self.pick(VERBS)} {self.topic()}\n- {self.pick(VERBS)} {self.topic()}",
                    ]
                )
            )
        return "\n\n".join(parts)
