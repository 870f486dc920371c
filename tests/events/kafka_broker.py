"""A Kafka broker on loopback for tests: a real TCP server speaking the Kafka wire protocol to kafka-python.

One node (id 0) on 127.0.0.1 and a free port (or the port it is given), a thread per connection answering its
requests in order, as a broker does. It decodes requests and encodes answers with kafka-python's own protocol
classes (``kafka.protocol``: the structures generated from Kafka's JSON message definitions). ApiVersions
advertises, for every API it serves, only versions a Kafka 4.0 broker also serves (``API_VERSIONS``), so what the
client negotiates is what it would speak with a modern broker: record batches v2, flexible versions, JoinGroup
with MEMBER_ID_REQUIRED. The partitions and the requests on them: ``tests.events.kafka_log``; consumer groups:
``tests.events.kafka_groups``.

    with KafkaBroker(partitions=2) as broker:
        bus = KafkaBus(broker.bootstrap_servers)
        ...
        broker.stop(); broker.start()   # a restart on the same port: logs, groups and offsets survive it
        with broker.hanging(): ...      # connections are accepted, requests read and never answered

Topics are created on first use (``auto.create.topics.enable``) with ``partitions`` partitions, or up front
with ``create_topic``. There are no ACLs, replicas, SASL or TLS.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

import kafka.errors as kafka_errors
from kafka.protocol.api_header import RequestHeader
from kafka.protocol.api_key import ApiKey
from kafka.protocol.consumer import (
    FetchRequest,
    HeartbeatRequest,
    HeartbeatResponse,
    JoinGroupRequest,
    JoinGroupResponse,
    LeaveGroupRequest,
    LeaveGroupResponse,
    ListOffsetsRequest,
    OffsetCommitRequest,
    OffsetCommitResponse,
    OffsetFetchRequest,
    OffsetFetchResponse,
    OffsetForLeaderEpochRequest,
    SyncGroupRequest,
    SyncGroupResponse,
)
from kafka.protocol.metadata import (
    ApiVersionsRequest,
    ApiVersionsResponse,
    FindCoordinatorRequest,
    FindCoordinatorResponse,
    MetadataRequest,
    MetadataResponse,
)
from kafka.protocol.producer import InitProducerIdRequest, InitProducerIdResponse, ProduceRequest
from kafka.protocol.schemas.fields.codecs import Int32

from tests.events.kafka_groups import Groups
from tests.events.kafka_log import LEADER_EPOCH, NONE, UNKNOWN_TOPIC_OR_PARTITION, Log

NODE_ID = 0
CLUSTER_ID = "reviewlab-loopback"
UNSUPPORTED_VERSION = kafka_errors.UnsupportedVersionError.errno

# (min, max) versions a Kafka 4.0 broker answers in ApiVersions, for the APIs this broker serves (as recorded from
# a 4.0 broker in kafka-python's kafka/protocol/broker_version_data.py). KIP-896 removed the older versions;
# 4.0 still lists Produce v0-2 but refuses them, so they are left out here.
API_VERSIONS: dict[int, tuple[int, int]] = {
    ApiKey.Produce: (3, 12),
    ApiKey.Fetch: (4, 17),
    ApiKey.ListOffsets: (1, 10),
    ApiKey.Metadata: (0, 13),
    ApiKey.OffsetCommit: (2, 9),
    ApiKey.OffsetFetch: (1, 9),
    ApiKey.FindCoordinator: (0, 6),
    ApiKey.JoinGroup: (2, 9),
    ApiKey.Heartbeat: (0, 4),
    ApiKey.LeaveGroup: (0, 5),
    ApiKey.SyncGroup: (0, 5),
    ApiKey.ApiVersions: (0, 4),
    ApiKey.InitProducerId: (0, 5),
    ApiKey.OffsetForLeaderEpoch: (2, 4),
}
REQUESTS: dict[int, Any] = {
    cls.API_KEY: cls
    for cls in (
        ProduceRequest,
        FetchRequest,
        ListOffsetsRequest,
        MetadataRequest,
        OffsetCommitRequest,
        OffsetFetchRequest,
        FindCoordinatorRequest,
        JoinGroupRequest,
        HeartbeatRequest,
        LeaveGroupRequest,
        SyncGroupRequest,
        ApiVersionsRequest,
        InitProducerIdRequest,
        OffsetForLeaderEpochRequest,
    )
}


class KafkaBroker:
    """A one-node Kafka cluster on 127.0.0.1; a context manager that starts and stops it."""

    def __init__(self, *, partitions: int = 2, initial_rebalance_delay_ms: int = 0, port: int = 0) -> None:
        self.groups = Groups(initial_rebalance_delay_ms=initial_rebalance_delay_ms)
        self.requests: list[tuple[str, int]] = []  # (API, version) of every request answered
        self.failures: list[str] = []  # requests this broker does not serve, or failed to answer (a test fails on any)
        self.port = port
        self.log = Log(partitions)
        self._connections_lock = threading.Lock()
        self._producer_ids = itertools.count(1000)
        self._hang = threading.Event()
        self._running = False
        self._listener: socket.socket | None = None
        self._connections: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._acceptor: threading.Thread | None = None
        self._handlers: dict[int, Callable[[Any, Any], Any]] = {
            ApiKey.Produce: lambda request, _: self.log.produce(request),
            ApiKey.Fetch: lambda request, _: self.log.fetch(request),
            ApiKey.ListOffsets: lambda request, _: self.log.list_offsets(request),
            ApiKey.Metadata: self._metadata,
            ApiKey.OffsetCommit: self._offset_commit,
            ApiKey.OffsetFetch: self._offset_fetch,
            ApiKey.FindCoordinator: self._find_coordinator,
            ApiKey.JoinGroup: self._join_group,
            ApiKey.Heartbeat: self._heartbeat,
            ApiKey.LeaveGroup: self._leave_group,
            ApiKey.SyncGroup: self._sync_group,
            ApiKey.ApiVersions: self._api_versions,
            ApiKey.InitProducerId: self._init_producer_id,
            ApiKey.OffsetForLeaderEpoch: lambda request, _: self.log.offset_for_leader_epoch(request),
        }

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    # -- life -----------------------------------------------------------------------------------------------

    def __enter__(self) -> KafkaBroker:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> KafkaBroker:
        """Listen (again: on the same port after a ``stop``)."""
        listener = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR: a restart gets the port back
        listener.settimeout(0.05)
        self.port = listener.getsockname()[1]
        self._listener, self._running = listener, True
        self.groups.open()
        self.log.open = True
        self._acceptor = self._spawn(self._accept, "kafka-accept")
        self._spawn(self._tick, "kafka-groups")
        return self

    def stop(self) -> None:
        """Close the port and every connection (clients see the broker go away); the data stays."""
        self._running = False
        if self._acceptor is not None:
            self._acceptor.join(5)  # no connection comes in any more
        self.groups.close()
        self.log.close()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(5)
        self._threads = []
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    @contextlib.contextmanager
    def hanging(self) -> Iterator[None]:
        """Within the block, requests are read and never answered (a broker that hangs); a connection that left
        one unanswered answers nothing more, so clients have to time out and connect again."""
        self._hang.set()
        try:
            yield
        finally:
            self._hang.clear()

    def create_topic(self, name: str, partitions: int) -> None:
        with self.log.lock:
            self.log.topic(name, partitions)

    def high_watermarks(self, topic: str) -> list[int]:
        with self.log.lock:
            return [p.end for p in self.log.topics[topic].partitions]

    def _spawn(self, target: Callable[..., None], name: str, *args: Any) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()
        return thread

    def _tick(self) -> None:
        while self._running:
            self.groups.tick()
            time.sleep(0.02)

    def _accept(self) -> None:
        assert self._listener is not None
        listener = self._listener
        while self._running:
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._connections_lock:
                self._connections.add(connection)
            self._spawn(self._serve, "kafka-connection", connection)

    def _serve(self, connection: socket.socket) -> None:
        hung = False  # a request left unanswered holds back every later one on its connection, as on a real broker
        try:
            while self._running:
                size = Int32.decode(io.BytesIO(_read(connection, 4)))
                frame = _read(connection, size)
                hung = hung or self._hang.is_set()
                if hung or not self._running:
                    continue
                answer = self._answer(frame)
                if answer is None:
                    continue
                connection.sendall(answer)
        except (OSError, EOFError):
            pass  # the client went away, or the broker stopped
        except Exception:  # noqa: BLE001 - kept in failures, which the tests assert empty
            self.failures.append(traceback.format_exc())
        finally:
            with self._connections_lock:
                self._connections.discard(connection)
            connection.close()

    # -- requests -------------------------------------------------------------------------------------------

    def _answer(self, frame: bytes) -> bytes | None:
        """The framed answer to one request (None: acks=0 Produce); EOFError closes the connection."""
        header = RequestHeader.decode(io.BytesIO(frame), flexible=False)  # the fields every header version starts with
        key, version = header.request_api_key, header.request_api_version
        low, high = API_VERSIONS.get(key, (0, -1))
        if key == ApiKey.ApiVersions and not low <= version <= high:  # Kafka answers v0 with the versions it has
            response = ApiVersionsResponse(version=0, error_code=UNSUPPORTED_VERSION, api_keys=self._api_keys())
            response.with_header(correlation_id=header.correlation_id)
            return bytes(response.encode(header=True, framed=True))
        if not low <= version <= high:
            self.failures.append(f"unsupported request: API key {key} v{version}")
            raise EOFError  # a broker closes the connection on a request it cannot parse
        request = REQUESTS[key].decode(frame, version=version, header=True)
        response = self._handlers[key](request, request.header)
        self.requests.append((ApiKey(key).name, version))
        if response is None:
            return None
        response.with_header(correlation_id=header.correlation_id)
        return bytes(response.encode(header=True, framed=True))

    def _api_keys(self) -> list[Any]:
        return [
            ApiVersionsResponse.ApiVersion(api_key=key, min_version=low, max_version=high)
            for key, (low, high) in sorted(API_VERSIONS.items())
        ]

    def _api_versions(self, request: Any, header: Any) -> Any:
        return ApiVersionsResponse(version=request.version, error_code=NONE, api_keys=self._api_keys())

    def _metadata(self, request: Any, header: Any) -> Any:
        auto_create = request.version < 4 or request.allow_auto_topic_creation
        with self.log.lock:
            if request.topics is None or (request.version == 0 and not request.topics):
                names = sorted(self.log.topics)
            else:
                by_id = {t.id: t.name for t in self.log.topics.values()}
                names = [t.name or by_id.get(t.topic_id, "") for t in request.topics]
            topics = []
            for name in names:
                if name not in self.log.topics and not auto_create:
                    topics.append(
                        MetadataResponse.MetadataResponseTopic(
                            error_code=UNKNOWN_TOPIC_OR_PARTITION, name=name, topic_id=uuid.UUID(int=0), partitions=[]
                        )
                    )
                    continue
                topic = self.log.topic(name)
                partitions = [
                    MetadataResponse.MetadataResponseTopic.MetadataResponsePartition(
                        error_code=NONE,
                        partition_index=index,
                        leader_id=NODE_ID,
                        leader_epoch=LEADER_EPOCH,
                        replica_nodes=[NODE_ID],
                        isr_nodes=[NODE_ID],
                        offline_replicas=[],
                    )
                    for index in range(len(topic.partitions))
                ]
                topics.append(
                    MetadataResponse.MetadataResponseTopic(
                        error_code=NONE, name=name, topic_id=topic.id, is_internal=False, partitions=partitions
                    )
                )
        broker = MetadataResponse.MetadataResponseBroker(node_id=NODE_ID, host="127.0.0.1", port=self.port, rack=None)
        return MetadataResponse(
            version=request.version,
            throttle_time_ms=0,
            brokers=[broker],
            cluster_id=CLUSTER_ID,
            controller_id=NODE_ID,
            topics=topics,
        )

    def _find_coordinator(self, request: Any, header: Any) -> Any:
        where = {"node_id": NODE_ID, "host": "127.0.0.1", "port": self.port, "error_code": NONE, "error_message": None}
        if request.version < 4:
            return FindCoordinatorResponse(version=request.version, throttle_time_ms=0, **where)
        coordinators = [FindCoordinatorResponse.Coordinator(key=key, **where) for key in request.coordinator_keys]
        return FindCoordinatorResponse(version=request.version, throttle_time_ms=0, coordinators=coordinators)

    def _init_producer_id(self, request: Any, header: Any) -> Any:
        return InitProducerIdResponse(
            version=request.version,
            throttle_time_ms=0,
            error_code=NONE,
            producer_id=next(self._producer_ids),
            producer_epoch=0,
        )

    # -- the log --------------------------------------------------------------------------------------------

    # -- groups ---------------------------------------------------------------------------------------------

    def _join_group(self, request: Any, header: Any) -> Any:
        answer = self.groups.join(
            request.group_id,
            request.member_id,
            client_id=header.client_id or "client",
            session_timeout_ms=request.session_timeout_ms,
            rebalance_timeout_ms=request.rebalance_timeout_ms,
            protocol_type=request.protocol_type,
            protocols=[(p.name, bytes(p.metadata)) for p in request.protocols],
            require_member_id=request.version >= 4,
        )
        members = [
            JoinGroupResponse.JoinGroupResponseMember(member_id=member_id, group_instance_id=None, metadata=metadata)
            for member_id, metadata in answer.members
        ]
        return JoinGroupResponse(
            version=request.version,
            throttle_time_ms=0,
            error_code=answer.error,
            generation_id=answer.generation,
            protocol_type=answer.protocol_type,
            protocol_name=answer.protocol or "",
            leader=answer.leader,
            skip_assignment=False,
            member_id=answer.member_id,
            members=members,
        )

    def _sync_group(self, request: Any, header: Any) -> Any:
        assignments = {a.member_id: bytes(a.assignment) for a in request.assignments}
        answer = self.groups.sync(request.group_id, request.generation_id, request.member_id, assignments)
        return SyncGroupResponse(
            version=request.version,
            throttle_time_ms=0,
            error_code=answer.error,
            protocol_type=answer.protocol_type,
            protocol_name=answer.protocol,
            assignment=answer.assignment,
        )

    def _heartbeat(self, request: Any, header: Any) -> Any:
        error = self.groups.heartbeat(request.group_id, request.generation_id, request.member_id)
        return HeartbeatResponse(version=request.version, throttle_time_ms=0, error_code=error)

    def _leave_group(self, request: Any, header: Any) -> Any:
        leaving = [request.member_id] if request.version < 3 else [m.member_id for m in request.members]
        errors = self.groups.leave(request.group_id, leaving)
        members = [
            LeaveGroupResponse.MemberResponse(member_id=member_id, group_instance_id=None, error_code=error)
            for member_id, error in errors.items()
        ]
        error = errors[leaving[0]] if request.version < 3 and leaving else NONE
        return LeaveGroupResponse(version=request.version, throttle_time_ms=0, error_code=error, members=members)

    def _offset_commit(self, request: Any, header: Any) -> Any:
        offsets = {
            (t.name, p.partition_index): (p.committed_offset, p.committed_leader_epoch, p.committed_metadata)
            for t in request.topics
            for p in t.partitions
        }
        error = self.groups.commit(request.group_id, request.generation_id_or_member_epoch, request.member_id, offsets)
        topics = [
            OffsetCommitResponse.OffsetCommitResponseTopic(
                name=t.name,
                partitions=[
                    OffsetCommitResponse.OffsetCommitResponseTopic.OffsetCommitResponsePartition(
                        partition_index=p.partition_index, error_code=error
                    )
                    for p in t.partitions
                ],
            )
            for t in request.topics
        ]
        return OffsetCommitResponse(version=request.version, throttle_time_ms=0, topics=topics)

    def _offset_fetch(self, request: Any, header: Any) -> Any:
        if request.version < 8:
            found = self.groups.fetch_offsets(request.group_id, _wanted(request.topics))
            return OffsetFetchResponse(
                version=request.version,
                throttle_time_ms=0,
                topics=[_fetched(OffsetFetchResponse.OffsetFetchResponseTopic, t, ps) for t, ps in found.items()],
                error_code=NONE,
            )
        group_class = OffsetFetchResponse.OffsetFetchResponseGroup
        groups = []
        for wanted in request.groups:
            found = self.groups.fetch_offsets(wanted.group_id, _wanted(wanted.topics))
            topics = [_fetched(group_class.OffsetFetchResponseTopics, t, ps) for t, ps in found.items()]
            groups.append(group_class(group_id=wanted.group_id, topics=topics, error_code=NONE))
        return OffsetFetchResponse(version=request.version, throttle_time_ms=0, groups=groups)


def _wanted(topics: Any) -> dict[str, list[int] | None] | None:
    return None if topics is None else {t.name: list(t.partition_indexes) for t in topics}


def _fetched(topic_class: Any, name: str, partitions: dict[int, tuple[int, int, str | None]]) -> Any:
    """An OffsetFetch answer's topic (v1-7 and v8+ name the same fields in differently named structures)."""
    partition_class = next(v for k, v in vars(topic_class).items() if k.startswith("OffsetFetchResponsePartition"))
    return topic_class(
        name=name,
        partitions=[
            partition_class(
                partition_index=index,
                committed_offset=offset,
                committed_leader_epoch=epoch,
                metadata=metadata if metadata is not None else "",
                error_code=NONE,
            )
            for index, (offset, epoch, metadata) in sorted(partitions.items())
        ],
    )


def _read(connection: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = connection.recv(min(left, 1 << 16))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
