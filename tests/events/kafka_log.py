"""The partitions of the loopback Kafka broker (``tests.events.kafka_broker``) and the requests that write and read
them: Produce, Fetch, ListOffsets, OffsetForLeaderEpoch.

A partition keeps each record batch as the producer sent it, only writing in the base offset and the partition
leader epoch (neither is covered by the batch's CRC, which is checked with ``kafka.record``); a fetch returns the
batches from the one that holds the fetch offset, and waits up to the request's ``max_wait_ms`` for ``min_bytes``.
An idempotent producer's batch sent again is acknowledged with its first offset, not appended twice. Nothing is
ever deleted or compacted; there are no transactions.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import kafka.errors as kafka_errors
from kafka.protocol.consumer import FetchResponse, ListOffsetsResponse, OffsetForLeaderEpochResponse
from kafka.protocol.producer import ProduceResponse
from kafka.protocol.schemas.fields.codecs import Int32, Int64
from kafka.record.default_records import DefaultRecordBatch
from kafka.record.memory_records import MemoryRecords

LEADER_EPOCH = 0
LATEST, EARLIEST = -1, -2  # ListOffsets timestamps
NONE = 0
OFFSET_OUT_OF_RANGE = kafka_errors.OffsetOutOfRangeError.errno
CORRUPT_MESSAGE = kafka_errors.CorruptRecordError.errno
UNKNOWN_TOPIC_OR_PARTITION = kafka_errors.UnknownTopicOrPartitionError.errno
UNKNOWN_TOPIC_ID = kafka_errors.UnknownTopicIdError.errno
UNSUPPORTED_FOR_MESSAGE_FORMAT = kafka_errors.UnsupportedForMessageFormatError.errno
INVALID_REQUEST = kafka_errors.InvalidRequestError.errno


@dataclass
class Partition:
    batches: list[tuple[int, int, bytes]] = field(default_factory=list)  # (base offset, last offset, batch)
    end: int = 0  # the next offset: the high watermark
    # The base offsets of idempotent producers' batches, by (producer id, epoch, base sequence): a batch
    # sent again (its answer was lost) is acknowledged with its first offset, not appended twice.
    sequences: dict[tuple[int, int, int], int] = field(default_factory=dict)


@dataclass
class Topic:
    name: str
    id: uuid.UUID
    partitions: list[Partition]


class Log:
    """Every topic of the broker; new topics get ``partitions`` partitions."""

    def __init__(self, partitions: int) -> None:
        self.partitions = partitions
        self.topics: dict[str, Topic] = {}
        self.lock = threading.Condition()  # guards the topics; notified on every append, and when the broker stops
        self.open = True

    def close(self) -> None:
        """Release the fetches waiting for data (the broker is stopping)."""
        with self.lock:
            self.open = False
            self.lock.notify_all()

    def topic(self, name: str, partitions: int | None = None) -> Topic:
        """``name``, created when new (the caller holds ``lock``)."""
        topic = self.topics.get(name)
        if topic is None:
            count = partitions or self.partitions
            topic = Topic(name, uuid.uuid4(), [Partition() for _ in range(count)])
            self.topics[name] = topic
        return topic

    def produce(self, request: Any) -> Any:
        answers = []
        with self.lock:
            for data in request.topic_data:
                topic = self.topic(data.name)
                partitions = []
                for part in data.partition_data:
                    error, base = self._append(topic, part.index, bytes(part.records))
                    partitions.append(
                        ProduceResponse.TopicProduceResponse.PartitionProduceResponse(
                            index=part.index, error_code=error, base_offset=base, log_start_offset=0, record_errors=[]
                        )
                    )
                answers.append(ProduceResponse.TopicProduceResponse(name=data.name, partition_responses=partitions))
            self.lock.notify_all()
        if request.acks == 0:
            return None
        return ProduceResponse(version=request.version, responses=answers, throttle_time_ms=0)

    def _append(self, topic: Topic, index: int, records: bytes) -> tuple[int, int]:
        """Append the record batches ``records`` to partition ``index``: (error code, base offset)."""
        if not 0 <= index < len(topic.partitions):
            return UNKNOWN_TOPIC_OR_PARTITION, -1
        partition = topic.partitions[index]
        batches, position, memory = [], 0, MemoryRecords(records)
        while (batch := memory.next_batch()) is not None:
            if not isinstance(batch, DefaultRecordBatch):
                return UNSUPPORTED_FOR_MESSAGE_FORMAT, -1  # Kafka 4 takes record batches v2 only
            if not batch.validate_crc():
                return CORRUPT_MESSAGE, -1
            batches.append((batch, records[position : position + batch.size_in_bytes]))
            position += batch.size_in_bytes
        base = partition.end
        for batch, raw in batches:
            key = (batch.producer_id, batch.producer_epoch, batch.base_sequence)
            if batch.producer_id >= 0 and key in partition.sequences:
                return NONE, partition.sequences[key]
            if batch.producer_id >= 0:
                partition.sequences[key] = partition.end
            stored = bytearray(raw)
            stored[0:8] = Int64.encode(partition.end)
            stored[12:16] = Int32.encode(LEADER_EPOCH)
            partition.batches.append((partition.end, partition.end + batch.last_offset_delta, bytes(stored)))
            partition.end += batch.last_offset_delta + 1
        return NONE, base

    def fetch(self, request: Any) -> Any:
        deadline = time.monotonic() + request.max_wait_ms / 1000
        with self.lock:
            while True:
                responses, size = self._read_logs(request)
                left = deadline - time.monotonic()
                if size >= request.min_bytes or left <= 0 or not self.open:
                    break
                self.lock.wait(left)
        return FetchResponse(
            version=request.version, throttle_time_ms=0, error_code=NONE, session_id=0, responses=responses
        )

    def _read_logs(self, request: Any) -> tuple[list[Any], int]:
        """What ``request`` fetches now (the caller holds ``_log``): (topic responses, bytes of records)."""
        by_id = {t.id: t for t in self.topics.values()}
        responses, size, budget = [], 0, request.max_bytes
        for wanted in request.topics:
            topic = by_id.get(wanted.topic_id) if request.version >= 13 else self.topics.get(wanted.topic)
            partitions = []
            for part in wanted.partitions:
                error, records, end = self._slice(
                    topic, part.partition, part.fetch_offset, part.partition_max_bytes, budget
                )
                budget -= len(records)
                size += len(records)
                partitions.append(
                    FetchResponse.FetchableTopicResponse.PartitionData(
                        partition_index=part.partition,
                        error_code=error,
                        high_watermark=end,
                        last_stable_offset=end,
                        log_start_offset=0,
                        aborted_transactions=None,
                        preferred_read_replica=-1,
                        records=records,
                    )
                )
            responses.append(
                FetchResponse.FetchableTopicResponse(
                    topic=wanted.topic, topic_id=wanted.topic_id, partitions=partitions
                )
            )
        return responses, size

    def _slice(self, topic: Topic | None, index: int, offset: int, limit: int, budget: int) -> tuple[int, bytes, int]:
        """(error, the batches from the one holding ``offset``, high watermark): at least one batch when there
        is one and nothing was sent yet, else within ``limit`` and ``budget``."""
        if topic is None or not 0 <= index < len(topic.partitions):
            return (UNKNOWN_TOPIC_ID if topic is None else UNKNOWN_TOPIC_OR_PARTITION), b"", -1
        partition = topic.partitions[index]
        if not 0 <= offset <= partition.end:
            return OFFSET_OUT_OF_RANGE, b"", partition.end
        chunks: list[bytes] = []
        taken = 0
        for _base, last, raw in partition.batches:
            if last < offset:
                continue
            if chunks and (taken + len(raw) > limit or taken + len(raw) > budget):
                break
            chunks.append(raw)
            taken += len(raw)
            if budget <= 0:
                break
        return NONE, b"".join(chunks), partition.end

    def list_offsets(self, request: Any) -> Any:
        topics = []
        with self.lock:
            for wanted in request.topics:
                topic = self.topics.get(wanted.name)
                partitions = []
                for part in wanted.partitions:
                    error, offset = self._offset_at(topic, part.partition_index, part.timestamp)
                    partitions.append(
                        ListOffsetsResponse.ListOffsetsTopicResponse.ListOffsetsPartitionResponse(
                            partition_index=part.partition_index,
                            error_code=error,
                            timestamp=-1,
                            offset=offset,
                            leader_epoch=LEADER_EPOCH,
                        )
                    )
                topics.append(ListOffsetsResponse.ListOffsetsTopicResponse(name=wanted.name, partitions=partitions))
        return ListOffsetsResponse(version=request.version, throttle_time_ms=0, topics=topics)

    @staticmethod
    def _offset_at(topic: Topic | None, index: int, timestamp: int) -> tuple[int, int]:
        if topic is None or not 0 <= index < len(topic.partitions):
            return UNKNOWN_TOPIC_OR_PARTITION, -1
        partition = topic.partitions[index]
        if timestamp == LATEST:
            return NONE, partition.end
        if timestamp == EARLIEST:
            return NONE, 0
        if timestamp < 0:
            return INVALID_REQUEST, -1
        for _base, _last, raw in partition.batches:
            batch = DefaultRecordBatch(raw)
            if batch.max_timestamp >= timestamp:
                return NONE, next(r.offset for r in batch if r.timestamp >= timestamp)
        return NONE, partition.end

    def offset_for_leader_epoch(self, request: Any) -> Any:
        topics = []
        with self.lock:
            for wanted in request.topics:
                topic = self.topics.get(wanted.topic)
                partitions = []
                for part in wanted.partitions:
                    known = topic is not None and 0 <= part.partition < len(topic.partitions)
                    partitions.append(
                        OffsetForLeaderEpochResponse.OffsetForLeaderTopicResult.EpochEndOffset(
                            error_code=NONE if known else UNKNOWN_TOPIC_OR_PARTITION,
                            partition=part.partition,
                            leader_epoch=LEADER_EPOCH if known else -1,
                            end_offset=topic.partitions[part.partition].end if topic and known else -1,
                        )
                    )
                topics.append(
                    OffsetForLeaderEpochResponse.OffsetForLeaderTopicResult(topic=wanted.topic, partitions=partitions)
                )
        return OffsetForLeaderEpochResponse(version=request.version, throttle_time_ms=0, topics=topics)
