"""What a patient's text means, read the way people text.

Carrier keywords (STOP, START, HELP…) count only as the whole message, case- and
punctuation-insensitively, as the carriers themselves read them. Beyond them a text is read
for, in this order: a wrong number, a plain-language opt-out ("stop texting me"), leaving the
waitlist ("found another clinic, take me off the list"), who is texting, and then an answer to
an offer. An answer books only when it is a plain yes: a yes with strings attached ("yes but
can it be 11") is CONDITIONAL, a question about the offer ("what time?") is OFFER_QUESTION,
and a yes and a no together are UNKNOWN. Anything unclear goes to staff, never to a booking.
Given the pending offer's day and time, a yes that says them back ("yes, see you at 10") is
still a plain yes, and one naming another day or time is CONDITIONAL. A phrase after a
negation ("don't take me off the list") does not count.

Texting habits are undone first: emoji that mean yes or no (👍 👎 ✅ ❌ 👌), stretched words
("yesss", "noo", "okkk"), a few common misspellings ("yse", "yeahh", "confrim"), and
apostrophes left out ("cant", "dont", "im").
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from enum import StrEnum
from functools import cache


class Intent(StrEnum):
    YES = "yes"
    NO = "no"
    STOP = "stop"
    START = "start"
    HELP = "help"
    LEAVE_WAITLIST = "leave_waitlist"
    WRONG_NUMBER = "wrong_number"
    WHO_IS_THIS = "who_is_this"
    OFFER_QUESTION = "offer_question"
    CONDITIONAL = "conditional"
    # Not read from the words: a YES from a client already booked into the slot.
    ALREADY_BOOKED = "already_booked"
    UNKNOWN = "unknown"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _phrases(text: str) -> tuple[str, ...]:
    return tuple(" ".join(p.split()) for p in text.split(",") if p.strip())


def _phrase_set(text: str) -> frozenset[str]:
    return frozenset(_phrases(text))


# Carrier and Twilio opt-out keywords: honoured only as the whole message.
STOP_WORDS = _phrase_set(
    """
    stop, stopall, unsubscribe, cancel, end, quit, revoke, optout, opt out
    """
)
START_WORDS = frozenset({"start", "unstop", "subscribe", "optin", "opt in", "resume", "yes start"})
HELP_WORDS = frozenset({"help", "info", "information", "?", "help me", "help please"})

# Each phrase is matched on whole words, anywhere in the (normalized) text.
STOP_PHRASES = _phrases(
    """
    stop texting, stop messaging, stop sending, stop contacting, stop txting, stop the
    texts, stop these texts, stop text, stop msg, dont text, do not text, dont message,
    do not message, dont contact, do not contact, no more texts, no more text, no more
    messages, unsubscribe, opt me out, opt out, leave me alone, remove my number, delete
    my number, lose my number, stop spamming, quit texting, never text, off your text
    list, off the text list, from your text list, from the text list, off your texting
    list, off the texting list, from your texting list, from the texting list
    """
)
# Short messages with one of these words are opt-outs too ("STOP please", "stop it").
_STOP_IN_SHORT = frozenset({"stop", "stopall", "optout"})

WRONG_NUMBER_PHRASES = _phrases(
    """
    wrong number, wrong num, wrong no, wrong person, wrong phone, wrong #, wrong cell,
    not a patient, not your patient, not ur patient, never been a patient, never been
    your patient, never been to your, never been there, never been to that, never heard
    of, not a client, not your client, never been a client, no one by that name, nobody
    by that name, no one named, nobody named, nobody here named, no one here named,
    doesnt live here, not my name, you have the wrong, youve got the wrong, you got the
    wrong, got the wrong, new number, new owner of this number, this is not my, i dont
    go to, i dont know any, dont know who that is, dont know who this is for, doesnt
    have this number, does not have this number, no longer has this number, not her
    number, not his number, not their number, isnt her number, isnt his number, belongs
    to someone else
    """
)

LEAVE_PHRASES = _phrases(
    """
    take me off, remove me, drop me, delete me, cross me off, off the waitlist, off the
    wait list, off the list, off your list, off your waitlist, off ur list, off of the
    list, off of the waitlist, leave the waitlist, leave the wait list, cancel my
    waitlist, cancel waitlist, cancel the waitlist, cancel my spot, cancel my place,
    cancel my request, cancel my wait, cancel me, cancel my entry, found another, found
    a different, found someone else, found somewhere, found an appointment, went
    somewhere else, going somewhere else, going elsewhere, went elsewhere, booked
    elsewhere, booked somewhere else, booked with another, booked at another, booked
    with someone else, got an appointment elsewhere, got an appointment somewhere, got
    in somewhere, got in elsewhere, already been seen, already got it done, already had
    it done, no longer need, dont need it anymore, dont need it any more, dont need the
    appointment, dont need an appointment, dont need a spot, dont need one anymore, dont
    need to be on, dont want to be on, no longer interested, not interested anymore, not
    interested any more, no longer want, not on the waitlist anymore, moved away, moving
    away, moved out of, im all set, all set thanks, all set thank
    """
)

WHO_PHRASES = _phrases(
    """
    who is this, whos this, who this, who dis, who are you, who is texting,
    whos texting, who sent this, who is sending, who is messaging, who am i talking,
    what is this, whats this, what this is, what is this about, whats this about, what
    are you, how did you get my number, how did you get this number, how do you have my
    number, where did you get my number, which clinic, what clinic, what office, which
    office, what company, what business, is this spam, is this a scam, is this real, do
    i know you
    """
)

# The patient says they are booked already (with us: a booking elsewhere is LEAVE_PHRASES).
BOOKED_PHRASES = _phrases(
    """
    already booked, i booked, im booked, i am booked, already have an appointment,
    already have the appointment, already confirmed, already said yes, i said yes,
    already replied yes, already accepted, im confirmed, i am confirmed
    """
)
# Days and parts of days: a question naming one is about the offer's time.
_WHEN_WORDS = _words(
    """
    today tomorrow tmrw tonight morning afternoon evening noon mon monday tue tues
    tuesday wed weds wednesday thu thur thurs thursday fri friday sat saturday sun
    sunday
    """
)
# Yes-or-no questions about the offer open with these ("is it with Dr Lee?").
_ASKING_OPENERS = (("is", "it"), ("is", "that"), ("is", "the"), ("will", "it"), ("would", "it"))

# A question about the offer itself: its time, place, provider or what it is for.
QUESTION_PHRASES = _phrases(
    """
    what time, whats the time, what is the time, wat time, what day, which day, what
    date, which date, when is it, when is that, when was it, when is the, when would it
    be, when, where, address, location, with who, with whom, who with, who is it with,
    appointment with, spot with, who would it be with, who is the provider, who is the
    doctor, which doctor, what doctor, which provider, what provider, which dr, what dr,
    with which, how long, what is it for, whats it for, what is the appointment, what
    appointment, which appointment, what service, what kind of appointment, what type of
    appointment, details, more info, remind me, still available, still open, is it
    today, is it tomorrow, is that today, is that tomorrow, today or tomorrow, am or pm,
    morning or afternoon, how much time, when does it expire, when do i need to, how
    long do i have, is it with, is that with, is this with, will it be with, would it be
    with, whos the doctor, whos the dr, whos the provider, who is the dr, who will i see,
    who would i see, who am i seeing, whats the appointment for, what is the appointment
    for, what kind of appointment, whats it about, is it at, is that at, is this at
    """
)

YES_WORDS = _phrase_set(
    """
    y, yes, yess, yep, yup, yeah, yea, yeh, yah, ya, ye, yas, yesh, yeppers, yessir,
    yesplease, ok, okay, okey, okie, okey dokey, k, kk, sure, confirm, confirmed,
    accept, accepted, book, absolutely, definitely, certainly, affirmative, alright,
    aight, si, sí, claro, oui, ja, 1, yes1, perfect
    """
)
YES_PHRASES = _phrases(
    """
    ill take it, i will take it, ill take the, i want it, i want the, id like it, id
    like the, i would like it, i would like the, book it, book me, please book, sounds
    good, sounds great, sounds perfect, that works, works for me, that would be great,
    that would work, count me in, sign me up, ill be there, i will be there, see you
    then, see you there, of course, for sure, why not, go ahead, please do, yes please,
    all right, i do, i can make it, i can do it, i can do that, i can come, i can be
    there, cant wait, i want that, i want this, id like that, id like this, ill take
    that, ill take this, i would like that, i would like this, im available, i am
    available, im free, i am free
    """
)
NO_WORDS = _words(
    """
    n no nope nah naw nay noo pass decline declined negative cant cannot unable busy 2
    """
)
NO_PHRASES = _phrases(
    """
    have to pass, gonna pass, going to pass, will pass, not today, not this time, not
    this one, no thanks, no thank you, no thx, cant make it, cant do it, cant do that,
    cant come, cant go, cant be there, cannot make it, can not make it, unable to make
    it, wont make it, wont be able, not able to, i cant, i cannot, ill pass, i will
    pass, pass on, doesnt work, does not work, wont work, dont work, not available, im
    not available, unavailable, no can do, maybe next time, next time, another time, not
    interested, not for me, no way, no gracias, dont want it, i dont want, too short
    notice, short notice, im working, im at work, out of town, im busy, i am busy, busy
    then, busy that day, i have work, i have to work, im working then, not gonna work,
    thats not going to work, its not going to work, not going to work for me, not gonna
    happen, not gonna make it, not going to make it, not gonna be able, im not free, i am
    not free, not free then, not free that day, rather not, prefer not, thats a no, i
    have another appointment, i have an appointment then, i have plans, i have other
    plans, ive got plans, i got plans, im traveling, im travelling, ill be traveling, ill
    be travelling, ill be away, im away, on vacation, out of the country, working that
    day, working at that time
    """
)
# Putting the answer off: even after an "ok" it is not a yes yet ("ok let me check").
DEFER_PHRASES = _phrases(
    """
    let me check, let me see, let me think, let me ask, let me look, ill check, i will
    check, need to check, have to check, let you know, get back to you, think about it,
    ill see if, ill see what, well see, ill think, check my calendar, check my schedule
    """
)
# Words that, after a yes, are part of it rather than a second thought.
_POLITE = _words(
    """
    please thanks thank thankyou you so very much i ill will would love
    like to it that this the spot slot appointment one me in be there see then
    great perfect awesome wonderful amazing good sounds works fine sure definitely
    absolutely of course yes yeah yep ok okay and a lot take book confirm want id do can
    make come lovely excellent cool nice hi hello hey oh wow omg yay finally lucky for
    sign up count go ahead wait is was am im we my all right x xo xx ive been waiting
    weeks letting know thinking reaching
    """
)
_NEGATIONS = _words(
    """
    not no dont cant cannot wont never nope nah
    """
)
# A yes with strings attached is for staff to read, not a booking.
_HEDGES = _words(
    """
    but if unless instead maybe only except although though however could possible
    possibly wondering rather prefer earlier later different another other change
    reschedule move switch swap late early before after at around bring depends provided
    assuming hopefully probably might may as long daughter son husband wife mom mother dad
    father kid kids child friend partner sister brother boyfriend girlfriend condition
    """
)
# Lead-in words that say nothing about the answer ("sorry, I'm busy", "oh yes").
_LEAD_INS = _words(
    "hi hey hello oh ah ahh um umm uh well omg wow sorry sry actually so unfortunately sadly"
)
# Misspellings seen often enough to trust; stretched letters are undone separately.
_TYPOS = {
    "yse": "yes",
    "yws": "yes",
    "yez": "yes",
    "ues": "yes",
    "tes": "yes",
    "yeas": "yes",
    "yas": "yes",
    "yess": "yes",
    "yesss": "yes",
    "yeahh": "yeah",
    "yeha": "yeah",
    "yaeh": "yeah",
    "yaa": "ya",
    "okk": "ok",
    "okat": "okay",
    "oaky": "okay",
    "okey": "okay",
    "ofc": "of course",
    "confrim": "confirm",
    "comfirm": "confirm",
    "cofirm": "confirm",
    "suer": "sure",
    "shure": "sure",
    "sur": "sure",
    "nop": "nope",
    "nopw": "nope",
    "bo": "no",
    "mo": "no",
    "noe": "no",
    "nno": "no",
    "cnt": "cant",
    "cnat": "cant",
    "np": "no problem",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
    "ty": "thanks",
    "u": "you",
    "r": "are",
    "ur": "your",
    "im": "im",
    "wht": "what",
    "wat": "what",
    "wut": "what",
    "whats": "whats",
    "wrng": "wrong",
    "numbr": "number",
    "num": "number",
    "txt": "text",
    "txts": "texts",
    "txting": "texting",
    "msg": "message",
    "msgs": "messages",
    "appt": "appointment",
    "waitlist": "waitlist",
    "wait-list": "waitlist",
}
# Emoji that answer yes or no; other pictographs are dropped.
_EMOJI = {
    "\U0001f44d": " yes ",  # thumbs up
    "\U0001f44c": " ok ",  # OK hand
    "\u2705": " yes ",  # check mark button
    "\u2714": " yes ",  # check mark
    "\u2611": " yes ",  # ballot box with check
    "\U0001f64c": " yes ",  # raised hands
    "\U0001f44e": " no ",  # thumbs down
    "\u274c": " no ",  # cross mark
    "\u274e": " no ",  # cross mark button
    "\U0001f6ab": " no ",  # prohibited
    "\U0001f645": " no ",  # person gesturing no
}
_SKIN_TONES = re.compile("[\U0001f3fb-\U0001f3ff\ufe0f\u200d]")
_TIME = re.compile(r"^\d{1,2}(:?\d\d)?(am|pm|a|p)?$|^(am|pm|noon|tomorrow|today|tmrw|tmr)$")
_STRETCHED = re.compile(r"(\w)\1{2,}")
_DOUBLE = re.compile(r"(\w)\1")
_KEYWORDS = YES_WORDS | NO_WORDS | STOP_WORDS | START_WORDS | HELP_WORDS
_KNOWN = _KEYWORDS | _POLITE | _HEDGES


def normalize(text: str) -> str:
    """Lower case, emoji answers as words, apostrophes dropped, other punctuation made
    space (a `?` kept, it marks a question), stretched words undone, typos mended."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _SKIN_TONES.sub("", text)
    for emoji, word in _EMOJI.items():
        text = text.replace(emoji, word)
    text = text.replace("'", "").replace("\u2019", "").replace("\u2018", "")
    text = text.replace("?", " ? ").replace("#", " # ")
    text = re.sub(r"[^\w\s?#]", " ", text)
    return " ".join(_mend(word) for word in text.split())


def _mend(word: str) -> str:
    if word in _TYPOS:
        return _TYPOS[word]
    if word in _KNOWN:
        return word
    shorter = _STRETCHED.sub(r"\1\1", word)  # "yesss" -> "yess", "okkkk" -> "okk"
    if shorter in _KEYWORDS:
        return shorter
    single = _DOUBLE.sub(r"\1", shorter)  # "yess" -> "yes", "noo" -> "no"
    if single in _KEYWORDS:
        return single
    return _TYPOS.get(shorter, _TYPOS.get(single, shorter))


def classify(
    text: str, *, first_name: str | None = None, offer: frozenset[str] = frozenset()
) -> Intent:
    """The intent of one inbound text. `first_name`, the name the number is on file under,
    lets "who is Jane?" be read as a wrong number; `offer`, the words naming the pending
    offer's day and time (`offer_words`), lets "yes, see you at 10" to a 10:00 offer be a
    plain yes."""
    plain = normalize(text)
    words = [w for w in plain.split() if w != "?"]
    whole = " ".join(words)
    asks = "?" in plain
    if not words:
        return Intent.HELP if asks else Intent.UNKNOWN
    if whole in STOP_WORDS:
        return Intent.STOP
    if whole in START_WORDS:
        return Intent.START
    if whole in HELP_WORDS:
        return Intent.HELP
    if _has(whole, WRONG_NUMBER_PHRASES) or _names_someone_else(words, first_name):
        return Intent.WRONG_NUMBER
    if _has(whole, STOP_PHRASES) and not _has(whole, ("dont stop", "do not stop")):
        return Intent.STOP
    if len(words) <= 3 and _STOP_IN_SHORT & set(words) and not _NEGATIONS & set(words):
        return Intent.STOP
    if _said(whole, LEAVE_PHRASES) or (
        _has(whole, ("dont need", "do not need")) and _has(whole, ("anymore", "any more"))
    ):
        return Intent.LEAVE_WAITLIST
    if _has(whole, WHO_PHRASES) or whole in ("who", "whom"):
        return Intent.WHO_IS_THIS
    if tuple(words[:2]) == ("is", "this") and not _about_the_offer(words):
        return Intent.WHO_IS_THIS  # "is this Glow Clinic?"
    if _has(whole, BOOKED_PHRASES):
        return Intent.ALREADY_BOOKED
    return _answer(words, asks, offer)


# A yes in any place: beside a no, it makes the text unclear.
_STRONG_YES = _words("yes yess yeah yep yup")
# An answer hanging on these is a condition, for staff ("I could if it was later").
_CONDITIONS = _words("if unless prefer rather")
# An "ok" that may only acknowledge: before a no ("ok, sorry I can't"), the no is the answer.
_SOFT_YES = _words("ok okay k kk alright")
# Said with a negative word, meant as a yes.
_POSITIVE_IDIOMS = (
    "cant wait",
    "why not",
    "no problem",
    "no worries",
    "not a problem",
    "no brainer",
)
# A whole answer that says why not: "sorry, working".
_BUSY = frozenset({"working", "at work", "traveling", "travelling", "away", "sick", "im sick"})
# A no closing a reason: "I'm sick so no".
_CLOSING_NO = re.compile(r"(?<!\S)so (?:no|nope|nah)$")


def _answer(words: list[str], asks: bool, offer: frozenset[str]) -> Intent:
    """YES, NO, a conditional yes, a question about the offer, or UNKNOWN."""
    while len(words) > 1 and words[0] in _LEAD_INS:
        words = words[1:]
    whole = " ".join(words)
    plain = f" {whole} "
    for idiom in _POSITIVE_IDIOMS:
        plain = plain.replace(f" {idiom} ", " ")
    kept = plain.split()
    said_yes = words[0] in YES_WORDS or _has(whole, YES_PHRASES)
    said = " ".join(kept)
    said_no = bool(kept) and (
        kept[0] in NO_WORDS
        or _has(said, NO_PHRASES)
        or said in _BUSY
        or bool(_CLOSING_NO.search(said))
    )
    if said_no and words[0] in _SOFT_YES and not _has(whole, YES_PHRASES):
        said_yes = False
    if said_no and _STRONG_YES & set(words):
        said_yes = True  # "no wait, yes": both said, so neither is taken
    question = _about_the_offer(words)
    if said_yes and said_no:
        return Intent.UNKNOWN
    if said_no:
        return Intent.NO
    if said_yes:
        if question:
            return Intent.OFFER_QUESTION
        rest = _without_offer(kept, offer)
        after_yes = rest[1:] if rest[:1] == words[:1] else rest  # "1" may be the yes itself
        if (
            _HEDGES & set(rest)
            or any(_TIME.match(w) for w in after_yes)
            or (offer and _other_day(rest))
        ):
            return Intent.CONDITIONAL
        if _NEGATIONS & set(rest) or _has(whole, DEFER_PHRASES):
            return Intent.UNKNOWN
        if asks:
            return Intent.CONDITIONAL if len(words) > 1 else Intent.UNKNOWN
        if len(set(rest) - _POLITE - YES_WORDS) > 3:
            return Intent.CONDITIONAL  # a long yes with more to it: staff read the rest
        return Intent.YES
    if question or (tuple(words[:2]) in _ASKING_OPENERS and (asks or "with" in words)):
        return Intent.OFFER_QUESTION
    if _CONDITIONS & set(words) or words[0] == "only" or _asks_for_other_time(words):
        return Intent.CONDITIONAL
    return Intent.UNKNOWN


def _other_day(words: list[str]) -> bool:
    """Whether `words`, the offer's own day and time taken out, still name a day or part of a
    day: "yes, on thursday" to a Wednesday offer is not a plain yes ("good morning" names
    none)."""
    return any(
        word in _WHEN_WORDS | _LATER_WORDS and (i == 0 or words[i - 1] != "good")
        for i, word in enumerate(words)
    )


_LATER_WORDS = _words("week weekend month")


def _about_the_offer(words: list[str]) -> bool:
    """A question on the offer's time, place, provider or length, or naming a day or time."""
    return _has(" ".join(words), QUESTION_PHRASES) or (
        tuple(words[:2]) in (*_ASKING_OPENERS, ("is", "this"))
        and bool(_WHEN_WORDS & set(words) or any(_TIME.match(w) for w in words))
    )


_ASKS_FOR = _phrases(
    """
    can i, could i, i could, can it be, could it be, can we, could we, can you do, could
    you do, do you have, is there, anything, any chance, would, how about, what about
    """
)


def _asks_for_other_time(words: list[str]) -> bool:
    """ "can I come at 3 instead", "could it be later": a counter-offer without a yes."""
    text = " ".join(words)
    wants = _has(text, _ASKS_FOR)
    other = (
        {"instead", "earlier", "later", "different", "another"} & set(words)
        or _WHEN_WORDS & set(words)
        or any(_TIME.match(w) for w in words)
    )
    return bool(wants and other)


def _names_someone_else(words: list[str], first_name: str | None) -> bool:
    """ "who is Jane?", "I'm not Jane", "this isn't Jane": the number is not the client's."""
    if not first_name:
        return False
    name = normalize(first_name).split()
    if not name:
        return False
    spots = [i for i, w in enumerate(words) if w in (name[0], f"{name[0]}s")]  # "Jane's"
    if not spots:
        return False
    before = words[max(spots[0] - 2, 0) : spots[0]]
    after = words[spots[0] + 1 : spots[0] + 4]
    if not before:
        return False
    if before[-1] in ("whos", "not", "isnt") or before in (["who", "is"], ["know", "who"]):
        return True
    # "no Jane here", "there's no Jane at this number"
    return before[-1] == "no" and (after[:1] == ["here"] or after[1:3] == ["this", "number"])


def _said(text: str, phrases: tuple[str, ...]) -> bool:
    """Whether a phrase occurs in `text` other than right after a negation ("don't take me
    off the list")."""
    return any(
        not _NEGATED.search(text[: found.start()]) for found in _pattern(phrases).finditer(text)
    )


# Before a phrase, these turn it into its opposite or a question ("did you take me off?").
_NEGATED = re.compile(r"(?<!\S)(?:dont|not|never|did you|have you|am i|was i|why)\s*$")


def _without_offer(words: list[str], offer: frozenset[str]) -> list[str]:
    """`words` less those naming the offer's own day and time, with the "at" or "on" before
    them: "yes see you at 10" to a 10:00 offer adds nothing to the yes."""
    kept: list[str] = []
    for word in _clock_words(words):
        if word in offer:
            if kept and kept[-1] in ("at", "on"):
                kept.pop()
            continue
        kept.append(word)
    return kept or words


def _clock_words(words: list[str]) -> list[str]:
    """`words` with an hour and its minutes as one ("2:30", read as "2 30", is "230")."""
    joined: list[str] = []
    for word in words:
        if joined and joined[-1].isdigit() and len(joined[-1]) <= 2 and _MINUTES.match(word):
            joined[-1] += word
        else:
            joined.append(word)
    return joined


_MINUTES = re.compile(r"^[0-5]\d(am|pm|a|p)?$")
_WEEKDAYS = (
    "mon monday", "tue tues tuesday", "wed weds wednesday", "thu thur thurs thursday",
    "fri friday", "sat saturday", "sun sunday",
)  # fmt: skip
# "may" is left out: "yes I may be late" is not a yes.
_MONTHS = (
    "jan january", "feb february", "mar march", "apr april", "", "jun june", "jul july",
    "aug august", "sep sept september", "oct october", "nov november", "dec december",
)  # fmt: skip


def offer_words(starts: datetime, today: date) -> frozenset[str]:
    """The words a patient may use for an offer starting at `starts` (local time), `today`
    being the patient's date: "10", "10am", "10:30", "wed", "feb 18th", "tomorrow"."""
    hour, minute, day = starts.hour % 12 or 12, f"{starts.minute:02d}", starts.day
    half = "am" if starts.hour < 12 else "pm"
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    words = {half, f"{hour}{minute}", f"{hour}{minute}{half}", f"{hour}{minute}{half[0]}"}
    if minute == "00":  # "10" is 10:00, not 10:30
        words |= {str(hour), f"{hour}{half}", f"{hour}{half[0]}"}
    words.add(f"{day}{suffix}")  # "the 12th"; a bare "12" is a time
    words |= set(_WEEKDAYS[starts.weekday()].split()) | set(_MONTHS[starts.month - 1].split())
    if starts.hour == 12 and starts.minute == 0:
        words.add("noon")
    words.add("morning" if starts.hour < 12 else "afternoon" if starts.hour < 17 else "evening")
    days_ahead = (starts.date() - today).days
    words |= {0: {"today"}, 1: {"tomorrow", "tmrw", "tmr"}}.get(days_ahead, set())
    return frozenset(words)


def _has(text: str, phrases: tuple[str, ...] | frozenset[str]) -> bool:
    """Whether any phrase occurs in `text` on word boundaries."""
    return _pattern(phrases).search(text) is not None


@cache
def _pattern(phrases: tuple[str, ...] | frozenset[str]) -> re.Pattern[str]:
    """One regular expression for a list of phrases, longest first, each a run of whole words."""
    ordered = sorted(phrases, key=len, reverse=True)
    return re.compile(r"(?<!\S)(?:" + "|".join(map(re.escape, ordered)) + r")(?!\S)")
