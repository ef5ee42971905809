import { DiscardPolicy, headers, RetentionPolicy, StorageType, StringCodec, type JetStreamManager, type NatsConnection } from 'nats';
import { ensureStream } from '../bus/streams.js';
import { PublishBatch } from '../bus/publish-batch.js';
import { isSubjectSafeRoom, type PresenceAnnouncement } from '../protocol/index.js';
import { PRESENCE_ANNOUNCE, presenceAnnounceSubject, ROOM_PRESENCE_ANNOUNCE, roomPresenceAnnounceSubject } from '../bus/subjects.js';
import type { Transition } from './presence-view.js';

const SECOND_NS = 1_000_000_000;
const sc = StringCodec();

/**
 * Presence changes for services on NATS: `presence.<channel>` for every
 * channel, and `rooms.<room>.presence` for game servers (docs/protocol.md).
 *
 * Every hub derives the same change from the bucket, tagged with the same
 * revision, and publishes it with that revision as `Nats-Msg-Id` into a small
 * stream; the stream keeps the first copy and republishes it, once, to the
 * public subject. Services therefore see each change once however many hubs
 * run, and no hub has to be elected to speak.
 *
 * The copies go out as plain publishes, not JetStream publishes awaiting an
 * acknowledgement: every hub sends each change, so the others cover a copy
 * that is lost, while an acknowledged publish per change per hub (a request,
 * a timer and an error kept for its stack, until the ack) was a quarter of
 * what a storm of 5,000 connections left for the garbage collector (heap
 * sampling during the benchmark's connect); they are batched (PublishBatch).
 */
export class PresenceAnnouncer {
  private readonly batch: PublishBatch;

  private constructor(nc: NatsConnection) {
    this.batch = new PublishBatch(nc);
  }

  static async start(nc: NatsConnection, jsm: JetStreamManager, replicas: number): Promise<PresenceAnnouncer> {
    const common = {
      retention: RetentionPolicy.Limits,
      // Only the short de-duplication window matters; nothing here is history. On file all the
      // same: a memory replica of a restarted nats-server (2.9) can stay behind until the stream's
      // next write, which on a quiet channel may be long, leaving the stream one node from no quorum.
      storage: StorageType.File,
      max_age: 120 * SECOND_NS,
      duplicate_window: 60 * SECOND_NS,
      max_bytes: 64 * 1024 * 1024,
      discard: DiscardPolicy.Old,
      num_replicas: replicas,
    };
    const streams = [
      ['PULSE_PRESENCE', PRESENCE_ANNOUNCE],
      ['PULSE_ROOM_PRESENCE', ROOM_PRESENCE_ANNOUNCE],
    ] as const;
    for (const [name, { subjects, republishTo }] of streams) {
      // Hubs before this one made them on memory: nothing in them outlives the duplicate window, so they are made again.
      await ensureStream(jsm, { ...common, name, subjects: [subjects], republish: { src: subjects, dest: republishTo } }, { disposable: true });
    }
    return new PresenceAnnouncer(nc);
  }

  announce(t: Transition): void {
    const member = { id: t.member.id, name: t.member.name, role: t.member.role };
    // The stream keeps the first message with a given id within its duplicate window.
    const h = headers();
    h.set('Nats-Msg-Id', `r${t.revision}`);
    // A channel name with an empty dot segment is no NATS subject; such a channel can carry no traffic anyway.
    if (isSubjectTail(t.ch)) {
      this.batch.publish(presenceAnnounceSubject(t.ch), sc.encode(JSON.stringify({ ch: t.ch, event: t.event, member } satisfies PresenceAnnouncement)), h);
    }
    if (t.ch.startsWith('room:') && isSubjectSafeRoom(t.ch.slice('room:'.length))) {
      const room = t.ch.slice('room:'.length);
      this.batch.publish(roomPresenceAnnounceSubject(room), sc.encode(JSON.stringify({ event: t.event, member } satisfies PresenceAnnouncement)), h);
    }
  }

  /** Sends the announcements still waiting in their batch. */
  stop(): void {
    this.batch.flush();
  }
}

function isSubjectTail(s: string): boolean {
  return !s.startsWith('.') && !s.endsWith('.') && !s.includes('..');
}
