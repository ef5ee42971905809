import { StringCodec, type JetStreamClient, type NatsConnection } from 'nats';
import { checkRoomName, fail, ok, roomSubject, type ChannelName, type Result, type RoomData, type RoomInputMessage, type User } from '../protocol/index.js';
import type { ChannelPublisher } from '../channels/publisher.js';
import { readRoomPublish } from './room-publish.js';
import type { TypingRelay } from './typing-relay.js';

const sc = StringCodec();

/**
 * A player's publication to a room: inputs go to the game server only, chat
 * is stored in the room's history, typing is relayed and forgotten.
 */
export class RoomPublisher implements ChannelPublisher {
  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly typing: TypingRelay,
  ) {}

  async publish(ch: ChannelName, from: User, data: unknown): Promise<Result<void>> {
    const read = readRoomPublish(data);
    if (!read.ok) return read;
    const name = checkRoomName(ch.name);
    if (!name.ok) return name;
    const who = { id: from.id, name: from.name };
    const p = read.value;
    switch (p.kind) {
      case 'input':
        this.nc.publish(roomSubject(ch.name, 'input'), sc.encode(JSON.stringify({ player: who, input: p.input, ts: Date.now() } satisfies RoomInputMessage)));
        return ok(undefined);
      case 'typing':
        this.typing.publish(ch.name, from, p.on);
        return ok(undefined);
      case 'chat':
        try {
          await this.js.publish(roomSubject(ch.name, 'chat'), sc.encode(JSON.stringify({ kind: 'chat', from: who, text: p.text } satisfies RoomData)));
          return ok(undefined);
        } catch {
          return fail('overloaded', 'the chat line could not be stored; send it again');
        }
    }
  }
}
