import type { ChannelName, Result, User } from '../protocol/index.js';

/**
 * Where a client's `publish` to one kind of channel goes. The session checks
 * who may publish; the publisher checks what, and stamps it with `from`, which
 * comes from the token and never from the frame.
 */
export interface ChannelPublisher {
  publish(ch: ChannelName, from: User, data: unknown): Promise<Result<void>>;
}
