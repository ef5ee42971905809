export { PulseClient, OPEN_TIMEOUT_MS, UPGRADE_AFTER_MS, type ClientStatus, type ConnectionState, type PulseClientOptions, type SubscribeOptions } from './pulse-client.js';
export type { WebSocketFactory, WebSocketLike } from './connections/ws.js';
export type { EventSourceFactory, EventSourceLike } from './connections/sse.js';
export { backoffDelay, BACKOFF_MAX_MS, BACKOFF_MIN_MS } from './backoff.js';
export { ChannelMembers, type AnyPresenceFrame } from './channel-members.js';
