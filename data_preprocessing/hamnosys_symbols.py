"""HamNoSys 4 symbols (Unicode private-use code points U+E000-U+E0FF) and HearAI's class tables.

`SYMBOL_NAMES` gives the standard ASCII name of each symbol (as in the `hamnosys_text` field of the DGS/PJM
lexicons, e.g. U+E000 `hamfist`). The class tables map a symbol to the class id that HearAI's parse-hamnosys
gives it, so annotation files made by either tool agree; `CLASS_NAMES` names every class id of every head.
"""

# Runs of consecutive code points, each named by its standard name without the `ham` prefix.
_RUNS = {
    0xE000: "fist flathand finger2 finger23 finger23spread finger2345 pinch12 pinchall pinch12open cee12 ceeall"
    " ceeopen thumboutmod thumbacrossmod thumbopenmod",
    0xE010: "fingerstraightmod fingerbendmod fingerhookmod doublebent doublehooked",
    0xE020: "extfingeru extfingerur extfingerr extfingerdr extfingerd extfingerdl extfingerl extfingerul extfingerol"
    " extfingero extfingeror extfingeril extfingeri extfingerir extfingerui extfingerdi extfingerdo extfingeruo",
    0xE038: "palmu palmur palmr palmdr palmd palmdl palml palmul",
    0xE040: "head headtop forehead eyebrows eyes nose nostrils ear earlobe cheek lips tongue teeth chin underchin"
    " neck shouldertop shoulders chest stomach belowstomach",
    0xE058: "lrbeside lrat",
    0xE05F: "neutralspace",
    0xE060: "upperarm elbow elbowinside lowerarm wristback wristpulse thumbball palm handback thumbside pinkyside",
    0xE070: "thumb indexfinger middlefinger ringfinger pinky fingertip fingernail fingerpad fingermidjoint"
    " fingerbase fingerside",
    0xE080: "moveu moveur mover movedr moved movedl movel moveul moveol moveo moveor moveil movei moveir moveui"
    " movedi movedo moveuo circleo circlei circled circleu circlel circler circleul circledr circleur circledl"
    " circleol circleir circleor circleil circleui circledo circleuo circledi fingerplay nodding swinging"
    " twisting stircw stirccw replace",
    0xE0AF: "nomotion clocku clockul clockl clockdl clockd clockdr clockr clockur clockfull arcl arcu arcr arcd"
    " wavy zigzag",
    0xE0C0: "ellipseh ellipseur ellipsev ellipseul increasing decreasing smallmod largemod fast slow tense rest halt",
    0xE0D0: "close touch interlock cross armextended behind brushing",
    0xE0D8: "repeatfromstart repeatfromstartseveral repeatcontinue repeatcontinueseveral repeatreverse"
    " alternatingmotion",
    0xE0E0: "seqbegin seqend parbegin parend fusionbegin fusionend between plus symmpar symmlr nondominant nonipsi"
    " etc orirelative",
}

SYMBOL_NAMES: dict[str, str] = {
    chr(start + offset): "ham" + name for start, names in _RUNS.items() for offset, name in enumerate(names.split())
}
# HamNoSys writes alternatives `{a|b}` with ASCII braces and bar.
SYMBOL_NAMES |= {"{": "hamaltbegin", "|": "hammetaalt", "}": "hamaltend"}


def code(name: str) -> str:
    """The character of a symbol named with or without the `ham` prefix (`code("fist") == "\\ue000"`)."""
    wanted = name if name.startswith("ham") else "ham" + name
    for char, known in SYMBOL_NAMES.items():
        if known == wanted:
            return char
    raise KeyError(f"no HamNoSys symbol named {name!r}")


def symbol_name(char: str) -> str:
    """The standard name of a symbol, or `U+XXXX` when it has none."""
    return SYMBOL_NAMES.get(char, f"U+{ord(char):04X}")


def _table(names: str, first_id: int = 0) -> dict[str, int]:
    return {code(name): first_id + i for i, name in enumerate(names.split())}


BASEFORM = _table(_RUNS[0xE000].rsplit(maxsplit=3)[0])  # fist .. ceeopen -> 0 .. 11
THUMB = _table("thumboutmod thumbacrossmod thumbopenmod", 1)  # 0 = no thumb modifier
BENDING = _table("doublebent fingerstraightmod fingerbendmod fingerhookmod doublehooked", 1)  # 0 = none
# Extended finger directions go round the frontal plane (u, ur, ... ul: ids 0-7, checked by parse-hamnosys's test
# cases), then the horizontal plane (o, or, ir, i, il, ol) and the sagittal plane (uo, do, di, ui). That o is 8 and
# or is 9 (not their code-point order) is what parse-hamnosys's own PJM results show; 10-17 follow the same
# circular order and are not confirmed by any published result.
FINGER_DIRECTION = _table(
    "extfingeru extfingerur extfingerr extfingerdr extfingerd extfingerdl extfingerl extfingerul extfingero"
    " extfingeror extfingerir extfingeri extfingeril extfingerol extfingeruo extfingerdo extfingerdi extfingerui"
)
PALM_ORIENTATION = _table(_RUNS[0xE038])  # 8 orientations -> 0 .. 7
LOCATION_TB = _table(
    "headtop head forehead nose nostrils lips tongue teeth chin underchin neck shouldertop shoulders chest stomach"
    " belowstomach eyebrows eyes ear earlobe cheek upperarm elbowinside fingertip fingerpad fingernail"
    " fingermidjoint fingerbase fingerside handback palm wristback lowerarm thumbball pinkyside thumbside",
    1,
)
NEUTRAL_TB = LOCATION_TB[code("chest")]  # parse-hamnosys's class when a sign names no location
DISTANCE = _table("behind touch armextended interlock cross", 1)  # 0 = none given (or hamclose)
# Contact brackets, `[contact hand-parts]` (hamseqbegin, a contact symbol, parts of the hand, hamseqend). HamNoSys 4
# writes a sign's location as a place (on the body, or on the non-dominant hand) optionally followed by the contact
# with it, and the part of the articulating hand that makes that contact is named in the bracket; the relation of the
# two hands to each other (the hand constellation) is written between the hands' orientation and the location, the
# same way. Hence two readings, where parse-hamnosys differs (on ~700 of the 5,752 Ham2Pose entries):
# - after a location, `chest [touch fingertip]` (the fingertips touch the chest): distance = the bracket's contact
#   (`touch`), as parse-hamnosys reads it (this parser used to stop at the bracket and give none);
# - the hand parts inside a bracket are parts of the articulating hand(s), never the place: the top/bottom location is
#   the place written before the bracket, or after a hand constellation (`symmlr ... palmd [touch fingertip] shoulders`
#   is at the shoulders), else neutral space; parse-hamnosys takes the first hand part in the bracket (`fingertip`).
# Sources: Hanke, T. (2004), "HamNoSys - representing sign language data in language resources and language
# processing contexts", LREC 2004 workshop on sign language processing, section 2 (the notation's structure:
# handshape, orientation, location with contact, actions; two-handed signs with a hand constellation); Prillwitz, S.
# et al. (1989), "HamNoSys Version 2.0: Hamburg Notation System for Sign Languages. An introductory guide", the
# chapters on location, contact and hand constellation, whose conventions HamNoSys 4 keeps. Neither text is in this
# repository (there is no network here); the reading above follows their conventions as recalled, and the lexicon
# itself bears it out: in the Ham2Pose DGS/PJM entries a bracket after a body place always starts with a contact
# symbol and names hand parts only (`forehead lrat [touch thumb fingertip]`, DONKEY-EAR1), and a bracket before any
# place appears in two-handed signs whose place, if any, follows it.
CONTACTS = {code(name) for name in ("touch", "close", "behind", "armextended", "interlock", "cross", "brushing")}
SEQ_BEGIN, SEQ_END = code("seqbegin"), code("seqend")
LR_BEFORE = {code("lrbeside"): 1, code("lrat"): 2}  # before the location symbol
LR_AFTER = {code("lrbeside"): 3, code("lrat"): 4}  # after it
# (symmetry symbol, modifiers) -> class; 0 = no symmetry operator.
SYMMETRY = {
    (code(sym), frozenset(code(m) for m in mods)): class_id
    for class_id, (sym, mods) in enumerate(
        [
            (s, m)
            for m in (("fingerstraightmod", "largemod"), ("fingerstraightmod",), ("largemod",), ())
            for s in ("symmlr", "symmpar")
        ],
        start=1,
    )
}
SYMMETRY_MODIFIERS = {code("fingerstraightmod"), code("largemod")}
NONDOMINANT_FIRST = code("nondominant")
BETWEEN = code("between")
PLUS = code("plus")
PAR_BEGIN, PAR_END = code("parbegin"), code("parend")
ORI_RELATIVE = code("orirelative")
MOVEMENTS = {char for char, name in SYMBOL_NAMES.items() if 0xE080 <= ord(char) <= 0xE0CC and name != "hamrest"}


def _names(table: dict[str, int], zero: str = "") -> list[str]:
    names = [zero] * (max(table.values()) + 1) if zero else [""] * len(table)
    for char, class_id in table.items():
        names[class_id] = SYMBOL_NAMES[char][3:]
    return names


def _symmetry_names() -> list[str]:
    names = ["none"] * (len(SYMMETRY) + 1)
    for (sym, mods), class_id in SYMMETRY.items():
        names[class_id] = "+".join([SYMBOL_NAMES[sym][3:]] + sorted(SYMBOL_NAMES[m][3:-3] for m in mods))
    return names


_HAND_CLASS_NAMES = {
    "hand_shape_base_form": _names(BASEFORM),
    "hand_shape_thumb_position": _names(THUMB, "none"),
    "hand_shape_bending": _names(BENDING, "none"),
    "hand_position_finger_direction": _names(FINGER_DIRECTION),
    "hand_position_palm_orientation": _names(PALM_ORIENTATION),
}
# Every head's class names in class-id order. The first eight heads are HearAI's `hamnosys` heads, in its order.
CLASS_NAMES: dict[str, list[str]] = {
    "symmetry_operator": _symmetry_names(),
    **_HAND_CLASS_NAMES,
    "hand_location_x": ["none", "lrbeside (before)", "lrat (before)", "lrbeside (after)", "lrat (after)"],
    # parse-hamnosys gives "chest" to signs without a location too (neutral signing space).
    "hand_location_y": [n if n != "chest" else "chest/neutral" for n in _names(LOCATION_TB, "none")],
    "hand_location_distance": _names(DISTANCE, "none"),
    **{f"nondominant_{head}": names for head, names in _HAND_CLASS_NAMES.items()},
}
HEADS = list(CLASS_NAMES)
NUM_CLASSES = {head: len(names) for head, names in CLASS_NAMES.items()}
