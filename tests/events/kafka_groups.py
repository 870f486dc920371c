"""The group coordinator of the loopback Kafka broker (``tests.events.kafka_broker``): Kafka's classic consumer
group protocol, and the offsets committed for each group.

The states are those of Kafka's own coordinator. A group is **Empty** until a member joins; a JoinGroup, a
LeaveGroup or an expired session moves it to **PreparingRebalance**, where every known member has to join again
(members learn of it from their heartbeat: REBALANCE_IN_PROGRESS) until the slowest member's rebalance timeout
drops the late ones. Then the generation goes up and the JoinGroup answers go out, the leader's with every
member's subscription: **CompletingRebalance**. The leader's SyncGroup hands each member its share of the
assignment the leader computed, and the group is **Stable**. A new group waits ``initial_rebalance_delay_ms``
before its first rebalance completes (Kafka's ``group.initial.rebalance.delay.ms``), so that members starting
together land in one generation.

JoinGroup and SyncGroup block their connection until the rebalance gets there, as on a real broker.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import kafka.errors as kafka_errors

NONE = 0
ILLEGAL_GENERATION = kafka_errors.IllegalGenerationError.errno
UNKNOWN_MEMBER_ID = kafka_errors.UnknownMemberIdError.errno
REBALANCE_IN_PROGRESS = kafka_errors.RebalanceInProgressError.errno
INCONSISTENT_GROUP_PROTOCOL = kafka_errors.InconsistentGroupProtocolError.errno
MEMBER_ID_REQUIRED = kafka_errors.MemberIdRequiredError.errno
COORDINATOR_NOT_AVAILABLE = kafka_errors.CoordinatorNotAvailableError.errno

EMPTY = "Empty"
PREPARING = "PreparingRebalance"
COMPLETING = "CompletingRebalance"
STABLE = "Stable"


@dataclass
class JoinAnswer:
    error: int
    member_id: str
    generation: int = -1
    protocol_type: str | None = None
    protocol: str | None = None
    leader: str = ""
    members: list[tuple[str, bytes]] = field(default_factory=list)  # for the leader: (member id, its metadata)


@dataclass
class SyncAnswer:
    error: int
    assignment: bytes = b""
    protocol_type: str | None = None
    protocol: str | None = None


@dataclass
class _Member:
    id: str
    session_timeout_s: float
    rebalance_timeout_s: float
    protocol_type: str
    protocols: list[tuple[str, bytes]]
    seen: float
    joined: bool = False  # has joined the rebalance under way
    answer: JoinAnswer | None = None
    assignment: bytes = b""


@dataclass
class _Group:
    id: str
    state: str = EMPTY
    generation: int = 0
    members: dict[str, _Member] = field(default_factory=dict)
    awaiting: set[str] = field(default_factory=set)  # ids handed out with MEMBER_ID_REQUIRED, not joined yet
    leader: str | None = None
    protocol_type: str | None = None
    protocol: str | None = None
    not_before: float = 0.0  # the initial rebalance delay of a group that was empty
    deadline: float = 0.0  # when the members that have not rejoined are dropped


class Groups:
    """Every consumer group of the broker, and their committed offsets (which outlive the members)."""

    def __init__(self, *, initial_rebalance_delay_ms: int = 0) -> None:
        self.initial_rebalance_delay_s = initial_rebalance_delay_ms / 1000
        self._cond = threading.Condition()
        self._groups: dict[str, _Group] = {}
        self._offsets: dict[str, dict[tuple[str, int], tuple[int, int, str | None]]] = {}
        self._open = True

    # -- what tests look at ---------------------------------------------------------------------------------

    def state(self, group_id: str) -> tuple[str, int, list[str]]:
        """(state, generation, member ids) of ``group_id``."""
        with self._cond:
            group = self._groups.get(group_id) or _Group(group_id)
            return group.state, group.generation, sorted(group.members)

    def committed(self, group_id: str) -> dict[tuple[str, int], int]:
        with self._cond:
            return {key: offset for key, (offset, _, _) in self._offsets.get(group_id, {}).items()}

    # -- the broker's life ----------------------------------------------------------------------------------

    def open(self) -> None:
        with self._cond:
            self._open = True

    def close(self) -> None:
        """Release every blocked JoinGroup and SyncGroup (the broker is stopping)."""
        with self._cond:
            self._open = False
            self._cond.notify_all()

    def tick(self) -> None:
        """Expire sessions and finish the rebalances whose members are all there or whose time is up."""
        with self._cond:
            now = time.monotonic()
            for group in self._groups.values():
                for member in list(group.members.values()):
                    rejoining = group.state == PREPARING and member.joined
                    if not rejoining and now - member.seen > member.session_timeout_s:
                        self._remove(group, member.id, now)
                self._maybe_complete(group, now)
            self._cond.notify_all()

    # -- the protocol ---------------------------------------------------------------------------------------

    def join(
        self,
        group_id: str,
        member_id: str,
        *,
        client_id: str,
        session_timeout_ms: int,
        rebalance_timeout_ms: int,
        protocol_type: str,
        protocols: Sequence[tuple[str, bytes]],
        require_member_id: bool,
    ) -> JoinAnswer:
        with self._cond:
            group = self._groups.setdefault(group_id, _Group(group_id))
            now = time.monotonic()
            if not member_id:
                member_id = f"{client_id}-{uuid.uuid4()}"
                if require_member_id:  # JoinGroup v4+: the member must come back with the id it is given
                    group.awaiting.add(member_id)
                    return JoinAnswer(MEMBER_ID_REQUIRED, member_id)
            elif member_id not in group.members and member_id not in group.awaiting:
                return JoinAnswer(UNKNOWN_MEMBER_ID, member_id)
            if group.members and not self._compatible(group, member_id, protocol_type, protocols):
                return JoinAnswer(INCONSISTENT_GROUP_PROTOCOL, member_id)
            group.awaiting.discard(member_id)
            member = group.members.get(member_id)
            rebalance_s = (rebalance_timeout_ms if rebalance_timeout_ms > 0 else session_timeout_ms) / 1000
            if member is None:
                member = _Member(member_id, session_timeout_ms / 1000, rebalance_s, protocol_type, [], now)
                group.members[member_id] = member
            member.session_timeout_s, member.rebalance_timeout_s = session_timeout_ms / 1000, rebalance_s
            member.protocol_type, member.protocols, member.seen = protocol_type, list(protocols), now
            if group.state != PREPARING:
                self._prepare(group, now)
            member.joined, member.answer = True, None
            self._maybe_complete(group, now)
            self._cond.notify_all()
            while member.answer is None and group.members.get(member_id) is member and self._open:
                self._cond.wait(0.05)
            answer, member.answer = member.answer, None
            return answer or JoinAnswer(UNKNOWN_MEMBER_ID if self._open else COORDINATOR_NOT_AVAILABLE, member_id)

    def sync(self, group_id: str, generation: int, member_id: str, assignments: Mapping[str, bytes]) -> SyncAnswer:
        with self._cond:
            group = self._groups.get(group_id)
            if group is None or member_id not in group.members:
                return SyncAnswer(UNKNOWN_MEMBER_ID)
            if generation != group.generation:
                return SyncAnswer(ILLEGAL_GENERATION)
            if group.state == PREPARING:
                return SyncAnswer(REBALANCE_IN_PROGRESS)
            group.members[member_id].seen = time.monotonic()
            if group.state == COMPLETING and member_id == group.leader:
                for member in group.members.values():
                    member.assignment = assignments.get(member.id, b"")
                group.state = STABLE
                self._cond.notify_all()
            while group.state == COMPLETING and group.generation == generation and self._open:
                self._cond.wait(0.05)
            member = group.members.get(member_id)
            if member is None or group.state != STABLE or group.generation != generation:
                return SyncAnswer(REBALANCE_IN_PROGRESS)
            return SyncAnswer(NONE, member.assignment, group.protocol_type, group.protocol)

    def heartbeat(self, group_id: str, generation: int, member_id: str) -> int:
        with self._cond:
            group = self._groups.get(group_id)
            if group is None or member_id not in group.members:
                return UNKNOWN_MEMBER_ID
            group.members[member_id].seen = time.monotonic()
            if generation != group.generation:
                return ILLEGAL_GENERATION
            return REBALANCE_IN_PROGRESS if group.state == PREPARING else NONE

    def leave(self, group_id: str, member_ids: Iterable[str]) -> dict[str, int]:
        with self._cond:
            group = self._groups.get(group_id)
            errors = {}
            for member_id in member_ids:
                known = group is not None and member_id in group.members
                errors[member_id] = NONE if known else UNKNOWN_MEMBER_ID
                if group is not None and known:
                    self._remove(group, member_id, time.monotonic())
            self._cond.notify_all()
            return errors

    def commit(
        self,
        group_id: str,
        generation: int,
        member_id: str,
        offsets: Mapping[tuple[str, int], tuple[int, int, str | None]],
    ) -> int:
        """Store ``offsets`` ((topic, partition) -> (offset, leader epoch, metadata)); the error code."""
        with self._cond:
            group = self._groups.setdefault(group_id, _Group(group_id))
            if generation < 0 and not member_id:
                if group.members:  # a commit from outside the group while it has members
                    return UNKNOWN_MEMBER_ID
            elif member_id not in group.members:
                return UNKNOWN_MEMBER_ID
            elif generation != group.generation:
                return ILLEGAL_GENERATION
            elif group.state != STABLE:
                return REBALANCE_IN_PROGRESS
            else:
                group.members[member_id].seen = time.monotonic()
            self._offsets.setdefault(group_id, {}).update(offsets)
            return NONE

    def fetch_offsets(
        self, group_id: str, wanted: Mapping[str, Sequence[int] | None] | None
    ) -> dict[str, dict[int, tuple[int, int, str | None]]]:
        """The committed offsets of ``wanted`` (topic -> partitions; None: every partition, or every topic)."""
        with self._cond:
            stored = self._offsets.get(group_id, {})
            topics = sorted({t for t, _ in stored}) if wanted is None else list(wanted)
            answer: dict[str, dict[int, tuple[int, int, str | None]]] = {}
            for topic in topics:
                partitions = None if wanted is None else wanted[topic]
                if partitions is None:
                    partitions = sorted(p for t, p in stored if t == topic)
                answer[topic] = {p: stored.get((topic, p), (-1, -1, "")) for p in partitions}
            return answer

    # -- the state machine ----------------------------------------------------------------------------------

    @staticmethod
    def _compatible(group: _Group, member_id: str, protocol_type: str, protocols: Sequence[tuple[str, bytes]]) -> bool:
        others = [m for m in group.members.values() if m.id != member_id]
        if not others:
            return True
        names = {name for name, _ in protocols}
        common = set.intersection(names, *({name for name, _ in m.protocols} for m in others))
        return protocol_type == others[0].protocol_type and bool(common)

    def _prepare(self, group: _Group, now: float) -> None:
        if group.state == EMPTY:
            group.not_before = now + self.initial_rebalance_delay_s
        group.state = PREPARING
        group.deadline = now + max((m.rebalance_timeout_s for m in group.members.values()), default=0.0)
        for member in group.members.values():
            member.joined = False

    def _remove(self, group: _Group, member_id: str, now: float) -> None:
        del group.members[member_id]
        if group.state != PREPARING:
            self._prepare(group, now)
        self._maybe_complete(group, now)

    def _maybe_complete(self, group: _Group, now: float) -> None:
        if group.state != PREPARING or now < group.not_before:
            return
        late = [m.id for m in group.members.values() if not m.joined]
        if late and now < group.deadline:
            return
        for member_id in late:
            del group.members[member_id]
        group.generation += 1
        if not group.members:
            group.state, group.leader, group.protocol, group.protocol_type = EMPTY, None, None, None
            return
        members = list(group.members.values())
        common = set.intersection(*({name for name, _ in m.protocols} for m in members))
        group.protocol = next(name for name, _ in members[0].protocols if name in common)
        group.protocol_type = members[0].protocol_type
        if group.leader not in group.members:
            group.leader = members[0].id
        subscriptions = [(m.id, dict(m.protocols)[group.protocol]) for m in members]
        group.state = COMPLETING
        for member in members:
            member.seen = now
            member.answer = JoinAnswer(
                NONE,
                member.id,
                group.generation,
                group.protocol_type,
                group.protocol,
                group.leader,
                subscriptions if member.id == group.leader else [],
            )
