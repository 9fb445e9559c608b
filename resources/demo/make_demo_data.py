"""Write the demo data the workbench ships: tickets.csv, ner_sample.conll and qa_sample.json
(SQuAD v2.0 layout), next to this script.

Deterministic (templates x slot fillers, fixed seed): running it again gives the same bytes.
    python resources/demo/make_demo_data.py

The tickets are not too clean, as real ones are not: a few templates of each queue speak another
queue's words, and about 5% of tickets carry another queue's label (filed in the wrong queue), so a
demo run has errors for the Results page to show; the most confident ones are those labels.
"""

from __future__ import annotations

import csv
import json
import random
import re
from pathlib import Path

SEED = 20240611
ROWS_PER_CLASS = 100
MISFILED = 0.05  # share of tickets labelled with another queue
SENTENCES = 150
PRODUCTS = 60  # help-centre paragraphs of the QA demo, one a product, five questions each
HERE = Path(__file__).resolve().parent

SLOTS = {
    "amount": ["$12.99", "$49", "$120", "$7.50", "$89.00", "$230", "$15", "$64.20"],
    "month": ["January", "March", "April", "June", "August", "October", "November", "December"],
    "plan": ["Basic plan", "Pro plan", "family plan", "annual subscription", "monthly subscription", "Business tier"],
    "card": ["credit card", "debit card", "PayPal account", "bank account", "gift card"],
    "device": ["iPhone", "Android phone", "laptop", "tablet", "smart TV", "Windows PC", "Mac"],
    "app": ["mobile app", "desktop app", "web dashboard", "browser extension", "sync service"],
    "error": ["error 502", "a blank white screen", "error code E42", "a timeout message", "an endless spinner",
              "a 'something went wrong' page"],
    "item": ["blender", "pair of headphones", "winter jacket", "coffee grinder", "phone case", "desk lamp",
             "set of knives", "yoga mat"],
    "carrier": ["UPS", "FedEx", "DHL", "the postal service", "the courier"],
    "days": ["three", "five", "seven", "ten", "twelve", "fourteen"],
    "city": ["Denver", "Leeds", "Toronto", "Austin", "Dublin", "Melbourne", "Lyon"],
    "setting": ["email address", "phone number", "username", "display name", "mailing address", "profile photo"],
}

TEMPLATES = {
    "billing": [
        "I was charged {amount} twice for my {plan} this month.",
        "Why did my {card} get billed {amount} on {month} 3rd?",
        "Please refund the {amount} charge, I cancelled the {plan} before renewal.",
        "My invoice for {month} shows {amount} but my {plan} should cost less.",
        "The payment with my {card} failed and now there is a late fee of {amount}.",
        "Can I get a receipt for the {amount} I paid in {month}?",
        "I was billed for the {plan} after I downgraded, please credit {amount} back.",
        "There is an unknown charge of {amount} on my {card} statement.",
        "How do I change the {card} used to pay for my {plan}?",
        "You charged me {amount} instead of the promo price for the {plan}.",
        "The {app} charged me {amount} twice when I upgraded on my {device}.",
        "My {item} order was billed {amount} but I cancelled it before it shipped.",
        "I cannot save a new {card} in my account, please fix the charge of {amount}.",
        "My refund of {amount} from {month} still has not reached my {card}.",
        "Please explain the extra {amount} tax on my latest invoice.",
        "I want to switch my {plan} to yearly billing to save money.",
        "The discount code was not applied and I paid the full {amount}.",
    ],
    "technical": [
        "The {app} crashes every time I open it on my {device}.",
        "I keep getting {error} when I try to log in from my {device}.",
        "Since the last update the {app} is very slow on my {device}.",
        "The {app} shows {error} after I upload a file.",
        "Notifications stopped working in the {app} on my {device}.",
        "My {device} cannot connect to the {app}, it just shows {error}.",
        "The {app} freezes when I export a report on my {device}.",
        "After installing the update my {device} displays {error} on startup of the {app}.",
        "Dark mode is broken in the {app} and text is unreadable on my {device}.",
        "The {app} will not install on my {device}, the installer stops halfway.",
        "Videos do not play in the {app}, I only see {error}.",
        "The {app} logs me out every few minutes on my {device}.",
        "Search in the {app} returns {error} for every query.",
        "The {app} drains the battery of my {device} within an hour.",
        "The payment page in the {app} shows {error} so I cannot pay my invoice.",
        "The tracking page in the {app} shows {error} for my {item}.",
        "The {app} will not let me change my {setting}, it shows {error}.",
    ],
    "shipping": [
        "My {item} was supposed to arrive {days} days ago and it is still not here.",
        "The tracking number from {carrier} has not updated for {days} days.",
        "My {item} arrived damaged, the box was crushed by {carrier}.",
        "Can you ship my {item} to {city} instead of my home address?",
        "{carrier} says my {item} was delivered but I never received it.",
        "I ordered a {item} but received a different product in the package.",
        "How long does delivery to {city} usually take with {carrier}?",
        "My package with the {item} is stuck in customs in {city}.",
        "Is express shipping available for the {item} to {city}?",
        "I paid {amount} for express shipping but my {item} took {days} days.",
        "The {carrier} tracking link in the {app} does not open on my {device}.",
        "My {item} went to my old {setting}, please send future parcels to {city}.",
        "The {item} was left outside in the rain by {carrier}.",
        "Half of my order arrived but the {item} is missing from the parcel.",
        "I need to change the delivery date for my {item}, I am away for {days} days.",
        "The courier tried to deliver my {item} while I was out, how do I reschedule?",
        "Why is my {item} being shipped from {city} when I ordered from the local store?",
    ],
    "account": [
        "I forgot my password and the reset email never arrives.",
        "How do I change the {setting} on my account?",
        "Someone else may have logged into my account from {city}.",
        "Please delete my account and all of my personal data.",
        "I cannot update my {setting}, the save button does nothing.",
        "My account was locked after too many sign in attempts.",
        "How do I turn on two factor authentication for my account?",
        "I want to merge my two accounts into one, each has a different {setting}.",
        "I changed my {setting} in {month} but the old one still shows.",
        "The verification code for my {setting} change never arrives on my {device}.",
        "I cannot sign in on my {device} even though my password is correct.",
        "Someone changed my {setting} without permission, the login came from {city}.",
        "I no longer have access to the {setting} linked to my account.",
        "Can I transfer my account to a colleague who is taking over in {month}?",
        "My account shows the wrong {setting} and I cannot edit it.",
        "I received a security alert about a new login from {city}.",
        "I was billed {amount} on an account I closed in {month}.",
        "After the update the {app} signs me out and forgets my {setting}.",
        "My account still lists {city} as my address, so {carrier} sent my {item} there.",
        "How can I download a copy of all the data in my account?",
        "Please reactivate my account, I closed it by mistake in {month}.",
    ],
}

PEOPLE = ["Maria Lopez", "John Smith", "Angela Merkel", "Kenji Watanabe", "Priya Patel", "Tom", "Fatima Zahra",
          "Lars Eriksson", "Olivia Brown", "Ahmed", "Chen Wei", "Sophie Martin", "Carlos Mendes", "Ivan Petrov"]
ORGS = ["Siemens", "the United Nations", "Acme Corp", "Google", "Reuters", "the World Bank", "Toyota",
        "Manchester United", "Greenpeace", "Deutsche Bank", "the European Commission", "Nokia", "Oxfam"]
PLACES = ["Berlin", "New York", "Tokyo", "Brazil", "Lagos", "Paris", "the Alps", "Cairo", "Mumbai", "Canada",
          "Lake Geneva", "Sydney", "Madrid", "Kenya"]
MISC = ["German", "French", "Japanese", "English", "Brazilian", "Kenyan", "Italian", "Dutch", "Canadian"]
EVENTS = ["the Olympics", "the World Cup", "Christmas", "the Nobel Prize", "Ramadan", "the Tour de France",
          "Wimbledon", "the Paris Motor Show"]
SENTENCE_TEMPLATES = [
    "{PER} joined {ORG} as chief economist last year .",
    "{ORG} will open a new office in {LOC} next spring .",
    "{PER} flew to {LOC} on Monday to meet officials from {ORG} .",
    "The {MISC} delegation arrived in {LOC} late on Tuesday .",
    "Shares of {ORG} rose 3 percent after the report .",
    "{PER} said the {MISC} market remained weak .",
    "Fans celebrated in {LOC} after {ORG} won the final .",
    "{PER} and {PER} will host {MISC} talks in {LOC} .",
    "A spokesman for {ORG} declined to comment .",
    "Heavy rain caused flooding across {LOC} on Sunday .",
    "{PER} won a gold medal at {EVENT} .",
    "{ORG} signed a trade deal with partners in {LOC} .",
    "The {MISC} team beat the hosts 2-1 in {LOC} .",
    "{PER} , a lawyer from {LOC} , criticised {ORG} .",
    "Police in {LOC} arrested two men on Friday .",
    "{ORG} chairman {PER} resigned after the vote .",
    "Tourists from {LOC} crowded the streets during {EVENT} .",
    "{PER} of {ORG} spoke at {EVENT} in {LOC} .",
    "{PER} told reporters that {ORG} would cut 500 jobs .",
    "The price of {MISC} software fell sharply in {LOC} .",
    "Officials said talks between {ORG} and {ORG} had stalled .",
]
ENTITY_POOLS = {"PER": PEOPLE, "ORG": ORGS, "LOC": PLACES, "MISC": MISC, "EVENT": EVENTS}
ENTITY_TAGS = {"PER": "PER", "ORG": "ORG", "LOC": "LOC", "MISC": "MISC", "EVENT": "MISC"}


def _ticket_rows(rng: random.Random) -> list[tuple[str, str]]:
    rows = []
    for label, templates in TEMPLATES.items():
        seen: set[str] = set()
        while len(seen) < ROWS_PER_CLASS:
            template = rng.choice(templates)
            text = re.sub(r"\{(\w+)\}", lambda m: rng.choice(SLOTS[m.group(1)]), template)
            if text not in seen:
                seen.add(text)
                rows.append((text, label))
    labels = list(TEMPLATES)
    for i in rng.sample(range(len(rows)), round(MISFILED * len(rows))):
        text, label = rows[i]
        rows[i] = (text, rng.choice([other for other in labels if other != label]))
    rng.shuffle(rows)
    return rows


def _sentence(rng: random.Random) -> list[tuple[str, str]]:
    pairs = []
    for token in rng.choice(SENTENCE_TEMPLATES).split():
        match = re.fullmatch(r"\{([A-Z]+)\}", token)
        if match is None:
            pairs.append((token, "O"))
            continue
        kind = match.group(1)
        words = rng.choice(ENTITY_POOLS[kind]).split()
        if words[0] == "the":  # as in CoNLL-2003, a leading article is not part of the name
            pairs.append((words.pop(0), "O"))
        tag = ENTITY_TAGS[kind]
        pairs += [(word, ("B-" if position == 0 else "I-") + tag) for position, word in enumerate(words)]
    first, tag = pairs[0]
    pairs[0] = (first[0].upper() + first[1:], tag)
    return pairs


# The QA demo: help-centre paragraphs about made-up products; each fact is asked about in words
# that differ from the paragraph's, and one question a paragraph asks what it does not say
# (SQuAD v2.0's unanswerable questions).
PRODUCT_NAMES = ["Aurora", "Basalt", "Cobalt", "Dune", "Ember", "Fjord", "Granite", "Harbor", "Iris", "Juniper",
                 "Kestrel", "Lumen", "Meridian", "Nimbus", "Onyx", "Pinnacle", "Quartz", "Ridge", "Sierra", "Tundra"]
PRODUCT_KINDS = ["desk lamp", "coffee grinder", "pair of headphones", "backpack", "smart speaker", "standing desk"]
COLOURS = ["graphite", "sand", "forest green", "navy blue", "brick red", "white"]
WARRANTY = ["one year", "two years", "three years", "five years"]
QA_FACTS = [  # (sentence of the paragraph, question, slot the answer is)
    ("The {name} {kind} costs {amount}.", "How much is the {name} {kind}?", "amount"),
    ("It is made in {city} and comes in {colour}.", "Which colour does the {name} {kind} come in?", "colour"),
    ("Orders ship with {carrier} within {days} days.", "Which company delivers the {name} {kind}?", "carrier"),
    ("Every unit carries a warranty of {warranty}.", "How long is the {name} {kind} covered for?", "warranty"),
]
UNANSWERABLE = ["Who designed the {name} {kind}?", "How much does the {name} {kind} weigh?",
                "When was the {name} {kind} first sold?"]


def _qa_article(rng: random.Random, number: int) -> dict:
    slots = {"name": f"{rng.choice(PRODUCT_NAMES)} {number + 1}", "kind": rng.choice(PRODUCT_KINDS),
             "amount": rng.choice(SLOTS["amount"]), "city": rng.choice(SLOTS["city"]), "colour": rng.choice(COLOURS),
             "carrier": rng.choice(SLOTS["carrier"]), "days": rng.choice(SLOTS["days"]), "warranty": rng.choice(WARRANTY)}
    facts = rng.sample(QA_FACTS, len(QA_FACTS))
    context, qas = "", []
    for sentence, question, slot in facts:
        template_start = sentence.index("{" + slot + "}")
        filled_before = sentence[:template_start].format(**slots)
        answer = slots[slot]
        qas.append({"id": f"demo-{number}-{slot}", "question": question.format(**slots),
                    "answers": [{"text": answer, "answer_start": len(context) + len(filled_before)}],
                    "is_impossible": False})
        context += sentence.format(**slots) + " "
    qas.append({"id": f"demo-{number}-none", "question": rng.choice(UNANSWERABLE).format(**slots), "answers": [],
                "is_impossible": True})
    return {"title": slots["name"], "paragraphs": [{"context": context.strip(), "qas": qas}]}


def main() -> None:
    with open(HERE / "tickets.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["text", "label"])
        writer.writerows(_ticket_rows(random.Random(SEED)))
    rng = random.Random(SEED + 1)  # its own, so that changing the tickets leaves the sentences as they are
    lines = ["-DOCSTART- O", ""]
    for _ in range(SENTENCES):
        lines += [f"{token} {tag}" for token, tag in _sentence(rng)] + [""]
    (HERE / "ner_sample.conll").write_text("\n".join(lines), encoding="utf-8")
    rng = random.Random(SEED + 2)
    articles = [_qa_article(rng, number) for number in range(PRODUCTS)]
    (HERE / "qa_sample.json").write_text(json.dumps({"version": "v2.0", "data": articles}, indent=1) + "\n",
                                         encoding="utf-8")


if __name__ == "__main__":
    main()
