export { PulseClient, type ClientStatus, type ConnectionState, type PulseClientOptions, type SubscribeOptions, type WebSocketFactory, type WebSocketLike } from './pulse-client.js';
export { backoffDelay, BACKOFF_MAX_MS, BACKOFF_MIN_MS } from './backoff.js';
