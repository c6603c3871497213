"""Parse one HamNoSys 4 notation into HearAI's head labels (the class ids of HearAI's parse-hamnosys).

The notation is read left to right, block by block, as parse-hamnosys does: symmetry operator, handshape of the
dominant hand (optionally `hambetween` a second handshape, optionally `hamplus` the non-dominant hand's), extended
finger direction, palm orientation (each optionally doubled), the non-dominant hand's position, then hand location
(left/right, top/bottom) and its distance from the body. Symbols that carry no class (brackets, finger parts,
movement) are skipped where parse-hamnosys skips them. A notation whose mandatory blocks (handshape base form,
finger direction, palm orientation) cannot be found raises `HamNoSysParseError` with the position and reason.
"""

from dataclasses import dataclass, field, fields
from typing import NoReturn, Optional

from data_preprocessing import hamnosys_symbols as sym

ALT_BEGIN, ALT_BAR, ALT_END = "{", "|", "}"

# Symbols that may sit between blocks and carry no class: brackets, alternating motion, finger parts with their
# own bending (`hamindexfinger hamfingerbendmod`), size modifiers of a handshape, `hamorirelative`.
_SKIP_BEFORE_SHAPE = {sym.PAR_BEGIN, sym.code("alternatingmotion")}
_FINGER_PARTS = {c for c, n in sym.SYMBOL_NAMES.items() if 0xE070 <= ord(c) <= 0xE07A}
_SIZE_MODS = {sym.code("largemod"), sym.code("smallmod")}
_SKIP_AFTER_SHAPE = _SKIP_BEFORE_SHAPE | _FINGER_PARTS | _SIZE_MODS | set(sym.BENDING) | set(sym.THUMB) | {sym.PAR_END}
# `hamplus hamnondominant hametc` / `hamplus hamfist hametc`: the non-dominant hand "as the dominant one".
_SAME_AS_DOMINANT = {sym.NONDOMINANT_FIRST, sym.code("etc")}
_SKIP_BEFORE_PALM = {sym.PAR_BEGIN, sym.PAR_END, sym.ORI_RELATIVE}
_SKIP_AFTER_PALM = {sym.PAR_END, sym.ORI_RELATIVE, sym.code("fusionend"), sym.code("seqend")}


class HamNoSysParseError(ValueError):
    """A notation that cannot be turned into head labels; the message says where and why."""


@dataclass
class Hand:
    """One hand's classes; `*2` fields are the second value of `hambetween` (or doubled) descriptions."""

    base_form: Optional[int] = None
    thumb: Optional[int] = None
    bending: Optional[int] = None
    finger_direction: Optional[int] = None
    palm_orientation: Optional[int] = None
    base_form2: Optional[int] = None
    thumb2: Optional[int] = None
    bending2: Optional[int] = None
    finger_direction2: Optional[int] = None
    palm_orientation2: Optional[int] = None


@dataclass
class HamNoSysLabels:
    """Everything parse-hamnosys reports for one notation; `None` = not present (NaN in its files)."""

    symmetry: int = 0
    nondominant_first: int = 0
    dominant: Hand = field(default_factory=Hand)
    nondominant: Hand = field(default_factory=Hand)
    location_lr: int = 0
    location_tb: int = sym.NEUTRAL_TB
    distance: int = 0

    def head_labels(self) -> dict[str, int]:
        """Labels per head of `hamnosys_symbols.HEADS`; -1 where the notation gives none (e.g. a one-handed
        sign has no non-dominant hand)."""
        hand_heads = {
            "hand_shape_base_form": "base_form",
            "hand_shape_thumb_position": "thumb",
            "hand_shape_bending": "bending",
            "hand_position_finger_direction": "finger_direction",
            "hand_position_palm_orientation": "palm_orientation",
        }
        labels = {"symmetry_operator": self.symmetry}
        for prefix, hand in (("", self.dominant), ("nondominant_", self.nondominant)):
            for head, attribute in hand_heads.items():
                value = getattr(hand, attribute)
                labels[prefix + head] = -1 if value is None else value
        labels |= {
            "hand_location_x": self.location_lr,
            "hand_location_y": self.location_tb,
            "hand_location_distance": self.distance,
        }
        return {head: labels[head] for head in sym.HEADS}

    def hand_values(self) -> list[Optional[int]]:
        """The 20 hand columns of parse-hamnosys's output: dominant then non-dominant, each first then second."""
        return [getattr(hand, f.name) for hand in (self.dominant, self.nondominant) for f in fields(Hand)]


def normalize(notation: str) -> str:
    """Drop spaces, keep the first of each `{a|b}` alternative, and reject anything that is not a HamNoSys 4
    symbol. Error positions count symbols from 1, spaces not counted."""
    text = "".join(notation.split())
    while ALT_BEGIN in text:
        start = text.index(ALT_BEGIN)
        end = text.find(ALT_END, start)
        if end < 0:
            raise HamNoSysParseError(f"'{{' has no closing '}}' (symbol {start + 1} of {len(text)})")
        text = text[:start] + text[start + 1 : end].split(ALT_BAR, maxsplit=1)[0] + text[end + 1 :]
    for position, char in enumerate(text):
        if char in (ALT_BAR, ALT_END):
            problem = f"{char!r} outside an alternative {{...|...}}"
        elif char not in sym.SYMBOL_NAMES:
            problem = f"invalid character {char!r} (U+{ord(char):04X}), not a HamNoSys 4 symbol"
        else:
            continue
        raise HamNoSysParseError(f"{problem} (symbol {position + 1} of {len(text)})")
    if not text:
        raise HamNoSysParseError("empty notation")
    return text


class _Scanner:
    """A cursor over the symbols of one notation."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self, offset: int = 0) -> str:
        """The symbol `offset` places ahead, or '' past the end."""
        index = self.pos + offset
        return self.text[index] if 0 <= index < len(self.text) else ""

    def take(self, table: dict[str, int]) -> Optional[int]:
        """The class of the next symbol if it is in `table` (consuming it), else None."""
        value = table.get(self.peek())
        if value is not None:
            self.pos += 1
        return value

    def accept(self, char: str) -> bool:
        """Consume the next symbol if it is `char`."""
        if self.peek() == char:
            self.pos += 1
            return True
        return False

    def skip(self, chars: set[str]) -> None:
        """Consume symbols while they are in `chars`."""
        while self.peek() and self.peek() in chars:
            self.pos += 1

    def require(self, table: dict[str, int], what: str) -> int:
        """The class of the next symbol, which must be in `table`."""
        value = self.take(table)
        if value is None:
            self.fail(what)
        return value

    def fail(self, what: str) -> NoReturn:
        """Raise a parse error naming what was expected and what was found."""
        found = sym.symbol_name(self.peek()) if self.peek() else "the end of the notation"
        self.error(f"expected {what}, found {found}")

    def error(self, message: str) -> NoReturn:
        """Raise a parse error at the current symbol (1-based, spaces not counted)."""
        where = f"symbol {self.pos + 1} of {len(self.text)}" if self.peek() else f"after all {len(self.text)} symbols"
        raise HamNoSysParseError(f"{message} ({where})")


def _symmetry(scan: _Scanner, labels: HamNoSysLabels) -> None:
    """Symmetry operator with its modifiers (`hamsymmlr hamlargemod`), or `hamnondominant` (non-dominant hand
    first)."""
    if scan.accept(sym.NONDOMINANT_FIRST):
        labels.nondominant_first = 1
        return
    operator = scan.peek()
    if (operator, frozenset()) not in sym.SYMMETRY:
        return
    modifiers: set[str] = set()
    while scan.peek(1 + len(modifiers)) in sym.SYMMETRY_MODIFIERS - modifiers:
        modifiers.add(scan.peek(1 + len(modifiers)))
    labels.symmetry = sym.SYMMETRY[(operator, frozenset(modifiers))]
    scan.pos += 1 + len(modifiers)


def _handshape(scan: _Scanner, hand: Hand, suffix: str = "", base_form_required: bool = True) -> None:
    """Base form, thumb and bending of one handshape; the thumb may also follow the bending."""
    base_form = scan.take(sym.BASEFORM)
    if base_form is None and base_form_required:
        scan.fail("a handshape base form")
    if base_form is not None:  # a new handshape: no thumb or bending modifier until one is read
        for attribute, value in (("base_form", base_form), ("thumb", 0), ("bending", 0)):
            setattr(hand, attribute + suffix, value)
    thumb = scan.take(sym.THUMB)
    bending = scan.take(sym.BENDING)
    scan.skip(set(sym.BENDING))  # a repeated bending adds nothing
    thumb = scan.take(sym.THUMB) or thumb
    for attribute, value in (("thumb", thumb), ("bending", bending)):
        if value is not None:
            setattr(hand, attribute + suffix, value)


def _second_handshape(scan: _Scanner, hand: Hand) -> None:
    """`hambetween` and a second handshape."""
    if scan.accept(sym.BETWEEN):
        if hand.base_form2 is not None:
            scan.error("a second hambetween in one handshape")
        start = scan.pos
        scan.skip(_FINGER_PARTS)
        # `hammiddlefinger hambetween hamringfinger` is a range of fingers, not a second handshape.
        _handshape(scan, hand, "2", base_form_required=scan.pos == start)
        scan.accept(sym.PAR_END)


_FINGER = (sym.FINGER_DIRECTION, "finger_direction", "an extended finger direction")
_PALM = (sym.PALM_ORIENTATION, "palm_orientation", "a palm orientation")


def _directions(scan: _Scanner, hand: Hand, kind: tuple[dict[str, int], str, str]) -> None:
    """A finger direction or palm orientation (`kind` is `_FINGER` or `_PALM`) and its optional second value,
    doubled or after `hambetween`."""
    table, attribute, what = kind
    setattr(hand, attribute, scan.require(table, what))
    second = scan.take(table)
    if scan.accept(sym.BETWEEN):
        if second is not None:
            scan.error(f"hambetween after a doubled {attribute.replace('_', ' ')}")
        second = scan.require(table, f"{what} after hambetween")
    setattr(hand, attribute + "2", second)


def _nondominant_position(scan: _Scanner, hand: Hand) -> None:
    """`hamplus` then the non-dominant hand after the dominant one's palm orientation: optional handshape,
    optional finger direction, palm orientation."""
    scan.skip(_SAME_AS_DOMINANT)
    if hand.base_form is not None and scan.peek() in sym.BASEFORM:
        scan.error("a second handshape for the non-dominant hand")
    _handshape(scan, hand, base_form_required=False)
    _second_handshape(scan, hand)
    scan.skip((_SKIP_AFTER_SHAPE | _SAME_AS_DOMINANT) - {sym.PAR_END})
    if scan.peek() in sym.FINGER_DIRECTION:
        if hand.finger_direction is not None:
            scan.error("a second finger direction for the non-dominant hand")
        _directions(scan, hand, _FINGER)
    if hand.palm_orientation is not None:
        scan.error("a second palm orientation for the non-dominant hand")
    _directions(scan, hand, _PALM)


def _contact_bracket(scan: _Scanner, offset: int = 0) -> bool:
    """Whether a bracket `[contact hand-parts]` opens `offset` symbols ahead (`sym.CONTACTS`, for its reading)."""
    return scan.peek(offset) == sym.SEQ_BEGIN and scan.peek(offset + 1) in sym.CONTACTS


def _location(scan: _Scanner, labels: HamNoSysLabels) -> None:
    """Left/right and top/bottom location, searched like parse-hamnosys in the next four symbols, which stop at
    the first movement, after a hand constellation if one comes first (`sym.CONTACTS`)."""
    labels.location_lr = scan.take(sym.LR_BEFORE) or 0
    if _contact_bracket(scan):  # the parts of the hands that touch each other: no place on the body
        scan.pos = scan.text.find(sym.SEQ_END, scan.pos) + 1 or len(scan.text)
        labels.location_lr = labels.location_lr or scan.take(sym.LR_BEFORE) or 0
    for offset in range(4):
        char = scan.peek(offset)
        if not char or char in _LOCATION_STOP:
            return
        if char in sym.LOCATION_TB:
            labels.location_tb = sym.LOCATION_TB[char]
            if not labels.location_lr:
                before = sym.LR_BEFORE.get(scan.peek(offset - 1), 0) if offset else 0
                labels.location_lr = before or sym.LR_AFTER.get(scan.peek(offset + 1), 0)
            scan.pos += offset
            _distance(scan, labels)
            return


def _distance(scan: _Scanner, labels: HamNoSysLabels) -> None:
    """Distance from the body: the first distance symbol in the next four, unless a movement comes first; a contact
    bracket after the location (`chest [touch fingertip]`) gives its contact."""
    for offset in range(4):
        char = scan.peek(offset)
        if _contact_bracket(scan, offset):
            labels.distance = sym.DISTANCE.get(scan.peek(offset + 1), 0)
            return
        if not char or char in _LOCATION_STOP:
            return
        if char in sym.DISTANCE:
            labels.distance = sym.DISTANCE[char]
            return


# A location is over at the first movement; `hamparbegin` may open a two-handed location `(loc + loc)`.
_LOCATION_STOP = sym.MOVEMENTS | {sym.code(n) for n in ("seqbegin", "fusionbegin")}


def parse_hamnosys(notation: str) -> HamNoSysLabels:
    """Head labels of one HamNoSys 4 notation; raises `HamNoSysParseError` saying where and why it fails."""
    scan = _Scanner(normalize(notation))
    labels = HamNoSysLabels()
    dominant, nondominant = labels.dominant, labels.nondominant
    _symmetry(scan, labels)
    scan.skip(_SKIP_BEFORE_SHAPE)
    _handshape(scan, dominant)
    scan.skip(_SKIP_AFTER_SHAPE)
    _second_handshape(scan, dominant)
    if scan.accept(sym.PLUS):
        _handshape(scan, nondominant)
        scan.accept(sym.PAR_END)
        _second_handshape(scan, nondominant)
    scan.skip(_SKIP_AFTER_SHAPE)
    _directions(scan, dominant, _FINGER)
    if scan.accept(sym.PLUS):  # `ext_dominant hamplus ext_nondominant palm_dominant`, as parse-hamnosys reads it
        _directions(scan, nondominant, _FINGER)
    scan.skip(_SKIP_BEFORE_PALM)
    _directions(scan, dominant, _PALM)
    scan.skip(_SKIP_AFTER_PALM)
    if scan.accept(sym.PLUS):
        _nondominant_position(scan, nondominant)
    scan.skip(_SKIP_AFTER_PALM | set(sym.BENDING))
    _location(scan, labels)
    return labels
